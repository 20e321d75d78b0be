/**
 * What training costs on this machine, measured rather than assumed: timed
 * training steps per distinct network shape on the backend in use, and one
 * timed evaluation, cached per machine and backend. The study's dry run
 * (apps/runner study-cost.ts) and the experiment catalog (tools, through
 * `runner step-times`) both estimate from here, so they agree with each other
 * and with what a worker actually does.
 *
 * A cached time is only as good as the load it was measured under: step times
 * taken while the machine was crowded (load 26 on 2 cores) came out 5× what
 * the same shapes took later. An entry measured under a much heavier load than
 * now is measured again (see {@link trusted}); one measured under a lighter
 * load is kept, since it is the better figure for the machine. What today's
 * load does to those figures is measured too, not modelled (the load average
 * overstates it: load 26 on 2 cores slowed steps 5×, not 13×): the cheapest
 * cached shape is timed again now, and its ratio is the {@link LoadFactor}.
 */
import * as tf from "@tensorflow/tfjs-core";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { discriminatorSizes, generatorSizes, type RunConfig } from "@ganscope/dsl";
import { EVAL_SAMPLES, createEvaluator } from "@ganscope/metrics";
import { createGan, type BackendInfo } from "@ganscope/models";
import { readJsonIfExists, writeJsonAtomic } from "@ganscope/tracking";
import { cachePath, machineId } from "./machine-cache.js";
import { classifierFromEnv } from "./metrics-hook.js";

const IMAGE_SIZE = 28 * 28;
/** Steps before timing: the first steps build kernels and allocate. */
const WARMUP_STEPS = 2;
/** Timed blocks per shape; the median block is the figure. */
const BLOCKS = 3;
/** Each timed block runs for at least this long (one step for the 20-layer networks, dozens for the baseline), so small networks are not timed by one step's jitter. */
const BLOCK_SECS = 0.3;
/**
 * How much heavier the contention at measurement may have been than now before
 * an entry is measured again. Contention = max(1, load average / cores): what
 * a one-thread worker's share of a core is divided by.
 */
export const MAX_CONTENTION_RATIO = 1.5;

/**
 * What decides a step's time: layer sizes, batch, activation, whether dropout
 * runs, and bf16 products (named only when bf16, so fp32's cached figures keep their keys).
 */
export function shapeKey(cfg: RunConfig): string {
  return JSON.stringify({
    g: generatorSizes(cfg, IMAGE_SIZE),
    d: discriminatorSizes(cfg, IMAGE_SIZE),
    batch: cfg.batch_size,
    act: cfg.activation,
    drop: [cfg.gen_dropout > 0, cfg.dis_dropout > 0],
    ...(cfg.precision === "bf16" ? { precision: "bf16" } : {}),
  });
}

export interface Measured {
  readonly secs: number;
  readonly measuredAt: string;
  /** One-minute load average when the measurement started. */
  readonly loadavg: number;
}

/** The cache's entry for one machine and backend. */
export interface MachineTimings {
  machine: string;
  backend: string;
  /** shape key → median seconds per step (one process, one TF thread, as a worker trains). */
  steps: Record<string, { secsPerStep: number; measuredAt: string; loadavg: number }>;
  /** Seconds per evaluation (EVAL_SAMPLES generated images through the classifier). */
  evalSecs?: Measured;
}

export const defaultStepTimesFile = (): string => cachePath("step-times.json");

const contention = (load: number, cores: number) => Math.max(1, load / cores);

/**
 * Whether a time measured at load `measuredLoad` still stands at load `loadNow`:
 * not when the machine was more than {@link MAX_CONTENTION_RATIO}× as contended then.
 */
export function trusted(measuredLoad: number | undefined, loadNow: number, cores: number): boolean {
  if (measuredLoad === undefined || !Number.isFinite(measuredLoad)) return false;
  return contention(measuredLoad, cores) <= MAX_CONTENTION_RATIO * contention(loadNow, cores);
}

/** Median seconds per training step of `cfg` on the active backend: the worker's loop (upload a batch, one D + one G step), host sync per block. */
export async function timeSteps(cfg: RunConfig): Promise<number> {
  const gan = createGan(cfg);
  const pixels = new Float32Array(cfg.batch_size * IMAGE_SIZE).map((_, i) => ((i * 2654435761) % 1000) / 500 - 1);
  const step = () => {
    const real = tf.tensor2d(pixels, [cfg.batch_size, IMAGE_SIZE]);
    gan.trainStep(real);
    real.dispose();
  };
  try {
    for (let i = 0; i < WARMUP_STEPS; i++) step();
    await gan.takeStats();
    const perStep: number[] = [];
    for (let b = 0; b < BLOCKS; b++) {
      const t0 = performance.now();
      let n = 0;
      while (n === 0 || (performance.now() - t0) / 1000 < BLOCK_SECS) {
        step();
        n++;
      }
      await gan.takeStats();
      perStep.push((performance.now() - t0) / 1000 / n);
    }
    perStep.sort((a, b) => a - b);
    return perStep[Math.floor(perStep.length / 2)]!;
  } finally {
    gan.dispose();
  }
}

/** Median seconds of one evaluation (EVAL_SAMPLES images generated and scored) of a `cfg`-shaped generator. */
export async function timeEvaluation(cfg: RunConfig): Promise<number> {
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

export interface StepTimesOptions {
  readonly backend: BackendInfo;
  /** Default: .cache/ganscope/step-times.json in the repo, or under $GANSCOPE_CACHE (the metrics cache folder). */
  readonly cacheFile?: string;
  /** Also time one evaluation (the classifier is trained first if it is not cached). */
  readonly evaluation?: boolean;
  /** The load average now; read from the OS unless given. */
  readonly loadNow?: () => number;
  readonly cores?: number;
  readonly log?: (line: string) => void;
}

/** How much slower a step is now than its cached figure: one cached shape timed again. */
export interface LoadFactor {
  readonly shape: string;
  readonly cachedSecs: number;
  readonly nowSecs: number;
  /** nowSecs / cachedSecs; 1 when nothing cached was used (everything was measured now). */
  readonly factor: number;
  readonly loadavg: number;
}

export interface StepTimes {
  readonly cacheFile: string;
  /** Cache key: machine, backend and its provider. */
  readonly key: string;
  readonly machine: string;
  readonly backend: string;
  /** Load average when the lookup began. */
  readonly loadavg: number;
  /** shape key → the figure used. */
  readonly steps: ReadonlyMap<string, { secsPerStep: number; measuredAt: string; loadavg: number }>;
  readonly evalSecs: Measured | undefined;
  /** Shapes timed now: never measured, or measured under a much heavier load. */
  readonly measured: number;
  readonly remeasured: number;
  readonly cached: number;
  readonly loadFactor: LoadFactor | undefined;
  /** Seconds per step of a config (its shape must have been among those asked for). */
  secsPerStep(cfg: RunConfig): number;
}

/**
 * Seconds per training step of every distinct shape among `configs` on the
 * active backend (select it first), from the cache where an entry is trusted
 * at today's load, measured now otherwise; the cache is updated in place
 * (written atomically, other machines' and backends' entries kept).
 */
export async function stepTimes(configs: readonly RunConfig[], opts: StepTimesOptions): Promise<StepTimes> {
  const cacheFile = opts.cacheFile ?? defaultStepTimesFile();
  const cores = opts.cores ?? os.availableParallelism();
  const loadNow = opts.loadNow ?? (() => os.loadavg()[0]!);
  const log = opts.log ?? (() => {});
  const machine = machineId();
  const key = `${machine}|${opts.backend.name}|${opts.backend.provider}`;
  const all = (await readJsonIfExists<Record<string, MachineTimings>>(cacheFile)) ?? {};
  const timings: MachineTimings = all[key] ?? { machine, backend: `${opts.backend.name} (${opts.backend.provider})`, steps: {} };
  const load0 = loadNow();
  const round = (x: number) => Number(x.toFixed(2));
  let measured = 0;
  let remeasured = 0;
  let cached = 0;
  const used = new Map<string, { secsPerStep: number; measuredAt: string; loadavg: number }>();
  const byShape = new Map<string, RunConfig>();
  const fromCache = new Set<string>();
  for (const cfg of configs) if (!byShape.has(shapeKey(cfg))) byShape.set(shapeKey(cfg), cfg);
  for (const [shape, cfg] of byShape) {
    const entry = timings.steps[shape];
    const load = loadNow();
    if (entry && trusted(entry.loadavg, load, cores)) {
      cached++;
      fromCache.add(shape);
    } else {
      if (entry) {
        remeasured++;
        log(`step time of ${shape} was measured at load ${entry.loadavg} (${entry.measuredAt}); load is ${round(load)} now, measuring again`);
      } else measured++;
      timings.steps[shape] = { secsPerStep: await timeSteps(cfg), measuredAt: new Date().toISOString(), loadavg: round(load) };
    }
    used.set(shape, timings.steps[shape]!);
  }
  let loadFactor: LoadFactor | undefined;
  const cachedUsed = [...used].filter(([shape]) => fromCache.has(shape));
  if (cachedUsed.length > 0) {
    const [shape, entry] = cachedUsed.reduce((a, b) => (b[1].secsPerStep < a[1].secsPerStep ? b : a));
    const load = loadNow();
    const nowSecs = await timeSteps(byShape.get(shape)!);
    loadFactor = { shape, cachedSecs: entry.secsPerStep, nowSecs, factor: nowSecs / entry.secsPerStep, loadavg: round(load) };
  }
  let evalMeasured = false;
  if (opts.evaluation && configs.length > 0) {
    const load = loadNow();
    if (!timings.evalSecs || !trusted(timings.evalSecs.loadavg, load, cores)) {
      timings.evalSecs = { secs: await timeEvaluation(configs[0]!), measuredAt: new Date().toISOString(), loadavg: round(load) };
      evalMeasured = true;
    }
  }
  if (measured + remeasured > 0 || evalMeasured || !all[key]) {
    all[key] = timings;
    await fs.mkdir(path.dirname(cacheFile), { recursive: true });
    await writeJsonAtomic(cacheFile, all);
  }
  return {
    cacheFile,
    key,
    machine,
    backend: timings.backend,
    loadavg: round(load0),
    steps: used,
    evalSecs: timings.evalSecs,
    measured,
    remeasured,
    cached,
    loadFactor,
    secsPerStep(cfg) {
      const t = used.get(shapeKey(cfg));
      if (!t) throw new Error(`stepTimes: no step time for ${shapeKey(cfg)}; pass its config to stepTimes() first`);
      return t.secsPerStep;
    },
  };
}

/** Evaluations a run makes: every `eval_every` epochs and after the last. */
export function evaluationsOf(cfg: Pick<RunConfig, "epochs" | "eval_every">): number {
  let n = 0;
  for (let e = 1; e <= cfg.epochs; e++) if (e % cfg.eval_every === 0 || e === cfg.epochs) n++;
  return n;
}
