import * as tf from "@tensorflow/tfjs-core";
import { existsSync } from "node:fs";
import type { RunSpec } from "@ganscope/dsl";
import { batchIterator, batchesPerEpoch, encodeGridPng, loadDataset, type BatchSource, type Dataset } from "@ganscope/data";
import { createGan, loadCheckpoint, saveCheckpoint, type BackendInfo, type Gan, type StepStats } from "@ganscope/models";
import { RunStore, type EpochRecord } from "@ganscope/tracking";

/** What a worker reports while it trains, for the progress display. */
export type RunEvent =
  | { type: "start"; runId: string; fromEpoch: number; epochs: number; stepsPerEpoch: number }
  | { type: "progress"; runId: string; epoch: number; stepsDone: number; stepsTotal: number }
  | { type: "epoch"; runId: string; record: EpochRecord }
  | { type: "finish"; runId: string; outcome: RunOutcome };

export type RunOutcome =
  | { status: "done"; epochs: number; last: EpochRecord | undefined; secsPerEpoch: number; /** What the hooks added to summary.json (e.g. the verdict). */ summary?: Readonly<Record<string, unknown>> }
  | { status: "skipped"; reason: string; last: EpochRecord | undefined }
  | { status: "diverged"; epoch: number; last: EpochRecord | undefined }
  | { status: "failed"; error: string }
  /** Asked to stop (a queue worker's SIGTERM): the last epoch is checkpointed, the run resumes wherever it is picked up next. */
  | { status: "yielded"; epoch: number; last: EpochRecord | undefined };

/** What a hook sees of the run it is attached to. */
export interface RunContext {
  readonly spec: RunSpec;
  readonly experiment: string;
  readonly file: string | undefined;
  /** The run's folder in the run store. */
  readonly dir: string;
  readonly backend: BackendInfo;
}

/** What an evaluation hook gets after an epoch's training. */
export interface EvalContext extends RunContext {
  readonly epoch: number;
  readonly gan: Gan;
  /** The held-out split (never trained on). */
  readonly test: Dataset;
  /** All records so far, this epoch's not yet included. */
  readonly records: readonly EpochRecord[];
}

/**
 * Extension points of the training loop (metrics, MLflow, …). Every hook is
 * optional and awaited in order; the run store is always written first, so a
 * failing sink never costs a record.
 */
export interface RunHooks {
  readonly name: string;
  onStart?(ctx: RunContext, resumedRecords: readonly EpochRecord[]): Promise<void>;
  /** Extra numbers for this epoch's record (e.g. fid_lite); called every epoch, the hook decides its cadence. */
  evaluate?(ctx: EvalContext): Promise<Record<string, number>>;
  onEpoch?(ctx: RunContext, record: EpochRecord): Promise<void>;
  onSample?(ctx: RunContext, epoch: number, file: string): Promise<void>;
  /** After an epoch's checkpoint is written and status.json says so: a run can resume from `file`. */
  onCheckpoint?(ctx: RunContext, epoch: number, file: string): Promise<void>;
  /** Extra fields for summary.json (e.g. a verdict), from all records. */
  summarize?(ctx: RunContext, records: readonly EpochRecord[]): Promise<Record<string, unknown>>;
  onFinish?(ctx: RunContext, outcome: RunOutcome): Promise<void>;
}

export interface TrainOptions {
  /** Root of the run store (normally ./results). */
  resultsDir: string;
  experiment: string;
  /** Experiment file the run came from, recorded in config.json. */
  file?: string;
  backend: BackendInfo;
  /** Called with progress; kept cheap (no host sync) by the caller's cadence. */
  onEvent?: (e: RunEvent) => void;
  /** Report progress every this many steps. */
  progressEvery?: number;
  hooks?: readonly RunHooks[];
  /**
   * Aborted when the run should give way (a queue worker stopping): the
   * epoch in progress is finished and checkpointed, then the run returns
   * "yielded" instead of starting the next one.
   */
  yieldSignal?: AbortSignal;
}

/** Samples in a grid: 9 rows of 10 generated digits above one row of real ones, as the seed's figures. */
const GRID_COLS = 10;
const GRID_FAKE_ROWS = 9;
/** Fixed noise for sample grids, independent of the run's seed so grids compare across runs. */
const SAMPLE_NOISE_SEED = 20_241_127;

interface CheckpointMeta {
  epoch: number;
}

/** One real digit per class (0–9), from the held-out split, for the grid's bottom row. */
function realRow(test: Dataset): Float32Array {
  const size = test.rows * test.cols;
  const out = new Float32Array(GRID_COLS * size);
  for (let cls = 0; cls < GRID_COLS; cls++) {
    const idx = test.labels.indexOf(cls);
    const src = idx >= 0 ? idx : cls % test.count;
    out.set(test.images.subarray(src * size, (src + 1) * size), cls * size);
  }
  return out;
}

function hasNonFinite(r: EpochRecord): boolean {
  return [r.d_loss, r.g_loss, r.d_real, r.d_fake, r.d_grad_norm, r.g_grad_norm].some((v) => !Number.isFinite(v));
}

/** One epoch's training statistics: the GAN's step means plus the epoch's wall time. */
export type EpochStats = StepStats & { secs: number };

/**
 * One pass over the training images, as every caller trains: the batches of
 * epoch `epoch` in the run's seeded order (a function of seed and epoch only,
 * so a resumed run draws what an uninterrupted one would), one D step and one
 * G step per batch. Returns the epoch's mean statistics (one host sync).
 *
 * @example
 * for (let epoch = 1; epoch <= cfg.epochs; epoch++) console.log(await trainEpoch(gan, train, epoch));
 */
export async function trainEpoch(
  gan: Gan,
  train: BatchSource,
  epoch: number,
  opts: { progressEvery?: number; onProgress?: (stepsDone: number) => void } = {},
): Promise<EpochStats> {
  const t0 = performance.now();
  const size = train.rows * train.cols;
  const every = opts.progressEvery ?? 10;
  let step = 0;
  for (const batch of batchIterator(train, gan.config.batch_size, gan.config.seed, epoch)) {
    const real = tf.tensor2d(batch.images, [batch.size, size]);
    gan.trainStep(real);
    real.dispose();
    step++;
    if (opts.onProgress && step % every === 0) opts.onProgress(step);
  }
  const stats = await gan.takeStats();
  return { ...stats, secs: (performance.now() - t0) / 1000 };
}

/**
 * The worker's whole job: take a RunSpec, train it, write the run store.
 * Resumes from the run's checkpoint; a run already done is skipped.
 */
export async function trainRun(spec: RunSpec, opts: TrainOptions): Promise<RunOutcome> {
  const store = new RunStore(opts.resultsDir);
  const run = store.run(opts.experiment, spec.runId);
  const emit = opts.onEvent ?? (() => {});
  const cfg = spec.config;

  const prior = await run.readStatus();
  if (prior?.state === "done") {
    const records = await run.readRecords();
    return { status: "skipped", reason: "already done", last: records.at(-1) };
  }
  const reusedFrom = await store.findFinished(spec.runId, opts.experiment);
  if (reusedFrom) {
    await store.linkRun(opts.experiment, spec.runId, reusedFrom);
    const records = await store.run(opts.experiment, spec.runId).readRecords();
    return { status: "skipped", reason: `same config already trained in ${reusedFrom}`, last: records.at(-1) };
  }
  const lock = await run.lock();
  if ("heldBy" in lock) {
    return {
      status: "skipped",
      reason: `being trained by pid ${lock.heldBy.pid} on ${lock.heldBy.host} since ${lock.heldBy.since}`,
      last: undefined,
    };
  }
  // Another runner may have finished it between our first look and taking the lock.
  if ((await run.readStatus())?.state === "done") {
    await lock.release();
    return { status: "skipped", reason: "already done", last: (await run.readRecords()).at(-1) };
  }
  // A runner killed mid-write leaves its temp files; ours to clear now that we hold the lock.
  await run.removeStaleTemps();

  const gan = createGan(cfg);
  const ctx: RunContext = { spec, experiment: opts.experiment, file: opts.file, dir: run.dir, backend: opts.backend };
  const hooks = opts.hooks ?? [];
  const finish = async (outcome: RunOutcome): Promise<RunOutcome> => {
    for (const h of hooks) await h.onFinish?.(ctx, outcome);
    emit({ type: "finish", runId: spec.runId, outcome });
    return outcome;
  };
  const summarize = async (records: readonly EpochRecord[]): Promise<Record<string, unknown>> => {
    const extra: Record<string, unknown> = {};
    for (const h of hooks) Object.assign(extra, await h.summarize?.(ctx, records));
    return extra;
  };
  try {
    await run.writeConfig({
      runId: spec.runId,
      experiment: opts.experiment,
      file: opts.file,
      varied: spec.varied,
      config: cfg,
      backend: opts.backend,
      versions: { tfjs: tf.version_core, node: process.version },
    });

    const train = loadDataset(cfg.dataset, { split: "train", limit: cfg.limit || undefined });
    const test = loadDataset(cfg.dataset, { split: "test" });
    const size = train.rows * train.cols;

    let fromEpoch = 0;
    if (existsSync(run.checkpointFile)) {
      const meta = await loadCheckpoint<CheckpointMeta>(gan, run.checkpointFile);
      fromEpoch = meta.epoch;
    }
    // Records beyond the checkpoint are replayed, so drop them (no duplicates, no gaps).
    const records = await run.readRecords(fromEpoch);
    await run.writeStatus({ state: "running", epochsDone: fromEpoch, epochs: cfg.epochs });
    for (const h of hooks) await h.onStart?.(ctx, records);

    const stepsPerEpoch = batchesPerEpoch(train.count, cfg.batch_size);
    emit({ type: "start", runId: spec.runId, fromEpoch, epochs: cfg.epochs, stepsPerEpoch });
    const sampleNoise = gan.noise(GRID_COLS * GRID_FAKE_ROWS, SAMPLE_NOISE_SEED);
    const realDigits = realRow(test);
    const progressEvery = opts.progressEvery ?? 10;

    try {
      for (let epoch = fromEpoch + 1; epoch <= cfg.epochs; epoch++) {
        const stats = await trainEpoch(gan, train, epoch, {
          progressEvery,
          onProgress: (stepsDone) => emit({ type: "progress", runId: spec.runId, epoch, stepsDone, stepsTotal: stepsPerEpoch }),
        });
        const record: EpochRecord = { epoch, ...stats };
        if (!hasNonFinite(record)) {
          for (const h of hooks) Object.assign(record, await h.evaluate?.({ ...ctx, epoch, gan, test, records }));
        }
        await run.appendRecord(record);
        records.push(record);
        emit({ type: "epoch", runId: spec.runId, record });
        for (const h of hooks) await h.onEpoch?.(ctx, record);

        if (hasNonFinite(record)) {
          const error = `diverged: non-finite loss or gradient at epoch ${epoch}`;
          await run.writeStatus({ state: "failed", epochsDone: epoch, epochs: cfg.epochs, error });
          await run.writeSummary({ runId: spec.runId, status: "diverged", epochs: epoch, final: record, ...(await summarize(records)) });
          return await finish({ status: "diverged", epoch, last: record });
        }
        if (epoch % cfg.sample_every === 0 || epoch === cfg.epochs) {
          const fake = gan.generate(sampleNoise);
          const fakeData = await fake.data<"float32">();
          fake.dispose();
          const grid = new Float32Array(fakeData.length + realDigits.length);
          grid.set(fakeData);
          grid.set(realDigits, fakeData.length);
          const file = await run.writeSample(epoch, encodeGridPng(grid, { rows: train.rows, cols: train.cols, gridCols: GRID_COLS }));
          for (const h of hooks) await h.onSample?.(ctx, epoch, file);
        }
        // Records first, checkpoint second: a kill in between replays this epoch and readRecords drops its line.
        await saveCheckpoint<CheckpointMeta>(gan, run.checkpointFile, { epoch });
        await run.writeStatus({ state: "running", epochsDone: epoch, epochs: cfg.epochs });
        for (const h of hooks) await h.onCheckpoint?.(ctx, epoch, run.checkpointFile);
        if (opts.yieldSignal?.aborted && epoch < cfg.epochs) return await finish({ status: "yielded", epoch, last: record });
      }
    } finally {
      sampleNoise.dispose();
    }

    const trainSecs = records.reduce((sum, r) => sum + r.secs, 0);
    const secsPerEpoch = trainSecs / Math.max(1, records.length);
    const summary = await summarize(records);
    await run.writeSummary({
      runId: spec.runId,
      status: "done",
      epochs: cfg.epochs,
      trainSecs,
      secsPerEpoch,
      final: records.at(-1),
      ...summary,
    });
    await run.writeStatus({ state: "done", epochsDone: cfg.epochs, epochs: cfg.epochs });
    return await finish({ status: "done", epochs: cfg.epochs, last: records.at(-1), secsPerEpoch, summary });
  } catch (e) {
    const status = await run.readStatus().catch(() => undefined);
    await run.writeStatus({ state: "failed", epochsDone: status?.epochsDone ?? 0, epochs: cfg.epochs, error: (e as Error).message });
    return await finish({ status: "failed", error: (e as Error).stack ?? String(e) });
  } finally {
    gan.dispose();
    await lock.release();
  }
}
