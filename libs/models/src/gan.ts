import * as tf from "@tensorflow/tfjs-core";
// tfjs-core registers no gradients; the tfjs package's Node bundle registers them all
// (tfjs-core's own register_all_gradients is ESM that Node cannot import).
import "@tensorflow/tfjs";
import { discriminatorSizes, generatorSizes, type RunConfig, type StepStatKey } from "@ganscope/dsl";
import { FusedAdamOptimizer } from "./fused-adam.js";
import { buildMlp, type Mlp } from "./mlp.js";
import { sumOfSquares } from "./tensorflow-ops.js";

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

export interface Gan {
  readonly config: RunConfig;
  readonly generator: Mlp;
  readonly discriminator: Mlp;
  readonly genOptimizer: tf.AdamOptimizer;
  readonly disOptimizer: tf.AdamOptimizer;
  /** Training steps taken so far (restored from checkpoints). */
  step: number;
  /**
   * One discriminator step then one generator step on a batch of real images
   * [batch, 784] in [-1, 1]. Statistics accumulate on the device and are read
   * by {@link Gan.takeStats}, so a step never waits for the host.
   */
  trainStep(real: tf.Tensor2D): void;
  /** Means since the last call, then resets the accumulator (one host sync). */
  takeStats(): Promise<StepStats>;
  /** Generator output for noise [n, latent_dim], in inference mode: [n, 784] in [-1, 1]. */
  generate(z: tf.Tensor2D): tf.Tensor2D;
  /** Discriminator probabilities for images [n, 784], inference mode: [n]. */
  discriminate(x: tf.Tensor2D): tf.Tensor1D;
  /** Seeded standard-normal noise [n, latent_dim]. */
  noise(n: number, seed: number): tf.Tensor2D;
  dispose(): void;
}

let instances = 0;

/** Numerically stable binary cross-entropy on logits: mean(softplus(-x)) for label 1, mean(softplus(x)) for 0. */
function bceWithLogits(logits: tf.Tensor, label: 0 | 1): tf.Scalar {
  return tf.mean(tf.softplus(label === 1 ? tf.neg(logits) : logits)) as tf.Scalar;
}

/**
 * Per-step seeds for noise and dropout: a function of (seed, step) only, so a
 * run resumed from a checkpoint — or trained in a fused group — draws exactly
 * what the uninterrupted run alone would.
 */
export function stepSeed(seed: number, step: number, k: number): number {
  return (seed * 1_000_003 + step * 7 + k) % 2 ** 31;
}

/**
 * Seeded standard-normal noise [n, latent], the one sampler of single runs and fused groups.
 * tfjs' Gaussian sampler reads its seed as `seed ? seed : Math.random()`, so seed 0 — the
 * default config's first step — drew fresh noise on every run and fresh runs differed.
 * alea("0") is what seed 0 means; every other seed is passed through unchanged.
 */
export function seededNormal(shape: [number, number], seed: number): tf.Tensor2D {
  return tf.randomNormal(shape, 0, 1, "float32", seed === 0 ? ("0" as unknown as number) : seed);
}

/** Gradients as the optimiser's list form, in the variables' order. */
function named(grads: tf.NamedTensorMap): { name: string; tensor: tf.Tensor }[] {
  return Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
}

function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.sqrt(sumOfSquares(Object.values(grads))) as tf.Scalar;
}

/**
 * Builds generator and discriminator from a resolved config.
 * Seeds are derived from `config.seed` so the same config trains identically.
 */
export function createGan(config: RunConfig, imageSize = 784): Gan {
  const id = `gan${instances++}`;
  const generator = buildMlp({
    sizes: generatorSizes(config, imageSize),
    activation: config.activation,
    leakySlope: config.leaky_slope,
    dropout: config.gen_dropout,
    seed: config.seed * 2 + 1,
    name: `${id}/gen`,
  });
  const discriminator = buildMlp({
    sizes: discriminatorSizes(config, imageSize),
    activation: config.activation,
    leakySlope: config.leaky_slope,
    dropout: config.dis_dropout,
    seed: config.seed * 2 + 2,
    name: `${id}/dis`,
  });
  const genOptimizer = new FusedAdamOptimizer(config.gen_lr, config.beta1, config.beta2, 1e-8);
  const disOptimizer = new FusedAdamOptimizer(config.dis_lr, config.beta1, config.beta2, 1e-8);
  let acc: tf.Tensor1D | null = null;
  let accSteps = 0;


  const gan: Gan = {
    config,
    generator,
    discriminator,
    genOptimizer,
    disOptimizer,
    step: 0,
    noise(n, seed) {
      return seededNormal([n, config.latent_dim], seed);
    },
    trainStep(real) {
      const s = gan.step;
      const stats = tf.tidy(() => {
        const batch = real.shape[0];
        const z = gan.noise(batch, stepSeed(config.seed, s, 0));
        // [batch, 784]; no gradient flows into G during the D step.
        const fake = tf.tanh(generator.apply(z, true, stepSeed(config.seed, s, 1)));

        // Discriminator step: real → 1, fake → 0.
        let dReal!: tf.Tensor;
        let dFake!: tf.Tensor;
        const d = tf.variableGrads(() => {
          const realLogits = discriminator.apply(real, true, stepSeed(config.seed, s, 2));
          const fakeLogits = discriminator.apply(fake, true, stepSeed(config.seed, s, 3));
          dReal = tf.keep(tf.mean(tf.sigmoid(realLogits)));
          dFake = tf.keep(tf.mean(tf.sigmoid(fakeLogits)));
          return tf.add(bceWithLogits(realLogits, 1), bceWithLogits(fakeLogits, 0));
        }, discriminator.variables as tf.Variable[]);
        const dNorm = globalNorm(d.grads);
        disOptimizer.applyGradients(named(d.grads));

        // Generator step, non-saturating loss: maximise log D(G(z)) on the same z.
        const g = tf.variableGrads(() => {
          const logits = discriminator.apply(tf.tanh(generator.apply(z, true, stepSeed(config.seed, s, 4))), true, stepSeed(config.seed, s, 5));
          return bceWithLogits(logits, 1);
        }, generator.variables as tf.Variable[]);
        const gNorm = globalNorm(g.grads);
        genOptimizer.applyGradients(named(g.grads));

        const row = tf.stack([d.value, g.value, dReal, dFake, dNorm, gNorm]) as tf.Tensor1D;
        tf.dispose([dReal, dFake]);
        return acc === null ? row : tf.add(acc, row);
      });
      acc?.dispose();
      acc = stats as tf.Tensor1D;
      accSteps++;
      gan.step++;
    },
    async takeStats() {
      const values = acc ? await acc.data() : new Float32Array(STAT_KEYS.length);
      const steps = accSteps;
      acc?.dispose();
      acc = null;
      accSteps = 0;
      const out = { steps } as StepStats;
      STAT_KEYS.forEach((k, i) => (out[k] = steps > 0 ? values[i]! / steps : NaN));
      return out;
    },
    generate(z) {
      return tf.tidy(() => tf.tanh(generator.apply(z, false)));
    },
    discriminate(x) {
      return tf.tidy(() => tf.reshape(tf.sigmoid(discriminator.apply(x, false)), [-1]));
    },
    dispose() {
      acc?.dispose();
      acc = null;
      tf.dispose([...generator.variables, ...discriminator.variables]);
      genOptimizer.dispose();
      disOptimizer.dispose();
    },
  };
  return gan;
}
