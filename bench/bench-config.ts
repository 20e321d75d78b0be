import { DEFAULTS, type RunConfig } from "@ganscope/dsl";

/** The model: G 100-256-512-784, D 784-512-256-1, batch 64. */
export const BENCH_CONFIG: RunConfig = { ...DEFAULTS, gen_layers: 3, dis_layers: 3, batch_size: 64, seed: 1 };
