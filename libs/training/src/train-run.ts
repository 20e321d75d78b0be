import * as tf from "@tensorflow/tfjs-core";
import { existsSync, promises as fs } from "node:fs";
import { STEP_STAT_KEYS, type HalvingPolicy, type ResolvedStopPolicy, type RunSpec } from "@ganscope/dsl";
import { batchIterator, batchesPerEpoch, datasetDigest, datasetInfo, encodeGridPng, loadDataset, type BatchSource, type Dataset } from "@ganscope/data";
import { createGan, loadCheckpoint, saveCheckpoint, type BackendInfo, type Gan, type StepStats } from "@ganscope/models";
import { CorruptFileError, RunStore, settled as settledFor, type EpochRecord, type RunDir, type RunStatus, type SettledInput } from "@ganscope/tracking";
import { halvingDecision, stopDecision, type StopDecision } from "./stopping.js";

/** What a worker reports while it trains, for the progress display. */
export type RunEvent =
  | { type: "start"; runId: string; fromEpoch: number; epochs: number; stepsPerEpoch: number }
  | { type: "progress"; runId: string; epoch: number; stepsDone: number; stepsTotal: number }
  | { type: "epoch"; runId: string; record: EpochRecord }
  | { type: "finish"; runId: string; outcome: RunOutcome }
  /** Something the user should know that does not stop the run (records set aside, a status rebuilt). */
  | { type: "notice"; runId: string; message: string };

export type RunOutcome =
  | { status: "done"; epochs: number; last: EpochRecord | undefined; secsPerEpoch: number; /** What the hooks added to summary.json (e.g. the verdict). */ summary?: Readonly<Record<string, unknown>> }
  | { status: "skipped"; reason: string; last: EpochRecord | undefined }
  | { status: "diverged"; epoch: number; last: EpochRecord | undefined }
  /** Ended early by the stop policy or successive halving; extendable later (`--resume-stopped`). */
  | { status: "stopped"; epoch: number; by: StopDecision["by"]; reason: string; last: EpochRecord | undefined; secsPerEpoch: number; summary?: Readonly<Record<string, unknown>> }
  | { status: "failed"; error: string }
  /** Asked to stop (a queue worker's SIGTERM): the last epoch is checkpointed, the run resumes wherever it is picked up next. */
  | { status: "yielded"; epoch: number; last: EpochRecord | undefined };

/**
 * What an outcome says of its run's state, for @ganscope/tracking's
 * `settled` (the queue asks it of a done job when the run is queued again,
 * perhaps for more epochs); undefined where the outcome leaves the run
 * unsettled (failed, diverged, given back, busy).
 */
export function outcomeStatus(outcome: RunOutcome): SettledInput | undefined {
  switch (outcome.status) {
    case "done":
      return { state: "done", epochsDone: outcome.epochs };
    case "stopped":
      return { state: "stopped", epochsDone: outcome.epoch, stopReason: outcome.reason };
    case "skipped": {
      // The reasons `settled` gave; a skip for any other reason (another process holds the run) settles nothing.
      const done = /^done to (\d+) epoch/.exec(outcome.reason);
      if (done) return { state: "done", epochsDone: Number(done[1]) };
      const stopped = /^stopped at epoch (\d+)/.exec(outcome.reason);
      if (stopped) return { state: "stopped", epochsDone: Number(stopped[1]) };
      return undefined;
    }
    default:
      return undefined;
  }
}

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
  /**
   * Evaluate this epoch whatever the cadence: it is the run's last (its
   * target, a rung of successive halving, or the stop policy is about to stop it).
   */
  readonly mustEvaluate: boolean;
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
  /** The plan's stop policy (`plan.stop`); undefined or null never stops a run early. */
  stop?: ResolvedStopPolicy;
  /** Successive halving across the plan: the policy and the ids of the plan's other runs (read from the same experiment folder). */
  halving?: { policy: HalvingPolicy; peers: readonly string[] };
  /** Train a `stopped` run on towards its epochs instead of skipping it. */
  resumeStopped?: boolean;
  /**
   * Aborted when the run should give way (a queue worker stopping): the
   * epoch in progress is finished and checkpointed, then the run returns
   * "yielded" instead of starting the next one.
   */
  yieldSignal?: AbortSignal;
}

/** The last record at or before `epoch`: what a run reused at a smaller target reports. */
function recordAt(records: readonly EpochRecord[], epoch: number): EpochRecord | undefined {
  return records.filter((r) => r.epoch <= epoch).at(-1);
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
  return STEP_STAT_KEYS.some((k) => !Number.isFinite(r[k]));
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

/** Faults of the disk or the store's files: their message is the whole story, a stack trace would bury it. */
const USER_FACING = new Set(["StoreWriteError", "CheckpointError", "CorruptRecordsError", "CorruptFileError", "DataError"]);
function userFacing(e: unknown): boolean {
  return e instanceof Error && USER_FACING.has(e.name);
}

/** status.json, or "corrupt" when it exists but is not valid JSON (the caller decides; it is never trusted nor dropped). */
async function readStatusOrCorrupt(run: RunDir): Promise<RunStatus | undefined | "corrupt"> {
  try {
    return await run.readStatus();
  } catch (e) {
    if (e instanceof CorruptFileError) return "corrupt";
    throw e;
  }
}

/** Renames a file to `<file>.corrupt-<time>`, so its bytes are kept; returns the new name. */
async function moveAside(file: string): Promise<string> {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  await fs.rename(file, aside);
  return aside;
}

/**
 * Why a run needs no training now, from its status: done to at least the
 * target, or stopped early (unless asked to go on). Undefined when it trains.
 */
function settled(status: RunStatus | undefined | "corrupt", target: number, resumeStopped: boolean): string | undefined {
  return status === "corrupt" ? undefined : settledFor(status, target, { resumeStopped });
}

/**
 * The outcome of reusing a run that needs no training. Reads, never writes;
 * what is wrong with the run's files (deleted config.json or metrics.jsonl,
 * an invalid summary.json, a corrupt record) is said in the reason. It
 * reports the record at the asked target (a run done to 100 epochs asked for 20 reports epoch 20).
 */
async function skipDone(run: RunDir, reason: string, target: number): Promise<RunOutcome> {
  const problems: string[] = [];
  let records: EpochRecord[] = [];
  try {
    records = await run.readRecords();
    if (records.length === 0) problems.push(`${run.file("metrics.jsonl")} is ${existsSync(run.file("metrics.jsonl")) ? "empty" : "missing"}`);
  } catch (e) {
    problems.push((e as Error).message);
  }
  for (const [name, read] of [
    ["config.json", () => run.readConfig()],
    ["summary.json", () => run.readSummary()],
  ] as const) {
    try {
      if ((await read()) === undefined) problems.push(`${run.file(name)} is missing`);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const warning = problems.length > 0 ? `; but ${problems.join("; ")} — nothing was changed; move the run's folder aside to train it again` : "";
  return { status: "skipped", reason: reason + warning, last: recordAt(records, target) };
}

const isLink = async (dir: string) => (await fs.lstat(dir).catch(() => undefined))?.isSymbolicLink() ?? false;

/**
 * The worker's whole job: take a RunSpec, train it, write the store.
 * A run's `epochs` is a target: a run done to fewer epochs is extended from
 * its checkpoint, one done to as many or more is reused, a run killed halfway
 * resumes. After each epoch the stop policy and successive halving may end it
 * early (status `stopped`). Faults of the store are one line, not a stack.
 */
export async function trainRun(spec: RunSpec, opts: TrainOptions): Promise<RunOutcome> {
  const open = await openRun(spec, opts);
  if (!isOpen(open)) return open;
  const emit = opts.onEvent ?? (() => {});
  const progressEvery = opts.progressEvery ?? 10;
  try {
    while (open.epoch <= open.target) {
      const epoch = open.epoch;
      const stats = await trainEpoch(open.gan, open.train, epoch, {
        progressEvery,
        onProgress: (stepsDone) => emit({ type: "progress", runId: spec.runId, epoch, stepsDone, stepsTotal: open.stepsPerEpoch }),
      });
      const ended = await open.afterEpoch(stats);
      if (ended) return ended;
    }
    return await open.complete();
  } catch (e) {
    return await open.fail(e);
  } finally {
    await open.close();
  }
}

/** A run opened for training: lock held, config written, checkpoint restored, hooks started (see {@link openRun}). */
export interface OpenRun {
  readonly spec: RunSpec;
  readonly gan: Gan;
  readonly train: Dataset;
  readonly stepsPerEpoch: number;
  /** The run's target epochs. */
  readonly target: number;
  /** The next epoch to train. */
  epoch: number;
  /** After each trained epoch: records, evaluation, samples, checkpoint, stop policy. An outcome when the run ended (diverged, stopped). */
  afterEpoch(stats: EpochStats): Promise<RunOutcome | undefined>;
  /** The run reached its target: summary, status done. */
  complete(): Promise<RunOutcome>;
  fail(e: unknown): Promise<RunOutcome>;
  /** Releases the lock and frees the GAN (always, last). */
  close(): Promise<void>;
}

/** Whether `x` is a run ready to train rather than an outcome. */
export function isOpen(x: OpenRun | RunOutcome): x is OpenRun {
  return "afterEpoch" in x;
}

/**
 * Everything of trainRun before its first epoch — skip a run that is
 * settled, take its lock, reuse or extend, write config.json (plus
 * `extraConfig`, e.g. the fused group it trains in), restore the
 * checkpoint, start the hooks — and the per-epoch lifecycle after, for
 * callers that train the epochs themselves (trainRun, trainGroup).
 */
export async function openRun(spec: RunSpec, opts: TrainOptions, extraConfig: Record<string, unknown> = {}): Promise<OpenRun | RunOutcome> {
  try {
    return await openRunUnguarded(spec, opts, extraConfig);
  } catch (e) {
    // A fault of the store before training began (read-only folder, a name too long): one line, not a stack.
    if (userFacing(e)) return { status: "failed", error: (e as Error).message };
    throw e;
  }
}

async function openRunUnguarded(spec: RunSpec, opts: TrainOptions, extraConfig: Record<string, unknown>): Promise<OpenRun | RunOutcome> {
  const store = new RunStore(opts.resultsDir);
  const run = store.run(opts.experiment, spec.runId);
  const emit = opts.onEvent ?? (() => {});
  const cfg = spec.config;
  const target = cfg.epochs;
  const resumeStopped = opts.resumeStopped ?? false;

  const already = settled(await readStatusOrCorrupt(run), target, resumeStopped);
  if (already) return skipDone(run, already, target);
  // The lock comes first: whatever is done to the run's folder below (linking it, resuming it) is done by its one holder.
  let lock = await run.lock();
  const busy = (holder: { pid: number; host: string; since: string }): RunOutcome => ({
    status: "skipped",
    reason: `being trained by pid ${holder.pid} on ${holder.host} since ${holder.since}`,
    last: undefined,
  });
  if ("heldBy" in lock) return busy(lock.heldBy);
  // Another runner may have finished it between our first look and taking the lock.
  let status = await readStatusOrCorrupt(run);
  const settledNow = settled(status, target, resumeStopped);
  if (settledNow) {
    await lock.release();
    return skipDone(run, settledNow, target);
  }
  const reusedFrom = (await isLink(run.dir)) ? undefined : await store.findFinished(spec.runId, opts.experiment);
  const here = status === "corrupt" ? 0 : (status?.epochsDone ?? 0);
  if (reusedFrom && ((await store.run(reusedFrom, spec.runId).readStatus().catch(() => undefined))?.epochsDone ?? 0) > here) {
    // linkRun keeps anything this folder held (records, a checkpoint) aside: it never deletes them.
    const aside = await store.linkRun(opts.experiment, spec.runId, reusedFrom);
    await lock.release();
    if (aside) emit({ type: "notice", runId: spec.runId, message: `${spec.runId}: its own partial training was moved to ${aside}; linked to the run in ${reusedFrom}` });
    status = await readStatusOrCorrupt(run);
    const linked = settled(status, target, resumeStopped);
    if (linked) return skipDone(run, `${linked}, trained in ${reusedFrom}`, target);
    // The same run, asked for more epochs here: extended where it lives (one run, one folder), under that folder's lock.
    lock = await run.lock();
    if ("heldBy" in lock) return busy(lock.heldBy);
    status = await readStatusOrCorrupt(run);
    const settledThere = settled(status, target, resumeStopped);
    if (settledThere) {
      await lock.release();
      return skipDone(run, `${settledThere}, trained in ${reusedFrom}`, target);
    }
  }
  if (status === "corrupt") {
    const aside = await moveAside(run.file("status.json"));
    emit({ type: "notice", runId: spec.runId, message: `${run.file("status.json")} was not valid JSON (kept as ${aside}); rebuilt from the checkpoint and the records` });
    status = undefined;
  }
  // A runner killed mid-write leaves its temp files; ours to clear now that we hold the lock.
  await run.removeStaleTemps();
  const extending = status?.state === "done" || status?.state === "stopped";

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
  let sampleNoise: tf.Tensor2D | undefined;
  const fail = async (e: unknown): Promise<RunOutcome> => {
    const now = await run.readStatus().catch(() => undefined);
    // On a full or read-only disk this write fails too; the error that stopped the run is the one to report.
    await run.writeStatus({ state: "failed", epochsDone: now?.epochsDone ?? 0, epochs: target, error: (e as Error).message }).catch(() => {});
    return await finish({ status: "failed", error: userFacing(e) ? (e as Error).message : ((e as Error).stack ?? String(e)) });
  };
  const close = async () => {
    sampleNoise?.dispose();
    gan.dispose();
    await lock.release();
  };
  try {
    if (extending && !existsSync(run.checkpointFile)) {
      const e = new Error(
        `cannot extend run ${spec.runId} from epoch ${status?.epochsDone} to ${target}: ${run.checkpointFile} is missing ` +
          `(its records stay as they are); move the run folder aside to train it again from epoch 1`,
      );
      e.name = "CheckpointError";
      throw e;
    }
    const stored = {
      runId: spec.runId,
      experiment: opts.experiment,
      file: opts.file,
      varied: spec.varied,
      config: cfg,
      backend: opts.backend,
      versions: { tfjs: tf.version_core, node: process.version },
      ...extraConfig,
    };
    // Written before the data is read, so a dataset that fails to load still leaves a run that says what it was.
    await run.writeConfig(stored);

    const train = loadDataset(cfg.dataset, { split: "train", limit: cfg.limit || undefined });
    const test = loadDataset(cfg.dataset, { split: "test" });
    // Then what it trains on, read off the loaded split: MLflow logs it as the run's input.
    const info = datasetInfo(cfg.dataset);
    await run.writeConfig({
      ...stored,
      data: { id: cfg.dataset, description: info.source, file: info.train.imagesFile, digest: datasetDigest(train), images: train.count, splitImages: info.train.count, rows: train.rows, cols: train.cols },
    });

    let fromEpoch = 0;
    if (existsSync(run.checkpointFile)) {
      const meta = await loadCheckpoint<CheckpointMeta>(gan, run.checkpointFile).catch((e: unknown) => {
        if (e instanceof Error && e.name === "CheckpointError") {
          e.message += `; move it aside (mv ${run.checkpointFile} ${run.checkpointFile}.bad) to train this run again from epoch 1 — its records are then kept aside`;
        }
        throw e;
      });
      fromEpoch = meta.epoch;
    } else if ((await run.readRecords()).length > 0) {
      // Trained before, but its checkpoint is gone: start again from epoch 1, keeping the old records.
      const aside = await run.setRecordsAside();
      emit({ type: "notice", runId: spec.runId, message: `${run.checkpointFile} is missing: training again from epoch 1; the old records are kept in ${aside}` });
    }
    // Records beyond the checkpoint are replayed, so they are cut (no duplicates); a corrupt line or a gap stops the run.
    const records = await run.resumeRecords(fromEpoch);
    await run.writeStatus({ state: "running", epochsDone: fromEpoch, epochs: target });
    for (const h of hooks) await h.onStart?.(ctx, records);

    const stepsPerEpoch = batchesPerEpoch(train.count, cfg.batch_size);
    emit({ type: "start", runId: spec.runId, fromEpoch, epochs: target, stepsPerEpoch });
    sampleNoise = gan.noise(GRID_COLS * GRID_FAKE_ROWS, SAMPLE_NOISE_SEED);
    const realDigits = realRow(test);
    const secsPerEpoch = () => records.reduce((sum, r) => sum + r.secs, 0) / Math.max(1, records.length);

    const open: OpenRun = {
      spec,
      gan,
      train,
      stepsPerEpoch,
      target,
      epoch: fromEpoch + 1,
      async afterEpoch(stats) {
        const epoch = open.epoch;
        const record: EpochRecord = { epoch, ...stats };
        if (!hasNonFinite(record)) {
          // A run about to stop on its losses is evaluated now, so its last record says what it drew.
          const stopsOnLosses = stopDecision(opts.stop ?? null, [...records.filter((r) => r.epoch > fromEpoch), record]) !== undefined;
          const mustEvaluate = epoch === target || stopsOnLosses || (opts.halving?.policy.rungs.includes(epoch) ?? false);
          for (const h of hooks) Object.assign(record, await h.evaluate?.({ ...ctx, epoch, gan, test, records, mustEvaluate }));
        }
        await run.appendRecord(record);
        records.push(record);
        emit({ type: "epoch", runId: spec.runId, record });
        for (const h of hooks) await h.onEpoch?.(ctx, record);

        if (hasNonFinite(record)) {
          const error = `diverged: non-finite loss or gradient at epoch ${epoch}`;
          await run.writeStatus({ state: "failed", epochsDone: epoch, epochs: target, error });
          await run.writeSummary({ runId: spec.runId, status: "diverged", epochs: epoch, final: record, ...(await summarize(records)) });
          return await finish({ status: "diverged", epoch, last: record });
        }
        if (epoch % cfg.sample_every === 0 || epoch === target) {
          const fake = gan.generate(sampleNoise!);
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
        await run.writeStatus({ state: "running", epochsDone: epoch, epochs: target });
        for (const h of hooks) await h.onCheckpoint?.(ctx, epoch, run.checkpointFile);
        open.epoch++;

        const stop =
          stopDecision(opts.stop ?? null, records.filter((r) => r.epoch > fromEpoch)) ??
          (opts.halving ? halvingDecision(opts.halving.policy, epoch, target, records, await peerRecords(store, opts.experiment, spec.runId, opts.halving.peers)) : undefined);
        if (stop) {
          const summary = await summarize(records);
          await run.writeSummary({
            runId: spec.runId,
            status: "stopped",
            epochs: epoch,
            stop: { by: stop.by, epoch: stop.epoch, reason: stop.reason, evidence: stop.evidence, target },
            trainSecs: records.reduce((sum, r) => sum + r.secs, 0),
            secsPerEpoch: secsPerEpoch(),
            final: record,
            ...summary,
          });
          await run.writeStatus({ state: "stopped", epochsDone: epoch, epochs: target, stopReason: stop.reason });
          return await finish({ status: "stopped", epoch, by: stop.by, reason: stop.reason, last: record, secsPerEpoch: secsPerEpoch(), summary });
        }
        if (opts.yieldSignal?.aborted && epoch < target) return await finish({ status: "yielded", epoch, last: record });
        return undefined;
      },
      async complete() {
        const summary = await summarize(records);
        await run.writeSummary({
          runId: spec.runId,
          status: "done",
          epochs: target,
          trainSecs: records.reduce((sum, r) => sum + r.secs, 0),
          secsPerEpoch: secsPerEpoch(),
          final: records.at(-1),
          ...summary,
        });
        await run.writeStatus({ state: "done", epochsDone: target, epochs: target });
        return await finish({ status: "done", epochs: target, last: records.at(-1), secsPerEpoch: secsPerEpoch(), summary });
      },
      fail,
      close,
    };
    return open;
  } catch (e) {
    const outcome = await fail(e);
    await close();
    return outcome;
  }
}

/** The plan's other runs' records as they stand now (read-only: their runners may be writing them). */
async function peerRecords(store: RunStore, experiment: string, self: string, peers: readonly string[]): Promise<Map<string, EpochRecord[]>> {
  const out = new Map<string, EpochRecord[]>();
  for (const id of peers) if (id !== self) out.set(id, await store.run(experiment, id).peekRecords());
  return out;
}
