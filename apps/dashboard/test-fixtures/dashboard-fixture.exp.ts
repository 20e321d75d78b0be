import { experiment } from "@ganscope/dsl";

/**
 * The dashboard's browser tests train this for real (in their setup, into a
 * temporary run store): three tiny runs over two varied axes, one corner of
 * the 2×2 grid filtered out so the heatmap has a missing cell.
 */
export default experiment("dashboard-fixture")
  .describe("Tiny real runs for the dashboard's browser tests: 128 digits, narrow nets, four epochs.")
  .fix({ limit: 128, batch_size: 64, gen_layers: 2, dis_layers: 2, gen_width: 16, dis_width: 16, max_width: 32, latent_dim: 16, sample_every: 1, eval_every: 2 })
  .vary("gen_dropout", [0, 0.5])
  .vary("dis_dropout", [0, 0.5])
  .where((c) => !(c.gen_dropout === 0.5 && c.dis_dropout === 0.5))
  .epochs(4);
