import * as tf from "@tensorflow/tfjs-core";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS, type RunConfig } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { batchIterator, loadDataset, type Dataset } from "@ganscope/data";
import { createGan, createGanGroup, fusionKey, loadCheckpoint, saveCheckpoint, selectBackend, stackBatches, type Gan, type GanGroup, type StepStats } from "./index.js";
import type { BackendName } from "./backend.js";
import { FusedAdamOptimizer } from "./fused-adam.js";
import { GroupAdam } from "./gan-group.js";
import { backendsHere } from "./testing.js";

// Tiny widths: the cpu backend's kernels are plain JavaScript. 160 images at
// batch 16 is 10 steps an epoch, so the 11- and 100-step runs below cross epoch boundaries.
const tiny: RunConfig = { ...DEFAULTS, ...TINY_GAN, limit: 160, batch_size: 16, gen_layers: 3, dis_layers: 3, latent_dim: 8 };

let train: Dataset;
const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-group-"));
beforeAll(() => {
  train = loadDataset("mnist", { split: "train", limit: 160 });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A run's batches as the runner draws them: batchIterator per epoch with the run's seed, from `fromStep` on. */
function* batchesOf(config: RunConfig, fromStep = 0): Generator<Float32Array> {
  const perEpoch = Math.ceil(train.count / config.batch_size);
  let skip = fromStep % perEpoch;
  for (let epoch = 1 + Math.floor(fromStep / perEpoch); ; epoch++) {
    for (const b of batchIterator(train, config.batch_size, config.seed, epoch)) {
      if (skip > 0) {
        skip--;
        continue;
      }
      yield b.images;
    }
  }
}

/** Trains a run alone; per-step stats. */
async function alone(gan: Gan, steps: number): Promise<StepStats[]> {
  const src = batchesOf(gan.config, gan.step);
  const out: StepStats[] = [];
  for (let i = 0; i < steps; i++) {
    const images = src.next().value!;
    const real = tf.tensor2d(images, [images.length / 784, 784]);
    gan.trainStep(real);
    real.dispose();
    out.push(await gan.takeStats());
  }
  return out;
}

/** Trains a group; per run, per-step stats. */
async function fused(group: GanGroup, steps: number): Promise<StepStats[][]> {
  const srcs = group.runs.map((g) => batchesOf(g.config, g.step));
  const out: StepStats[][] = group.runs.map(() => []);
  for (let i = 0; i < steps; i++) {
    const batches = srcs.map((s) => s.next().value!);
    const reals = stackBatches(batches, batches[0]!.length / 784);
    group.trainStep(reals);
    reals.dispose();
    (await group.takeStats()).forEach((s, k) => out[k]!.push(s));
  }
  return out;
}

async function state(gan: Gan): Promise<number[][]> {
  const opt = [...(await gan.genOptimizer.getWeights()), ...(await gan.disOptimizer.getWeights())];
  const out = [...gan.generator.variables, ...gan.discriminator.variables, ...opt.map((w) => w.tensor)].map((t) => Array.from(t.dataSync()));
  tf.dispose([opt[0]!.tensor, opt[opt.length / 2]!.tensor].filter((t) => t.dtype === "int32"));
  return out;
}

/** Largest |a − b| / (|b| + 1e-3) over all values. */
function maxRel(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((xs, i) => xs.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[i]![j]!) / (Math.abs(b[i]![j]!) + 1e-3)))));
  return worst;
}

// Per-run hyperparameters that differ in everything fusion allows to differ.
const mixed: RunConfig[] = [
  { ...tiny, seed: 1 },
  { ...tiny, seed: 2, gen_dropout: 0.3, dis_dropout: 0.5 },
  { ...tiny, seed: 3, dis_dropout: 0.3 },
];
const mixedLr: RunConfig[] = [
  { ...tiny, seed: 4, gen_lr: 1e-3 },
  { ...tiny, seed: 5, dis_lr: 5e-4, beta1: 0.9, gen_dropout: 0.2 },
  { ...tiny, seed: 6, beta2: 0.99 },
];

describe("GAN group on cpu", () => {
  beforeAll(async () => {
    await selectBackend("cpu");
  });

  it.each([
    ["same Adam hyperparameters (one fused Adam kernel per variable)", mixed],
    ["different learning rates and betas (per-run Adam operands)", mixedLr],
  ])("with %s, every run's stats and state equal the run trained alone, bit for bit", async (_, configs) => {
    const steps = 11;
    const expected = await Promise.all(
      configs.map(async (c) => {
        const g = createGan(c);
        const stats = await alone(g, steps);
        const s = await state(g);
        g.dispose();
        return { stats, s };
      }),
    );
    const members = configs.map((c) => createGan(c));
    const group = await createGanGroup(members);
    const got = await fused(group, steps);
    await group.sync();
    for (let k = 0; k < configs.length; k++) {
      expect(got[k]).toEqual(expected[k]!.stats);
      expect(members[k]!.step).toBe(steps);
      expect(await state(members[k]!)).toEqual(expected[k]!.s);
    }
    group.dispose();
    members.forEach((g) => g.dispose());
  });

  it("restarts from its runs' checkpoints, and a run can leave: the others go on as if alone", async () => {
    const [a, b] = [8, 4];
    const expected = await Promise.all(
      mixedLr.map(async (c) => {
        const g = createGan(c);
        await alone(g, a + b);
        const s = await state(g);
        g.dispose();
        return s;
      }),
    );
    const members = mixedLr.map((c) => createGan(c));
    const group = await createGanGroup(members);
    await fused(group, a);
    await group.sync();
    const files = members.map((_, k) => path.join(tmp, `run${k}.ck`));
    await Promise.all(members.map((g, k) => saveCheckpoint(g, files[k]!, { k })));
    group.dispose();
    members.forEach((g) => g.dispose());

    // Run 1 left the group (pruned, say); runs 0 and 2 restart from their checkpoints.
    const restored = await Promise.all(
      [0, 2].map(async (k) => {
        const g = createGan(mixedLr[k]!);
        await loadCheckpoint(g, files[k]!);
        return g;
      }),
    );
    const rest = await createGanGroup(restored);
    await fused(rest, b);
    await rest.sync();
    expect(await state(restored[0]!)).toEqual(expected[0]);
    expect(await state(restored[1]!)).toEqual(expected[2]);
    rest.dispose();
    restored.forEach((g) => g.dispose());
  });

  it("leaks no tensors per step or sync", async () => {
    const members = mixed.map((c) => createGan(c));
    const group = await createGanGroup(members);
    await fused(group, 2);
    await group.sync();
    const before = tf.memory().numTensors;
    await fused(group, 3);
    await group.sync();
    expect(tf.memory().numTensors).toBe(before);
    group.dispose();
    members.forEach((g) => g.dispose());
  });

  it("refuses runs of other shapes, naming the run", async () => {
    const a = createGan(tiny);
    const b = createGan({ ...tiny, gen_width: 8 });
    expect(fusionKey({ ...tiny, gen_lr: 1, seed: 9, dis_dropout: 0.5 })).toBe(fusionKey(tiny));
    await expect(createGanGroup([a, b])).rejects.toThrow(/run 1 has other shapes/);
    [a, b].forEach((g) => g.dispose());
  });
});

const native = (await backendsHere()).includes("tensorflow");

describe("GroupAdam", () => {
  // K runs' Adam over one stacked [K, rows, cols] variable against K single-run
  // optimisers (what a run alone trains with): the same float32 operations in the
  // same order on every backend, so bit-identical weights and moments. Odd sizes
  // reach TensorFlow's unvectorised Adam loop as well as its packet loop.
  const hyper = fc.record({ lr: fc.constantFrom(1e-3, 2e-4, 5e-4, 0.1), beta1: fc.constantFrom(0.5, 0.9, 0.8), beta2: fc.constantFrom(0.999, 0.99, 0.9) });
  it.each(["cpu", "wasm", ...(native ? ["tensorflow"] : [])] as BackendName[])("on %s, per-run lr and betas give each run's slice exactly the run alone's update", async (backend) => {
    await selectBackend(backend);
    await fc.assert(
      fc.asyncProperty(
        fc.array(hyper, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 1000 }),
        async (runs, rows, cols, steps, seed) => {
          const k = runs.length;
          const w0 = tf.randomNormal([k, rows, cols], 0, 0.3, "float32", seed);
          const singles = runs.map((h, r) => ({
            x: tf.variable(tf.squeeze(tf.slice(w0, r, 1), [0]), true, `group-adam-test/${Math.random()}/${r}`),
            opt: new FusedAdamOptimizer(h.lr, h.beta1, h.beta2, 1e-8),
          }));
          const stacked = tf.variable(w0, true, `group-adam-test/${Math.random()}/stacked`);
          const f32 = Math.fround;
          const group = new GroupAdam(
            [stacked],
            // A fresh tf.AdamOptimizer's state: β powers start at float32 β.
            runs.map((h) => ({ ...h, accBeta1: f32(h.beta1), accBeta2: f32(h.beta2), iterations: 0 })),
            { m: [tf.zeros([k, rows, cols])], v: [tf.zeros([k, rows, cols])] },
            1e-8,
          );
          for (let t = 0; t < steps; t++) {
            tf.tidy(() => {
              const g = tf.randomNormal([k, rows, cols], 0, 0.01, "float32", seed + 7919 * (t + 1));
              singles.forEach((s, r) => s.opt.applyGradients([{ name: s.x.name, tensor: tf.squeeze(tf.slice(g, r, 1), [0]) }]));
              group.apply([g]);
            });
          }
          const { m, v } = await group.moments();
          const want = await Promise.all(
            singles.map(async (s) => {
              const [it, mr, vr] = await s.opt.getWeights();
              const out = [s.x, mr!.tensor, vr!.tensor].map((t) => Array.from(t.dataSync()));
              it!.tensor.dispose();
              return out;
            }),
          );
          const got = [stacked, m[0]!, v[0]!].map((t) => Array.from(t.dataSync()));
          const n = rows * cols;
          want.forEach((w, r) => w.forEach((xs, j) => expect(got[j]!.slice(r * n, (r + 1) * n)).toEqual(xs)));
          group.dispose();
          stacked.dispose();
          singles.forEach((s) => (s.opt.dispose(), s.x.dispose()));
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe.runIf(native)("GAN group on tensorflow", () => {
  beforeAll(async () => {
    await selectBackend("tensorflow");
  });

  /** Trains `configs` alone and fused for `marks.at(-1)` steps; per run, the max relative weight difference at each mark. */
  async function difference(configs: RunConfig[], marks: number[]): Promise<{ weights: number[][]; statsEqual: boolean[]; stateEqual: boolean[] }> {
    const runsAlone = configs.map((c) => ({ g: createGan(c), src: batchesOf(c), stats: [] as StepStats[] }));
    const members = configs.map((c) => createGan(c));
    const group = await createGanGroup(members);
    const srcs = configs.map((c) => batchesOf(c));
    const fusedStats: StepStats[][] = configs.map(() => []);
    const weights: number[][] = configs.map(() => []);
    let stateEqual: boolean[] = [];
    for (let t = 1; t <= marks.at(-1)!; t++) {
      for (const a of runsAlone) {
        const images = a.src.next().value!;
        const real = tf.tensor2d(images, [images.length / 784, 784]);
        a.g.trainStep(real);
        real.dispose();
        a.stats.push(await a.g.takeStats());
      }
      const reals = stackBatches(srcs.map((s) => s.next().value!), configs[0]!.batch_size);
      group.trainStep(reals);
      reals.dispose();
      (await group.takeStats()).forEach((s, k) => fusedStats[k]!.push(s));
      if (!marks.includes(t)) continue;
      await group.sync();
      const states = await Promise.all(members.map(async (m, k) => [await state(m), await state(runsAlone[k]!.g)] as const));
      states.forEach(([got, want], k) => {
        const nw = members[k]!.generator.variables.length + members[k]!.discriminator.variables.length;
        weights[k]!.push(maxRel(got.slice(0, nw), want.slice(0, nw)));
      });
      stateEqual = states.map(([got, want]) => JSON.stringify(got) === JSON.stringify(want));
    }
    const statsEqual = fusedStats.map((s, k) => JSON.stringify(s) === JSON.stringify(runsAlone[k]!.stats));
    group.dispose();
    members.forEach((g) => g.dispose());
    runsAlone.forEach((a) => a.g.dispose());
    return { weights, statsEqual, stateEqual };
  }

  // Each run's products are the MatMul calls the run alone makes (the tensorflow
  // kernels split a fused group's batched products into one MatMul per run),
  // GroupAdam computes ResourceApplyAdam's float32 operations, and the gradient
  // norms are each run's own L2Loss calls: nothing rounds differently, at the
  // test's tiny sizes (products of a few hundred multiply-adds, where
  // BatchMatMulV2's per-batch kernel used to differ in the last bit) as at
  // medium ones (batch 16, G 32→64→128→784, D 784→128→64→1).
  const medium = (c: RunConfig): RunConfig => ({ ...c, gen_width: 64, dis_width: 64, max_width: 128, latent_dim: 32 });
  it.each([
    ["same Adam hyperparameters, tiny sizes", mixed],
    ["different learning rates and betas, tiny sizes", mixedLr],
    ["same Adam hyperparameters, medium sizes", mixed.map(medium)],
    ["different learning rates and betas, medium sizes", mixedLr.map(medium)],
  ] as const)("with %s, 100 fused steps equal the runs alone bit for bit: weights, Adam state and stats", async (_, configs) => {
    const d = await difference([...configs], [1, 10, 100]);
    expect(d.weights).toEqual(configs.map(() => [0, 0, 0]));
    expect(d.stateEqual).toEqual(configs.map(() => true));
    expect(d.statsEqual).toEqual(configs.map(() => true));
  });
});
