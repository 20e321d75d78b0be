import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inceptionScoreLite } from "./inception-score.js";
import {
  DEFAULT_COLLAPSE_THRESHOLDS,
  classHistogram,
  classSpread,
  collapseReport,
  diversityRatio,
  klFromUniform,
  maxClassShare,
  modesCovered,
} from "./mode-collapse.js";

/** Class counts for 1..12 classes, at least one sample. */
const counts = fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 12 }).filter((c) => c.some((n) => n > 0));
const predictionsOf = (c: readonly number[]) => c.flatMap((n, k) => Array<number>(n).fill(k));

describe("class histogram", () => {
  it("gives each class its share", () => {
    expect(classHistogram([0, 1, 1, 3], 4)).toEqual([0.25, 0.5, 0, 0.25]);
    expect(() => classHistogram([0, 4], 4)).toThrow(/class 4 outside 0..3/);
  });

  it("KL from uniform is ≥ 0, and 0 only for the uniform histogram", () => {
    fc.assert(
      fc.property(counts, (c) => {
        const kl = klFromUniform(classHistogram(predictionsOf(c), c.length));
        expect(kl).toBeGreaterThanOrEqual(0);
        // With at most 600 samples, a non-uniform histogram is ≥ 1e-6 away; rounding of a uniform one is ~1e-16.
        const uniform = c.every((n) => n === c[0]);
        if (uniform) expect(kl).toBeLessThan(1e-12);
        else expect(kl).toBeGreaterThan(1e-12);
      }),
    );
  });

  it("KL from uniform is log K when every sample is one class", () => {
    expect(klFromUniform(classHistogram([3, 3, 3], 10))).toBeCloseTo(Math.log(10), 12);
  });

  it("never covers more modes than there are classes, and at least one when the share asked is ≤ 1/K", () => {
    fc.assert(
      fc.property(counts, fc.double({ min: 0, max: 1, noNaN: true }), (c, share) => {
        const h = classHistogram(predictionsOf(c), c.length);
        const modes = modesCovered(h, share);
        expect(modes).toBeLessThanOrEqual(c.length);
        // Pigeonhole: the largest share is at least 1/K.
        if (share <= 1 / c.length) expect(modes).toBeGreaterThanOrEqual(1);
        expect(maxClassShare(h)).toBeGreaterThanOrEqual(1 / c.length - 1e-12);
      }),
    );
  });
});

describe("inceptionScoreLite", () => {
  it("lies between 1 and the number of classes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }).chain((k) =>
          fc.tuple(fc.constant(k), fc.array(fc.array(fc.double({ min: 0.001, max: 1, noNaN: true }), { minLength: k, maxLength: k }), { minLength: 1, maxLength: 30 })),
        ),
        ([k, rows]) => {
          const probs = rows.flatMap((r) => {
            const sum = r.reduce((a, b) => a + b, 0);
            return r.map((p) => p / sum);
          });
          const score = inceptionScoreLite(probs, k);
          expect(score).toBeGreaterThanOrEqual(1 - 1e-9);
          expect(score).toBeLessThanOrEqual(k + 1e-9);
        },
      ),
    );
  });

  it("is K for confident predictions spread evenly and 1 when every image gets the same distribution", () => {
    const k = 10;
    const oneHot = Array.from({ length: 50 }, (_, i) => Array.from({ length: k }, (_, c) => (c === i % k ? 1 : 0))).flat();
    expect(inceptionScoreLite(oneHot, k)).toBeCloseTo(10, 9);
    const same = Array.from({ length: 50 }, () => Array.from({ length: k }, (_, c) => (c === 3 ? 0.9 : 0.1 / 9))).flat();
    expect(inceptionScoreLite(same, k)).toBeCloseTo(1, 12);
  });

  it("refuses NaN and ±Inf probabilities with the row (before: NaN)", () => {
    for (const value of [NaN, Infinity, -Infinity]) {
      expect(() => inceptionScoreLite([0.5, 0.5, 0.2, 0.8, value, 1], 2)).toThrow(new RegExp(`^inceptionScoreLite: row 2 holds ${value} \\(column 0\\)`));
    }
  });
});

describe("diversity ratio", () => {
  // Three classes of 2-D features, 20 points each, spread around distinct centres.
  const dim = 2;
  const predicted = Array.from({ length: 60 }, (_, i) => i % 3);
  const features = predicted.flatMap((c, i) => [c * 10 + Math.sin(i), c * 10 + Math.cos(3 * i)]);
  const real = classSpread(features, dim, predicted, 3);

  it("is 1 for samples exactly as varied as the real ones", () => {
    expect(diversityRatio(classSpread(features, dim, predicted, 3), real)).toBeCloseTo(1, 12);
  });

  it("is 0 for one image per class repeated", () => {
    const repeated = predicted.flatMap((c) => [c * 10, c * 10]);
    expect(diversityRatio(classSpread(repeated, dim, predicted, 3), real)).toBe(0);
  });

  it("halves when the samples' spread within each class halves", () => {
    const shrunk = features.map((v, j) => {
      const c = predicted[Math.floor(j / dim)]!;
      return c * 10 + (v - c * 10) / 2;
    });
    expect(diversityRatio(classSpread(shrunk, dim, predicted, 3), real)).toBeCloseTo(0.5, 12);
  });

  it("refuses NaN and ±Inf features with the set and row (before: the class dropped out and the ratio read 1)", () => {
    for (const value of [NaN, Infinity, -Infinity]) {
      const bad = features.slice();
      bad[7 * dim + 1] = value;
      expect(() => classSpread(bad, dim, predicted, 3, "fake")).toThrow(new RegExp(`^classSpread: fake row 7 holds ${value} \\(column 1\\)`));
      expect(() => collapseReport({ features: bad, predicted }, real, dim, 3)).toThrow(new RegExp(`^classSpread: fake row 7 holds ${value}`));
    }
  });
});

describe("collapseReport", () => {
  const dim = 2;
  const realPredicted = Array.from({ length: 100 }, (_, i) => i % 10);
  const realFeatures = realPredicted.flatMap((c, i) => [c + Math.sin(i), c - Math.cos(i)]);
  const realSpread = classSpread(realFeatures, dim, realPredicted, 10);

  it("is not collapsed for samples like the real ones", () => {
    const r = collapseReport({ features: realFeatures, predicted: realPredicted }, realSpread, dim, 10);
    expect(r).toMatchObject({ modes: 10, collapsed: false, reasons: [] });
    expect(r.klUniform).toBeCloseTo(0, 12);
  });

  it("flags a generator that draws mostly one class, and says why", () => {
    const predicted = realPredicted.map((c, i) => (i % 5 === 0 ? c : 1));
    const r = collapseReport({ features: realFeatures, predicted }, realSpread, dim, 10);
    expect(r.collapsed).toBe(true);
    expect(r.maxClassShare).toBeGreaterThan(DEFAULT_COLLAPSE_THRESHOLDS.maxClassShare);
    expect(r.reasons.join("\n")).toMatch(/class 1 takes 8\d\.\d% of samples/);
  });

  it("flags repeated images even when every class is covered evenly", () => {
    const copies = realPredicted.flatMap((c) => [c, c]);
    const r = collapseReport({ features: copies, predicted: realPredicted }, realSpread, dim, 10);
    expect(r.modes).toBe(10);
    expect(r.collapsed).toBe(true);
    expect(r.reasons.join("\n")).toMatch(/diversity ratio 0\.000/);
  });
});
