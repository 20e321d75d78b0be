import { experiment } from "@ganscope/dsl";

/**
 * Same config as one run of dashboard-fixture, so the runner links that run
 * (a symlink into the other experiment) instead of training it again.
 */
export default experiment("dashboard-fixture-reuse")
  .describe("One run shared with dashboard-fixture through the run store's symlink.")
  .fix({ limit: 128, batch_size: 64, gen_layers: 2, dis_layers: 2, gen_width: 16, dis_width: 16, max_width: 32, latent_dim: 16, sample_every: 1, gen_dropout: 0, dis_dropout: 0 })
  .vary("gen_lr", [2e-4])
  .epochs(3);
