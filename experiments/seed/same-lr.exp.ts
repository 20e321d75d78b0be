import { experiment } from "@ganscope/dsl";

/**
 * Seed section "Same learning rates for the discriminator and the generator".
 * Its configuration varies both rates over [0.001, 0.0001, 0.0002, 0.00001]
 * (written `gen_lr \in [...]`, without the `$…$` of other sections), which is
 * a 4 × 4 grid (16 runs), as the seed's notation means in its dropout
 * sections. The title's "same" pairs are the grid's diagonal; we keep the
 * whole grid the configuration asks for rather than cut it to the title's
 * 4 runs, because the mismatched pairs cost no more to read and the seed's
 * conclusion ("different learning rates … performed worse") compares them.
 */
export default experiment("seed-same-lr")
  .describe(
    "Learning rates at (3, 3), gen_lr × dis_lr ∈ [1e-3, 1e-4, 2e-4, 1e-5]²: “From our experiments, it seems that magnitude of 10^{-4} works the best.”",
  )
  .fix({ gen_layers: 3, dis_layers: 3, activation: "relu", gen_dropout: 0, dis_dropout: 0 })
  .vary("gen_lr", [0.001, 0.0001, 0.0002, 0.00001])
  .vary("dis_lr", [0.001, 0.0001, 0.0002, 0.00001])
  .epochs(100);
