import { experiment } from "@ganscope/dsl";

/**
 * A first look at ganscope: the seed report's baseline (3, 2) ReLU networks
 * against its "combined" configuration (4, 4) ELU with dropout 0.3, on all
 * 60,000 real MNIST digits. The combined networks draw clean digits within
 * these epochs (FID-lite ~51 at epoch 10 in the measurements of issue 25);
 * the baseline still draws rough, speckled ones. Both runs train at once (one
 * worker per core): about three minutes on 2 CPU cores, the digit
 * classifier's one-off training included. Sample grids land in
 * results/quickstart/<runId>/samples/, real digits in their bottom row.
 */
const baseline = { gen_layers: 3, dis_layers: 2, activation: "relu", gen_dropout: 0, dis_dropout: 0 } as const;
const combined = { gen_layers: 4, dis_layers: 4, activation: "elu", gen_dropout: 0.3, dis_dropout: 0.3 } as const;

export default experiment("quickstart")
  .describe("The seed's baseline (3, 2) ReLU against its combined (4, 4) ELU dropout-0.3 networks, on all 60,000 MNIST digits for 8 epochs.")
  .vary("gen_layers", [baseline.gen_layers, combined.gen_layers])
  .vary("dis_layers", [baseline.dis_layers, combined.dis_layers])
  .vary("activation", [baseline.activation, combined.activation])
  .vary("gen_dropout", [baseline.gen_dropout, combined.gen_dropout])
  .vary("dis_dropout", [baseline.dis_dropout, combined.dis_dropout])
  // The two configurations, not the 32 of the grid.
  .where((c) => [baseline, combined].some((x) => Object.entries(x).every(([k, v]) => c[k as keyof typeof c] === v)))
  .fix({ sample_every: 2, eval_every: 4 })
  .epochs(8);
