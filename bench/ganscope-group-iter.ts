/**
 * Times a fused group of K bench-model runs (GanGroup) on one backend, in its
 * own process. Prints one JSON line: ms per group step and per run-step.
 *
 *   npx tsx bench/ganscope-group-iter.ts --backend tensorflow --k 8 --iters 50
 *   … --leak 1000   live tensors and RSS every 100 iterations
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import type { RunConfig } from "@ganscope/dsl";
import { batchIterator, loadDataset } from "@ganscope/data";
import { createGan, createGanGroup, selectBackend, stackBatches, type BackendName } from "@ganscope/models";
import { BENCH_CONFIG, sampleLeak, type LeakSamples } from "./bench-config.js";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "tensorflow" },
    k: { type: "string", default: "4" },
    iters: { type: "string", default: "50" },
    repeats: { type: "string", default: "3" },
    warmup: { type: "string", default: "5" },
    leak: { type: "string" },
  },
});
const K = Number(values.k);
const iters = Number(values.iters);
const info = await selectBackend(values.backend as BackendName);
const train = loadDataset("mnist", { split: "train" });
/** The bench's 16-run grid: dropout {0, 0.1, 0.2, 0.3} in G × D; run k of the group is grid run k. */
const DROPOUTS = [0, 0.1, 0.2, 0.3];
const configs: RunConfig[] = Array.from({ length: K }, (_, k) => ({ ...BENCH_CONFIG, seed: k, gen_dropout: DROPOUTS[Math.floor(k / 4) % 4]!, dis_dropout: DROPOUTS[k % 4]! }));
const members = configs.map((c) => createGan(c));
const group = await createGanGroup(members);

function* batches(c: RunConfig): Generator<Float32Array> {
  for (let epoch = 1; ; epoch++) for (const b of batchIterator(train, c.batch_size, c.seed, epoch)) if (b.size === c.batch_size) yield b.images;
}
const sources = configs.map(batches);
function step(): void {
  const reals = stackBatches(sources.map((s) => s.next().value!), BENCH_CONFIG.batch_size);
  group.trainStep(reals);
  reals.dispose();
}
async function timed(n: number): Promise<[number, number]> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) step();
  await group.takeStats();
  const c = process.cpuUsage(c0);
  return [(performance.now() - t0) / n, (c.user + c.system) / 1000 / n];
}
await timed(Number(values.warmup));
const msPerIter: number[] = [];
const cpuMsPerIter: number[] = [];
for (let r = 0; r < Number(values.repeats); r++) {
  const [w, c] = await timed(iters);
  msPerIter.push(w);
  cpuMsPerIter.push(c);
}
// A checkpoint's worth of syncing every sample too: sync must not leak either.
const leak: LeakSamples | undefined = values.leak
  ? await sampleLeak(Number(values.leak), step, async () => {
      await group.takeStats();
      await group.sync();
    })
  : undefined;
const sorted = [...msPerIter].sort((a, b) => a - b);
const medianMs = sorted[Math.floor(sorted.length / 2)]!;
console.log(
  JSON.stringify({
    impl: `ganscope ${info.name}, fused K=${K}`,
    provider: info.provider,
    k: K,
    iters,
    repeats: msPerIter.length,
    msPerIter,
    medianMs,
    msPerRunStep: medianMs / K,
    cpuMsPerIter,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    leak,
  }),
);
group.dispose();
members.forEach((g) => g.dispose());
