import { experiment } from "@ganscope/dsl";

/** The seed report's "basic experiment for comparison", with every default at the seed's baseline. */
export default experiment("seed-baseline")
  .describe("Basic experiment for comparison: gen_layers 3, dis_layers 2, ReLU, no dropout, lr 2e-4 for both, 100 epochs.")
  .fix({ gen_layers: 3, dis_layers: 2, activation: "relu", gen_dropout: 0, dis_dropout: 0, gen_lr: 2e-4, dis_lr: 2e-4 })
  .epochs(100);
