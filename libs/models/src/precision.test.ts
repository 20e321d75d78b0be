import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, test } from "vitest";
import { DEFAULTS, UserError, type RunConfig } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { batchIterator, loadDataset, type Dataset } from "@ganscope/data";
import { assertPrecision, createGan, createGanGroup, fusionKey, precisionProblem, readCpuFlags, selectBackend, stackBatches, type Gan, type StepStats } from "./index.js";

const base: RunConfig = { ...DEFAULTS, ...TINY_GAN, limit: 256, batch_size: 32, gen_layers: 3, dis_layers: 3, latent_dim: 16 };
const bf16: RunConfig = { ...base, precision: "bf16" };

let train: Dataset;
beforeAll(() => {
  train = loadDataset("mnist", { split: "train", limit: 256 });
});

describe("refusal: a bf16 run is never trained as fp32 in silence", () => {
  test("on a backend without bfloat16 (cpu, wasm), createGan throws one UserError line", async () => {
    for (const backend of ["cpu", "wasm"] as const) {
      await selectBackend(backend);
      expect(() => createGan(bf16)).toThrow(UserError);
      expect(() => createGan(bf16)).toThrow(`precision "bf16" needs the tensorflow backend (oneDNN's bfloat16 kernels); this run's backend is ${backend}`);
      createGan(base).dispose(); // fp32 trains anywhere
    }
  });

  test("on a CPU without avx512_bf16 or amx_bf16 (injected flags), whatever CPU runs the test", () => {
    const avx2Only = () => new Set(["sse2", "avx", "avx2", "fma", "avx512f"]);
    expect(() => assertPrecision("bf16", "tensorflow", avx2Only)).toThrow(UserError);
    expect(() => assertPrecision("bf16", "tensorflow", avx2Only)).toThrow(/needs a CPU with avx512_bf16 or amx_bf16/);
    expect(() => assertPrecision("fp32", "tensorflow", avx2Only)).not.toThrow();
    expect(precisionProblem("bf16", "tensorflow", new Set(["amx_bf16"]))).toBeUndefined();
    expect(precisionProblem("bf16", "tensorflow", new Set(["avx512_bf16"]))).toBeUndefined();
  });

  test("bf16 and fp32 runs never share a fused group", () => {
    expect(fusionKey(bf16)).not.toBe(fusionKey(base));
    // fp32's key is what it was before precision existed (fusion measurements are cached under it).
    expect(fusionKey({ ...base, precision: "fp32" })).toBe(fusionKey(base));
    expect(fusionKey(base)).toBe(JSON.stringify([[16, 16, 32, 784], [784, 32, 16, 1], "relu", null, 32, "mnist", 256]));
  });
});

/** `steps` steps on the run's batches in the runner's order; per-step stats. */
async function trainAlone(config: RunConfig, steps: number): Promise<{ stats: StepStats[]; weights: Float32Array[] }> {
  const gan = createGan(config);
  const stats: StepStats[] = [];
  const batches = batchIterator(train, config.batch_size, config.seed, 1);
  for (let i = 0; i < steps; i++) {
    const real = tf.tensor2d(batches.next().value!.images, [config.batch_size, 784]);
    gan.trainStep(real);
    real.dispose();
    stats.push(await gan.takeStats());
  }
  const weights = await Promise.all(gan.generator.variables.map(async (v) => (await v.data()) as Float32Array));
  gan.dispose();
  return { stats, weights };
}

// The bf16 kernels exist only on the tensorflow backend, on a CPU with bf16 units.
const bf16Here = precisionProblem("bf16", "tensorflow", readCpuFlags()) === undefined && (await selectBackend("tensorflow").then(() => true, () => false));

describe.skipIf(!bf16Here)("bf16 training on tensorflow (this CPU has avx512_bf16 or amx_bf16)", () => {
  beforeAll(async () => {
    await selectBackend("tensorflow");
  });

  test("the same bf16 config and seed trains identically twice", async () => {
    const a = await trainAlone(bf16, 8);
    const b = await trainAlone(bf16, 8);
    expect(b.stats).toEqual(a.stats);
    expect(b.weights).toEqual(a.weights);
  });

  test("bf16's steps differ from fp32's, within bfloat16's rounding band", async () => {
    const fp = await trainAlone(base, 8);
    const bf = await trainAlone(bf16, 8);
    expect(bf.stats).not.toEqual(fp.stats);
    expect(bf.weights).not.toEqual(fp.weights);
    // bfloat16 keeps 8 significant bits (relative rounding 2^-9 ≈ 2e-3 a product); over 8 steps
    // the losses stay within a few percent of fp32's, the weights within 1e-3 of them.
    for (let i = 0; i < 8; i++) {
      expect(Math.abs(bf.stats[i]!.d_loss - fp.stats[i]!.d_loss)).toBeLessThan(0.03 * fp.stats[i]!.d_loss);
      expect(Math.abs(bf.stats[i]!.g_loss - fp.stats[i]!.g_loss)).toBeLessThan(0.03 * fp.stats[i]!.g_loss);
    }
    const maxDiff = Math.max(...fp.weights.flatMap((w, i) => Array.from(w, (x, j) => Math.abs(x - bf.weights[i]![j]!))));
    expect(maxDiff).toBeGreaterThan(0);
    expect(maxDiff).toBeLessThan(1e-3);
  });

  test("a fused bf16 group trains each run as it trains alone, bit for bit, and leaks no tensor", async () => {
    const configs = [0, 1, 2].map((seed) => ({ ...bf16, seed, gen_dropout: seed * 0.1 }));
    const alone = await Promise.all(configs.map((c) => trainAlone(c, 5)));
    const members: Gan[] = configs.map((c) => createGan(c));
    const group = await createGanGroup(members);
    const iters = configs.map((c) => batchIterator(train, c.batch_size, c.seed, 1));
    const perRun: StepStats[][] = configs.map(() => []);
    let before = 0;
    for (let i = 0; i < 5; i++) {
      const reals = stackBatches(iters.map((it) => it.next().value!.images), bf16.batch_size);
      group.trainStep(reals);
      reals.dispose();
      (await group.takeStats()).forEach((s, k) => perRun[k]!.push(s));
      // After the first step: it fills the kernels' cache of shape operands (tensorflow-ops.ts).
      if (i === 0) before = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(before);
    perRun.forEach((stats, k) => expect(stats).toEqual(alone[k]!.stats));
    group.dispose();
    members.forEach((g) => g.dispose());
  });
});
