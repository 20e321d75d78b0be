import { experiment } from "@ganscope/dsl";

/**
 * Issue 13's calibration: (4, 4) leaky ReLU with D dropout 0.3 on the full
 * split for 20 epochs (the filer saw FID-lite 20.1 at epoch 20: near the
 * threshold), evaluated every epoch.
 */
export default experiment("calib-leaky-full")
  .describe("Calibration of the converged verdict: (4, 4) leaky ReLU, D dropout 0.3, full split, 20 epochs, evaluated every epoch.")
  .fix({ gen_layers: 4, dis_layers: 4, activation: "leaky_relu", gen_dropout: 0, dis_dropout: 0.3, gen_lr: 2e-4, dis_lr: 2e-4, sample_every: 1, eval_every: 1 })
  .epochs(20);
