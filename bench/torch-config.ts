import { discriminatorSizes, generatorSizes, type RunConfig } from "@ganscope/dsl";

const IMAGE_SIZE = 784;

/**
 * What bench/torch_reference.py needs of a RunConfig to build the same
 * networks and train them as ganscope does, with the layer sizes from
 * ganscope's own rule (generatorSizes/discriminatorSizes), so the PyTorch
 * reference cannot drift from the config it is compared with.
 */
export function torchConfig(cfg: RunConfig) {
  return {
    gen_sizes: generatorSizes(cfg, IMAGE_SIZE),
    dis_sizes: discriminatorSizes(cfg, IMAGE_SIZE),
    activation: cfg.activation,
    leaky_slope: cfg.leaky_slope,
    gen_dropout: cfg.gen_dropout,
    dis_dropout: cfg.dis_dropout,
    gen_lr: cfg.gen_lr,
    dis_lr: cfg.dis_lr,
    beta1: cfg.beta1,
    beta2: cfg.beta2,
    batch_size: cfg.batch_size,
    limit: cfg.limit,
    epochs: cfg.epochs,
    seed: cfg.seed,
  };
}
