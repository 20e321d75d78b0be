import { experiment } from "@ganscope/dsl";

/**
 * A first look at ganscope: the seed report's baseline networks (3, 2) on all
 * 60,000 real MNIST digits for 10 epochs, with the ELU the seed found best
 * against the baseline's ReLU (its finding 1). At this budget the ELU runs
 * draw rough but readable digits (FID-lite ~72 over 10 seeds in
 * docs/seed-study.md) and the ReLU runs fainter ones (~130). Both runs train
 * at once (one worker per core): about three minutes on 2 CPU cores, the digit
 * classifier's one-off training included. Sample grids land in
 * results/quickstart/<runId>/samples/, real digits in their bottom row.
 */
export default experiment("quickstart")
  .describe("The seed's baseline (3, 2) networks on all 60,000 MNIST digits for 10 epochs: ELU against ReLU.")
  .fix({ sample_every: 2, eval_every: 5 })
  .vary("activation", ["elu", "relu"])
  .epochs(10);
