import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDataset, type Dataset } from "@ganscope/data";
import { selectBackend } from "@ganscope/models";
import { trainClassifier, type ClassifierSpec, type DigitClassifier } from "./digit-classifier.js";

// A few hundred digits, two epochs: seconds on 2 cores, same code path as the real classifier.
const tiny: ClassifierSpec = { hidden: [64, 32], seed: 3, epochs: 2, batchSize: 64, learningRate: 2e-3, dropout: 0.1, limit: 1000 };

let train: Dataset;
let test: Dataset;
let classifier: DigitClassifier;

beforeAll(async () => {
  await selectBackend();
  train = loadDataset("mnist", { split: "train", limit: 1000 });
  test = loadDataset("mnist", { split: "test", limit: 500 });
  classifier = await trainClassifier(train, tiny);
});

describe("trainClassifier", () => {
  it("learns digits: far above chance (10%) on held-out images after 32 steps", async () => {
    expect(await classifier.accuracy(test)).toBeGreaterThan(0.6);
  });

  it("embeds images into penultimate-layer features and class probabilities", async () => {
    const e = await classifier.embed(test.images.subarray(0, 7 * 784));
    expect(e).toMatchObject({ count: 7, featureDim: 32, numClasses: 10 });
    expect(e.features).toHaveLength(7 * 32);
    expect(Math.min(...e.features)).toBeGreaterThanOrEqual(0); // post-ReLU
    for (let i = 0; i < 7; i++) {
      const row = e.probs.subarray(i * 10, (i + 1) * 10);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(row[e.predicted[i]!]).toBe(Math.max(...row));
    }
  });

  it("gives the same answer for an array and a tensor, across chunks, and leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    const fromArray = await classifier.embed(test.images);
    const x = tf.tensor2d(test.images, [test.count, 784]);
    const fromTensor = await classifier.embed(x);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(fromTensor.features).toEqual(fromArray.features);
    // Embedding one image alone gives its row of the batch result.
    const single = await classifier.embed(test.images.subarray(5 * 784, 6 * 784));
    for (let j = 0; j < 32; j++) expect(single.features[j]).toBeCloseTo(fromArray.features[5 * 32 + j]!, 5);
  });

  it("is deterministic for a seed", async () => {
    const again = await trainClassifier(train, { ...tiny, epochs: 1 });
    const twice = await trainClassifier(train, { ...tiny, epochs: 1 });
    expect(await twice.embed(test.images)).toEqual(await again.embed(test.images));
    again.dispose();
    twice.dispose();
  });

  it("refuses images of the wrong size with a message", async () => {
    await expect(classifier.embed(new Float32Array(100))).rejects.toThrow(/expected count × 784 pixels, got 100/);
  });
});
