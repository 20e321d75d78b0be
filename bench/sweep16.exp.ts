import { experiment } from "@ganscope/dsl";

/**
 * The bench's fused sweep: the seed's (3, 3) dropout grid (gen_dropout ×
 * dis_dropout ∈ {0, 0.3, 0.6, 0.9}², 16 runs of one shape) on the bench's
 * networks (G 100-256-512-784, D 784-512-256-1, batch 64). bench/run.ts
 * trains it at a small budget (`--limit`, `--epochs`) with --fuse=K for
 * K ∈ {1, 2, 4, 8, 16}, and torch_reference.py `sweep --grid 16` the same 16 configs.
 */
export default experiment("bench-sweep16")
  .describe("Bench sweep: the (3, 3) dropout 4 × 4 grid on the bench networks.")
  .fix({ gen_layers: 3, dis_layers: 3, batch_size: 64, sample_every: 1000, eval_every: 1000 })
  .vary("gen_dropout", [0, 0.3, 0.6, 0.9])
  .vary("dis_dropout", [0, 0.3, 0.6, 0.9])
  .epochs(2);
