import * as tf from "@tensorflow/tfjs-core";
// tfjs-core registers no gradients; the tfjs package's Node bundle registers them all
// (tfjs-core's own register_all_gradients is ESM that Node cannot import).
import "@tensorflow/tfjs";
import { discriminatorSizes, generatorSizes, type RunConfig } from "@ganscope/dsl";
import { FusedAdamOptimizer } from "./fused-adam.js";
import { adversarialStep, DRAW, seededNormal, stepSeed, StepStatsSum, type Adversaries, type StepStats } from "./gan-step.js";
import { buildMlp, type Mlp } from "./mlp.js";
import { assertPrecision, withPrecision } from "./precision.js";
import { sumOfSquares } from "./tensorflow-ops.js";

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

/** The optimiser's list form of gradients in the variables' order. */
function named(variables: readonly tf.Variable[], grads: readonly tf.Tensor[]): { name: string; tensor: tf.Tensor }[] {
  return variables.map((x, i) => ({ name: x.name, tensor: grads[i]! }));
}

/**
 * Builds generator and discriminator from a resolved config.
 * Seeds are derived from `config.seed` so the same config trains identically.
 */
export function createGan(config: RunConfig, imageSize = 784): Gan {
  const precision = config.precision ?? "fp32";
  // Before any weight exists: a bf16 run this backend or CPU cannot train is refused, never trained as fp32.
  assertPrecision(precision);
  const id = `gan${instances++}`;
  const mlp = (part: "gen" | "dis", sizes: number[], dropout: number, seed: number) =>
    buildMlp({ sizes, activation: config.activation, leakySlope: config.leaky_slope, dropout, seed, name: `${id}/${part}` });
  const generator = mlp("gen", generatorSizes(config, imageSize), config.gen_dropout, config.seed * 2 + 1);
  const discriminator = mlp("dis", discriminatorSizes(config, imageSize), config.dis_dropout, config.seed * 2 + 2);
  const genOptimizer = new FusedAdamOptimizer(config.gen_lr, config.beta1, config.beta2, 1e-8);
  const disOptimizer = new FusedAdamOptimizer(config.dis_lr, config.beta1, config.beta2, 1e-8);
  const stats = new StepStatsSum(1);
  /** The seed of draw k in the step being taken (gan.step). */
  const drawSeed = (k: number) => stepSeed(config.seed, gan.step, k);
  const nets: Adversaries<tf.Tensor2D> = {
    noise: (batch) => gan.noise(batch, drawSeed(DRAW.noise)),
    // [batch, latent] → [batch, 784]
    generator: (z, draw) => generator.apply(z, true, drawSeed(draw)),
    // [batch, 784] → [batch, 1]
    discriminator: (x, draw) => discriminator.apply(x, true, drawSeed(draw)),
    generatorVariables: generator.variables,
    discriminatorVariables: discriminator.variables,
    updateGenerator: (grads) => genOptimizer.applyGradients(named(generator.variables, grads)),
    updateDiscriminator: (grads) => disOptimizer.applyGradients(named(discriminator.variables, grads)),
    batchMean: (x) => tf.mean(x),
    gradNorm: (grads) => tf.sqrt(sumOfSquares(grads)),
    total: (loss) => loss as tf.Scalar,
  };

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
      stats.add(() => withPrecision(precision, () => adversarialStep(nets, real)));
      gan.step++;
    },
    async takeStats() {
      return (await stats.take())[0]!;
    },
    generate(z) {
      return tf.tidy(() => tf.tanh(generator.apply(z, false)));
    },
    discriminate(x) {
      return tf.tidy(() => tf.reshape(tf.sigmoid(discriminator.apply(x, false)), [-1]));
    },
    dispose() {
      stats.dispose();
      tf.dispose([...generator.variables, ...discriminator.variables]);
      genOptimizer.dispose();
      disOptimizer.dispose();
    },
  };
  return gan;
}
