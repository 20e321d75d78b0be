import { experiment } from "@ganscope/dsl";

/**
 * Issue 13's calibration of "converged": the seed's "combined" configuration
 * (experiments/seed/combined.exp.ts, batch 128 by default) on the full
 * training split for 20 epochs, with a sample grid and an evaluation every
 * epoch so that each epoch's grid can be labelled by eye against its verdict.
 * The issue's filer saw FID-lite 50.9 at epoch 10, 19.3 at 15 and 12.2 at 20.
 */
export default experiment("calib-combined-full")
  .describe("Calibration of the converged verdict: the seed's combined configuration, full split, 20 epochs, evaluated every epoch.")
  .fix({ gen_layers: 4, dis_layers: 4, activation: "elu", gen_dropout: 0.3, dis_dropout: 0.3, gen_lr: 2e-4, dis_lr: 2e-4, sample_every: 1, eval_every: 1 })
  .epochs(20);
