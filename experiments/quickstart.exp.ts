import { experiment } from "@ganscope/dsl";

/**
 * A first look at ganscope: the seed report's "combined" networks (4, 4) with
 * dropout 0.3 on all 60,000 real MNIST digits, with its ELU against the ReLU
 * of the seed's baseline (the seed's finding 1, at these networks). The ELU
 * networks draw clean digits within these epochs (FID-lite ~51 at epoch 10
 * in the measurements of issue 25). Both runs train at once (one worker per
 * core): about three minutes on 2 CPU cores, the digit classifier's one-off
 * training included. Sample grids land in results/quickstart/<runId>/samples/,
 * real digits in their bottom row.
 */
export default experiment("quickstart")
  .describe("The seed's combined (4, 4) networks with dropout 0.3 on all 60,000 MNIST digits for 8 epochs: ELU against ReLU.")
  .fix({ gen_layers: 4, dis_layers: 4, gen_dropout: 0.3, dis_dropout: 0.3, sample_every: 2, eval_every: 4 })
  .vary("activation", ["elu", "relu"])
  .epochs(8);
