/**
 * What a study costs on this machine, from measurement rather than a
 * constant: a few timed training steps per distinct network shape on the
 * backend in use, and one timed evaluation, cached per machine and backend
 * (the catalog's old figure was a wasm measurement, ~20× the native backend).
 */
import * as tf from "@tensorflow/tfjs-core";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { discriminatorSizes, generatorSizes, type RunConfig, type RunSpec } from "@ganscope/dsl";
import { EVAL_SAMPLES, createEvaluator, defaultCacheDir } from "@ganscope/metrics";
import { createGan, selectBackend, type BackendName } from "@ganscope/models";
import { RunStore, readJsonIfExists, writeJsonAtomic } from "@ganscope/tracking";
import { describeBudget, plansOfStudy, type Budget, type Study } from "@ganscope/findings";
import { classifierFromEnv } from "@ganscope/training";
import { missingRuns } from "./study.js";

const IMAGE_SIZE = 28 * 28;
/** Steps before timing: the first steps build kernels and allocate. */
const WARMUP_STEPS = 2;
const TIMED_STEPS = 5;

/** What decides a step's time: layer sizes, batch, activation, whether dropout runs. */
export function shapeKey(cfg: RunConfig): string {
  return JSON.stringify({
    g: generatorSizes(cfg, IMAGE_SIZE),
    d: discriminatorSizes(cfg, IMAGE_SIZE),
    batch: cfg.batch_size,
    act: cfg.activation,
    drop: [cfg.gen_dropout > 0, cfg.dis_dropout > 0],
  });
}

interface Timings {
  machine: string;
  backend: string;
  /** shape key → median seconds per step (one process, one TF thread, as a worker). */
  steps: Record<string, { secsPerStep: number; measuredAt: string; loadavg: number }>;
  /** Seconds per evaluation (EVAL_SAMPLES generated images through the classifier). */
  evalSecs?: { secs: number; measuredAt: string; loadavg: number };
}

function machineId(): string {
  return `${os.hostname()}|${os.cpus()[0]?.model ?? "cpu"}|${os.cpus().length} cores`;
}

async function timeSteps(cfg: RunConfig): Promise<number> {
  const gan = createGan(cfg);
  const real = tf.randomUniform([cfg.batch_size, IMAGE_SIZE], -1, 1, "float32", 7) as tf.Tensor2D;
  try {
    for (let i = 0; i < WARMUP_STEPS; i++) gan.trainStep(real);
    await gan.takeStats();
    const times: number[] = [];
    for (let i = 0; i < TIMED_STEPS; i++) {
      const t0 = performance.now();
      gan.trainStep(real);
      await gan.takeStats();
      times.push((performance.now() - t0) / 1000);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  } finally {
    real.dispose();
    gan.dispose();
  }
}

async function timeEvaluation(cfg: RunConfig): Promise<number> {
  const evaluator = await createEvaluator({ dataset: cfg.dataset, classifier: classifierFromEnv(), samples: EVAL_SAMPLES, log: () => {} });
  const gan = createGan(cfg);
  try {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const z = gan.noise(evaluator.samples, 1);
      const images = gan.generate(z);
      z.dispose();
      await evaluator.evaluate(images);
      images.dispose();
      times.push((performance.now() - t0) / 1000);
    }
    times.sort((a, b) => a - b);
    return times[1]!;
  } finally {
    gan.dispose();
    evaluator.dispose();
  }
}

export interface CostOptions {
  concurrency: number;
  backend?: BackendName | undefined;
  stepsPerEpoch: (spec: RunSpec) => number;
  resultsDir?: string;
  cacheFile?: string;
}

function duration(secs: number): string {
  return secs >= 3600 ? `${(secs / 3600).toFixed(1)} h` : secs >= 60 ? `${(secs / 60).toFixed(1)} min` : `${secs.toFixed(0)} s`;
}

/** Evaluations a run makes: every `eval_every` epochs and after the last. */
function evaluations(cfg: RunConfig): number {
  let n = 0;
  for (let e = 1; e <= cfg.epochs; e++) if (e % cfg.eval_every === 0 || e === cfg.epochs) n++;
  return n;
}

/** The dry run of `runner study`: every run to train, its shape's measured step time, and the total on this machine. */
export async function describeStudyCost(study: Study, budget: Budget, opts: CostOptions): Promise<string> {
  const backend = await selectBackend(opts.backend);
  const cacheFile = opts.cacheFile ?? path.join(defaultCacheDir(), "step-times.json");
  const machine = machineId();
  const key = `${machine}|${backend.name}|${backend.provider}`;
  const all = (await readJsonIfExists<Record<string, Timings>>(cacheFile)) ?? {};
  const timings: Timings = all[key] ?? { machine, backend: `${backend.name} (${backend.provider})`, steps: {} };
  const plans = plansOfStudy(study, budget);
  const store = new RunStore(path.resolve(opts.resultsDir ?? "results"));
  const todo = await missingRuns(store, plans);
  const seen = new Set<string>();
  const lines: string[] = [`study "${study.name}" at ${describeBudget(budget)}`, `backend: ${backend.name} (${backend.provider}); machine ${machine}; load average ${os.loadavg()[0]!.toFixed(1)}`];
  let measured = 0;
  const now = () => new Date().toISOString();
  const load = () => Number(os.loadavg()[0]!.toFixed(2));
  let totalSecs = 0;
  let runsToTrain = 0;
  for (const { plan, runs } of todo) {
    lines.push(`${plan.experiment}: ${plan.runs.length} runs, ${runs.length} to train`);
    for (const spec of runs) {
      if (seen.has(spec.runId)) continue;
      seen.add(spec.runId);
      const shape = shapeKey(spec.config);
      if (!timings.steps[shape]) {
        timings.steps[shape] = { secsPerStep: await timeSteps(spec.config), measuredAt: now(), loadavg: load() };
        measured++;
      }
      if (!timings.evalSecs) timings.evalSecs = { secs: await timeEvaluation(spec.config), measuredAt: now(), loadavg: load() };
      const steps = spec.config.epochs * opts.stepsPerEpoch(spec);
      const secs = steps * timings.steps[shape]!.secsPerStep + evaluations(spec.config) * timings.evalSecs.secs;
      totalSecs += secs;
      runsToTrain++;
      const label = Object.entries(spec.varied).map(([k, v]) => `${k}=${String(v)}`).join(" ");
      lines.push(`  ${spec.runId}  ${label.padEnd(44)} ${steps} steps × ${(timings.steps[shape]!.secsPerStep * 1000).toFixed(1)} ms + ${evaluations(spec.config)} eval ≈ ${secs.toFixed(1)} s`);
    }
  }
  if (measured > 0 || !all[key]) {
    all[key] = timings;
    await fs.mkdir(path.dirname(cacheFile), { recursive: true });
    await writeJsonAtomic(cacheFile, all);
  }
  const workers = Math.max(1, Math.min(opts.concurrency, os.availableParallelism()));
  lines.push(
    `total: ${runsToTrain} runs to train, ≈ ${duration(totalSecs)} of one worker; ≈ ${duration(totalSecs / workers)} wall on ${workers} worker(s) at today's load`,
    `  (step times: ${Object.keys(timings.steps).length} shapes cached in ${cacheFile}, ${measured} measured now; one evaluation ≈ ${timings.evalSecs?.secs.toFixed(2) ?? "–"} s; worker start-up and dataset loading not counted)`,
  );
  return lines.join("\n");
}
