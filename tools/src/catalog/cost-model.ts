/**
 * How long a training step takes for a given config, relative to a measured
 * one. A step of this MLP GAN is dominated by dense matrix products whose
 * cost is batch × parameters, so the model is a FLOP count:
 *
 *   cost(config) = batch × (4·P_G + 8·P_D) + 10·(P_G + P_D)
 *
 * where P_G, P_D are the generator's and discriminator's parameter counts
 * (from the same layer-size rule the models use: `generatorSizes`,
 * `discriminatorSizes`). The factors count passes per step in
 * libs/models' trainStep, a backward pass costing about two forward passes:
 *   - generator: forward for the D step (1), forward + backward for the G step (1 + 2) → 4
 *   - discriminator: real and fake forward + backward in the D step (2 × 3), and
 *     forward + input-gradient backward inside the G step (1 + 1) → 8
 *   - Adam: about 10 element-wise operations per parameter per step, per network.
 * Activations, dropout and the loss are element-wise over hidden units and
 * are left out (≤ a few % here); so is per-kernel dispatch overhead, which
 * makes tiny networks relatively slower than this model says.
 *
 * seconds_per_step(config) = measured_seconds_per_step × cost(config) / cost(measured config)
 *
 * Checked once against measurement (wasm, one worker, 30 steps each, back to
 * back, load average 10–14 on 2 cores): (3, 2) 0.382 s/step; (5, 5)
 * 2.39 s/step = 6.3× (model 7.8×); (10, 10) 9.76 s/step = 25.5× (model 24.2×).
 * Load noise between separate measurements was larger (0.27 vs 0.38 s/step
 * for the same baseline), so read estimates as ±50%.
 */
import { discriminatorSizes, generatorSizes, type RunConfig } from "@ganscope/dsl";

/** MNIST and Fashion-MNIST images are 28 × 28. */
export const IMAGE_SIZE = 28 * 28;

/** Weights and biases of a dense stack with these layer sizes. */
export function denseParameters(sizes: readonly number[]): number {
  let total = 0;
  for (let i = 1; i < sizes.length; i++) total += sizes[i - 1]! * sizes[i]! + sizes[i]!;
  return total;
}

export interface StepCost {
  readonly generatorParams: number;
  readonly discriminatorParams: number;
  /** Multiply-adds per training step, in the model above. */
  readonly flops: number;
}

export function stepCost(config: RunConfig, imageSize = IMAGE_SIZE): StepCost {
  const g = denseParameters(generatorSizes(config, imageSize));
  const d = denseParameters(discriminatorSizes(config, imageSize));
  return { generatorParams: g, discriminatorParams: d, flops: config.batch_size * (4 * g + 8 * d) + 10 * (g + d) };
}

/** Seconds per step for `config`, scaled from a step measured on `measured`. */
export function secondsPerStep(config: RunConfig, measured: { readonly config: RunConfig; readonly secondsPerStep: number }): number {
  return (measured.secondsPerStep * stepCost(config).flops) / stepCost(measured.config).flops;
}
