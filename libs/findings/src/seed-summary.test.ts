import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { studentTQuantile } from "./distributions.js";
import { BAND_KINDS, isBandKind, seedBand, summariseSeeds, tQuantile975, type BandKind } from "./seed-summary.js";

const kind = fc.constantFrom<BandKind>(...BAND_KINDS);
const value = fc.double({ min: -1e6, max: 1e6, noNaN: true });

describe("summariseSeeds", () => {
  it("one seed is its own value, zero wide, whatever the band", () => {
    fc.assert(
      fc.property(value, kind, (v, k) => {
        expect(summariseSeeds([v], k)).toEqual({ mean: v, lo: v, hi: v, n: 1 });
      }),
    );
  });

  it("does not depend on the order of the seeds, to the last bit", () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), kind, fc.infiniteStream(fc.nat()), (values, k, rand) => {
        // A permutation drawn by fast-check (shrinkable): repeatedly take an index into what is left.
        const left = [...values];
        const permuted: number[] = [];
        const it = rand[Symbol.iterator]();
        while (left.length > 0) permuted.push(left.splice(it.next().value % left.length, 1)[0]!);
        expect(summariseSeeds(permuted, k)).toEqual(summariseSeeds(values, k));
      }),
    );
  });

  it("keeps the mean inside its band, and the range spans every seed", () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), kind, (values, k) => {
        const s = summariseSeeds(values, k)!;
        expect(s.n).toBe(values.length);
        // Summing rounds; allow a few ulps of the largest magnitude.
        const eps = 1e-9 * Math.max(1, ...values.map(Math.abs));
        expect(s.lo).toBeLessThanOrEqual(s.mean + eps);
        expect(s.hi).toBeGreaterThanOrEqual(s.mean - eps);
        if (k === "range") expect([s.lo, s.hi]).toEqual([Math.min(...values), Math.max(...values)]);
      }),
    );
  });

  it("draws the 95% CI of the mean with Student's t", () => {
    // Seeds 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.303 → 2 ± 4.303/√3.
    const s = summariseSeeds([3, 1, 2], "ci95")!;
    expect(s.mean).toBe(2);
    expect(s.hi - s.mean).toBeCloseTo(4.303 / Math.sqrt(3), 10);
    expect(summariseSeeds([3, 1, 2], "sd")).toMatchObject({ lo: 1, hi: 3 });
    expect(summariseSeeds([], "ci95")).toBeUndefined();
    expect(tQuantile975(1)).toBe(12.706);
    // Past the table: the expansion against published values.
    expect(tQuantile975(60)).toBeCloseTo(2.0003, 3);
    expect(tQuantile975(120)).toBeCloseTo(1.9799, 3);
  });
});

describe("seedBand", () => {
  it("is the summary's mean and spread, and refuses what is not a number", () => {
    expect(seedBand([3, 1, 2])).toEqual({ n: 3, min: 1, max: 3, mean: 2, sd: 1 });
    expect(seedBand([5])).toEqual({ n: 1, min: 5, max: 5, mean: 5, sd: 0 });
    expect(() => seedBand([])).toThrow(/seedBand: no values/);
    expect(() => seedBand([1, Number.NaN])).toThrow(/seedBand: values\[1\] must be a finite number, got NaN/);
  });

  it("the table's t quantile is the exact one to its three decimals", () => {
    for (let df = 1; df <= 200; df++) expect(Math.abs(tQuantile975(df) - studentTQuantile(0.975, df))).toBeLessThan(1e-3);
    expect(BAND_KINDS.every(isBandKind)).toBe(true);
    expect(isBandKind("iqr")).toBe(false);
  });
});
