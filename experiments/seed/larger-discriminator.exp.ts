import { experiment } from "@ganscope/dsl";

/**
 * Seed section "Uneven sizes - larger discriminator". The seed writes this
 * range as "`dis_layers = $\in [3, 5, 10]$`", half code and half LaTeX, where
 * other sections write `\in [...]`; both mean the same three values.
 */
export default experiment("seed-larger-discriminator")
  .describe(
    "Uneven sizes, larger discriminator (gen_layers 2, dis_layers ∈ [3, 5, 10]): “Generally, among the uneven models, it seems that models with larger discriminator were able to get better performance overall comparing to the models with larger generator”",
  )
  .fix({ gen_layers: 2, activation: "relu", gen_dropout: 0, dis_dropout: 0, gen_lr: 2e-4, dis_lr: 2e-4 })
  .vary("dis_layers", [3, 5, 10])
  .epochs(100);
