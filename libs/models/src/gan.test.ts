import * as tf from "@tensorflow/tfjs-core";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTIVATIONS, DEFAULTS, type RunConfig } from "@ganscope/dsl";
import { batchIterator, loadDataset, type Dataset } from "@ganscope/data";
import { createGan, loadCheckpoint, saveCheckpoint, selectBackend, type Gan } from "./index.js";
import { backendsHere } from "./testing.js";

// Small networks and few hundred digits: seconds on 2 cores, same code path as real runs.
const small: RunConfig = { ...DEFAULTS, limit: 512, batch_size: 64, gen_width: 64, dis_width: 64, max_width: 128, seed: 7 };

let train: Dataset;
let test: Dataset;
const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-models-"));

beforeAll(async () => {
  train = loadDataset("mnist", { split: "train", limit: 512 });
  test = loadDataset("mnist", { split: "test", limit: 256 });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function trainSteps(gan: Gan, steps: number, epoch = 1): void {
  let done = 0;
  while (done < steps) {
    for (const b of batchIterator(train, gan.config.batch_size, gan.config.seed, epoch++)) {
      const real = tf.tensor2d(b.images, [b.size, 784]);
      gan.trainStep(real);
      real.dispose();
      if (++done === steps) return;
    }
  }
}

/** Mean D(x) on held-out real digits minus mean D(G(z)): 0 when D cannot tell them apart. */
async function discriminatorGap(gan: Gan): Promise<number> {
  const real = tf.tensor2d(test.images, [test.count, 784]);
  const z = gan.noise(test.count, 99);
  const fake = gan.generate(z);
  const gap = tf.tidy(() => tf.sub(tf.mean(gan.discriminate(real)), tf.mean(gan.discriminate(fake))).dataSync()[0]!);
  tf.dispose([real, z, fake]);
  return gap;
}

// Every backend this machine has: wasm always, tensorflow where its binding is built.
describe.each(await backendsHere())("GAN on %s", (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  it("builds the seed's shapes: G latent→…→784 in [-1, 1], D 784→…→1 probability", () => {
    const gan = createGan({ ...DEFAULTS });
    expect(gan.generator.layers.map((l) => l.w.shape)).toEqual([[100, 256], [256, 512], [512, 784]]);
    expect(gan.discriminator.layers.map((l) => l.w.shape)).toEqual([[784, 256], [256, 1]]);
    const z = gan.noise(5, 1);
    const x = gan.generate(z);
    expect(x.shape).toEqual([5, 784]);
    const v = x.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    const p = gan.discriminate(x);
    expect(p.shape).toEqual([5]);
    tf.dispose([z, x, p]);
    gan.dispose();
  });

  it("learns: the discriminator moves away from chance and the generator towards the data's dark background", async () => {
    const gan = createGan(small);
    const before = await discriminatorGap(gan);
    const z = gan.noise(256, 5);
    const meanBefore = tf.tidy(() => tf.mean(gan.generate(z)).dataSync()[0]!);
    trainSteps(gan, 100);
    const stats = await gan.takeStats();
    const after = await discriminatorGap(gan);
    const meanAfter = tf.tidy(() => tf.mean(gan.generate(z)).dataSync()[0]!);
    const realMean = test.images.reduce((s, x) => s + x, 0) / test.images.length; // ≈ -0.74 on MNIST
    z.dispose();
    gan.dispose();
    expect(stats.steps).toBe(100);
    expect(Number.isFinite(stats.d_loss) && Number.isFinite(stats.g_loss)).toBe(true);
    // Seen with seed 7: gap -0.06 → 0.20, generator mean 0.00 → -0.23 (real digits: -0.76).
    expect(Math.abs(before)).toBeLessThan(0.1);
    expect(after).toBeGreaterThan(0.1);
    expect(Math.abs(meanAfter - realMean)).toBeLessThan(0.8 * Math.abs(meanBefore - realMean));
  });

  it("is deterministic: the same config and seed give the same losses; another seed does not", async () => {
    const run = async (seed: number) => {
      const gan = createGan({ ...small, seed });
      trainSteps(gan, 5);
      const s = await gan.takeStats();
      gan.dispose();
      return s;
    };
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    expect(b).toEqual(a);
    expect(c.d_loss).not.toBe(a.d_loss);
  });

  it("leaks no tensors per training step", async () => {
    const gan = createGan({ ...small, gen_dropout: 0.3, dis_dropout: 0.3 });
    trainSteps(gan, 2); // the first steps create Adam's moments and the stats accumulator
    const before = tf.memory().numTensors;
    trainSteps(gan, 5);
    expect(tf.memory().numTensors).toBe(before);
    await gan.takeStats();
    gan.dispose();
  });

  it.each(ACTIVATIONS)("trains with %s without producing NaN", async (activation) => {
    const gan = createGan({ ...small, activation, gen_layers: 2, dis_layers: 2 });
    trainSteps(gan, 3);
    const s = await gan.takeStats();
    gan.dispose();
    for (const v of Object.values(s)) expect(Number.isFinite(v)).toBe(true);
  });

  it("resumes from a checkpoint exactly: nets and both optimisers' state", async () => {
    const file = path.join(tmp, "ck.bin");
    const straight = createGan(small);
    // 20 steps: enough for Adam's running β powers to differ in float32 from pow(β, t+1).
    trainSteps(straight, 20);
    await straight.takeStats();
    await saveCheckpoint(straight, file, { epoch: 1 });
    trainSteps(straight, 4, 5);
    const expected = await straight.takeStats();
    straight.dispose();

    const resumed = createGan(small);
    const tensorsBefore = tf.memory().numTensors;
    const meta = await loadCheckpoint<{ epoch: number }>(resumed, file);
    // Loading replaces nothing it does not own: only Adam's moments and counters were added.
    expect(tf.memory().numTensors - tensorsBefore).toBeLessThanOrEqual(4 * resumed.generator.variables.length + 4 * resumed.discriminator.variables.length);
    expect(meta).toEqual({ epoch: 1 });
    expect(resumed.step).toBe(20);
    trainSteps(resumed, 4, 5);
    const got = await resumed.takeStats();
    resumed.dispose();
    expect(got).toEqual(expected);
  });

  it("refuses a checkpoint from another architecture, naming the file", async () => {
    const file = path.join(tmp, "other.bin");
    const a = createGan(small);
    trainSteps(a, 1);
    await saveCheckpoint(a, file, { epoch: 1 });
    a.dispose();
    const b = createGan({ ...small, gen_layers: 4 });
    await expect(loadCheckpoint(b, file)).rejects.toThrow(/other\.bin.*generator/);
    b.dispose();
  });
});
