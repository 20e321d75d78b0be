/**
 * Times ganscope's training step on one backend, in its own process so that
 * peak RSS is this backend's alone. Prints one JSON line on stdout.
 *
 *   npx tsx bench/ganscope-iter.ts --backend wasm --iters 50 --repeats 3
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { batchIterator, loadDataset } from "@ganscope/data";
import { createGan, selectBackend, type BackendName } from "@ganscope/models";

import { BENCH_CONFIG, sampleLeak, type LeakSamples } from "./bench-config.js";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    iters: { type: "string", default: "50" },
    repeats: { type: "string", default: "3" },
    warmup: { type: "string", default: "5" },
    leak: { type: "string" },
    dropout: { type: "string", default: "0" },
  },
});
const iters = Number(values.iters);
const repeats = Number(values.repeats);
const warmup = Number(values.warmup);

const info = await selectBackend(values.backend as BackendName);
const train = loadDataset("mnist", { split: "train" });
// --dropout p: both networks, as the sweep's dropout runs (masks are drawn from seeded RNG).
const dropout = Number(values.dropout);
const gan = createGan({ ...BENCH_CONFIG, gen_dropout: dropout, dis_dropout: dropout });

// An endless stream of real batches in the runner's order (seeded shuffle per epoch).
function* batches(): Generator<Float32Array> {
  for (let epoch = 1; ; epoch++) {
    for (const b of batchIterator(train, BENCH_CONFIG.batch_size, BENCH_CONFIG.seed, epoch)) {
      if (b.size === BENCH_CONFIG.batch_size) yield b.images;
    }
  }
}
const source = batches();

/** The runner's inner loop: upload a batch, one D + one G step; stats stay on the device. */
function step(): void {
  const real = tf.tensor2d(source.next().value!, [BENCH_CONFIG.batch_size, 784]);
  gan.trainStep(real);
  real.dispose();
}

/** Wall and CPU (all threads of this process) ms per iteration. */
async function timed(n: number): Promise<[number, number]> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) step();
  await gan.takeStats(); // the one host sync per epoch, forcing all queued work
  const c = process.cpuUsage(c0);
  return [(performance.now() - t0) / n, (c.user + c.system) / 1000 / n];
}

await timed(warmup);
const msPerIter: number[] = [];
const cpuMsPerIter: number[] = [];
for (let r = 0; r < repeats; r++) {
  const [wall, cpu] = await timed(iters);
  msPerIter.push(wall);
  cpuMsPerIter.push(cpu);
}

const leak: LeakSamples | undefined = values.leak ? await sampleLeak(Number(values.leak), step, () => gan.takeStats()) : undefined;

const sorted = [...msPerIter].sort((a, b) => a - b);
console.log(
  JSON.stringify({
    impl: `ganscope ${info.name}`,
    provider: info.provider,
    iters,
    repeats,
    msPerIter,
    medianMs: sorted[Math.floor(sorted.length / 2)],
    cpuMsPerIter,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    leak,
  }),
);
gan.dispose();
