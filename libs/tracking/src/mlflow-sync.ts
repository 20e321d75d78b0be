/**
 * Replays what an MLflow server is missing from the run store. The store is
 * the record; MLflow is a copy that may lag (server down, runner killed), so
 * every step compares before it writes: a run is found through mlflow.json or
 * its `ganscope.run_id` tag before one is created, params only fill gaps
 * (they are write-once), metrics are logged for the (key, epoch) pairs the
 * server lacks, artifacts for the files it lacks or has at another size, and
 * the status is set when it differs. Running it twice changes nothing.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SCHEDULE_KEYS, mlflowMetricName, valueAt } from "@ganscope/dsl";
import { readJsonIfExists, writeJsonAtomic } from "./atomic-file.js";
import { datasetInputOf, mlflowDatasetName } from "./mlflow-dataset.js";
import { MLFLOW_LOGGED_IMAGES_TAG, SAMPLES_IMAGE_KEY, logImageStep, loggedImages } from "./mlflow-images.js";
import { MlflowClient, MlflowError, type MlflowMetric, type MlflowParam, type MlflowRun, type MlflowRunStatus, type MlflowTag } from "./mlflow-client.js";
import { RESULTS_FILES, type EpochRecord, type MlflowLink, type MlflowLinks } from "./store-formats.js";
import type { RunDir } from "./run-dir.js";
import type { RunIndexEntry } from "./experiment-index.js";
import { RunStore } from "./run-store.js";
import type { Standing } from "./run-state.js";

/** Tag keys ganscope sets on its MLflow runs. */
export const MLFLOW_TAGS = {
  runId: "ganscope.run_id",
  plan: "ganscope.plan",
  file: "ganscope.experiment_file",
  backend: "ganscope.backend",
  linkedFrom: "ganscope.linked_from",
  /** The epoch of the run's latest checkpoint artifact, set once its upload is complete. */
  checkpointEpoch: "ganscope.checkpoint_epoch",
  gitCommit: "mlflow.source.git.commit",
  sourceName: "mlflow.source.name",
  sourceType: "mlflow.source.type",
  /** The run's verdict (summary.json), so `tags.verdict = 'mode_collapse'` filters in the UI and in search_runs. */
  verdict: "verdict",
  /** MLflow's description field, for experiments and runs alike (the experiment's `.describe()` text). */
  description: "mlflow.note.content",
  user: "mlflow.user",
} as const;

/** Where a run's checkpoints go in its MLflow artifacts. */
export const CHECKPOINT_ARTIFACTS = "checkpoints";

export function checkpointArtifact(epoch: number): string {
  return `${CHECKPOINT_ARTIFACTS}/epoch-${String(epoch).padStart(4, "0")}.bin`;
}

/** Experiment tags: MLflow 3's UI opens an experiment of this kind on its training runs, not on the GenAI overview. */
export const MLFLOW_EXPERIMENT_KIND = { key: "mlflow.experimentKind", value: "custom_model_development" } as const;

/**
 * A run's best values (summary.json) as run tags `best.<key>` = `<value> (epoch <n>)`.
 *
 * Not metrics: MLflow's run page draws a chart for every metric key, in
 * sections named by the key's prefix, and it puts every `prefix/` section,
 * alphabetically, above the unprefixed "Model metrics" section
 * (RunsChartsCardConfig.getBaseChartAndSectionConfigs in the 3.x UI), so no
 * name of a one-value metric sorts after the loss curves; as `best/*` and
 * `final/*` metrics they were a dozen one-dot charts above them and 20-odd
 * more keys in the runs table's column picker. Tags show on the run's
 * overview and as runs-table columns, and draw nothing. The final values
 * need no copy at all: they are the last evaluation's, which is every
 * per-epoch metric's latest value, what the runs table shows, sorts and
 * filters numerically (`metrics.fid_lite < 60`).
 */
export function summaryTagsOf(summary: Record<string, unknown> | undefined): MlflowTag[] {
  const metrics = summary && typeof summary["metrics"] === "object" && summary["metrics"] !== null ? (summary["metrics"] as Record<string, unknown>) : {};
  const best = metrics["best"];
  if (!best || typeof best !== "object") return [];
  const out: MlflowTag[] = [];
  for (const [k, v] of Object.entries(best)) {
    const b = v && typeof v === "object" ? (v as { value?: unknown; epoch?: unknown }) : {};
    if (typeof b.value !== "number" || !Number.isFinite(b.value)) continue;
    out.push({ key: `${SUMMARY_TAG_PREFIX}${k}`, value: `${Number(b.value.toPrecision(4))}${typeof b.epoch === "number" ? ` (epoch ${b.epoch})` : ""}` });
  }
  return out;
}

/** Prefix of the summary tags: `best.fid_lite`. */
export const SUMMARY_TAG_PREFIX = "best.";

/** The user MLflow's own client records (getpass.getuser()). */
function currentUser(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return process.env["USER"] ?? process.env["LOGNAME"];
  }
}

/** What one run's sync did. Counts are what was sent, so a second sync reports zeros. */
export interface RunSyncReport {
  experiment: string;
  runId: string;
  mlflowRunId?: string;
  created: boolean;
  params: number;
  tags: number;
  metrics: number;
  artifacts: number;
  /** Sample grids logged as MLflow images (each an image and its thumbnail). */
  images: number;
  /** The training data was logged as the run's input. */
  input?: boolean;
  /** The checkpoint epoch uploaded and tagged, when the server's tag was behind the store's checkpoint. */
  checkpointEpoch?: number;
  /** The status set, when it changed. */
  status?: MlflowRunStatus;
  /** Why nothing was synced (not started, being trained by another process). */
  skipped?: string;
  /** Why the sync failed or is incomplete; the store is untouched either way. */
  error?: string;
  /** The server could not be reached (the rest of a sync is not attempted). */
  unreachable?: boolean;
  /**
   * Epochs the server has metrics for after the sync. It can hold an epoch
   * the store has dropped: logged live, then the runner was killed before
   * that epoch's checkpoint; the live sink does not log it again.
   */
  serverEpochs?: number[];
}

/** Readable run name: the varied values, then the run id. */
export function mlflowRunName(runId: string, varied: Record<string, unknown>): string {
  const parts = Object.entries(varied).map(([k, v]) => `${k}=${String(v)}`);
  return `${parts.length > 0 ? parts.join(" ") : "baseline"} · ${runId}`;
}

/** Hyperparameters as MLflow params: one per config key, stringified the same way every time (write-once). */
export function paramsOf(config: Record<string, unknown>): MlflowParam[] {
  return Object.keys(config)
    .sort()
    .map((key) => ({ key, value: typeof config[key] === "string" ? (config[key] as string) : JSON.stringify(config[key]) }));
}

/** One epoch record as metrics at step = epoch; non-finite values (stored as null) are logged as NaN. */
export function metricsOf(record: EpochRecord, timestamp: number): MlflowMetric[] {
  return Object.entries(record)
    .filter(([k, v]) => k !== "epoch" && (typeof v === "number" || v === null))
    .map(([key, v]) => ({ key: mlflowMetricName(key), value: typeof v === "number" ? v : NaN, timestamp, step: record.epoch }));
}

/** The MLflow status a run store state maps to; undefined for a run not started. */
export function mlflowStatusOf(state: Standing): MlflowRunStatus | undefined {
  switch (state) {
    case "pending":
      return undefined;
    case "running":
      return "RUNNING";
    case "interrupted":
      return "KILLED";
    case "done":
    // Ended early on purpose (a stop policy or halving): finished, not failed; summary.json says why.
    case "stopped":
      return "FINISHED";
    case "failed":
      return "FAILED";
  }
}

const TERMINAL: readonly MlflowRunStatus[] = ["FINISHED", "FAILED", "KILLED"];

export interface SyncRunOptions {
  /**
   * Take the run's lock while syncing (default). The live sink, which runs
   * inside the process that holds the lock, passes false.
   */
  lock?: boolean;
  /** Status to set instead of the one the store implies (the live sink sets RUNNING at start). */
  status?: MlflowRunStatus;
}

/** Replays the run store into one MLflow server. */
export class MlflowSync {
  constructor(
    readonly client: MlflowClient,
    readonly store: RunStore,
  ) {}

  private readonly experimentIds = new Map<string, string>();

  /** The experiment's id; on first use in this sync, its kind and description are set where they differ. */
  async experimentId(experiment: string): Promise<string> {
    let id = this.experimentIds.get(experiment);
    if (id === undefined) {
      id = await this.client.getOrCreateExperiment(experiment);
      const have = new Map(((await this.client.getExperimentByName(experiment))?.tags ?? []).map((t) => [t.key, t.value]));
      const description = (await this.store.readPlan(experiment).catch(() => undefined))?.description;
      const want: MlflowTag[] = [MLFLOW_EXPERIMENT_KIND, ...(description ? [{ key: MLFLOW_TAGS.description, value: description }] : [])];
      for (const t of want) if (have.get(t.key) !== t.value) await this.client.setExperimentTag(id, t.key, t.value);
      this.experimentIds.set(experiment, id);
    }
    return id;
  }

  /** Every started run of the experiment (or of every experiment in the store). */
  async syncAll(experiments?: readonly string[]): Promise<RunSyncReport[]> {
    const reports: RunSyncReport[] = [];
    let down: string | undefined;
    for (const exp of experiments ?? (await this.store.experiments())) {
      const index = await this.store.index(exp);
      for (const entry of index.runs) {
        if (down) {
          reports.push({ experiment: exp, runId: entry.runId, created: false, params: 0, tags: 0, metrics: 0, artifacts: 0, images: 0, skipped: `not tried: ${down}`, unreachable: true });
          continue;
        }
        const report = await this.syncEntry(exp, entry, {});
        // One unreachable server is enough to know: do not wait out every run's retries.
        if (report.unreachable) down = `${this.client.trackingUri} is unreachable`;
        reports.push(report);
      }
    }
    return reports;
  }

  async syncRun(experiment: string, runId: string, opts: SyncRunOptions = {}): Promise<RunSyncReport> {
    const index = await this.store.index(experiment);
    const entry = index.runs.find((r) => r.runId === runId);
    if (!entry) return { experiment, runId, created: false, params: 0, tags: 0, metrics: 0, artifacts: 0, images: 0, skipped: "not in the run store" };
    return this.syncEntry(experiment, entry, opts);
  }

  private async syncEntry(experiment: string, entry: RunIndexEntry, opts: SyncRunOptions): Promise<RunSyncReport> {
    const report: RunSyncReport = { experiment, runId: entry.runId, created: false, params: 0, tags: 0, metrics: 0, artifacts: 0, images: 0 };
    if (entry.unreadable) return { ...report, skipped: entry.unreadable };
    if (entry.state === "pending") return { ...report, skipped: "not started" };
    const run = this.store.run(experiment, entry.runId);
    let release: (() => Promise<void>) | undefined;
    if (opts.lock ?? true) {
      const lock = await run.lock();
      if ("heldBy" in lock) {
        return { ...report, skipped: `being trained by pid ${lock.heldBy.pid} on ${lock.heldBy.host}, whose runner logs it` };
      }
      release = lock.release;
      // Re-read under the lock: the run may have finished or started meanwhile.
      const fresh = (await this.store.index(experiment)).runs.find((r) => r.runId === entry.runId);
      if (fresh) entry = fresh;
      // Our own lock makes a "running" run look live; it is not being trained.
      if (entry.state === "running") entry = { ...entry, state: "interrupted" };
    }
    try {
      await this.replay(experiment, entry, run, report, opts.status ?? mlflowStatusOf(entry.state));
    } catch (e) {
      report.error = (e as Error).message;
      if (e instanceof MlflowError && e.status === 0) report.unreachable = true;
    } finally {
      await release?.();
    }
    return report;
  }

  private async replay(experiment: string, entry: RunIndexEntry, run: RunDir, report: RunSyncReport, status: MlflowRunStatus | undefined): Promise<void> {
    const config = await run.readConfig();
    if (!config) throw new Error(`${run.dir}: no ${RESULTS_FILES.config}; nothing to sync`);
    const plan = await this.store.readPlan(experiment);
    const runStatus = await run.readStatus();
    const startTime = runStatus?.startedAt ? Date.parse(runStatus.startedAt) : Date.now();

    const tags: MlflowTag[] = [
      { key: MLFLOW_TAGS.runId, value: entry.runId },
      { key: MLFLOW_TAGS.plan, value: experiment },
      { key: MLFLOW_TAGS.sourceType, value: "LOCAL" },
    ];
    const file = config.file ?? plan?.file;
    if (file) tags.push({ key: MLFLOW_TAGS.file, value: file }, { key: MLFLOW_TAGS.sourceName, value: file });
    if (config.backend) tags.push({ key: MLFLOW_TAGS.backend, value: `${config.backend.name} (${config.backend.provider})` });
    if (runStatus?.gitCommit) tags.push({ key: MLFLOW_TAGS.gitCommit, value: runStatus.gitCommit });
    if (entry.linkedFrom) tags.push({ key: MLFLOW_TAGS.linkedFrom, value: entry.linkedFrom });
    const summaryJson = await run.readSummary().catch(() => undefined);
    const verdict = summaryJson?.["verdict"];
    if (typeof verdict === "string" && verdict !== "") tags.push({ key: MLFLOW_TAGS.verdict, value: verdict });
    tags.push(...summaryTagsOf(summaryJson));
    const samples = await run.samples();
    if (samples.length > 0) tags.push(MLFLOW_LOGGED_IMAGES_TAG);
    if (plan?.description) tags.push({ key: MLFLOW_TAGS.description, value: runDescription(plan.description, entry.varied, config.config) });
    // The user who created the run, as MLflow's client records it; a later sync by someone else does not rewrite it.
    const user = currentUser();
    const createTags = user ? [...tags, { key: MLFLOW_TAGS.user, value: user }] : tags;

    const { run: mlRun, created } = await this.ensureRun(experiment, entry, run, startTime, createTags);
    report.mlflowRunId = mlRun.info.run_id;
    report.created = created;
    const runId = mlRun.info.run_id;

    // Params: fill gaps only; a different value on the server is reported, never overwritten.
    const have = new Map((mlRun.data.params ?? []).map((p) => [p.key, p.value]));
    const params = paramsOf(config.config);
    // The schedule (epochs, sample_every, eval_every) is no part of a run's identity: a run extended
    // from 2 epochs to 5 is the same run, its `epochs` param keeps the first target (write-once) and
    // config.json (re-uploaded when it changes) says the current one. Not a conflict.
    const schedule: ReadonlySet<string> = new Set(SCHEDULE_KEYS);
    const conflicts = params.filter((p) => have.has(p.key) && have.get(p.key) !== p.value && !schedule.has(p.key));
    const newParams = params.filter((p) => !have.has(p.key));
    const haveTags = new Map((mlRun.data.tags ?? []).map((t) => [t.key, t.value]));
    const newTags = tags.filter((t) => haveTags.get(t.key) !== t.value);

    // Metrics: the (key, epoch) pairs the server lacks.
    const records = await run.readRecords();
    const keys = [...new Set(records.flatMap((r) => Object.keys(r).filter((k) => k !== "epoch")))].sort();
    const now = Date.now();
    const metrics: MlflowMetric[] = [];
    const serverEpochs = new Set(records.map((r) => r.epoch));
    // runs/get lists the latest value of every key the run has: a key it lacks has no history to ask for (a new run has none),
    // which saves one request per key (~40 a run, most of a first sync's time).
    const onServer = new Set((mlRun.data.metrics ?? []).map((m) => m.key));
    const historyOf = async (key: string) => (onServer.has(key) ? await this.client.getMetricHistory(runId, key) : []);
    for (const key of keys) {
      const steps = new Set((await historyOf(mlflowMetricName(key))).map((m) => m.step));
      steps.forEach((s) => serverEpochs.add(s));
      for (const r of records) if (key in r && !steps.has(r.epoch)) metrics.push(...metricsOf({ epoch: r.epoch, [key]: valueAt(r, key) } as EpochRecord, now));
    }
    report.serverEpochs = [...serverEpochs].sort((a, b) => a - b);
    await this.client.logBatch(runId, { params: newParams, tags: newTags, metrics });
    report.params = newParams.length;
    report.tags = newTags.length;
    report.metrics = metrics.length;

    // The training data as the run's input, once (the server keeps one input per run and dataset).
    if (config.data && !(mlRun.inputs?.dataset_inputs ?? []).some((d) => d.dataset.digest === config.data!.digest && d.dataset.name === mlflowDatasetName(config.data!))) {
      await this.client.logInputs(runId, [datasetInputOf(config.data)]);
      report.input = true;
    }

    // Artifacts: config.json, summary.json, sample grids.
    const remote = new Map((await this.client.listAllArtifacts(runId)).map((f) => [f.path, f.file_size]));
    const local: { artifact: string; file: string }[] = [{ artifact: RESULTS_FILES.config, file: run.file(RESULTS_FILES.config) }];
    for (const s of samples) local.push({ artifact: `${RESULTS_FILES.samples}/${path.basename(s.file)}`, file: s.file });
    const summary = run.file(RESULTS_FILES.summary);
    if (await exists(summary)) local.push({ artifact: RESULTS_FILES.summary, file: summary });
    for (const a of local) {
      const size = (await fs.stat(a.file)).size;
      if (remote.get(a.artifact) === size) continue;
      await this.client.uploadArtifact(mlRun.info, a.artifact, await fs.readFile(a.file));
      report.artifacts++;
    }
    // The grids again as step-wise images, for the image card's slider; the files under samples/ stay what `runner pull` reads.
    const images = loggedImages(remote.keys(), SAMPLES_IMAGE_KEY);
    for (const s of samples) {
      if (images.get(s.epoch)?.thumbnail && images.get(s.epoch)?.image) continue;
      if (await logImageStep(this.client, mlRun.info, images, SAMPLES_IMAGE_KEY, s.epoch, (await fs.stat(s.file)).mtimeMs, await fs.readFile(s.file))) report.images++;
    }

    // The checkpoint, before the status: a worker elsewhere and `runner pull` restore what the
    // `ganscope.checkpoint_epoch` tag names, so a run trained on while the server was down must
    // not leave the tag at the epoch the outage began (a pull would restore that old checkpoint).
    // Uploaded first, then tagged, as the live sink does; never moved back to an older epoch.
    const ckptEpoch = await run.checkpointEpoch();
    const serverCkpt = Number(haveTags.get(MLFLOW_TAGS.checkpointEpoch) ?? 0) || 0;
    if (ckptEpoch !== undefined && ckptEpoch > serverCkpt) {
      const artifact = checkpointArtifact(ckptEpoch);
      if (remote.get(artifact) !== (await fs.stat(run.checkpointFile)).size) await this.client.uploadArtifact(mlRun.info, artifact, await fs.readFile(run.checkpointFile));
      await this.client.setTag(runId, MLFLOW_TAGS.checkpointEpoch, String(ckptEpoch));
      report.checkpointEpoch = ckptEpoch;
      // Older ones are superseded; the one the tag named until now stays, for a reader mid-download.
      for (const p of remote.keys()) {
        const e = Number(new RegExp(`^${CHECKPOINT_ARTIFACTS}/epoch-(\\d+)\\.bin$`).exec(p)?.[1]);
        if (Number.isSafeInteger(e) && e !== ckptEpoch && e !== serverCkpt) await this.client.deleteArtifact(mlRun.info, p).catch(() => {});
      }
    }

    if (status && (mlRun.info.status !== status || (TERMINAL.includes(status) && mlRun.info.end_time === undefined))) {
      const end = runStatus?.finishedAt ?? runStatus?.updatedAt;
      await this.client.updateRun(runId, TERMINAL.includes(status) ? { status, endTime: end ? Date.parse(end) : Date.now() } : { status });
      report.status = status;
    }
    if (conflicts.length > 0) {
      report.error = `params differ on the server and were left as they are (MLflow params are write-once): ${conflicts
        .map((p) => `${p.key}=${have.get(p.key)} there, ${p.value} here`)
        .join("; ")}`;
    }
  }

  /**
   * The run's MLflow run: the one mlflow.json names, else one tagged with its
   * ganscope run id (created before a crash could write mlflow.json), else a
   * new one. mlflow.json is written right after creation.
   */
  private async ensureRun(experiment: string, entry: RunIndexEntry, run: RunDir, startTime: number, tags: MlflowTag[]): Promise<{ run: MlflowRun; created: boolean }> {
    const linksFile = run.file(RESULTS_FILES.mlflow);
    const links = (await readJsonIfExists<MlflowLinks>(linksFile)) ?? { links: [] };
    const uri = this.client.trackingUri;
    const known = links.links.find((l) => l.trackingUri === uri && l.experimentName === experiment);
    if (known) {
      const got = await this.client.getRun(known.runId);
      if (got && got.info.lifecycle_stage === "active") return { run: got, created: false };
    }
    const experimentId = await this.experimentId(experiment);
    const found = (await this.client.searchRuns([experimentId], `tags.\`${MLFLOW_TAGS.runId}\` = '${entry.runId}'`)).sort(
      (a, b) => (a.info.start_time ?? 0) - (b.info.start_time ?? 0),
    )[0];
    let mlRun: MlflowRun;
    let created = false;
    if (found) {
      mlRun = (await this.client.getRun(found.info.run_id)) ?? found;
    } else {
      mlRun = await this.client.createRun({ experimentId, runName: mlflowRunName(entry.runId, entry.varied), startTime, tags });
      created = true;
    }
    const link: MlflowLink = { trackingUri: uri, experimentName: experiment, experimentId, runId: mlRun.info.run_id };
    await writeJsonAtomic(linksFile, { links: [...links.links.filter((l) => !(l.trackingUri === uri && l.experimentName === experiment)), link] } satisfies MlflowLinks);
    return { run: mlRun, created };
  }
}

/**
 * A run's description: the experiment's `.describe()` text, what this run varies, and the data it trains on
 * (the describe() text states the file's, which `--limit` or a study's budget override). Its epochs are left
 * to the metrics' steps: the tag is written when the run is created, and a run's epoch target grows.
 */
export function runDescription(description: string, varied: Record<string, unknown>, config?: Record<string, unknown>): string {
  const values = Object.entries(varied).map(([k, v]) => `${k}=${String(v)}`);
  const limit = config?.["limit"];
  const data =
    typeof limit === "number"
      ? `Trains on ${limit === 0 ? "all" : `the first ${limit.toLocaleString("en-US")}`} ${String(config?.["dataset"] ?? "")} training images, batch ${String(config?.["batch_size"])}; its epochs are the metrics' steps.`
      : "";
  const parts = [values.length > 0 ? `This run: ${values.join(", ")}.` : "", data].filter((p) => p !== "");
  return parts.length > 0 ? `${description}\n\n${parts.join(" ")}` : description;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

