import { experiment } from "@ganscope/dsl";

/** Seed section "Activation functions with larger networks": depths (7, 5), every activation. */
export default experiment("seed-activations-large")
  .describe(
    "Activation functions with larger networks (gen_layers 7, dis_layers 5): “These runs failed as the discriminators' loss quickly approached zero, giving very small gradients to the generator and thus not letting the generator improve (vanishing gradient problem).”",
  )
  .fix({ gen_layers: 7, dis_layers: 5, gen_dropout: 0, dis_dropout: 0, gen_lr: 2e-4, dis_lr: 2e-4 })
  .vary("activation", ["relu", "leaky_relu", "elu", "gelu", "relu6"])
  .epochs(100);
