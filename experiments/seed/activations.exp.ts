import { experiment } from "@ganscope/dsl";

/** Seed section "Activation functions": the baseline depths (3, 2) with every activation the seed lists. */
export default experiment("seed-activations")
  .describe(
    "Activation functions (gen_layers 3, dis_layers 2): “Based on our samples, ELU seems to have the best results, and GELU and Leaky ReLU also performed well. The worst performance was from ReLU.”",
  )
  .fix({ gen_layers: 3, dis_layers: 2, gen_dropout: 0, dis_dropout: 0, gen_lr: 2e-4, dis_lr: 2e-4 })
  // The seed's "every option", spelled out as its list `[relu, leaky_relu, elu, gelu, relu6]`
  // so the plan reads the same statically as it runs.
  .vary("activation", ["relu", "leaky_relu", "elu", "gelu", "relu6"])
  .epochs(100);
