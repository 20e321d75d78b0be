import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchIterator, batchesPerEpoch, mulberry32, shuffledIndices } from "./batches.js";
import type { BatchSource } from "./batches.js";

const seed = fc.integer({ min: -(2 ** 40), max: 2 ** 40 });
const epoch = fc.nat({ max: 1000 });

function isPermutation(order: Uint32Array, n: number): boolean {
  const seen = new Uint8Array(n);
  for (const i of order) {
    if (i >= n || seen[i] === 1) return false;
    seen[i] = 1;
  }
  return order.length === n;
}

/** n images of 2×2 whose pixels all hold their image's index, labels = index mod 256. */
function indexedDataset(n: number): BatchSource {
  const images = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) images.fill(i, i * 4, i * 4 + 4);
  return { count: n, rows: 2, cols: 2, images, labels: Uint8Array.from({ length: n }, (_, i) => i % 256) };
}

describe("mulberry32", () => {
  it("gives the same floats in [0, 1) for the same seed on every machine", () => {
    const rng = mulberry32(42);
    expect([rng(), rng(), rng()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    fc.assert(
      fc.property(fc.integer(), (s) => {
        const a = mulberry32(s);
        const b = mulberry32(s);
        for (let i = 0; i < 20; i++) {
          const x = a();
          expect(x).toBe(b());
          expect(x >= 0 && x < 1).toBe(true);
        }
      }),
    );
  });
});

describe("shuffledIndices", () => {
  it("is a permutation of 0..n-1", () => {
    fc.assert(fc.property(fc.nat({ max: 2000 }), seed, epoch, (n, s, e) => isPermutation(shuffledIndices(n, s, e), n)));
  });

  it("is the same for the same (seed, epoch)", () => {
    fc.assert(
      fc.property(fc.nat({ max: 500 }), seed, epoch, (n, s, e) => {
        expect(Buffer.from(shuffledIndices(n, s, e).buffer).equals(Buffer.from(shuffledIndices(n, s, e).buffer))).toBe(true);
      }),
    );
    // Pinned so that a change of algorithm, which would silently change every run's batches, fails here.
    expect(Array.from(shuffledIndices(10, 42, 0))).toEqual([2, 7, 6, 1, 5, 8, 9, 4, 0, 3]);
    expect(Array.from(shuffledIndices(10, 42, 1))).toEqual([2, 4, 7, 5, 0, 6, 1, 3, 9, 8]);
  });

  it("differs between epochs and between seeds", () => {
    // With 50 items a repeated order has probability 1/50!, so any repeat is a bug.
    fc.assert(
      fc.property(seed, epoch, (s, e) => {
        const order = shuffledIndices(50, s, e);
        expect(shuffledIndices(50, s, e + 1)).not.toEqual(order);
        expect(shuffledIndices(50, s + 1, e)).not.toEqual(order);
        expect(shuffledIndices(50, s + 2 ** 32, e)).not.toEqual(order);
      }),
    );
  });

  it("rejects arguments that are not integers in range", () => {
    expect(() => shuffledIndices(-1, 0, 0)).toThrow("shuffledIndices: n must be an integer in [0, 4294967295], got -1");
    expect(() => shuffledIndices(3, 0.5, 0)).toThrow("shuffledIndices: seed must be a safe integer, got 0.5");
    expect(() => shuffledIndices(3, 0, -1)).toThrow("shuffledIndices: epoch must be an integer ≥ 0, got -1");
  });
});

describe("batchIterator", () => {
  it("yields every image exactly once per epoch, in batches of batchSize with a smaller last one", () => {
    fc.assert(
      fc.property(fc.nat({ max: 300 }), fc.integer({ min: 1, max: 64 }), seed, epoch, (n, batchSize, s, e) => {
        const dataset = indexedDataset(n);
        const batches = [...batchIterator(dataset, batchSize, s, e)];
        expect(batches.length).toBe(batchesPerEpoch(n, batchSize));
        const seen = new Uint8Array(n);
        batches.forEach((batch, b) => {
          expect(batch.index).toBe(b);
          expect(batch.size).toBe(b < batches.length - 1 ? batchSize : n - batchSize * (batches.length - 1));
          expect(batch.images.length).toBe(batch.size * 4);
          expect(batch.labels.length).toBe(batch.size);
          let gathered = true;
          batch.indices.forEach((i, k) => {
            seen[i] = (seen[i] ?? 0) + 1;
            // The gathered pixels and label are those of image i.
            gathered &&= batch.images[k * 4] === i && batch.images[k * 4 + 3] === i && batch.labels[k] === i % 256;
          });
          expect(gathered).toBe(true);
        });
        expect(seen.every((c) => c === 1)).toBe(true);
      }),
    );
  });

  it("follows shuffledIndices(n, seed, epoch), so a resumed run sees the same batches", () => {
    const dataset = indexedDataset(25);
    const indices = [...batchIterator(dataset, 10, 7, 3)].flatMap((batch) => Array.from(batch.indices));
    expect(indices).toEqual(Array.from(shuffledIndices(25, 7, 3)));
  });

  it("checks its arguments when called, not at the first batch", () => {
    expect(() => batchIterator(indexedDataset(4), 0, 0, 0)).toThrow("batchIterator: batchSize must be an integer ≥ 1, got 0");
    const broken = { ...indexedDataset(4), count: 5 };
    expect(() => batchIterator(broken, 2, 0, 0)).toThrow("needs 20 pixels and 5 labels, got 16 and 4");
  });
});

describe("batchesPerEpoch", () => {
  it("counts the last partial batch", () => {
    expect(batchesPerEpoch(60000, 64)).toBe(938);
    expect(batchesPerEpoch(64, 64)).toBe(1);
    expect(batchesPerEpoch(0, 64)).toBe(0);
    fc.assert(
      fc.property(fc.nat({ max: 100000 }), fc.integer({ min: 1, max: 1000 }), (n, b) => {
        const batches = batchesPerEpoch(n, b);
        expect(batches * b).toBeGreaterThanOrEqual(n);
        expect((batches - 1) * b).toBeLessThan(Math.max(n, 1));
      }),
    );
    expect(() => batchesPerEpoch(10, 0)).toThrow("batchesPerEpoch: batchSize must be an integer ≥ 1, got 0");
  });
});
