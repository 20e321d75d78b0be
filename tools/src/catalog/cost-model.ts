/**
 * Parameter counts of a run's networks, for the catalog's "parameters"
 * column. (Time is not modelled here any more: a FLOP model scaled from one
 * wasm measurement was 20× off on the native backend, whose small networks
 * are dominated by per-op dispatch. The catalog uses measured step times per
 * network shape instead, see catalog.ts.)
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

export interface NetworkParameters {
  readonly generatorParams: number;
  readonly discriminatorParams: number;
}

export function networkParameters(config: RunConfig, imageSize = IMAGE_SIZE): NetworkParameters {
  return { generatorParams: denseParameters(generatorSizes(config, imageSize)), discriminatorParams: denseParameters(discriminatorSizes(config, imageSize)) };
}
