import { experiment } from "@ganscope/dsl";

/**
 * A first look at ganscope: the seed's baseline networks on 10,000 real MNIST
 * digits, with two learning rates side by side. Both runs train at once (one
 * worker per core); expect a few minutes on 2 CPU cores. Sample grids land in
 * results/quickstart/<runId>/samples/, real digits in their bottom row.
 */
export default experiment("quickstart")
  .describe("Baseline MLP GAN on 10,000 MNIST digits: the seed’s lr 2e-4 against a 5× larger generator lr over 20 epochs.")
  .fix({ limit: 10_000, batch_size: 64, sample_every: 2 })
  .vary("gen_lr", [2e-4, 1e-3])
  .epochs(20);
