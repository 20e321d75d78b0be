import { experiment } from "@ganscope/dsl";

/**
 * The sweep whose recorded curves the pruning replay (bench/replay-pruning.ts)
 * judges: 12 runs of the seed's learning-rate grid at (3, 3), gen_lr ∈
 * [1e-3, 1e-4, 2e-4] × dis_lr ∈ [1e-3, 1e-4, 2e-4, 1e-5] (the seed's gen_lr
 * 1e-5 row left out to fit a shared machine's afternoon), at a budget this machine trains in well under an
 * hour (10,000 training images, 30 epochs, evaluations every 2 epochs). No
 * run is stopped while it trains, so the replay sees every curve to its end.
 */
export default experiment("replay-same-lr")
  .describe("Seed same-lr grid at (3, 3) less its gen_lr 1e-5 row, 10k images × 30 epochs, trained to the end for the pruning replay")
  .fix({ gen_layers: 3, dis_layers: 3, activation: "relu", limit: 10_000, eval_every: 2, sample_every: 2 })
  .vary("gen_lr", [0.001, 0.0001, 0.0002])
  .vary("dis_lr", [0.001, 0.0001, 0.0002, 0.00001])
  .epochs(30)
  .stopWhen(false);
