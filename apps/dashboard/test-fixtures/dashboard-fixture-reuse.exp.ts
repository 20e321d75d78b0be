import { experiment } from "@ganscope/dsl";

/**
 * The seed's "discriminator loss quickly approached zero", in miniature: a
 * 150× faster discriminator saturates within two epochs, which the metrics
 * lib calls vanishing gradients. Its other run has the same config as one run
 * of dashboard-fixture, so the runner links that run (a symlink into the
 * other experiment) instead of training it again.
 */
export default experiment("dashboard-fixture-reuse")
  .describe("A discriminator 150× faster than the baseline, beside a run shared with dashboard-fixture through the run store's symlink.")
  .fix({ limit: 128, batch_size: 64, gen_layers: 2, dis_layers: 2, gen_width: 16, dis_width: 16, max_width: 32, latent_dim: 16, sample_every: 1, eval_every: 2, gen_dropout: 0, dis_dropout: 0 })
  .vary("dis_lr", [2e-4, 0.03])
  .epochs(4);
