import { experiment } from "@ganscope/dsl";

/** Seed section "Greater generator learning rate": the mirror of seed-greater-dis-lr, dis_lr fixed at 2e-5. */
export default experiment("seed-greater-gen-lr")
  .describe(
    "Greater generator lr (gen_lr ∈ [1e-3, 1e-4, 4e-5], dis_lr 2e-5): “Among the different learning rates for both networks, having a larger learning rate in the generator worked better than the opposite setting”",
  )
  .fix({ gen_layers: 3, dis_layers: 3, activation: "relu", gen_dropout: 0, dis_dropout: 0, dis_lr: 0.00002 })
  .vary("gen_lr", [0.001, 0.0001, 0.00004])
  .epochs(100);
