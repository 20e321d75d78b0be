import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { binomialReach, binomialTest, detectableRate, fisherExact, holmAdjust, minimumDetectableEffect, stratifiedWelch, twoSided, type WelchTest } from "./hypothesis-tests.js";
import type { Observation } from "./statistics.js";

const obs = (stratum: string, values: readonly number[]): Observation[] => values.map((value) => ({ stratum, value }));
const welch = (a: Observation[], b: Observation[]): WelchTest => {
  const w = stratifiedWelch(a, b);
  if ("noSpread" in w) throw new Error("expected spread");
  return w;
};

describe("stratifiedWelch", () => {
  it("is Welch's two-sample t with one config per arm (scipy.stats.ttest_ind, equal_var=False)", () => {
    const w = welch(obs("x", [12.1, 14.3, 11.8, 13.9, 12.6]), obs("y", [15.2, 16.8, 14.1, 17.5, 15.9, 16.3]));
    expect(w.t).toBeCloseTo(-4.342857452456676, 12);
    expect(w.df).toBeCloseTo(8.874265604559403, 10);
    expect(w.pLower).toBeCloseTo(0.0009663358221632157, 14);
    expect(twoSided(w)).toBeCloseTo(0.0019326716443264314, 14);
    expect(w.lo).toBeCloseTo(-4.606642947401887, 10);
    expect(w.hi).toBeCloseTo(-1.4466903859314446, 10);
  });

  it("weights configs by their share of the arm's runs (Welch–Satterthwaite; values computed with numpy)", () => {
    const a = [...obs("s1", [1, 2, 3, 4, 5.5]), ...obs("s2", [10, 12, 11, 13, 15, 14])];
    const b = [...obs("s1", [2, 3, 5, 4, 6]), ...obs("s2", [11, 14, 12, 16, 13, 15.5]), ...obs("s3", [7, 8, 7.5])];
    const w = welch(a, b);
    expect(w.effect).toBeCloseTo(-0.629870129870131, 12);
    expect(w.se).toBeCloseTo(0.6962692428164245, 12);
    expect(w.df).toBeCloseTo(17.048555636505668, 10);
    expect(w.pLower).toBeCloseTo(0.18913245494423578, 12);
    expect(w.pHigher).toBeCloseTo(0.8108675450557642, 12);
    expect(w.lo).toBeCloseTo(-2.0985511812449316, 10);
  });

  it("a config's offset never leaks into the effect or its error", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 2, maxLength: 6 }), fc.double({ min: -1e3, max: 1e3, noNaN: true }), (values, offset) => {
        const a = [...obs("lo", values), ...obs("hi", values.map((v) => v + offset))];
        const w = stratifiedWelch(a, a);
        expect(w.effect).toBe(0);
        if (!("noSpread" in w)) expect(twoSided(w)).toBe(1);
      }),
    );
  });

  it("says when no config has any spread, instead of deciding", () => {
    expect(stratifiedWelch(obs("x", [0.1, 0.1, 0.1]), obs("y", [3, 3, 3]))).toEqual({ test: "welch", effect: 0.1 - 3, se: 0, noSpread: true });
  });

  it("refuses a config of one run, and non-finite values by name", () => {
    expect(() => stratifiedWelch(obs("x", [1]), obs("y", [1, 2]))).toThrow(RangeError);
    expect(() => stratifiedWelch(obs("x", [1, NaN]), obs("y", [1, 2]))).toThrow(/stratifiedWelch \(a\): values\[1\] must be a finite number, got NaN/);
    expect(() => stratifiedWelch(obs("x", [1, 2]), obs("y", [1, Infinity]))).toThrow(/values\[1\] must be a finite number, got Infinity/);
  });
});

describe("fisherExact", () => {
  it("matches scipy.stats.fisher_exact's one-sided p-values", () => {
    expect(fisherExact({ successes: 5, n: 5 }, { successes: 0, n: 5 }).pHigher).toBeCloseTo(0.003968253968253969, 15);
    const f = fisherExact({ successes: 4, n: 5 }, { successes: 1, n: 6 });
    expect(f.pHigher).toBeCloseTo(0.06709956709956709, 14);
    expect(f.pLower).toBeCloseTo(0.9978354978354979, 14);
  });
  it("refuses impossible counts", () => {
    expect(() => fisherExact({ successes: 6, n: 5 }, { successes: 0, n: 5 })).toThrow(/a needs integers 0 ≤ successes ≤ n, got 6 of 5/);
    expect(() => fisherExact({ successes: NaN, n: 5 }, { successes: 0, n: 5 })).toThrow(/a\.successes must be a finite number, got NaN/);
  });
});

describe("binomialTest", () => {
  it("matches scipy.stats.binomtest's one-sided p-values", () => {
    expect(binomialTest(6, 6, 0.5).pHigher).toBeCloseTo(0.015625, 15);
    expect(binomialTest(14, 20, 0.4).pHigher).toBeCloseTo(0.006465875352035005, 14);
    expect(binomialTest(2, 20, 0.4).pLower).toBeCloseTo(0.0036114720591288708, 14);
  });
  it("knows its reach: 5 runs cannot take a bound of one half below 2.5%, 6 can", () => {
    expect(binomialReach(5, 0.5).pHigher).toBe(1 / 32);
    expect(binomialReach(6, 0.5).pHigher).toBe(1 / 64);
  });
  it("a detectable share lies beyond the bound and reaches 80% power", () => {
    const p = detectableRate(20, 0.5, true, 0.025)!;
    expect(p).toBeGreaterThan(0.5);
    expect(p).toBeLessThan(1);
    expect(detectableRate(4, 0.5, true, 0.025)).toBeUndefined();
  });
});

describe("holmAdjust", () => {
  it("is Holm's step-down: [0.01, 0.04, 0.03, 0.005] → [0.03, 0.06, 0.06, 0.02]", () => {
    const adj = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((x, i) => expect(adj[i]).toBeCloseTo(x, 15));
  });
  it("never lowers a p, keeps the order of the raw p-values, and stays in [0, 1]", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }), (ps) => {
        const adj = holmAdjust(ps);
        ps.forEach((p, i) => {
          expect(adj[i]!).toBeGreaterThanOrEqual(p);
          expect(adj[i]!).toBeLessThanOrEqual(1);
          ps.forEach((q, j) => {
            if (p < q) expect(adj[i]!).toBeLessThanOrEqual(adj[j]!);
          });
        });
      }),
    );
  });
  it("refuses what is not a p-value", () => {
    expect(() => holmAdjust([0.1, NaN])).toThrow(/holmAdjust: ps\[1\] must be a finite number, got NaN/);
    expect(() => holmAdjust([1.5])).toThrow(RangeError);
  });
});

describe("minimumDetectableEffect", () => {
  it("at 5 vs 5 seeds with unit spread, 80% power at α 0.05 needs about 2 SD", () => {
    const unit = [-1.2649110640673518, -0.6324555320336759, 0, 0.6324555320336759, 1.2649110640673518]; // mean 0, SD 1
    const m = minimumDetectableEffect(obs("x", unit), obs("y", unit))!;
    expect(m.pooledSd).toBeCloseTo(1, 12);
    // (t(0.975, 8) + t(0.8, 8)) · √(2/5) = (2.306 + 0.889) · 0.632
    expect(m.d).toBeCloseTo(2.0206281650809057, 10);
    expect(m.value).toBeCloseTo(m.d, 12);
  });
  it("is undefined without spread", () => {
    expect(minimumDetectableEffect(obs("x", [1, 1]), obs("y", [2, 2]))).toBeUndefined();
  });
});
