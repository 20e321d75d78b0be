import { experiment } from "@ganscope/dsl";

/**
 * Seed section "Other network sizes — Even sizes". The seed lists both depths
 * as ranges, gen_layers ∈ [3, 5, 10, 20] and dis_layers ∈ [3, 5, 10, 20], and
 * its dropout and learning-rate sections use the same notation for a full
 * grid, so this is the 4 × 4 grid (16 runs). The title's "even" pairs (3, 3),
 * (5, 5), (10, 10), (20, 20) are its diagonal; the off-diagonal runs are the
 * uneven models the seed compares them with right after.
 */
export default experiment("seed-even-sizes")
  .describe(
    "Even sizes (gen_layers × dis_layers ∈ [3, 5, 10, 20]², ReLU): “The smallest model (3, 3) was the only one able to converge. Qualitative analysis (below) shows that it performed better than the basic model with uneven depths (2, 3)”",
  )
  .fix({ activation: "relu", gen_dropout: 0, dis_dropout: 0, gen_lr: 2e-4, dis_lr: 2e-4 })
  .vary("gen_layers", [3, 5, 10, 20])
  .vary("dis_layers", [3, 5, 10, 20])
  .epochs(100);
