import { describe, expect, it } from "vitest";
import { binomialLower, binomialUpper, hypergeometricLower, hypergeometricUpper, studentTCdf, studentTQuantile, studentTUpper } from "./distributions.js";

// Published values: scipy.stats 1.17 (t.ppf, t.cdf, t.sf, binom.cdf, binom.sf, hypergeom.cdf, hypergeom.sf).
describe("@stdlib's distributions against scipy", () => {
  it("Student's t: quantiles and tails", () => {
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764451051977934, 12);
    expect(studentTQuantile(0.975, 7.3)).toBeCloseTo(2.345066736547703, 12);
    expect(studentTQuantile(0.8, 12.5)).toBeCloseTo(0.8713297044052926, 12);
    expect(studentTCdf(-2.5, 3.2)).toBeCloseTo(0.04122086858087374, 14);
    expect(studentTUpper(4.1, 9.7)).toBeCloseTo(0.0011429413082451772, 15);
  });

  it("binomial tails", () => {
    expect(binomialLower(3, 10, 0.5)).toBeCloseTo(0.171875, 15);
    // scipy's binom.sf(16, 24, 0.5) is P(X > 16) = P(X ≥ 17).
    expect(binomialUpper(17, 24, 0.5)).toBeCloseTo(0.03195732831954956, 14);
    expect(binomialLower(2, 17, 0.3)).toBeCloseTo(0.07738525261207081, 14);
    expect(binomialUpper(0, 5, 0.3)).toBe(1);
    expect(binomialLower(-1, 5, 0.3)).toBe(0);
  });

  it("hypergeometric tails (population, successes in it, draws)", () => {
    expect(hypergeometricLower(1, 20, 10, 10)).toBeCloseTo(0.000546666955335686, 15);
    // hypergeom.sf(3, 13, 6, 7) = P(X ≥ 4).
    expect(hypergeometricUpper(4, 13, 6, 7)).toBeCloseTo(0.38344988344988346, 14);
  });
});
