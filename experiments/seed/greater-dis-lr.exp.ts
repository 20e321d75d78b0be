import { experiment } from "@ganscope/dsl";

/** Seed section "Greater discriminator learning rate": gen_lr fixed at 2e-5 (0.00002), every dis_lr above it. */
export default experiment("seed-greater-dis-lr")
  .describe(
    "Greater discriminator lr (gen_lr 2e-5, dis_lr ∈ [1e-3, 1e-4, 4e-5]): “Generally, different learning rates for the discriminator and the generator performed worse than the same learning rate for both networks (unlike common practice, see TTUR).”",
  )
  .fix({ gen_layers: 3, dis_layers: 3, activation: "relu", gen_dropout: 0, dis_dropout: 0, gen_lr: 0.00002 })
  .vary("dis_lr", [0.001, 0.0001, 0.00004])
  .epochs(100);
