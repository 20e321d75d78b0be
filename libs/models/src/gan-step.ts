import * as tf from "@tensorflow/tfjs-core";
import type { StepStatKey } from "@ganscope/dsl";
import { normalSeed } from "./tfjs-internals.js";

/**
 * One GAN training step and its objective, written once for a single run
 * (gan.ts: tensors [batch, …], a loss is a scalar) and for a fused group of
 * K runs (gan-group.ts: stacked [K, batch, …], a loss is [K]). Both train
 * the same numbers: a run in a group gets, bit for bit, what it gets alone
 * (gan-group.test.ts).
 */

/**
 * Per-epoch means of what one training step measures (the record schema's
 * `train_step` keys: d_loss, g_loss, d_real, d_fake, d_grad_norm,
 * g_grad_norm), and the steps the means are over.
 */
export type StepStats = { [K in StepStatKey]: number } & { steps: number };

/**
 * The row a training step stacks, in its order. The order is the tensor's
 * layout, so it is spelled out here; the types hold it to the record schema
 * (no key it lacks, none of its step stats missing).
 */
export const STAT_KEYS = ["d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"] as const satisfies readonly StepStatKey[];
const statKeysCoverSchema: Exclude<StepStatKey, (typeof STAT_KEYS)[number]> extends never ? true : false = true;
void statKeysCoverSchema;

/** The random draws of one step, each seeded by {@link stepSeed} with its own k. */
export const DRAW = {
  /** The noise z, shared by both halves of the step. */
  noise: 0,
  /** Generator dropout for the fakes the discriminator sees. */
  fakeForD: 1,
  /** Discriminator dropout on the real batch. */
  dOnReal: 2,
  /** Discriminator dropout on the fakes. */
  dOnFake: 3,
  /** Generator dropout for the generator's own step. */
  fakeForG: 4,
  /** Discriminator dropout in the generator's step. */
  dInGStep: 5,
} as const;

/**
 * Per-step seeds for noise and dropout: a function of (seed, step) only, so a
 * run resumed from a checkpoint — or trained in a fused group — draws exactly
 * what the uninterrupted run alone would.
 */
export function stepSeed(seed: number, step: number, k: number): number {
  return (seed * 1_000_003 + step * 7 + k) % 2 ** 31;
}

/** Seeded standard-normal noise [n, latent], the one sampler of single runs and fused groups. */
export function seededNormal(shape: [number, number], seed: number): tf.Tensor2D {
  return tf.randomNormal(shape, 0, 1, "float32", normalSeed(seed));
}

/**
 * What a step needs of the networks it trains, one run's or a fused group's.
 * `draw` is one of {@link DRAW}: each implementation seeds it from its
 * runs' (seed, step).
 */
export interface Adversaries<X extends tf.Tensor> {
  /** Standard-normal noise for a batch of `batch` (draw {@link DRAW.noise}). */
  noise(batch: number): X;
  /** The generator's output before tanh, training mode. */
  generator(z: X, draw: number): X;
  /** The discriminator's logits, training mode. */
  discriminator(x: X, draw: number): X;
  readonly generatorVariables: readonly tf.Variable[];
  readonly discriminatorVariables: readonly tf.Variable[];
  /** One optimiser update, gradients in the variables' order. */
  updateGenerator(grads: tf.Tensor[]): void;
  updateDiscriminator(grads: tf.Tensor[]): void;
  /** Each run's mean over its batch: [batch, 1] → [], or [K, batch, 1] → [K]. */
  batchMean(x: tf.Tensor): tf.Tensor;
  /** Each run's global gradient norm: [] or [K]. */
  gradNorm(grads: readonly tf.Tensor[]): tf.Tensor;
  /**
   * The scalar differentiated: a run's loss itself, or a group's sum over its
   * runs (each run's loss then gets gradient 1, as it would alone, and runs
   * share no weights).
   */
  total(loss: tf.Tensor): tf.Scalar;
}

/** How the objective reduces over a batch (an {@link Adversaries}' batchMean). */
type BatchMean = Pick<Adversaries<tf.Tensor>, "batchMean">;

/** Numerically stable binary cross-entropy on logits, each run's mean: softplus(-x) for label 1, softplus(x) for 0. */
function bceWithLogits(nets: BatchMean, logits: tf.Tensor, label: 0 | 1): tf.Tensor {
  return nets.batchMean(tf.softplus(label === 1 ? tf.neg(logits) : logits));
}

/** The discriminator's objective: real → 1, fake → 0. */
function discriminatorLoss(nets: BatchMean, realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Tensor {
  return tf.add(bceWithLogits(nets, realLogits, 1), bceWithLogits(nets, fakeLogits, 0));
}

/** The generator's objective, non-saturating: maximise log D(G(z)). */
function generatorLoss(nets: BatchMean, fakeLogits: tf.Tensor): tf.Tensor {
  return bceWithLogits(nets, fakeLogits, 1);
}

/**
 * One discriminator step then one generator step on a batch of real images
 * in [-1, 1] ([batch, pixels], or [K, batch, pixels]). Returns each run's
 * row of {@link STAT_KEYS}: [6], or [K, 6]. Call it inside tf.tidy.
 */
export function adversarialStep<X extends tf.Tensor>(nets: Adversaries<X>, real: X): tf.Tensor {
  const z = nets.noise(real.shape[real.rank - 2]!);
  // No gradient flows into G during the D step.
  const fake = tf.tanh(nets.generator(z, DRAW.fakeForD));

  let dReal!: tf.Tensor;
  let dFake!: tf.Tensor;
  let dLoss!: tf.Tensor;
  const d = tf.variableGrads(() => {
    const realLogits = nets.discriminator(real, DRAW.dOnReal);
    const fakeLogits = nets.discriminator(fake, DRAW.dOnFake);
    dReal = tf.keep(nets.batchMean(tf.sigmoid(realLogits)));
    dFake = tf.keep(nets.batchMean(tf.sigmoid(fakeLogits)));
    dLoss = tf.keep(discriminatorLoss(nets, realLogits, fakeLogits));
    return nets.total(dLoss);
  }, nets.discriminatorVariables as tf.Variable[]);
  const dGrads = nets.discriminatorVariables.map((x) => d.grads[x.name]!);
  const dNorm = nets.gradNorm(dGrads);
  nets.updateDiscriminator(dGrads);

  // On the same z.
  let gLoss!: tf.Tensor;
  const g = tf.variableGrads(() => {
    const logits = nets.discriminator(tf.tanh(nets.generator(z, DRAW.fakeForG)), DRAW.dInGStep);
    gLoss = tf.keep(generatorLoss(nets, logits));
    return nets.total(gLoss);
  }, nets.generatorVariables as tf.Variable[]);
  const gGrads = nets.generatorVariables.map((x) => g.grads[x.name]!);
  const gNorm = nets.gradNorm(gGrads);
  nets.updateGenerator(gGrads);

  const rows = tf.stack([dLoss, gLoss, dReal, dFake, dNorm, gNorm], dLoss.rank);
  tf.dispose([dReal, dFake, dLoss, gLoss]);
  return rows;
}

/**
 * Sums each run's step rows on the device, so that a step never waits for
 * the host; {@link StepStatsSum.take} reads them once per epoch.
 */
export class StepStatsSum {
  private sum: tf.Tensor | null = null;
  private steps = 0;

  /** @param runs how many runs the rows are for (1 for a single run's [6]) */
  constructor(private readonly runs: number) {}

  /** Adds the rows a step returns ({@link adversarialStep}, run inside this call's tidy). */
  add(step: () => tf.Tensor): void {
    const sum = tf.tidy(() => {
      const rows = step();
      return this.sum === null ? rows : tf.add(this.sum, rows);
    });
    this.sum?.dispose();
    this.sum = sum;
    this.steps++;
  }

  /** Each run's means since the last call, in run order, then starts again (one host sync). */
  async take(): Promise<StepStats[]> {
    const values = this.sum ? await this.sum.data() : new Float32Array(this.runs * STAT_KEYS.length);
    const n = this.steps;
    this.dispose();
    return Array.from({ length: this.runs }, (_, k) => {
      const out = { steps: n } as StepStats;
      STAT_KEYS.forEach((key, i) => (out[key] = n > 0 ? values[k * STAT_KEYS.length + i]! / n : NaN));
      return out;
    });
  }

  dispose(): void {
    this.sum?.dispose();
    this.sum = null;
    this.steps = 0;
  }
}
