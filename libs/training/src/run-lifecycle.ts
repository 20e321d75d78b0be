/**
 * One run's lifecycle, the one protocol every worker runs: open the run (skip
 * it when it is settled for its target, take its lock, reuse or extend it,
 * write config.json, restore its checkpoint, start the hooks), then after each
 * trained epoch record, evaluate, draw, checkpoint and ask the stop policies,
 * then complete or fail it, and always close it. Each step is a named function
 * over one record of the run being trained ({@link TrainingRun}); trainRun
 * (train-run.ts) and trainGroup (train-group.ts) call them around their epochs
 * (train-epoch.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import { existsSync, promises as fs } from "node:fs";
import { STEP_STAT_KEYS, UserError, type HalvingPolicy, type ResolvedStopPolicy, type RunSpec } from "@ganscope/dsl";
import { batchesPerEpoch, datasetDigest, datasetInfo, loadDataset, type Dataset } from "@ganscope/data";
import { CheckpointError, createGan, loadCheckpoint, saveCheckpoint, type BackendInfo, type Gan } from "@ganscope/models";
import { CorruptFileError, RunStore, recordSpan, settled as settledFor, timed, type EpochRecord, type RunDir, type RunOutcome, type RunStatus } from "@ganscope/tracking";
import type { RunContext, RunHooks } from "./hooks.js";
import type { RunEvent } from "./run-event.js";
import { sampleGrid, type SampleGrid } from "./sample-grid.js";
import { halvingDecision, stopDecision } from "./stopping.js";
import type { EpochStats } from "./train-epoch.js";

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

/** A run whose lock this process holds and whose GAN exists: what failing and closing it need. */
export interface HeldRun {
  readonly spec: RunSpec;
  readonly opts: TrainOptions;
  readonly store: RunStore;
  /** The run's folder in the store. */
  readonly folder: RunDir;
  readonly lock: { release(): Promise<void> };
  readonly gan: Gan;
  /** What the hooks see of the run. */
  readonly ctx: RunContext;
  readonly hooks: readonly RunHooks[];
  /** The run's target epochs. */
  readonly target: number;
  /** Drawn after sampled epochs; there once the run is open. */
  readonly grid?: SampleGrid;
}

/** A run open for training (see {@link openRun}): the one record every step of its lifecycle reads and writes. */
export interface TrainingRun extends HeldRun {
  readonly train: Dataset;
  /** The held-out split (never trained on). */
  readonly test: Dataset;
  readonly stepsPerEpoch: number;
  /** The epoch its checkpoint restored (0: training from scratch). */
  readonly fromEpoch: number;
  /** The next epoch to train. */
  epoch: number;
  /** Every record so far, resumed ones first; {@link afterEpoch} appends. */
  readonly records: EpochRecord[];
  readonly grid: SampleGrid;
}

interface CheckpointMeta {
  epoch: number;
}

const emit = (opts: TrainOptions, e: RunEvent) => opts.onEvent?.(e);

/** The last record at or before `epoch`: what a run reused at a smaller target reports. */
function recordAt(records: readonly EpochRecord[], epoch: number): EpochRecord | undefined {
  return records.filter((r) => r.epoch <= epoch).at(-1);
}

function hasNonFinite(r: EpochRecord): boolean {
  return STEP_STAT_KEYS.some((k) => !Number.isFinite(r[k]));
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

/** Whether `x` is a run ready to train rather than an outcome. */
export function isOpen(x: TrainingRun | RunOutcome): x is TrainingRun {
  return "gan" in x;
}

/**
 * Everything before a run's first epoch — skip a run that is settled, take
 * its lock, reuse or extend, write config.json (plus `extraConfig`, e.g. the
 * fused group it trains in), restore the checkpoint, start the hooks — or the
 * outcome when the run does not train. Faults of the store are one line, not a stack.
 */
export async function openRun(spec: RunSpec, opts: TrainOptions, extraConfig: Record<string, unknown> = {}): Promise<TrainingRun | RunOutcome> {
  try {
    return await openRunUnguarded(spec, opts, extraConfig);
  } catch (e) {
    // A fault of the store before training began (read-only folder, a name too long): one line, not a stack.
    if (e instanceof UserError) return { status: "failed", error: e.message };
    throw e;
  }
}

async function openRunUnguarded(spec: RunSpec, opts: TrainOptions, extraConfig: Record<string, unknown>): Promise<TrainingRun | RunOutcome> {
  const opened = performance.now();
  const store = new RunStore(opts.resultsDir);
  const run = store.run(opts.experiment, spec.runId);
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
    if (aside) emit(opts, { type: "notice", runId: spec.runId, message: `${spec.runId}: its own partial training was moved to ${aside}; linked to the run in ${reusedFrom}` });
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
    emit(opts, { type: "notice", runId: spec.runId, message: `${run.file("status.json")} was not valid JSON (kept as ${aside}); rebuilt from the checkpoint and the records` });
    status = undefined;
  }
  // A runner killed mid-write leaves its temp files; ours to clear now that we hold the lock.
  await run.removeStaleTemps();
  const extending = status?.state === "done" || status?.state === "stopped";

  const gan = createGan(cfg);
  const held: HeldRun = {
    spec,
    opts,
    store,
    folder: run,
    lock,
    gan,
    ctx: { spec, experiment: opts.experiment, file: opts.file, dir: run.dir, backend: opts.backend },
    hooks: opts.hooks ?? [],
    target,
  };
  try {
    if (extending && !existsSync(run.checkpointFile)) {
      throw new UserError(
        `cannot extend run ${spec.runId} from epoch ${status?.epochsDone} to ${target}: ${run.checkpointFile} is missing ` +
          `(its records stay as they are); move the run folder aside to train it again from epoch 1`,
      );
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

    // Shared views: every run of a worker reads the same scaled split instead of converting its own 188 MB copy.
    const train = loadDataset(cfg.dataset, { split: "train", limit: cfg.limit || undefined, shared: true });
    const test = loadDataset(cfg.dataset, { split: "test", shared: true });
    // Then what it trains on, read off the loaded split: MLflow logs it as the run's input.
    const info = datasetInfo(cfg.dataset);
    await run.writeConfig({
      ...stored,
      data: { id: cfg.dataset, description: info.source, file: info.train.imagesFile, digest: datasetDigest(train), images: train.count, splitImages: info.train.count, rows: train.rows, cols: train.cols },
    });

    let fromEpoch = 0;
    if (existsSync(run.checkpointFile)) {
      const meta = await loadCheckpoint<CheckpointMeta>(gan, run.checkpointFile).catch((e: unknown) => {
        if (e instanceof CheckpointError) {
          e.message += `; move it aside (mv ${run.checkpointFile} ${run.checkpointFile}.bad) to train this run again from epoch 1 — its records are then kept aside`;
        }
        throw e;
      });
      fromEpoch = meta.epoch;
    } else if ((await run.readRecords()).length > 0) {
      // Trained before, but its checkpoint is gone: start again from epoch 1, keeping the old records.
      const aside = await run.setRecordsAside();
      emit(opts, { type: "notice", runId: spec.runId, message: `${run.checkpointFile} is missing: training again from epoch 1; the old records are kept in ${aside}` });
    }
    // Records beyond the checkpoint are replayed, so they are cut (no duplicates); a corrupt line or a gap stops the run.
    const records = await run.resumeRecords(fromEpoch);
    await run.writeStatus({ state: "running", epochsDone: fromEpoch, epochs: target });
    recordSpan("run.open", performance.now() - opened, { runId: spec.runId });
    // A worker's first run prepares the metrics evaluator here (its classifier and real reference are spans of their own).
    await timed("run.hooks-start", { runId: spec.runId }, async () => {
      for (const h of held.hooks) await h.onStart?.(held.ctx, records);
    });

    const stepsPerEpoch = batchesPerEpoch(train.count, cfg.batch_size);
    emit(opts, { type: "start", runId: spec.runId, fromEpoch, epochs: target, stepsPerEpoch });
    return { ...held, train, test, stepsPerEpoch, fromEpoch, epoch: fromEpoch + 1, records, grid: sampleGrid(gan, test) };
  } catch (e) {
    const outcome = await failRun(held, e);
    await closeRun(held);
    return outcome;
  }
}

/** Tells the hooks and the caller how the run ended; returns the outcome. */
async function finish(run: HeldRun, outcome: RunOutcome): Promise<RunOutcome> {
  for (const h of run.hooks) await h.onFinish?.(run.ctx, outcome);
  emit(run.opts, { type: "finish", runId: run.spec.runId, outcome });
  return outcome;
}

/** What the hooks add to summary.json (e.g. the verdict), from all records. */
async function summarize(run: TrainingRun): Promise<Record<string, unknown>> {
  const extra: Record<string, unknown> = {};
  for (const h of run.hooks) Object.assign(extra, await h.summarize?.(run.ctx, run.records));
  return extra;
}

const trainSecs = (run: TrainingRun) => run.records.reduce((sum, r) => sum + r.secs, 0);
const secsPerEpoch = (run: TrainingRun) => trainSecs(run) / Math.max(1, run.records.length);

/** The plan's other runs' records as they stand now (read-only: their runners may be writing them). */
async function peerRecords(store: RunStore, experiment: string, self: string, peers: readonly string[]): Promise<Map<string, EpochRecord[]>> {
  const out = new Map<string, EpochRecord[]>();
  for (const id of peers) if (id !== self) out.set(id, await store.run(experiment, id).peekRecords());
  return out;
}

/**
 * After each trained epoch: the record (evaluated by the hooks), the sample
 * grid, the checkpoint, then the stop policy and successive halving. Returns
 * the outcome when the run ended here (diverged, stopped, yielded), else
 * undefined and the run's next epoch is due.
 */
export async function afterEpoch(run: TrainingRun, stats: EpochStats): Promise<RunOutcome | undefined> {
  const { spec, opts, folder, hooks, ctx, gan, records, target, fromEpoch } = run;
  const epoch = run.epoch;
  const where = { runId: spec.runId, epoch };
  // A fused run's secs are its share of the group's epoch, so the spans of a group's runs add up to its epoch.
  recordSpan("train", stats.secs * 1000, where);
  const record: EpochRecord = { epoch, ...stats };
  if (!hasNonFinite(record)) {
    // A run about to stop on its losses is evaluated now, so its last record says what it drew.
    const stopsOnLosses = stopDecision(opts.stop ?? null, [...records.filter((r) => r.epoch > fromEpoch), record]) !== undefined;
    const mustEvaluate = epoch === target || stopsOnLosses || (opts.halving?.policy.rungs.includes(epoch) ?? false);
    for (const h of hooks) Object.assign(record, await h.evaluate?.({ ...ctx, epoch, gan, test: run.test, records, mustEvaluate }));
  }
  await timed("record", where, async () => {
    await folder.appendRecord(record);
    records.push(record);
    emit(opts, { type: "epoch", runId: spec.runId, record });
    for (const h of hooks) await h.onEpoch?.(ctx, record);
  });

  if (hasNonFinite(record)) {
    const error = `diverged: non-finite loss or gradient at epoch ${epoch}`;
    await folder.writeStatus({ state: "failed", epochsDone: epoch, epochs: target, error });
    await folder.writeSummary({ runId: spec.runId, status: "diverged", epochs: epoch, final: record, ...(await summarize(run)) });
    return await finish(run, { status: "diverged", epoch, last: record });
  }
  if (epoch % spec.config.sample_every === 0 || epoch === target) {
    await timed("grid", where, async () => {
      const file = await folder.writeSample(epoch, await run.grid.png());
      for (const h of hooks) await h.onSample?.(ctx, epoch, file);
    });
  }
  // Records first, checkpoint second: a kill in between replays this epoch and readRecords drops its line.
  await timed("checkpoint", where, async () => {
    await saveCheckpoint<CheckpointMeta>(gan, folder.checkpointFile, { epoch });
    await folder.writeStatus({ state: "running", epochsDone: epoch, epochs: target });
    for (const h of hooks) await h.onCheckpoint?.(ctx, epoch, folder.checkpointFile);
  });
  run.epoch++;

  const stop =
    stopDecision(opts.stop ?? null, records.filter((r) => r.epoch > fromEpoch)) ??
    (opts.halving ? halvingDecision(opts.halving.policy, epoch, target, records, await peerRecords(run.store, opts.experiment, spec.runId, opts.halving.peers)) : undefined);
  if (stop) {
    const summary = await summarize(run);
    await folder.writeSummary({
      runId: spec.runId,
      status: "stopped",
      epochs: epoch,
      stop: { by: stop.by, epoch: stop.epoch, reason: stop.reason, evidence: stop.evidence, target },
      trainSecs: trainSecs(run),
      secsPerEpoch: secsPerEpoch(run),
      final: record,
      ...summary,
    });
    await folder.writeStatus({ state: "stopped", epochsDone: epoch, epochs: target, stopReason: stop.reason });
    return await finish(run, { status: "stopped", epoch, by: stop.by, reason: stop.reason, last: record, secsPerEpoch: secsPerEpoch(run), summary });
  }
  if (opts.yieldSignal?.aborted && epoch < target) return await finish(run, { status: "yielded", epoch, last: record });
  return undefined;
}

/** The run reached its target: summary.json, status done. */
export async function completeRun(run: TrainingRun): Promise<RunOutcome> {
  return await timed("summary", { runId: run.spec.runId }, async () => {
    const summary = await summarize(run);
    await run.folder.writeSummary({
      runId: run.spec.runId,
      status: "done",
      epochs: run.target,
      trainSecs: trainSecs(run),
      secsPerEpoch: secsPerEpoch(run),
      final: run.records.at(-1),
      ...summary,
    });
    await run.folder.writeStatus({ state: "done", epochsDone: run.target, epochs: run.target });
    return await finish(run, { status: "done", epochs: run.target, last: run.records.at(-1), secsPerEpoch: secsPerEpoch(run), summary });
  });
}

/** The run stopped on an error: status failed (where the disk still takes it), the error as its outcome. */
export async function failRun(run: HeldRun, e: unknown): Promise<RunOutcome> {
  const now = await run.folder.readStatus().catch(() => undefined);
  // On a full or read-only disk this write fails too; the error that stopped the run is the one to report.
  await run.folder.writeStatus({ state: "failed", epochsDone: now?.epochsDone ?? 0, epochs: run.target, error: (e as Error).message }).catch(() => {});
  return await finish(run, { status: "failed", error: e instanceof UserError ? e.message : ((e as Error).stack ?? String(e)) });
}

/** Frees the GAN and the grid's noise and releases the lock (always, last). */
export async function closeRun(run: HeldRun): Promise<void> {
  run.grid?.dispose();
  run.gan.dispose();
  await run.lock.release();
}
