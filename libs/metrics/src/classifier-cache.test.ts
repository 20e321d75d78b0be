import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "@ganscope/data";
import { selectBackend } from "@ganscope/models";
import { defaultCacheDir, loadOrTrainClassifier } from "./classifier-cache.js";
import type { ClassifierSpec } from "./digit-classifier.js";

const tiny: ClassifierSpec = { hidden: [32, 16], seed: 5, epochs: 1, batchSize: 64, learningRate: 2e-3, dropout: 0, limit: 600 };
const cacheDir = mkdtempSync(path.join(os.tmpdir(), "ganscope-classifier-"));

beforeAll(async () => {
  await selectBackend();
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("loadOrTrainClassifier", () => {
  it("trains once, then loads the same weights from disk", async () => {
    const first = await loadOrTrainClassifier("mnist", tiny, { cacheDir });
    expect(first.trained).toBe(true);
    // Nine steps of training: better than chance (10%) is all a cache test needs.
    expect(first.info.testAccuracy).toBeGreaterThan(0.2);
    expect(readdirSync(cacheDir)).toEqual([path.basename(first.info.file)]);

    const second = await loadOrTrainClassifier("mnist", tiny, { cacheDir });
    expect(second.trained).toBe(false);
    expect(second.info).toEqual(first.info);
    const images = loadDataset("mnist", { split: "test", limit: 50 }).images;
    expect(await second.classifier.embed(images)).toEqual(await first.classifier.embed(images));
    first.classifier.dispose();
    second.classifier.dispose();
  });

  it("keys the cache by the spec: another seed is another classifier", async () => {
    const other = await loadOrTrainClassifier("mnist", { ...tiny, seed: 6 }, { cacheDir });
    expect(other.trained).toBe(true);
    expect(readdirSync(cacheDir)).toHaveLength(2);
    other.classifier.dispose();
  });

  it("retrains over a corrupt cache file instead of failing", async () => {
    const { info } = await loadOrTrainClassifier("mnist", tiny, { cacheDir });
    writeFileSync(info.file, "GSCL garbage");
    const again = await loadOrTrainClassifier("mnist", tiny, { cacheDir });
    expect(again.trained).toBe(true);
    again.classifier.dispose();
  });

  it("waits for a concurrent trainer instead of training twice", async () => {
    const spec = { ...tiny, seed: 7 };
    const [a, b] = await Promise.all([loadOrTrainClassifier("mnist", spec, { cacheDir }), loadOrTrainClassifier("mnist", spec, { cacheDir })]);
    expect([a.trained, b.trained].sort()).toEqual([false, true]);
    a.classifier.dispose();
    b.classifier.dispose();
  });

  it("caches under $GANSCOPE_CACHE when set, else .cache/ganscope in the repository", () => {
    const saved = process.env["GANSCOPE_CACHE"];
    try {
      process.env["GANSCOPE_CACHE"] = "/somewhere/else";
      expect(defaultCacheDir()).toBe("/somewhere/else");
      delete process.env["GANSCOPE_CACHE"];
      expect(defaultCacheDir()).toBe(path.resolve(import.meta.dirname, "../../../.cache/ganscope") + path.sep);
    } finally {
      if (saved === undefined) delete process.env["GANSCOPE_CACHE"];
      else process.env["GANSCOPE_CACHE"] = saved;
    }
  });
});
