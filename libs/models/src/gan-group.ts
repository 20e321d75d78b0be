import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";
import { discriminatorSizes, generatorSizes, type Activation, type RunConfig } from "@ganscope/dsl";
import { dropoutMultiplier } from "./dropout.js";
import { FusedAdamOptimizer } from "./fused-adam.js";
import { STAT_KEYS, seededNormal, stepSeed, type Gan, type StepStats } from "./gan.js";
import { activate } from "./mlp.js";
import { sumOfSquaresPerRun } from "./tensorflow-ops.js";

/**
 * Sweep fusion (the idea of HFTA, Wang et al., MLSys 2021): K runs whose
 * networks have the same shapes train as one model. Every weight is stacked
 * [K, in, out], every product is one batched matmul over the K runs, and
 * each Adam update is one kernel per stacked variable — so the ~140 eager
 * calls besides the products that a training step costs are paid once for
 * K runs instead of K times. (What that buys on a CPU, where the products
 * are most of a step, is measured in bench/README.md.)
 *
 * Each run keeps its own trajectory: its own initial weights (it joins from
 * a single-run {@link Gan}, fresh or restored from a checkpoint), its own
 * batches (the caller stacks one batch per run), its own noise and dropout
 * masks from its own (seed, step), its own learning rates and betas. Runs
 * only share the arithmetic's shapes, so a run's numbers are the ones it
 * would have had alone, bit for bit, on cpu and tensorflow (gan-group.test.ts).
 * On tensorflow that holds because the batched products are split into one
 * MatMul per run (tensorflow-ops.ts), the kernel a run alone calls:
 * TensorFlow's BatchMatMulV2 rounds differently at small sizes, and was
 * slower on this CPU at every size the bench measured.
 */
export interface GanGroup {
  /** The member runs, one single-run Gan each; {@link GanGroup.sync} writes the group's state into them. */
  readonly runs: readonly Gan[];
  /**
   * One D step then one G step for every run, on real images [K, batch, 784]
   * (run k's batch at [k]). Statistics stay on the device.
   */
  trainStep(reals: tf.Tensor3D): void;
  /** Each run's means since the last call, in run order (one host sync for all). */
  takeStats(): Promise<StepStats[]>;
  /**
   * Copies the group's current weights, Adam state and step counts into the
   * member Gans (all, or the runs given), so that saveCheckpoint, generate and
   * discriminate on a member see exactly what that run would have alone.
   */
  sync(which?: readonly number[]): Promise<void>;
  /** Frees the group's tensors; the member Gans stay (call sync first to keep the latest state). */
  dispose(): void;
}

/**
 * What must be equal for runs to fuse: every layer size, the activation and
 * its slope, the batch size and the data (so the batches stack). Learning
 * rates, betas, dropout rates and seeds may differ.
 */
export function fusionKey(config: RunConfig, imageSize = 784): string {
  const c = config;
  return JSON.stringify([generatorSizes(c, imageSize), discriminatorSizes(c, imageSize), c.activation, c.activation === "leaky_relu" ? c.leaky_slope : null, c.batch_size, c.dataset, c.limit]);
}

/** Stacks one batch of real images per run into the [K, batch, pixels] tensor trainStep takes. */
export function stackBatches(batches: readonly Float32Array[], batch: number, pixels = 784): tf.Tensor3D {
  const data = new Float32Array(batches.length * batch * pixels);
  batches.forEach((b, k) => {
    if (b.length !== batch * pixels) throw new RangeError(`stackBatches: run ${k}'s batch has ${b.length / pixels} images, the group's ${batch}`);
    data.set(b, k * batch * pixels);
  });
  return tf.tensor3d(data, [batches.length, batch, pixels]);
}

/** A stacked MLP: run k's layer i is w[i][k], b[i][k]. */
interface StackedMlp {
  readonly w: tf.Variable[];
  /** [K, 1, out], so that it broadcasts over the batch as a single run's [out] does. */
  readonly b: tf.Variable[];
  readonly variables: tf.Variable[];
  apply(x: tf.Tensor3D, training: boolean, dropoutSeeds?: readonly number[]): tf.Tensor3D;
}

function stackMlp(nets: readonly Gan["generator"][], name: string, activation: Activation, leakySlope: number, rates: readonly number[]): StackedMlp {
  const layers = nets[0]!.layers.length;
  const w: tf.Variable[] = [];
  const b: tf.Variable[] = [];
  for (let i = 0; i < layers; i++) {
    w.push(tf.tidy(() => tf.variable(tf.stack(nets.map((n) => n.layers[i]!.w)), true, `${name}/dense${i}/w`)));
    b.push(tf.tidy(() => tf.variable(tf.stack(nets.map((n) => tf.expandDims(n.layers[i]!.b, 0))), true, `${name}/dense${i}/b`)));
  }
  const anyDropout = rates.some((r) => r > 0);
  return {
    w,
    b,
    variables: w.flatMap((wi, i) => [wi, b[i]!]),
    apply(x, training, dropoutSeeds) {
      let h = x;
      for (let i = 0; i < layers; i++) {
        h = tf.add(tf.matMul(h, w[i]!), b[i]!);
        if (i === layers - 1) break;
        h = activate(h as unknown as tf.Tensor2D, activation, leakySlope) as unknown as tf.Tensor3D;
        if (training && anyDropout) {
          // One mask for all runs, each run's slice the mask it would draw alone
          // (dropout.ts); a run without dropout gets ones, and x·1 is exact.
          const [k, batch, units] = h.shape;
          const n = batch * units;
          const mask = new Float32Array(k * n);
          rates.forEach((rate, r) => {
            if (rate > 0) mask.set(dropoutMultiplier(n, rate, dropoutSeeds![r]! + i), r * n);
            else mask.fill(1, r * n, (r + 1) * n);
          });
          h = tf.mul(h, tf.tensor3d(mask, h.shape));
        }
      }
      return h;
    },
  };
}

/** What the optimiser below uses of tf.AdamOptimizer's private state. */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  iterations_: number;
}
const internals = (o: tf.AdamOptimizer) => o as unknown as AdamState;

/** One run's Adam: hyperparameters, running β powers (float32 values) and update count. */
export interface RunAdam {
  lr: number;
  beta1: number;
  beta2: number;
  accBeta1: number;
  accBeta2: number;
  iterations: number;
}

const f32 = Math.fround;

/**
 * Adam over stacked variables with per-run learning rate and betas.
 *
 * When every run has the same lr, betas and β powers (a dropout or seed grid
 * started together), the update is FusedAdamOptimizer over the stacked
 * variables: one kernel per variable for all K runs (ResourceApplyAdam on
 * tensorflow). TensorFlow's Adam kernels take lr and betas as scalars only,
 * so otherwise the update is the single-run update's own sequence of ops
 * with per-run [K, 1, …] operands broadcast over each run's slice: on
 * tensorflow ResourceApplyAdam's, on cpu and wasm tf.train.adam's. The same
 * float32 operations in the same order, hence bit-identical to each run's
 * own optimiser on every backend (gan-group.test.ts, "GroupAdam").
 */
export class GroupAdam {
  private shared: FusedAdamOptimizer | null = null;
  private m: tf.Variable[] = [];
  private v: tf.Variable[] = [];
  private perRun: { b1: tf.Tensor; c1: tf.Tensor; b2: tf.Tensor; c2: tf.Tensor; c1f: tf.Tensor; c2f: tf.Tensor; negLr: tf.Tensor; eps: tf.Scalar } | null = null;

  constructor(
    private readonly vars: readonly tf.Variable[],
    readonly runs: RunAdam[],
    moments: { m: tf.Tensor[]; v: tf.Tensor[] },
    private readonly epsilon: number,
  ) {
    const r0 = runs[0]!;
    const same = runs.every((r) => r.lr === r0.lr && r.beta1 === r0.beta1 && r.beta2 === r0.beta2 && r.accBeta1 === r0.accBeta1 && r.accBeta2 === r0.accBeta2);
    if (same) {
      const opt = new FusedAdamOptimizer(r0.lr, r0.beta1, r0.beta2, epsilon);
      const s = internals(opt);
      s.accumulatedFirstMoment = vars.map((x, i) => ({ originalName: `${x.name}/m`, variable: moments.m[i]!.variable(false) }));
      s.accumulatedSecondMoment = vars.map((x, i) => ({ originalName: `${x.name}/v`, variable: moments.v[i]!.variable(false) }));
      tf.tidy(() => {
        s.accBeta1.assign(tf.scalar(r0.accBeta1));
        s.accBeta2.assign(tf.scalar(r0.accBeta2));
      });
      this.shared = opt;
    } else {
      this.m = moments.m.map((t) => t.variable(false));
      this.v = moments.v.map((t) => t.variable(false));
      const col = (xs: number[]) => tf.tensor1d(xs);
      this.perRun = tf.tidy(() => ({
        b1: tf.keep(col(runs.map((r) => r.beta1))),
        c1: tf.keep(col(runs.map((r) => 1 - r.beta1))),
        b2: tf.keep(col(runs.map((r) => r.beta2))),
        c2: tf.keep(col(runs.map((r) => 1 - r.beta2))),
        // 1 − β as ResourceApplyAdam computes it, from β as a float32 scalar in float32
        // (for β₂ = 0.999: 0.0009999871, where tf.train.adam's float32(1 − 0.999) is
        // 0.0010000000; that 1.3e-5 was most of the fused-vs-alone difference on tensorflow).
        c1f: tf.keep(col(runs.map((r) => f32(1 - f32(r.beta1))))),
        c2f: tf.keep(col(runs.map((r) => f32(1 - f32(r.beta2))))),
        negLr: tf.keep(col(runs.map((r) => -r.lr))),
        eps: tf.keep(tf.scalar(epsilon)),
      }));
    }
    moments.m.forEach((t) => t.dispose());
    moments.v.forEach((t) => t.dispose());
  }

  /** Per-run [K] values reshaped to broadcast over a variable of rank `rank`. */
  private static col(t: tf.Tensor, rank: number): tf.Tensor {
    return tf.reshape(t, [t.shape[0]!, ...new Array<number>(rank - 1).fill(1)]);
  }

  apply(grads: tf.Tensor[]): void {
    if (this.shared) {
      this.shared.applyGradients(this.vars.map((x, i) => ({ name: x.name, tensor: grads[i]! })));
    } else {
      const p = this.perRun!;
      const r32 = (x: number) => f32(x);
      tf.tidy(() => {
        const c = (t: tf.Tensor, rank: number) => GroupAdam.col(t, rank);
        if (tf.getBackend() === "tensorflow") {
          // ResourceApplyAdam's float32 operations in its order (training_ops.cc,
          // ApplyAdamNonCuda: no fused multiply-adds, checked bit for bit in
          // gan-group.test.ts), per run — what a run alone gets on this backend:
          // m += (g − m)(1 − β₁), v += (g² − v)(1 − β₂), w −= α·m / (√v + ε̂),
          // α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), ε̂ = ε·√(1 − β₂ᵗ) as FusedAdamOptimizer passes it.
          const alpha = tf.tensor1d(this.runs.map((r) => r32(r32(r32(r.lr) * r32(Math.sqrt(r32(1 - r.accBeta2)))) / r32(1 - r.accBeta1))));
          const epsHat = tf.tensor1d(this.runs.map((r) => r32(r32(this.epsilon) * r32(Math.sqrt(r32(1 - r.accBeta2))))));
          this.vars.forEach((x, i) => {
            const g = grads[i]!;
            const m = tf.add(this.m[i]!, tf.mul(tf.sub(g, this.m[i]!), c(p.c1f, x.rank)));
            const v = tf.add(this.v[i]!, tf.mul(tf.sub(tf.square(g), this.v[i]!), c(p.c2f, x.rank)));
            this.m[i]!.assign(m);
            this.v[i]!.assign(v);
            x.assign(tf.sub(x, tf.div(tf.mul(m, c(alpha, x.rank)), tf.add(tf.sqrt(v), c(epsHat, x.rank)))));
          });
          return;
        }
        const oneMinusAcc1 = tf.tensor1d(this.runs.map((r) => 1 - r.accBeta1));
        const oneMinusAcc2 = tf.tensor1d(this.runs.map((r) => 1 - r.accBeta2));
        this.vars.forEach((x, i) => {
          const g = grads[i]!;
          // tf.train.adam's update, op for op (adam_optimizer.js), with per-run operands:
          // what FusedAdamOptimizer's kernel computes for a run alone on cpu and wasm.
          const m = tf.add(tf.mul(this.m[i]!, c(p.b1, x.rank)), tf.mul(g, c(p.c1, x.rank)));
          const v = tf.add(tf.mul(this.v[i]!, c(p.b2, x.rank)), tf.mul(tf.square(g), c(p.c2, x.rank)));
          const mHat = tf.div(m, c(oneMinusAcc1, x.rank));
          const vHat = tf.div(v, c(oneMinusAcc2, x.rank));
          this.m[i]!.assign(m);
          this.v[i]!.assign(v);
          x.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), p.eps)), c(p.negLr, x.rank)), x));
        });
      });
    }
    for (const r of this.runs) {
      // tf.mul of two float32 scalars: the float32 rounding of the exact product.
      r.accBeta1 = f32(r.accBeta1 * f32(r.beta1));
      r.accBeta2 = f32(r.accBeta2 * f32(r.beta2));
      r.iterations++;
    }
  }

  /** The stacked first and second moments (read-only views: do not dispose). */
  async moments(): Promise<{ m: tf.Tensor[]; v: tf.Tensor[] }> {
    if (!this.shared) return { m: this.m, v: this.v };
    // getWeights copies moments held in TensorFlow resources back into the tfjs variables.
    const w = await this.shared.getWeights();
    w[0]!.tensor.dispose();
    const s = internals(this.shared);
    return { m: s.accumulatedFirstMoment.map((x) => x.variable), v: s.accumulatedSecondMoment.map((x) => x.variable) };
  }

  dispose(): void {
    this.shared?.dispose();
    tf.dispose([...this.m, ...this.v]);
    if (this.perRun) tf.dispose(Object.values(this.perRun));
  }
}

/** A single-run optimiser's state, as GroupAdam takes it. */
async function readAdam(opt: tf.AdamOptimizer, vars: readonly tf.Variable[]): Promise<{ run: RunAdam; m: tf.Tensor[]; v: tf.Tensor[] }> {
  const weights = await opt.getWeights(); // syncs FusedAdamOptimizer's TensorFlow-held moments
  const iterations = (await weights[0]!.tensor.data())[0]!;
  weights[0]!.tensor.dispose();
  const s = internals(opt);
  const has = s.accumulatedFirstMoment.length === vars.length;
  const m = vars.map((x, i) => (has ? s.accumulatedFirstMoment[i]!.variable : tf.zerosLike(x)));
  const v = vars.map((x, i) => (has ? s.accumulatedSecondMoment[i]!.variable : tf.zerosLike(x)));
  const o = opt as unknown as { learningRate: number; beta1: number; beta2: number };
  return {
    run: { lr: o.learningRate, beta1: o.beta1, beta2: o.beta2, accBeta1: (await s.accBeta1.data())[0]!, accBeta2: (await s.accBeta2.data())[0]!, iterations },
    // Owned by the caller until stacked; moment variables of the run are kept by the run.
    m: has ? m.map((t) => tf.clone(t)) : m,
    v: has ? v.map((t) => tf.clone(t)) : v,
  };
}

/** Writes run k's slice of the group's Adam state into a single-run optimiser, as loadCheckpoint would. */
function writeAdam(opt: tf.AdamOptimizer, vars: readonly tf.Variable[], run: RunAdam, m: tf.Tensor[], v: tf.Tensor[]): void {
  const s = internals(opt);
  if (s.accumulatedFirstMoment.length === vars.length) {
    // Assigning (rather than setWeights) keeps the moment variables: setWeights would leak the old ones.
    s.accumulatedFirstMoment.forEach((x, i) => x.variable.assign(m[i]!));
    s.accumulatedSecondMoment.forEach((x, i) => x.variable.assign(v[i]!));
  } else {
    s.accumulatedFirstMoment = vars.map((x, i) => ({ originalName: `${x.name}/m`, variable: tf.clone(m[i]!).variable(false) }));
    s.accumulatedSecondMoment = vars.map((x, i) => ({ originalName: `${x.name}/v`, variable: tf.clone(v[i]!).variable(false) }));
  }
  s.iterations_ = run.iterations;
  tf.tidy(() => {
    s.accBeta1.assign(tf.scalar(run.accBeta1));
    s.accBeta2.assign(tf.scalar(run.accBeta2));
  });
}

let groups = 0;

function check(runs: readonly Gan[]): void {
  if (runs.length === 0) throw new RangeError("createGanGroup: a group needs at least one run");
  const key = fusionKey(runs[0]!.config);
  runs.forEach((g, k) => {
    if (fusionKey(g.config) !== key) throw new RangeError(`createGanGroup: run ${k} has other shapes than run 0 (${fusionKey(g.config)} vs ${key})`);
  });
}

/**
 * Fuses single-run GANs (fresh from createGan, or restored by loadCheckpoint)
 * into one group. The members are left as they are; the group trains copies
 * of their state and writes it back on {@link GanGroup.sync}.
 */
export async function createGanGroup(runs: readonly Gan[]): Promise<GanGroup> {
  check(runs);
  const id = `ganGroup${groups++}`;
  const c0 = runs[0]!.config;
  const gen = stackMlp(runs.map((r) => r.generator), `${id}/gen`, c0.activation, c0.leaky_slope, runs.map((r) => r.config.gen_dropout));
  const dis = stackMlp(runs.map((r) => r.discriminator), `${id}/dis`, c0.activation, c0.leaky_slope, runs.map((r) => r.config.dis_dropout));

  const groupAdam = async (which: "gen" | "dis") => {
    const parts = await Promise.all(
      runs.map((r) => (which === "gen" ? readAdam(r.genOptimizer, r.generator.variables) : readAdam(r.disOptimizer, r.discriminator.variables))),
    );
    const vars = which === "gen" ? gen.variables : dis.variables;
    const stacked = (pick: "m" | "v") =>
      vars.map((x, i) => tf.tidy(() => tf.reshape(tf.stack(parts.map((p) => p[pick][i]!)), x.shape)));
    const moments = { m: stacked("m"), v: stacked("v") };
    parts.forEach((p) => tf.dispose([...p.m, ...p.v]));
    return new GroupAdam(vars, parts.map((p) => p.run), moments, 1e-8);
  };
  const genAdam = await groupAdam("gen");
  const disAdam = await groupAdam("dis");
  const steps = runs.map((r) => r.step);
  const seeds = runs.map((r) => r.config.seed);
  const latent = c0.latent_dim;
  let acc: tf.Tensor2D | null = null;
  let accSteps = 0;

  /** Per-run mean BCE on logits [K, batch, 1]: [K]. */
  const bce = (logits: tf.Tensor, label: 0 | 1) => tf.mean(tf.softplus(label === 1 ? tf.neg(logits) : logits), [1, 2]);
  /** Per-run global gradient norm: [K]. */
  const norms = (grads: tf.Tensor[]) => tf.sqrt(sumOfSquaresPerRun(grads));

  return {
    runs,
    trainStep(reals) {
      if (reals.shape[0] !== runs.length) throw new RangeError(`GanGroup.trainStep: ${reals.shape[0]} batches for ${runs.length} runs`);
      const seed = (j: number) => runs.map((_, k) => stepSeed(seeds[k]!, steps[k]!, j));
      const stats = tf.tidy(() => {
        const batch = reals.shape[1];
        const zSeeds = seed(0);
        // Each run's noise as it would draw it alone.
        const z = tf.stack(zSeeds.map((s) => seededNormal([batch, latent], s))) as tf.Tensor3D;
        const fake = tf.tanh(gen.apply(z, true, seed(1)));

        let dReal!: tf.Tensor;
        let dFake!: tf.Tensor;
        let dLoss!: tf.Tensor;
        // The sum over runs: each run's loss gets gradient 1, as it would alone, and runs share no weights.
        const d = tf.variableGrads(() => {
          const realLogits = dis.apply(reals, true, seed(2));
          const fakeLogits = dis.apply(fake, true, seed(3));
          dReal = tf.keep(tf.mean(tf.sigmoid(realLogits), [1, 2]));
          dFake = tf.keep(tf.mean(tf.sigmoid(fakeLogits), [1, 2]));
          dLoss = tf.keep(tf.add(bce(realLogits, 1), bce(fakeLogits, 0)));
          return tf.sum(dLoss) as tf.Scalar;
        }, dis.variables);
        const dGrads = dis.variables.map((x) => d.grads[x.name]!);
        const dNorm = norms(dGrads);
        disAdam.apply(dGrads);

        let gLoss!: tf.Tensor;
        const g = tf.variableGrads(() => {
          const logits = dis.apply(tf.tanh(gen.apply(z, true, seed(4))), true, seed(5));
          gLoss = tf.keep(bce(logits, 1));
          return tf.sum(gLoss) as tf.Scalar;
        }, gen.variables);
        const gGrads = gen.variables.map((x) => g.grads[x.name]!);
        const gNorm = norms(gGrads);
        genAdam.apply(gGrads);

        const rows = tf.stack([dLoss, gLoss, dReal, dFake, dNorm, gNorm], 1) as tf.Tensor2D;
        tf.dispose([dReal, dFake, dLoss, gLoss]);
        return acc === null ? rows : tf.add(acc, rows);
      });
      acc?.dispose();
      acc = stats as tf.Tensor2D;
      accSteps++;
      for (let k = 0; k < steps.length; k++) steps[k]!++;
    },
    async takeStats() {
      const values = acc ? await acc.data() : new Float32Array(runs.length * STAT_KEYS.length);
      const n = accSteps;
      acc?.dispose();
      acc = null;
      accSteps = 0;
      return runs.map((_, k) => {
        const out = { steps: n } as StepStats;
        STAT_KEYS.forEach((key, i) => (out[key] = n > 0 ? values[k * STAT_KEYS.length + i]! / n : NaN));
        return out;
      });
    },
    async sync(which) {
      const ks = which ?? runs.map((_, k) => k);
      const [gm, dm] = [await genAdam.moments(), await disAdam.moments()];
      tf.tidy(() => {
        const slices = (ts: tf.Tensor[], k: number) => ts.map((t) => tf.squeeze(tf.slice(t, k, 1), [0]));
        for (const k of ks) {
          const run = runs[k]!;
          const put = (single: readonly tf.Variable[], stacked: tf.Tensor[]) =>
            slices(stacked, k).forEach((t, i) => single[i]!.assign(tf.reshape(t, single[i]!.shape)));
          put(run.generator.variables, gen.variables);
          put(run.discriminator.variables, dis.variables);
          const reshaped = (ts: tf.Tensor[], single: readonly tf.Variable[]) => slices(ts, k).map((t, i) => tf.reshape(t, single[i]!.shape));
          writeAdam(run.genOptimizer, run.generator.variables, genAdam.runs[k]!, reshaped(gm.m, run.generator.variables), reshaped(gm.v, run.generator.variables));
          writeAdam(run.disOptimizer, run.discriminator.variables, disAdam.runs[k]!, reshaped(dm.m, run.discriminator.variables), reshaped(dm.v, run.discriminator.variables));
          run.step = steps[k]!;
        }
      });
    },
    dispose() {
      acc?.dispose();
      acc = null;
      tf.dispose([...gen.variables, ...dis.variables]);
      genAdam.dispose();
      disAdam.dispose();
    },
  };
}
