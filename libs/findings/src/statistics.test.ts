import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { effectInterval, iqm, mean, median, probabilityOfImprovement, wilsonInterval, type Observation } from "./statistics.js";

const values = fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 2, maxLength: 8 });
/** Observations in 1–3 strata, each stratum with ≥ 2 seeds. */
const arm = fc.array(values, { minLength: 1, maxLength: 3 }).map((strata) => strata.flatMap((vs, s) => vs.map((value) => ({ stratum: `s${s}`, value }))));
const FAST = { resamples: 400 };
/** Multiples of 1/8 in a small range: sums stay exact, so a shift can neither make nor break a tie. */
const dyadic = fc.integer({ min: -8000, max: 8000 }).map((k) => k / 8);
const dyadicArm = fc
  .array(fc.array(dyadic, { minLength: 2, maxLength: 8 }), { minLength: 1, maxLength: 3 })
  .map((strata) => strata.flatMap((vs, s) => vs.map((value) => ({ stratum: `s${s}`, value }))));

describe("effectInterval", () => {
  it("contains its point estimate", () => {
    fc.assert(
      fc.property(arm, arm, (a, b) => {
        const e = effectInterval(a, b, "higher", FAST);
        const slack = 1e-9 * (1 + Math.abs(e.effect));
        expect(e.lo).toBeLessThanOrEqual(e.effect + slack);
        expect(e.hi).toBeGreaterThanOrEqual(e.effect - slack);
      }),
      { numRuns: 60 },
    );
  });

  it("is shift-invariant: adding c to every run of both arms changes neither effect nor interval", () => {
    fc.assert(
      fc.property(dyadicArm, dyadicArm, dyadic, (a, b, c) => {
        const shift = (xs: Observation[]) => xs.map((o) => ({ ...o, value: o.value + c }));
        const e = effectInterval(a, b, "lower", FAST);
        const s = effectInterval(shift(a), shift(b), "lower", FAST);
        const tol = 1e-6 * (1 + Math.abs(c) + Math.abs(e.lo) + Math.abs(e.hi));
        expect(Math.abs(s.effect - e.effect)).toBeLessThan(tol);
        expect(Math.abs(s.lo - e.lo)).toBeLessThan(tol);
        expect(Math.abs(s.hi - e.hi)).toBeLessThan(tol);
        expect(s.probabilityOfImprovement).toBe(e.probabilityOfImprovement);
      }),
      { numRuns: 40 },
    );
  });

  it("identical arms: effect 0 and an interval containing 0", () => {
    fc.assert(
      fc.property(arm, (a) => {
        const e = effectInterval(a, a, "higher", FAST);
        expect(e.effect).toBe(0);
        expect(e.lo).toBeLessThanOrEqual(0);
        expect(e.hi).toBeGreaterThanOrEqual(0);
        expect(e.probabilityOfImprovement).toBeLessThanOrEqual(0.5);
      }),
      { numRuns: 60 },
    );
  });

  it("reproduces: same observations, same seed, same interval", () => {
    const a = [1, 2, 3].map((value) => ({ stratum: "x", value }));
    const b = [0, 0.5, 1].map((value) => ({ stratum: "x", value }));
    expect(effectInterval(a, b, "higher")).toEqual(effectInterval(a, b, "higher"));
  });

  it("separates arms that differ by far more than their spread", () => {
    const a = [10, 10.1, 9.9].map((value) => ({ stratum: "x", value }));
    const b = [0, 0.1, -0.1].map((value) => ({ stratum: "x", value }));
    const e = effectInterval(a, b, "higher");
    expect(e.effect).toBeCloseTo(10);
    expect(e.lo).toBeGreaterThan(9);
    expect(e.probabilityOfImprovement).toBe(1);
  });

  it("resamples within strata: a stratum's offset never leaks into the interval", () => {
    // Two strata far apart, identical in both arms: stratified resampling keeps each stratum's share, so the interval is exactly 0.
    const a = [0, 0, 100, 100].map((value, i) => ({ stratum: i < 2 ? "lo" : "hi", value }));
    const e = effectInterval(a, a, "higher");
    expect([e.lo, e.hi]).toEqual([0, 0]);
  });
});

describe("iqm", () => {
  it("is the mean for n < 4 and ignores the outer quartiles otherwise", () => {
    expect(iqm([1, 2, 9])).toBe(4);
    expect(iqm([1, 2, 3, 1000])).toBe(2.5);
  });
  it("lies between min and max", () => {
    fc.assert(fc.property(values, (xs) => iqm(xs) >= Math.min(...xs) - 1e-9 && iqm(xs) <= Math.max(...xs) + 1e-9));
  });
});

describe("probabilityOfImprovement", () => {
  it("a vs b and b vs a sum to 1", () => {
    fc.assert(fc.property(values, values, (a, b) => Math.abs(probabilityOfImprovement(a, b, "higher") + probabilityOfImprovement(b, a, "higher") - 1) < 1e-12));
  });
});

describe("wilsonInterval", () => {
  it("contains the observed rate and stays in [0, 1]", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n))), ([k, n]) => {
        const w = wilsonInterval(k, n);
        return w.lo >= 0 && w.hi <= 1 && w.lo <= w.rate + 1e-12 && w.rate <= w.hi + 1e-12;
      }),
    );
  });
  it("matches a textbook value: 3 of 3 gives [0.438, 1]", () => {
    const w = wilsonInterval(3, 3);
    expect(w.lo).toBeCloseTo(0.4385, 3);
    expect(w.hi).toBe(1);
  });
  it("refuses impossible counts", () => {
    expect(() => wilsonInterval(4, 3)).toThrow(RangeError);
    expect(() => wilsonInterval(4, 3)).toThrow(/successes ≤ n/);
  });
});

describe("non-finite inputs", () => {
  const o = (values: number[]): Observation[] => values.map((value) => ({ stratum: "x", value }));
  it("every exported statistic refuses them with a RangeError naming the value", () => {
    expect(() => effectInterval(o([1, NaN]), o([1, 2]), "higher")).toThrow(new RangeError("effectInterval: a[1] must be a finite number, got NaN"));
    expect(() => effectInterval(o([1, 2]), o([Infinity, 2]), "higher")).toThrow(new RangeError("effectInterval: b[0] must be a finite number, got Infinity"));
    // scipy gives NaN here; a PoI of 0.667 would read as evidence.
    expect(() => probabilityOfImprovement([1, 2, NaN], [1.5], "higher")).toThrow(new RangeError("probabilityOfImprovement: a[2] must be a finite number, got NaN"));
    expect(() => iqm([1, -Infinity])).toThrow(new RangeError("iqm: values[1] must be a finite number, got -Infinity"));
    expect(() => mean([NaN])).toThrow(new RangeError("mean: values[0] must be a finite number, got NaN"));
    expect(() => median([3, NaN])).toThrow(new RangeError("median: values[1] must be a finite number, got NaN"));
    expect(() => wilsonInterval(NaN, 3)).toThrow(new RangeError("wilsonInterval: successes must be a finite number, got NaN"));
    expect(() => wilsonInterval(1, Infinity)).toThrow(new RangeError("wilsonInterval: n must be a finite number, got Infinity"));
  });
});
