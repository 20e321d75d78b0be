import { experiment } from "@ganscope/dsl";

/** Seed section "Different dropout probability - even sizes (3, 3)": a 4 × 4 grid of dropout rates. */
export default experiment("seed-dropout-3x3")
  .describe(
    "Dropout at (3, 3), gen_dropout × dis_dropout ∈ [0, 0.3, 0.6, 0.9]²: “Generally, dropout help architectures to converge, and may even reach lower loss. specifically, it seems that higher dropout probability helps to avoid \"mode collapse\".”",
  )
  .fix({ gen_layers: 3, dis_layers: 3, activation: "relu", gen_lr: 2e-4, dis_lr: 2e-4 })
  .vary("gen_dropout", [0, 0.3, 0.6, 0.9])
  .vary("dis_dropout", [0, 0.3, 0.6, 0.9])
  .epochs(100);
