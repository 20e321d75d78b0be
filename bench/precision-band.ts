/**
 * How far do a bf16 run's curves move from fp32's? Trains seeds of one study
 * shape in both precisions (createGan + trainEpoch, the runner's loop less its
 * store and evaluation) and asks, per epoch and statistic, whether each bf16
 * seed lies in the band the fp32 seeds span — the PyTorch cross-check's band
 * method (libs/findings band.ts, bench/crosscheck.ts), with fp32 as the
 * reference. Prints one JSON line: per statistic the coverage and verdict,
 * and CPU ms per step of each precision.
 *
 *   npx tsx bench/precision-band.ts --shape baseline --seeds 4 --epochs 4 --limit 6400
 */
import { parseArgs } from "node:util";
import os from "node:os";
import { loadDataset } from "@ganscope/data";
import type { Precision } from "@ganscope/dsl";
import { bandAgreement } from "@ganscope/findings";
import { createGan, selectBackend } from "@ganscope/models";
import { trainEpoch } from "@ganscope/training";
import { studyShape } from "./bench-config.js";

const { values } = parseArgs({
  options: {
    shape: { type: "string", default: "baseline" },
    seeds: { type: "string", default: "4" },
    epochs: { type: "string", default: "4" },
    limit: { type: "string", default: "6400" },
  },
});
const METRICS = ["d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"] as const;
const epochs = Number(values.epochs);
const limit = Number(values.limit);
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i);
await selectBackend("tensorflow");
const train = loadDataset("mnist", { split: "train", limit: limit || undefined });

interface Trained {
  curves: Record<(typeof METRICS)[number], number[]>;
  cpuMs: number;
  steps: number;
}
async function run(precision: Precision, seed: number): Promise<Trained> {
  const gan = createGan({ ...studyShape(values.shape!), seed, limit, epochs, precision });
  const curves = Object.fromEntries(METRICS.map((m) => [m, [] as number[]])) as Trained["curves"];
  const c0 = process.cpuUsage();
  let steps = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const s = await trainEpoch(gan, train, epoch);
    steps += s.steps;
    for (const m of METRICS) curves[m].push(s[m]);
  }
  const c = process.cpuUsage(c0);
  gan.dispose();
  return { curves, cpuMs: (c.user + c.system) / 1000, steps };
}

// Interleaved by seed, so a change in the machine's load hits both precisions.
const fp32: Trained[] = [];
const bf16: Trained[] = [];
for (const seed of seeds) {
  fp32.push(await run("fp32", seed));
  bf16.push(await run("bf16", seed));
}
const msPerStep = (rs: Trained[]) => +(rs.reduce((s, r) => s + r.cpuMs, 0) / rs.reduce((s, r) => s + r.steps, 0)).toFixed(2);
const bands = Object.fromEntries(
  METRICS.map((m) => {
    const b = bandAgreement(fp32.map((r) => r.curves[m]), bf16.map((r) => r.curves[m]));
    return [m, { verdict: b.verdict, minMax: +b.coverage.minMax.toFixed(2), twoSd: +b.coverage.twoSd.toFixed(2), separated: +b.coverage.separated.toFixed(2), expectedMinMax: +b.expected.minMax.toFixed(2) }];
  }),
);
console.log(
  JSON.stringify({
    shape: values.shape,
    seeds: seeds.length,
    epochs,
    limit,
    stepsPerRun: fp32[0]!.steps,
    cpuMsPerStep: { fp32: msPerStep(fp32), bf16: msPerStep(bf16) },
    bands,
    lastEpoch: Object.fromEntries(METRICS.map((m) => [m, { fp32: fp32.map((r) => +r.curves[m].at(-1)!.toFixed(4)), bf16: bf16.map((r) => +r.curves[m].at(-1)!.toFixed(4)) }])),
    load1: os.loadavg()[0],
  }),
);
