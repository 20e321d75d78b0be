import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";
import { discriminatorSizes, generatorSizes, type Activation, type RunConfig } from "@ganscope/dsl";
import { dropoutMultiplier } from "./dropout.js";
import { FusedAdamOptimizer } from "./fused-adam.js";
import type { Gan } from "./gan.js";
import { adversarialStep, DRAW, seededNormal, stepSeed, StepStatsSum, type Adversaries, type StepStats } from "./gan-step.js";
import { activate } from "./mlp.js";
import { withPrecision } from "./precision.js";
import { sumOfSquaresPerRun } from "./tensorflow-ops.js";
import { adamHyperparameters, exportAdamState, importAdamState } from "./tfjs-internals.js";

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
 * its slope, the batch size and the data (so the batches stack), and the
 * precision (a group's step is one set of products). Learning rates, betas,
 * dropout rates and seeds may differ. fp32 adds nothing to the key, so keys
 * (and the fusion measurements cached under them) stay as they were.
 */
export function fusionKey(config: RunConfig, imageSize = 784): string {
  const c = config;
  const precision = c.precision === "bf16" ? ["bf16"] : [];
  return JSON.stringify([generatorSizes(c, imageSize), discriminatorSizes(c, imageSize), c.activation, c.activation === "leaky_relu" ? c.leaky_slope : null, c.batch_size, c.dataset, c.limit, ...precision]);
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
        h = activate(h, activation, leakySlope);
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
      importAdamState(opt, { accBeta1: r0.accBeta1, accBeta2: r0.accBeta2, moments: { variables: vars, m: moments.m, v: moments.v } });
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
    const s = await exportAdamState(this.shared);
    return { m: [...s.m], v: [...s.v] };
  }

  dispose(): void {
    this.shared?.dispose();
    tf.dispose([...this.m, ...this.v]);
    if (this.perRun) tf.dispose(Object.values(this.perRun));
  }
}

/** A single-run optimiser's state, as GroupAdam takes it. */
async function readAdam(opt: tf.AdamOptimizer, vars: readonly tf.Variable[]): Promise<{ run: RunAdam; m: tf.Tensor[]; v: tf.Tensor[] }> {
  const s = await exportAdamState(opt);
  const h = adamHyperparameters(opt);
  const has = s.m.length === vars.length;
  return {
    run: { lr: h.learningRate, beta1: h.beta1, beta2: h.beta2, accBeta1: s.accBeta1, accBeta2: s.accBeta2, iterations: s.iterations },
    // Owned by the caller until stacked; moment variables of the run are kept by the run.
    m: vars.map((x, i) => (has ? tf.clone(s.m[i]!) : tf.zerosLike(x))),
    v: vars.map((x, i) => (has ? tf.clone(s.v[i]!) : tf.zerosLike(x))),
  };
}

/** Writes run k's slice of the group's Adam state into a single-run optimiser, as loadCheckpoint would. */
function writeAdam(opt: tf.AdamOptimizer, vars: readonly tf.Variable[], run: RunAdam, m: tf.Tensor[], v: tf.Tensor[]): void {
  importAdamState(opt, { accBeta1: run.accBeta1, accBeta2: run.accBeta2, iterations: run.iterations, moments: { variables: vars, m, v } });
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
  // Equal in every member (fusionKey); the members' createGan already checked that it can train here.
  const precision = c0.precision ?? "fp32";
  const stats = new StepStatsSum(runs.length);
  /** Each run's seed of draw k in the step being taken. */
  const drawSeeds = (k: number) => runs.map((_, r) => stepSeed(seeds[r]!, steps[r]!, k));
  const nets: Adversaries<tf.Tensor3D> = {
    // Each run's noise as it would draw it alone: [K, batch, latent].
    noise: (batch) => tf.stack(drawSeeds(DRAW.noise).map((s) => seededNormal([batch, latent], s))) as tf.Tensor3D,
    generator: (z, draw) => gen.apply(z, true, drawSeeds(draw)),
    discriminator: (x, draw) => dis.apply(x, true, drawSeeds(draw)),
    generatorVariables: gen.variables,
    discriminatorVariables: dis.variables,
    updateGenerator: (grads) => genAdam.apply(grads),
    updateDiscriminator: (grads) => disAdam.apply(grads),
    batchMean: (x) => tf.mean(x, [1, 2]),
    gradNorm: (grads) => tf.sqrt(sumOfSquaresPerRun(grads)),
    total: (loss) => tf.sum(loss),
  };

  return {
    runs,
    trainStep(reals) {
      if (reals.shape[0] !== runs.length) throw new RangeError(`GanGroup.trainStep: ${reals.shape[0]} batches for ${runs.length} runs`);
      stats.add(() => withPrecision(precision, () => adversarialStep(nets, reals)));
      for (let k = 0; k < steps.length; k++) steps[k]!++;
    },
    takeStats() {
      return stats.take();
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
      stats.dispose();
      tf.dispose([...gen.variables, ...dis.variables]);
      genAdam.dispose();
      disAdam.dispose();
    },
  };
}
