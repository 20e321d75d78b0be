/**
 * The one place where ganscope's hyperparameters, their defaults and every
 * assumption the seed report leaves open are decided. Each default says why.
 */

/** Activation functions the seed report compares, with its spelling. */
export const ACTIVATIONS = ["relu", "leaky_relu", "elu", "gelu", "relu6"] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * Arithmetic of a run's matrix products. `bf16` rounds both operands and the
 * product to bfloat16 (oneDNN's bf16 kernels, on CPUs with AVX-512-BF16 or
 * AMX): ~1.5× faster steps at the study's larger shapes, a different
 * trajectory. Everything else (activations, losses, Adam) stays float32.
 */
export const PRECISIONS = ["fp32", "bf16"] as const;
export type Precision = (typeof PRECISIONS)[number];

/** Built-in datasets; any other IDX folder is addressed as `idx:<path>`. */
export const BUILTIN_DATASETS = ["mnist", "fashion-mnist"] as const;
export type BuiltinDataset = (typeof BUILTIN_DATASETS)[number];
export type DatasetId = BuiltinDataset | `idx:${string}`;

/**
 * Everything that decides what a run trains. All of it is hashed into the run
 * id, so two experiments that resolve to the same config share one run.
 */
export interface HyperParams {
  /** Number of linear layers in the generator (seed: `gen_layers`). */
  gen_layers: number;
  /** Number of linear layers in the discriminator (seed: `dis_layers`). */
  dis_layers: number;
  /** Activation after every hidden linear layer of both networks. */
  activation: Activation;
  /** Dropout probability after every hidden activation of the generator, in [0, 1). */
  gen_dropout: number;
  /** Dropout probability after every hidden activation of the discriminator, in [0, 1). */
  dis_dropout: number;
  /** Adam learning rate of the generator. */
  gen_lr: number;
  /** Adam learning rate of the discriminator. */
  dis_lr: number;
  /** Passes over the training images. */
  epochs: number;
  /** Images per step for both networks. */
  batch_size: number;
  /** Seeds weights, noise, dropout masks and shuffling. */
  seed: number;
  /** Training images used: 0 = the whole training split, n = its first n images. */
  limit: number;
  /** Length of the generator's noise vector. */
  latent_dim: number;
  /** Width of the generator's first hidden layer; later ones double (see {@link hiddenWidths}). */
  gen_width: number;
  /** Width of the discriminator's last hidden layer; earlier ones double. */
  dis_width: number;
  /** Cap on any hidden width, so deep networks (20 layers) stay trainable on a CPU. */
  max_width: number;
  /** Negative slope of `leaky_relu`. */
  leaky_slope: number;
  /** Adam β₁ for both networks. */
  beta1: number;
  /** Adam β₂ for both networks. */
  beta2: number;
  /** Write a sample grid every this many epochs (and always after the last). */
  sample_every: number;
  /** Compute evaluation metrics every this many epochs (and always after the last). */
  eval_every: number;
}

/** A fully resolved run configuration: hyperparameters plus the dataset they train on. */
export interface RunConfig extends HyperParams {
  dataset: DatasetId;
  /**
   * Arithmetic of the products ({@link PRECISIONS}); absent means `fp32`.
   * Optional, and left out of the hash when `fp32`, so that every config
   * written before it existed keeps its run id.
   */
  precision?: Precision;
}

export type ParamKey = keyof RunConfig;

/**
 * Defaults: the seed report's baseline, plus what it leaves open.
 */
export const DEFAULTS: Readonly<RunConfig> = Object.freeze({
  // The seed's "basic experiment for comparison".
  gen_layers: 3,
  dis_layers: 2,
  activation: "relu",
  gen_dropout: 0,
  dis_dropout: 0,
  gen_lr: 2e-4,
  dis_lr: 2e-4,
  epochs: 100,
  // Why 128: the seed's W&B step counter reads 46440 at epoch 99, and
  // 99 × ceil(60000 / 128) = 99 × 469 = 46431 — the only common batch size
  // that lands within one epoch of it (64 gives 938 steps/epoch, 256 gives 235).
  batch_size: 128,
  seed: 0,
  limit: 0,
  dataset: "mnist",
  // The seed states "noise vectors of size (batch_size, 100)".
  latent_dim: 100,
  // The seed gives no widths. We use the classic MLP-GAN funnel
  // (G 100→256→512→1024→784, D mirrored), so the baseline (3, 2) is
  // G 100→256→512→784 and D 784→256→1; capped at 1024 so that the seed's
  // 20-layer networks have ~20M parameters, not 2^20-wide layers.
  gen_width: 256,
  dis_width: 256,
  max_width: 1024,
  // 0.2 is the slope GAN practice uses (DCGAN); PyTorch's 0.01 default is
  // barely distinguishable from ReLU, which would make the seed's comparison moot.
  leaky_slope: 0.2,
  // The seed's lr 2e-4 is DCGAN's; DCGAN pairs it with β₁ = 0.5 because
  // β₁ = 0.9 oscillates in adversarial training.
  beta1: 0.5,
  beta2: 0.999,
  // Sample grids every 5 epochs give the seed's 100-epoch runs 20 frames to step through.
  sample_every: 5,
  eval_every: 5,
});

/** Keys whose values must be positive integers. */
export const INTEGER_KEYS = [
  "gen_layers",
  "dis_layers",
  "epochs",
  "batch_size",
  "latent_dim",
  "gen_width",
  "dis_width",
  "max_width",
  "sample_every",
  "eval_every",
] as const satisfies readonly ParamKey[];

/**
 * Hidden layer widths of a network with `layers` linear layers: `layers - 1`
 * hidden layers, doubling from `base` and capped at `max`.
 * The generator uses them in this order (widening towards the image), the
 * discriminator reversed (narrowing towards its logit).
 */
export function hiddenWidths(layers: number, base: number, max: number): number[] {
  return Array.from({ length: Math.max(0, layers - 1) }, (_, i) => Math.min(base * 2 ** i, max));
}

/** Layer sizes of the generator, input to output: latent → hidden… → 784. */
export function generatorSizes(cfg: RunConfig, imageSize: number): number[] {
  return [cfg.latent_dim, ...hiddenWidths(cfg.gen_layers, cfg.gen_width, cfg.max_width), imageSize];
}

/** Layer sizes of the discriminator, input to output: 784 → hidden… → 1. */
export function discriminatorSizes(cfg: RunConfig, imageSize: number): number[] {
  return [imageSize, ...hiddenWidths(cfg.dis_layers, cfg.dis_width, cfg.max_width).reverse(), 1];
}

/** Every key every {@link RunConfig} has, in the order of {@link DEFAULTS}, for code that walks configs at runtime. */
export const PARAM_KEYS: readonly ParamKey[] = Object.freeze(Object.keys(DEFAULTS) as ParamKey[]);

/** Keys a config may leave out, each meaning its default when absent (precision: fp32). */
export const OPTIONAL_PARAM_KEYS = ["precision"] as const satisfies readonly ParamKey[];
