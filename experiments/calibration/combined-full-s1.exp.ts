import { experiment } from "@ganscope/dsl";

/** combined-full.exp.ts with seed 1: does a second seed reach clean digits at the same budget? */
export default experiment("calib-combined-full-s1")
  .describe("Calibration of the converged verdict: the seed's combined configuration, seed 1, full split, 20 epochs, evaluated every epoch.")
  .fix({ gen_layers: 4, dis_layers: 4, activation: "elu", gen_dropout: 0.3, dis_dropout: 0.3, gen_lr: 2e-4, dis_lr: 2e-4, seed: 1, sample_every: 1, eval_every: 1 })
  .epochs(20);
