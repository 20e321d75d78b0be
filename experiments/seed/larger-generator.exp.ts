import { experiment } from "@ganscope/dsl";

/**
 * Seed section "Uneven sizes - larger generator": gen_layers ∈ [3, 4, 5, 10],
 * dis_layers = 2. Its discussion then credits "a model with larger
 * discriminator (5, 2)" with mode collapse, but (5, 2) in the seed's
 * (gen, dis) order is a larger *generator*, and it is one of this section's
 * runs. We follow the section's title and configuration; the text's
 * "larger discriminator" reads as a slip. Note (3, 2) is the baseline: it
 * shares its run id with seed-baseline and is trained once.
 */
export default experiment("seed-larger-generator")
  .describe(
    "Uneven sizes, larger generator (gen_layers ∈ [3, 4, 5, 10], dis_layers 2): “Again, too large models weren't able to converge. A model with larger discriminator (5, 2) got high quality results, but was mostly able to generate a single digit (1), a problem named \"mode collapse\".”",
  )
  .fix({ dis_layers: 2, activation: "relu", gen_dropout: 0, dis_dropout: 0, gen_lr: 2e-4, dis_lr: 2e-4 })
  .vary("gen_layers", [3, 4, 5, 10])
  .epochs(100);
