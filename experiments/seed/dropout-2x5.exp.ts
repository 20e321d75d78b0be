import { experiment } from "@ganscope/dsl";

/** Seed section "Different dropout probability - uneven sizes (2, 5)": a 3 × 3 grid of dropout rates. */
export default experiment("seed-dropout-2x5")
  .describe(
    "Dropout at (2, 5), gen_dropout × dis_dropout ∈ [0, 0.3, 0.6]²: “Generally, dropout help architectures to converge, and may even reach lower loss. specifically, it seems that higher dropout probability helps to avoid \"mode collapse\".”",
  )
  .fix({ gen_layers: 2, dis_layers: 5, activation: "relu", gen_lr: 2e-4, dis_lr: 2e-4 })
  .vary("gen_dropout", [0, 0.3, 0.6])
  .vary("dis_dropout", [0, 0.3, 0.6])
  .epochs(100);
