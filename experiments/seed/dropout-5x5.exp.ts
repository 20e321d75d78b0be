import { experiment } from "@ganscope/dsl";

/**
 * Seed section "Different dropout probability - even sizes (5, 5)". The
 * seed's configuration line for this section repeats the (3, 3) section's
 * `gen_layers = 3, dis_layers = 3` word for word (a copy-paste slip: run as
 * written it would duplicate seed-dropout-3x3 exactly). We follow the title
 * and train depths (5, 5) with the same dropout grid.
 */
export default experiment("seed-dropout-5x5")
  .describe(
    "Dropout at (5, 5), gen_dropout × dis_dropout ∈ [0, 0.3, 0.6, 0.9]²: “Generally, dropout help architectures to converge, and may even reach lower loss.” and “Regarding the quality of the generated data, higher dropout seems to produce lower quality results.”",
  )
  .fix({ gen_layers: 5, dis_layers: 5, activation: "relu", gen_lr: 2e-4, dis_lr: 2e-4 })
  .vary("gen_dropout", [0, 0.3, 0.6, 0.9])
  .vary("dis_dropout", [0, 0.3, 0.6, 0.9])
  .epochs(100);
