import { experiment } from "@ganscope/dsl";

/**
 * The bench's sweep: the networks (G 100-256-512-784, D 784-512-256-1,
 * batch 64) with dropout 0 or 0.3 in each network — 4 runs. bench/run.ts
 * trains it with `--limit` and `--epochs` small, through the real runner CLI,
 * and bench/torch_reference.py `sweep` trains the same 4 configs in PyTorch.
 */
export default experiment("bench-sweep")
  .describe("Bench sweep: 4 runs of the issue's MLP GAN, dropout 0/0.3 in G and D.")
  .fix({ dis_layers: 3, batch_size: 64, sample_every: 1000, eval_every: 1000 })
  .vary("gen_dropout", [0, 0.3])
  .vary("dis_dropout", [0, 0.3])
  .epochs(2);
