import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { checkDataset, clearDatasetCache } from "./datasets.js";
import { encodeIdx } from "./idx-reader.js";

const root = mkdtempSync(join(tmpdir(), "ganscope-check-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An IDX dataset folder with the given train set (the test split: two images of the same size). */
function dataset(name: string, train: { count: number; rows?: number; cols?: number; labels?: number[]; cut?: number; gzip?: boolean }): `idx:${string}` {
  const dir = join(root, name);
  mkdirSync(dir);
  const { count, rows = 28, cols = 28 } = train;
  let images = encodeIdx([count, rows, cols], new Uint8Array(count * rows * cols).fill(9));
  if (train.cut) images = images.subarray(0, images.length - train.cut);
  writeFileSync(join(dir, train.gzip ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte"), train.gzip ? gzipSync(images) : images);
  writeFileSync(join(dir, "train-labels-idx1-ubyte"), encodeIdx([count], Uint8Array.from(train.labels ?? Array.from({ length: count }, (_, i) => i % 10))));
  writeFileSync(join(dir, "t10k-images-idx3-ubyte"), encodeIdx([2, rows, cols], new Uint8Array(2 * rows * cols)));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), encodeIdx([2], Uint8Array.from([3, 4])));
  clearDatasetCache();
  return `idx:${dir}` as const;
}

describe("checkDataset", () => {
  it("accepts a good set", () => {
    expect(checkDataset(dataset("good", { count: 3 }))).toMatchObject({ rows: 28, cols: 28, train: { count: 3 } });
  });

  // Before: a TypeError in progress.ts (empty set), TensorFlow's "Matrix size-incompatible" (not 28×28),
  // labels 0–255 trained to the end with "classifier test accuracy 0.00%".
  it.each([
    ["no images", { count: 0 }, /\(train\): \S+train-images-idx3-ubyte holds 0 images; expected at least one$/],
    ["16×16 images", { count: 3, rows: 16, cols: 16 }, /holds 16×16 images; ganscope's models and metrics expect 28×28$/],
    ["a truncated images file", { count: 3, cut: 100 }, /train-images-idx3-ubyte is 2268 bytes but its header \(3×28×28\) needs 2368; truncated$/],
    ["a truncated gzip images file", { count: 3, cut: 100, gzip: true }, /train-images-idx3-ubyte\.gz/],
    ["labels outside 0–9", { count: 3, labels: [1, 200, 3] }, /train-labels-idx1-ubyte has label 200 at item 1; expected digits 0–9$/],
  ])("refuses %s, naming the file and what was expected", (what, train, message) => {
    expect(() => checkDataset(dataset(what.replace(/\W/g, "-"), train))).toThrow(message);
  });
});
