import { experiment } from "@ganscope/dsl";

/**
 * The runs of the Findings page's browser test (test-fixtures/dashboard-study.ts):
 * one varied axis, so its comparison, rate and ranking all read the same
 * four tiny runs (2 configs × the smoke budget's 2 seeds).
 */
export default experiment("dashboard-study-runs")
  .describe("Two configs of narrow nets for the Findings page's browser test; the study's budget sets epochs, images and seeds.")
  .fix({ batch_size: 64, gen_layers: 2, dis_layers: 2, gen_width: 16, dis_width: 16, max_width: 32, latent_dim: 16, sample_every: 1, eval_every: 1 })
  .vary("dis_dropout", [0, 0.5]);
