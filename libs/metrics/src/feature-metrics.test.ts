import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "@ganscope/data";
import { selectBackend } from "@ganscope/models";
import { compareToReference, densityCoverage, featureReference, kernelInceptionDistance, precisionRecall, type Features } from "./feature-metrics.js";

beforeAll(async () => {
  await selectBackend();
});

/** `n` points of a standard Gaussian in `dim` dimensions shifted by `shift` along every axis (Box–Muller on a seeded stream). */
function gaussian(n: number, dim: number, seed: number, shift = 0): Features {
  const rand = mulberry32(seed);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < data.length; i++) {
    const u = Math.max(rand(), 1e-12);
    data[i] = shift + Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }
  return { data, dim };
}

const seeds = fc.integer({ min: 1, max: 2 ** 31 - 1 });
const dims = fc.integer({ min: 2, max: 8 });

describe("kernelInceptionDistance", () => {
  it("is about 0 for two samples of one distribution and clearly positive for shifted ones", async () => {
    await fc.assert(
      fc.asyncProperty(seeds, dims, async (seed, dim) => {
        const a = gaussian(300, dim, seed);
        const b = gaussian(300, dim, seed + 1);
        const same = await kernelInceptionDistance(a, b, { subsets: 20, subsetSize: 200, seed });
        const shifted = await kernelInceptionDistance(a, gaussian(300, dim, seed + 1, 1), { subsets: 20, subsetSize: 200, seed });
        // Unbiased: the mean sits within a few subset spreads of 0, on either side.
        expect(Math.abs(same.mean)).toBeLessThan(3 * same.std + 1e-9);
        expect(shifted.mean).toBeGreaterThan(10 * Math.abs(same.mean));
        expect(shifted.mean).toBeGreaterThan(3 * shifted.std);
      }),
      { numRuns: 15 },
    );
  });

  it("can be negative (the estimator is unbiased, not clipped)", async () => {
    const values = await Promise.all(Array.from({ length: 20 }, async (_, s) => (await kernelInceptionDistance(gaussian(100, 3, 10 + s), gaussian(100, 3, 50 + s), { subsets: 1, subsetSize: 100 })).mean));
    expect(values.some((v) => v < 0)).toBe(true);
    expect(values.some((v) => v > 0)).toBe(true);
  });

  it("treats the two sets alike: swapping them moves it only by its subset noise", async () => {
    // Not bit for bit: the real and the fake subsets come from different streams.
    await fc.assert(
      fc.asyncProperty(seeds, dims, fc.integer({ min: 20, max: 80 }), fc.integer({ min: 20, max: 80 }), async (seed, dim, n, m) => {
        const a = gaussian(n, dim, seed);
        const b = gaussian(m, dim, seed + 7, 0.5);
        const subsets = 40;
        const ab = await kernelInceptionDistance(a, b, { subsets, subsetSize: 15, seed });
        const ba = await kernelInceptionDistance(b, a, { subsets, subsetSize: 15, seed });
        expect(Math.abs(ab.mean - ba.mean)).toBeLessThanOrEqual(6 * Math.sqrt((ab.std ** 2 + ba.std ** 2) / subsets) + 1e-9);
      }),
      { numRuns: 30 },
    );
  });

  it("averages, over subsets, to the full-sample statistic even for fakes aligned row by row with the reals", async () => {
    // Subsets of the reals and of the fakes are drawn independently, so the
    // mean over subsets estimates meanOff(Kxx) + meanOff(Kyy) − 2·mean(Kyx).
    // When both streams were seeded alike (n = m), subset i of the fakes took
    // the same rows as subset i of the reals, and a fake set aligned with the
    // reals (here a noisy copy) read far below it: the cross term counted
    // each fake with its own real 1/size of the time instead of 1/n.
    await fc.assert(
      fc.asyncProperty(seeds, fc.integer({ min: 2, max: 6 }), fc.integer({ min: 40, max: 80 }), async (seed, dim, n) => {
        const real = gaussian(n, dim, seed) as { data: Float32Array; dim: number };
        const noise = gaussian(n, dim, seed + 1) as { data: Float32Array; dim: number };
        const fake = { data: real.data.map((v, i) => v + 0.3 * noise.data[i]!), dim };
        const k = (p: Float32Array, i: number, q: Float32Array, j: number) => {
          let dot = 0;
          for (let t = 0; t < dim; t++) dot += p[i * dim + t]! * q[j * dim + t]!;
          return (dot / dim + 1) ** 3;
        };
        let xx = 0;
        let yy = 0;
        let xy = 0;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            if (i !== j) xx += k(real.data, i, real.data, j);
            if (i !== j) yy += k(fake.data, i, fake.data, j);
            xy += k(fake.data, i, real.data, j);
          }
        }
        const expected = (xx + yy) / (n * (n - 1)) - (2 * xy) / (n * n);
        const subsets = 200;
        const kid = await kernelInceptionDistance(real, fake, { subsets, subsetSize: Math.floor(n / 2), seed });
        // 5 standard errors of the mean over subsets (the old pairing missed by 30–80).
        expect(Math.abs(kid.mean - expected)).toBeLessThanOrEqual((5 * kid.std) / Math.sqrt(subsets));
      }),
      { numRuns: 10 },
    );
  });

  it("accepts number[][] rows and refuses ragged ones", async () => {
    const rows = [
      [0, 1],
      [1, 0],
      [1, 1],
      [0, 0],
    ];
    expect((await kernelInceptionDistance(rows, rows, { subsets: 3 })).mean).toBeCloseTo(
      (await kernelInceptionDistance({ data: Float32Array.from(rows.flat()), dim: 2 }, { data: Float32Array.from(rows.flat()), dim: 2 }, { subsets: 3 })).mean,
      9,
    );
    await expect(kernelInceptionDistance([[0, 1], [1]], rows)).rejects.toThrow(/real row 1 has 1 numbers, row 0 has 2/);
    await expect(kernelInceptionDistance(rows, rows, { seed: 0.5 })).rejects.toThrow(/seed must be an integer, got 0.5/);
  });
});

describe("densityCoverage and precisionRecall", () => {
  it("stay in [0, 1] (coverage, precision, recall) for any two sets", async () => {
    await fc.assert(
      fc.asyncProperty(seeds, dims, fc.integer({ min: 8, max: 60 }), fc.integer({ min: 8, max: 60 }), fc.double({ min: -3, max: 3, noNaN: true }), async (seed, dim, n, m, shift) => {
        const real = gaussian(n, dim, seed);
        const fake = gaussian(m, dim, seed + 3, shift);
        const { density, coverage } = await densityCoverage(real, fake, { k: 5 });
        const { precision, recall } = await precisionRecall(real, fake, { k: 3 });
        for (const v of [coverage, precision, recall]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
        expect(density).toBeGreaterThanOrEqual(0);
        expect(density).toBeLessThanOrEqual(n / 5);
      }),
      { numRuns: 40 },
    );
  });

  it("give coverage and recall 1 for identical sets", async () => {
    await fc.assert(
      fc.asyncProperty(seeds, dims, fc.integer({ min: 8, max: 80 }), async (seed, dim, n) => {
        const x = gaussian(n, dim, seed);
        expect((await densityCoverage(x, x, { k: 5 })).coverage).toBe(1);
        const pr = await precisionRecall(x, x, { k: 3 });
        expect(pr.recall).toBe(1);
        expect(pr.precision).toBe(1);
      }),
      { numRuns: 30 },
    );
  });

  it("give density about 1 for two samples of one distribution", async () => {
    await fc.assert(
      fc.asyncProperty(seeds, fc.integer({ min: 2, max: 16 }), async (seed, dim) => {
        const { density, coverage } = await densityCoverage(gaussian(1000, dim, seed), gaussian(1000, dim, seed + 1), { k: 5 });
        expect(density).toBeGreaterThan(0.85);
        expect(density).toBeLessThan(1.15);
        expect(coverage).toBeGreaterThan(0.9);
      }),
      { numRuns: 8 },
    );
  });

  it("see a collapse to one repeated realistic point: coverage near 0, density high, recall near 0", async () => {
    await fc.assert(
      fc.asyncProperty(seeds, fc.integer({ min: 2, max: 4 }), async (seed, dim) => {
        const real = gaussian(400, dim, seed) as { data: Float32Array; dim: number };
        // The repeated point: the real point inside the most real 5-NN balls, the
        // most realistic drawing there is. Every ball holds its centre and 5
        // neighbours, so some point lies in at least 6 balls: density ≥ 6/5.
        const n = 400;
        const sq = (i: number, j: number) => {
          let s = 0;
          for (let t = 0; t < dim; t++) s += (real.data[i * dim + t]! - real.data[j * dim + t]!) ** 2;
          return s;
        };
        const radius = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => sq(i, j)).sort((a, b) => a - b)[5]!);
        let best = 0;
        let bestCount = -1;
        for (let j = 0; j < n; j++) {
          let count = 0;
          for (let i = 0; i < n; i++) if (sq(i, j) <= radius[i]!) count++;
          if (count > bestCount) [best, bestCount] = [j, count];
        }
        const point = real.data.slice(best * dim, (best + 1) * dim);
        const fake = new Float32Array(400 * dim);
        for (let j = 0; j < 400; j++) fake.set(point, j * dim);
        const collapsed = { data: fake, dim };
        const { density, coverage } = await densityCoverage(real, collapsed, { k: 5 });
        const { precision, recall } = await precisionRecall(real, collapsed, { k: 3 });
        expect(coverage).toBeLessThan(0.15);
        expect(density).toBeGreaterThanOrEqual(6 / 5);
        expect(precision).toBe(1);
        expect(recall).toBeLessThan(0.05);
      }),
      { numRuns: 15 },
    );
  });

  it("do not move when both sets are shifted by one offset, however far (distances are translation-invariant)", async () => {
    // Before, the distances came from float32 products of the raw features:
    // ‖x‖² + ‖y‖² − 2x·y loses digits as the norms grow, and at a mean of 100
    // k-NN decisions near a radius flipped.
    await fc.assert(
      fc.asyncProperty(
        seeds,
        dims,
        fc.integer({ min: 30, max: 150 }),
        fc.integer({ min: 30, max: 150 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 30, max: 3000, noNaN: true }),
        async (seed, dim, n, m, gap, scale) => {
          const real = gaussian(n, dim, seed);
          const fake = gaussian(m, dim, seed + 5, gap);
          // A different offset on each axis, exact in float64 (the inputs themselves must not round).
          const offset = Array.from({ length: dim }, (_, j) => scale * (j % 2 === 0 ? 1 : -0.7) * (1 + j / dim));
          const moved = (f: Features) => {
            const { data } = f as { data: Float32Array };
            return { data: Float64Array.from(data, (v, i) => v + offset[i % dim]!), dim };
          };
          const before = { ...(await densityCoverage(real, fake)), ...(await precisionRecall(real, fake)) };
          const after = { ...(await densityCoverage(moved(real), moved(fake))), ...(await precisionRecall(moved(real), moved(fake))) };
          expect(after).toEqual(before);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("agree with the one-pass comparison against a prepared reference", async () => {
    const real = gaussian(120, 4, 3);
    const fake = gaussian(90, 4, 4, 0.4);
    const all = await compareToReference(await featureReference(real), fake, { kid: { subsets: 4, subsetSize: 50, seed: 2 } });
    expect(all).toMatchObject({ ...(await densityCoverage(real, fake, { k: 5 })), ...(await precisionRecall(real, fake, { k: 3 })) });
    expect(all.kid.mean).toBeCloseTo((await kernelInceptionDistance(real, fake, { subsets: 4, subsetSize: 50, seed: 2 })).mean, 9);
  });

  it("refuse k that leaves no neighbour, and mismatched row lengths", async () => {
    await expect(densityCoverage(gaussian(5, 2, 1), gaussian(5, 2, 2), { k: 5 })).rejects.toThrow(/need more than 5 points, got 5/);
    await expect(precisionRecall(gaussian(10, 2, 1), gaussian(10, 3, 2))).rejects.toThrow(/real rows have 2 numbers, fake rows 3/);
  });
});

describe("non-finite features", () => {
  // A diverged generator's features: one NaN or ±Inf in one row. Before, KID
  // came back NaN ± NaN and the k-NN measures plausible (the row dropped out of every comparison).
  const real = gaussian(60, 4, 21) as { data: Float32Array; dim: number };
  const fake = gaussian(60, 4, 22, 0.3) as { data: Float32Array; dim: number };
  const poisoned = (set: { data: Float32Array; dim: number }, row: number, column: number, value: number) => {
    const data = set.data.slice();
    data[row * set.dim + column] = value;
    return { data, dim: set.dim };
  };
  const cases = [NaN, Infinity, -Infinity].map((value) => [String(value), value] as const);

  it.each(cases)("are refused with the set, the row and the value: %s", async (shown, value) => {
    const badFake = poisoned(fake, 17, 3, value);
    const badReal = poisoned(real, 5, 1, value);
    const fakeMessage = (api: string) => new RegExp(`^${api}: fake row 17 holds ${shown} \\(column 3\\)`);
    const realMessage = (api: string) => new RegExp(`^${api}: real row 5 holds ${shown} \\(column 1\\)`);
    const kid = { subsets: 3, subsetSize: 20 };
    await expect(kernelInceptionDistance(real, badFake, kid)).rejects.toThrow(fakeMessage("kernelInceptionDistance"));
    await expect(kernelInceptionDistance(badReal, fake, kid)).rejects.toThrow(realMessage("kernelInceptionDistance"));
    await expect(densityCoverage(real, badFake)).rejects.toThrow(fakeMessage("densityCoverage"));
    await expect(densityCoverage(badReal, fake)).rejects.toThrow(realMessage("densityCoverage"));
    await expect(precisionRecall(real, badFake)).rejects.toThrow(fakeMessage("precisionRecall"));
    await expect(precisionRecall(badReal, fake)).rejects.toThrow(realMessage("precisionRecall"));
    await expect(featureReference(badReal)).rejects.toThrow(realMessage("featureReference"));
    await expect(compareToReference(await featureReference(real), badFake, { kid })).rejects.toThrow(fakeMessage("compareToReference"));
    for (const refused of [kernelInceptionDistance(real, badFake, kid), densityCoverage(badReal, fake)]) await expect(refused).rejects.toThrow(RangeError);
  });

  it("are refused in number[][] rows too, before anything is computed", async () => {
    const rows = Array.from({ length: 12 }, (_, i) => [i, i % 3, 1]);
    const bad = rows.map((r) => [...r]);
    bad[9]![2] = NaN;
    await expect(precisionRecall(rows, bad)).rejects.toThrow(/^precisionRecall: fake row 9 holds NaN \(column 2\)/);
    await expect(kernelInceptionDistance(bad, rows, { subsets: 2 })).rejects.toThrow(/^kernelInceptionDistance: real row 9 holds NaN \(column 2\)/);
  });
});
