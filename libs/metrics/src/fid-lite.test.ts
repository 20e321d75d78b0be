import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fidLite, frechetDistance, frechetParts, gaussianStats, type GaussianStats } from "./fid-lite.js";

/** A set of `n` vectors of dimension `dim`, row-major, with moderate values. */
const featureSet = (dim: number, minRows: number, maxRows: number) =>
  fc
    .integer({ min: minRows, max: maxRows })
    .chain((n) => fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: n * dim, maxLength: n * dim }));

/** Two sets of the same dimension (dimension 1..5, more rows than dimensions). */
const twoSets = fc
  .integer({ min: 1, max: 5 })
  .chain((dim) => fc.tuple(fc.constant(dim), featureSet(dim, dim + 2, 30), featureSet(dim, dim + 2, 30)));

const statsOf = (rows: readonly number[], dim: number) => gaussianStats(rows, rows.length / dim, dim);

function trace(s: GaussianStats): number {
  let t = 0;
  for (let j = 0; j < s.dim; j++) t += s.cov[j * s.dim + j]!;
  return t;
}

/**
 * Rounding allowance. Eigenvalues come out accurate to ~1e-16 of the largest,
 * but the square root of a (near-)zero eigenvalue turns that into ~1e-8 of
 * the scale — rank-deficient covariances, which fast-check finds eagerly,
 * hit this. 1e-6 of the scale is far below any difference FID-lite is used
 * to tell apart, and far above rounding.
 */
function tolerance(...stats: GaussianStats[]): number {
  let scale = 1;
  for (const s of stats) scale += trace(s) + s.mean.reduce((a, m) => a + m * m, 0);
  return 1e-6 * scale;
}

describe("gaussianStats", () => {
  it("computes the unbiased mean and covariance", () => {
    // Rows (1, 2), (3, 6), (5, 10): mean (3, 6), var_x = 4, var_y = 16, cov = 8.
    const s = gaussianStats([1, 2, 3, 6, 5, 10], 3, 2);
    expect([...s.mean]).toEqual([3, 6]);
    expect([...s.cov]).toEqual([4, 8, 8, 16]);
  });

  it("rejects inconsistent shapes and single samples with a message", () => {
    expect(() => gaussianStats([1, 2, 3], 2, 2)).toThrow(/2 vectors of length 2 need 4 numbers, got 3/);
    expect(() => gaussianStats([1, 2], 1, 2)).toThrow(/at least 2 vectors/);
  });
});

describe("frechetDistance", () => {
  it("matches the 1-D closed form (μ₁−μ₂)² + (σ₁−σ₂)²", () => {
    const a: GaussianStats = { dim: 1, count: 10, mean: Float64Array.of(1), cov: Float64Array.of(1) };
    const b: GaussianStats = { dim: 1, count: 10, mean: Float64Array.of(4), cov: Float64Array.of(4) };
    expect(frechetDistance(a, b)).toBeCloseTo(9 + 1, 12);
  });

  it("is ≥ 0", () => {
    fc.assert(
      fc.property(twoSets, ([dim, x, y]) => {
        const a = statsOf(x, dim);
        const b = statsOf(y, dim);
        expect(frechetDistance(a, b)).toBeGreaterThanOrEqual(-tolerance(a, b));
      }),
    );
  });

  it("is 0 for identical sets", () => {
    fc.assert(
      fc.property(twoSets, ([dim, x]) => {
        const a = statsOf(x, dim);
        expect(Math.abs(frechetDistance(a, statsOf([...x], dim)))).toBeLessThanOrEqual(tolerance(a));
      }),
    );
  });

  it("is symmetric", () => {
    fc.assert(
      fc.property(twoSets, ([dim, x, y]) => {
        const a = statsOf(x, dim);
        const b = statsOf(y, dim);
        expect(Math.abs(frechetDistance(a, b) - frechetDistance(b, a))).toBeLessThanOrEqual(tolerance(a, b));
      }),
    );
  });

  it("does not depend on the order of the samples", () => {
    fc.assert(
      fc.property(
        twoSets.chain(([dim, x, y]) => {
          const n = y.length / dim;
          // A permutation of y's rows, drawn as sort keys.
          return fc.tuple(fc.constant(dim), fc.constant(x), fc.constant(y), fc.array(fc.double({ noNaN: true }), { minLength: n, maxLength: n }));
        }),
        ([dim, x, y, keys]) => {
          const order = keys.map((k, i) => [k, i] as const).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
          const shuffled = order.flatMap(([, i]) => y.slice(i * dim, (i + 1) * dim));
          const a = statsOf(x, dim);
          const b = statsOf(y, dim);
          expect(Math.abs(frechetDistance(a, statsOf(shuffled, dim)) - frechetDistance(a, b))).toBeLessThanOrEqual(tolerance(a, b));
        },
      ),
    );
  });

  it("equals Σ(μ₁−μ₂)² + Σ(σ₁−σ₂)² for diagonal covariances", () => {
    const diagonal = (dim: number) =>
      fc.record({
        mean: fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: dim, maxLength: dim }),
        variances: fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: dim, maxLength: dim }),
      });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }).chain((dim) => fc.tuple(diagonal(dim), diagonal(dim))),
        ([p, q]) => {
          const dim = p.mean.length;
          const toStats = (g: typeof p): GaussianStats => {
            const cov = new Float64Array(dim * dim);
            g.variances.forEach((v, j) => (cov[j * dim + j] = v));
            return { dim, count: dim + 1, mean: Float64Array.from(g.mean), cov };
          };
          let expected = 0;
          for (let j = 0; j < dim; j++) expected += (p.mean[j]! - q.mean[j]!) ** 2 + (Math.sqrt(p.variances[j]!) - Math.sqrt(q.variances[j]!)) ** 2;
          const a = toStats(p);
          const b = toStats(q);
          expect(Math.abs(frechetDistance(a, b) - expected)).toBeLessThanOrEqual(tolerance(a, b));
        },
      ),
    );
  });

  it("matches the 2-D closed form Tr((Σ₁Σ₂)^½) = √(Tr Σ₁Σ₂ + 2√(det Σ₁ det Σ₂)) for full covariances", () => {
    // An independent check of the trace term for covariances that do not commute.
    fc.assert(
      fc.property(featureSet(2, 4, 30), featureSet(2, 4, 30), (x, y) => {
        const a = statsOf(x, 2);
        const b = statsOf(y, 2);
        const [a11, a12, , a22] = a.cov as unknown as [number, number, number, number];
        const [b11, b12, , b22] = b.cov as unknown as [number, number, number, number];
        const trProduct = a11 * b11 + 2 * a12 * b12 + a22 * b22;
        const dets = Math.max(0, a11 * a22 - a12 * a12) * Math.max(0, b11 * b22 - b12 * b12);
        const cross = Math.sqrt(Math.max(0, trProduct + 2 * Math.sqrt(dets)));
        const meanTerm = (a.mean[0]! - b.mean[0]!) ** 2 + (a.mean[1]! - b.mean[1]!) ** 2;
        const expected = meanTerm + a11 + a22 + b11 + b22 - 2 * cross;
        // √det of a near-singular covariance loses digits of its own.
        expect(Math.abs(frechetDistance(a, b) - expected)).toBeLessThanOrEqual(10 * tolerance(a, b));
      }),
    );
  });

  it("adds ‖d‖² when one of two identical sets is shifted by d", () => {
    fc.assert(
      fc.property(
        twoSets.chain(([dim, x]) => fc.tuple(fc.constant(dim), fc.constant(x), fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: dim, maxLength: dim }))),
        ([dim, x, d]) => {
          const shifted = x.map((v, i) => v + d[i % dim]!);
          const a = statsOf(x, dim);
          const b = statsOf(shifted, dim);
          const normD = d.reduce((s, v) => s + v * v, 0);
          expect(Math.abs(frechetDistance(a, b) - normD)).toBeLessThanOrEqual(tolerance(a, b));
        },
      ),
    );
  });

  it("changes only its mean term when a set is shifted", () => {
    fc.assert(
      fc.property(
        twoSets.chain(([dim, x, y]) => fc.tuple(fc.constant(dim), fc.constant(x), fc.constant(y), fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: dim, maxLength: dim }))),
        ([dim, x, y, d]) => {
          const a = statsOf(x, dim);
          const b = statsOf(y, dim);
          const moved = statsOf(y.map((v, i) => v + d[i % dim]!), dim);
          const before = frechetParts(a, b);
          const after = frechetParts(a, moved);
          let expectedMean = 0;
          for (let j = 0; j < dim; j++) expectedMean += (b.mean[j]! + d[j]! - a.mean[j]!) ** 2;
          expect(Math.abs(after.meanTerm - expectedMean)).toBeLessThanOrEqual(tolerance(a, moved));
          expect(Math.abs(after.covTerm - before.covTerm)).toBeLessThanOrEqual(tolerance(a, b, moved));
        },
      ),
    );
  });

  it("refuses sets of different dimensions", () => {
    expect(() => frechetDistance(gaussianStats([1, 2, 3, 4], 2, 2), gaussianStats([1, 2, 3], 3, 1))).toThrow(/dimensions differ \(2 vs 1\)/);
  });
});

describe("fidLite", () => {
  it("requires more samples than feature dimensions", () => {
    expect(() => fidLite(new Float32Array(3 * 4), new Float32Array(10 * 4), 4)).toThrow(/real set has 3 vectors of dimension 4/);
    expect(() => fidLite(new Float32Array(10 * 4), new Float32Array(4 * 4), 4)).toThrow(/fake set has 4 vectors/);
  });

  // Before, a NaN or ±Inf reached ml-matrix's eigensolver, which threw "TypeError: Cannot read properties of undefined (reading '0')".
  it.each([NaN, Infinity, -Infinity].map((v) => [String(v), v] as const))("refuses %s with the set, the row and the value", (shown, value) => {
    const set = (seed: number) => Float64Array.from({ length: 40 * 3 }, (_, i) => Math.sin(seed * 1000 + i * 1.7) * 3);
    const bad = set(2);
    bad[11 * 3 + 2] = value;
    expect(() => fidLite(set(1), bad, 3)).toThrow(new RegExp(`^fidLite: fake row 11 holds ${shown} \\(column 2\\)`));
    expect(() => fidLite(bad, set(1), 3)).toThrow(new RegExp(`^fidLite: real row 11 holds ${shown} \\(column 2\\)`));
    expect(() => fidLite(bad, set(1), 3)).toThrow(RangeError);
    expect(() => gaussianStats(bad, 40, 3, "fake")).toThrow(new RegExp(`^gaussianStats: fake row 11 holds ${shown} \\(column 2\\)`));
    expect(() => gaussianStats(bad, 40, 3)).toThrow(new RegExp(`^gaussianStats: row 11 holds ${shown}`));
    const good = gaussianStats(set(1), 40, 3);
    const cov = good.cov.slice();
    cov[1 * 3 + 2] = value;
    expect(() => frechetDistance(good, { ...good, cov })).toThrow(new RegExp(`^frechetDistance: the second Gaussian's cov\\[1, 2\\] is ${shown}`));
    const mean = good.mean.slice();
    mean[2] = value;
    expect(() => frechetParts({ ...good, mean }, good)).toThrow(new RegExp(`^frechetDistance: the first Gaussian's mean\\[2\\] is ${shown}`));
  });
});
