import { experiment } from "@ganscope/dsl";

/**
 * Seed section "Different dropout probability - uneven sizes (5, 2)": the
 * (5, 2) model that mode-collapsed without dropout, so this grid asks whether
 * dropout cures that collapse.
 */
export default experiment("seed-dropout-5x2")
  .describe(
    "Dropout at (5, 2), gen_dropout × dis_dropout ∈ [0, 0.3, 0.6]²: “specifically, it seems that higher dropout probability helps to avoid \"mode collapse\".”",
  )
  .fix({ gen_layers: 5, dis_layers: 2, activation: "relu", gen_lr: 2e-4, dis_lr: 2e-4 })
  .vary("gen_dropout", [0, 0.3, 0.6])
  .vary("dis_dropout", [0, 0.3, 0.6])
  .epochs(100);
