import * as tf from "@tensorflow/tfjs-core";
import { existsSync } from "node:fs";
import type { RunSpec } from "@ganscope/dsl";
import { batchIterator, batchesPerEpoch, encodeGridPng, loadDataset, type Dataset } from "@ganscope/data";
import { createGan, loadCheckpoint, saveCheckpoint, type BackendInfo } from "@ganscope/models";
import { RunStore, type EpochRecord } from "@ganscope/tracking";

/** What a worker reports while it trains, for the progress display. */
export type RunEvent =
  | { type: "start"; runId: string; fromEpoch: number; epochs: number; stepsPerEpoch: number }
  | { type: "progress"; runId: string; epoch: number; stepsDone: number; stepsTotal: number }
  | { type: "epoch"; runId: string; record: EpochRecord }
  | { type: "finish"; runId: string; outcome: RunOutcome };

export type RunOutcome =
  | { status: "done"; epochs: number; last: EpochRecord | undefined; secsPerEpoch: number }
  | { status: "skipped"; reason: string; last: EpochRecord | undefined }
  | { status: "diverged"; epoch: number; last: EpochRecord | undefined }
  | { status: "failed"; error: string };

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

  const gan = createGan(cfg);
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

    const stepsPerEpoch = batchesPerEpoch(train.count, cfg.batch_size);
    emit({ type: "start", runId: spec.runId, fromEpoch, epochs: cfg.epochs, stepsPerEpoch });
    const sampleNoise = gan.noise(GRID_COLS * GRID_FAKE_ROWS, SAMPLE_NOISE_SEED);
    const realDigits = realRow(test);
    const progressEvery = opts.progressEvery ?? 10;
    let trainSecs = records.reduce((s, r) => s + r.secs, 0);

    try {
      for (let epoch = fromEpoch + 1; epoch <= cfg.epochs; epoch++) {
        const t0 = performance.now();
        let stepInEpoch = 0;
        for (const batch of batchIterator(train, cfg.batch_size, cfg.seed, epoch)) {
          const real = tf.tensor2d(batch.images, [batch.size, size]);
          gan.trainStep(real);
          real.dispose();
          stepInEpoch++;
          if (stepInEpoch % progressEvery === 0) {
            emit({ type: "progress", runId: spec.runId, epoch, stepsDone: stepInEpoch, stepsTotal: stepsPerEpoch });
          }
        }
        const stats = await gan.takeStats();
        const secs = (performance.now() - t0) / 1000;
        trainSecs += secs;
        const record: EpochRecord = { epoch, ...stats, secs };
        await run.appendRecord(record);
        records.push(record);
        emit({ type: "epoch", runId: spec.runId, record });

        if (hasNonFinite(record)) {
          await run.writeStatus({ state: "failed", epochsDone: epoch, epochs: cfg.epochs, error: `diverged: non-finite loss or gradient at epoch ${epoch}` });
          await run.writeSummary({ runId: spec.runId, status: "diverged", epochs: epoch, last: record });
          const outcome: RunOutcome = { status: "diverged", epoch, last: record };
          emit({ type: "finish", runId: spec.runId, outcome });
          return outcome;
        }
        if (epoch % cfg.sample_every === 0 || epoch === cfg.epochs) {
          const fake = gan.generate(sampleNoise);
          const fakeData = await fake.data<"float32">();
          fake.dispose();
          const grid = new Float32Array(fakeData.length + realDigits.length);
          grid.set(fakeData);
          grid.set(realDigits, fakeData.length);
          await run.writeSample(epoch, encodeGridPng(grid, { rows: train.rows, cols: train.cols, gridCols: GRID_COLS }));
        }
        // Records first, checkpoint second: a kill in between replays this epoch and readRecords drops its line.
        await saveCheckpoint<CheckpointMeta>(gan, run.checkpointFile, { epoch });
        await run.writeStatus({ state: "running", epochsDone: epoch, epochs: cfg.epochs });
      }
    } finally {
      sampleNoise.dispose();
    }

    const last = records.at(-1);
    await run.writeSummary({
      runId: spec.runId,
      status: "done",
      epochs: cfg.epochs,
      trainSecs,
      secsPerEpoch: trainSecs / Math.max(1, records.length),
      final: last,
    });
    await run.writeStatus({ state: "done", epochsDone: cfg.epochs, epochs: cfg.epochs });
    const outcome: RunOutcome = { status: "done", epochs: cfg.epochs, last, secsPerEpoch: trainSecs / Math.max(1, records.length) };
    emit({ type: "finish", runId: spec.runId, outcome });
    return outcome;
  } catch (e) {
    const error = (e as Error).stack ?? String(e);
    const status = await run.readStatus();
    await run.writeStatus({ state: "failed", epochsDone: status?.epochsDone ?? 0, epochs: cfg.epochs, error: (e as Error).message });
    const outcome: RunOutcome = { status: "failed", error };
    emit({ type: "finish", runId: spec.runId, outcome });
    return outcome;
  } finally {
    gan.dispose();
    await lock.release();
  }
}
