import { describe, expect, it } from "vitest";
import { datasetDigest } from "./dataset-digest.js";
import { loadDataset } from "./datasets.js";

describe("datasetDigest", () => {
  it("is 8 hex characters, the same for the same data, and differs with the limit even past the hashed prefix", () => {
    const a = datasetDigest(loadDataset("mnist", { split: "train", limit: 20_000 }));
    expect(a).toMatch(/^[0-9a-f]{8}$/);
    expect(datasetDigest(loadDataset("mnist", { split: "train", limit: 20_000 }))).toBe(a);
    // The first 10,000 images are the same in both; the shape is not.
    expect(datasetDigest(loadDataset("mnist", { split: "train" }))).not.toBe(a);
    expect(datasetDigest(loadDataset("mnist", { split: "train", limit: 3000 }))).not.toBe(a);
    expect(datasetDigest(loadDataset("mnist", { split: "test" }))).not.toBe(datasetDigest(loadDataset("mnist", { split: "train", limit: 10_000 })));
  });

  it("changes when one pixel of the hashed images changes", () => {
    const ds = loadDataset("mnist", { split: "train", limit: 500 });
    const before = datasetDigest(ds);
    ds.images[1234] = -ds.images[1234]! + 0.5;
    expect(datasetDigest(ds)).not.toBe(before);
  });
});
