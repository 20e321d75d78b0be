/**
 * The reverse of MlflowSync: copies a run from MLflow into a local run store.
 * Two callers: a queue worker taking over a run another machine started
 * (it needs the latest checkpoint and the records up to it, nothing past
 * it, so that training resumes without a duplicate or missing epoch), and
 * `runner pull` / the end of a queued plan (finished runs, for the dashboard
 * and the study on the machine that started the plan).
 *
 * A checkpoint counts on the server only once the `ganscope.checkpoint_epoch`
 * tag names it (the tag is set after the upload finished), so a worker that
 * died mid-upload leaves the previous checkpoint in force, never a torn one.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { compareRecordKeys, recordKeyOfMlflow } from "@ganscope/dsl";
import { writeFileAtomic } from "./atomic-file.js";
import { MlflowClient, type MlflowRun } from "./mlflow-client.js";
import { CHECKPOINT_ARTIFACTS, MLFLOW_TAGS, checkpointArtifact } from "./mlflow-sync.js";
import { RESULTS_FILES, sampleFileName, type EpochRecord, type PlanIndex, type StoredConfig } from "./store-formats.js";
import { RunStore } from "./run-store.js";

/** One MLflow metric's history: its name on the server and its (step, value) points. */
export interface MetricHistory {
  readonly name: string;
  readonly points: readonly { readonly step: number; readonly value: number | string }[];
}

/**
 * Epoch records from MLflow metric histories (step = epoch), the inverse of
 * metricsOf: each metric name is mapped back to its record key through the
 * record schema (`share_class_3`, or `class_share/3` as runs logged before it, → `class_share_3`); names that are not
 * record keys are left out. Keys come in record order. A NaN (how a non-finite value is logged) is
 * stored as null, as the run store writes it.
 */
export function recordsFromHistories(histories: readonly MetricHistory[], upToEpoch = Infinity): EpochRecord[] {
  const byEpoch = new Map<number, Record<string, number | null>>();
  for (const { name, points } of [...histories].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const key = recordKeyOfMlflow(name);
    if (key === undefined) continue;
    for (const m of points) {
      if (m.step > upToEpoch || m.step < 1) continue;
      const rec = byEpoch.get(m.step) ?? {};
      const value = typeof m.value === "number" ? m.value : Number(m.value);
      // The first value logged wins: a later duplicate (a replay) is the same number or a mistake.
      if (!(key in rec)) rec[key] = Number.isFinite(value) ? value : null;
      byEpoch.set(m.step, rec);
    }
  }
  // Keys in record order, so a pulled metrics.jsonl reads like one the run wrote.
  const ordered = (rec: Record<string, number | null>) => Object.fromEntries(Object.keys(rec).sort(compareRecordKeys).map((k) => [k, rec[k]]));
  return [...byEpoch.entries()].sort((a, b) => a[0] - b[0]).map(([epoch, rec]) => ({ epoch, ...ordered(rec) }) as EpochRecord);
}

export { CHECKPOINT_ARTIFACTS, checkpointArtifact };

export interface PullReport {
  runId: string;
  mlflowRunId?: string;
  /** What was copied; absent when nothing was. */
  pulled?: { epochs: number; checkpointEpoch?: number; samples: number; finished: boolean };
  /** Why nothing was copied. */
  skipped?: string;
  /**
   * The experiment the run was logged under, when that is not the one asked
   * for (the same config in two experiments is one run, trained once): the
   * run is in the store under it (pulled now, or already there) and the asked
   * experiment's folder links to it.
   */
  linkedFrom?: string;
}

function tagOf(run: MlflowRun, key: string): string | undefined {
  return run.data.tags?.find((t) => t.key === key)?.value;
}

/** The epoch of the checkpoint the server holds for a run, if any. */
export function serverCheckpointEpoch(run: MlflowRun): number | undefined {
  const v = Number(tagOf(run, MLFLOW_TAGS.checkpointEpoch));
  return Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

export class MlflowPull {
  constructor(
    readonly client: MlflowClient,
    readonly store: RunStore,
  ) {}

  /** ganscope's runs of an experiment on the server (the oldest MLflow run per ganscope run id). */
  async runsOf(experiment: string): Promise<Map<string, MlflowRun>> {
    const exp = await this.client.getExperimentByName(experiment);
    const out = new Map<string, MlflowRun>();
    if (!exp) return out;
    const runs = (await this.client.searchRuns([exp.experiment_id], `tags.\`${MLFLOW_TAGS.runId}\` LIKE '%'`)).sort((a, b) => (a.info.start_time ?? 0) - (b.info.start_time ?? 0));
    for (const r of runs) {
      const id = tagOf(r, MLFLOW_TAGS.runId);
      if (id && !out.has(id) && r.info.lifecycle_stage === "active") out.set(id, r);
    }
    return out;
  }

  async findRun(experiment: string, runId: string): Promise<MlflowRun | undefined> {
    const exp = await this.client.getExperimentByName(experiment);
    if (!exp) return undefined;
    const found = (await this.client.searchRuns([exp.experiment_id], `tags.\`${MLFLOW_TAGS.runId}\` = '${runId}'`)).sort((a, b) => (a.info.start_time ?? 0) - (b.info.start_time ?? 0))[0];
    return found ? ((await this.client.getRun(found.info.run_id)) ?? found) : undefined;
  }

  /**
   * The run's MLflow run when it was logged under another experiment than
   * `experiment` (the oldest, as {@link MlflowPull.runsOf} picks), with that
   * experiment's name. Run ids are global: a config trained in one experiment
   * is linked, not trained again, by every later experiment that asks for it.
   */
  async findRunElsewhere(runId: string, experiment: string): Promise<{ run: MlflowRun; experiment: string } | undefined> {
    const names = new Map((await this.client.searchExperiments()).filter((e) => e.name !== experiment).map((e) => [e.experiment_id, e.name]));
    const ids = [...names.keys()];
    const found: MlflowRun[] = [];
    // Bounded batches of experiment ids per search, whatever the server's limit on one request.
    for (let i = 0; i < ids.length; i += 100) found.push(...(await this.client.searchRuns(ids.slice(i, i + 100), `tags.\`${MLFLOW_TAGS.runId}\` = '${runId}'`)));
    const oldest = found.filter((r) => r.info.lifecycle_stage === "active").sort((a, b) => (a.info.start_time ?? 0) - (b.info.start_time ?? 0))[0];
    if (!oldest) return undefined;
    return { run: (await this.client.getRun(oldest.info.run_id)) ?? oldest, experiment: names.get(oldest.info.experiment_id)! };
  }

  /**
   * Pulls a run logged under `home` into the store there, then links
   * `experiment`'s folder to it (as a local plan links a run another
   * experiment finished), unless this store's copy here went further.
   */
  private async pullLinked(experiment: string, runId: string, home: string, mlRun: MlflowRun): Promise<PullReport> {
    const { skipped, ...report } = await this.pullRun(home, runId, mlRun);
    const there = await this.store.run(home, runId).readStatus().catch(() => undefined);
    if (there?.state !== "done" && there?.state !== "stopped") return { ...report, skipped: `logged under ${home}: ${skipped ?? `${mlRun.info.status.toLowerCase()} on the server`}` };
    const run = this.store.run(experiment, runId);
    const link = await fs.lstat(run.dir).catch(() => undefined);
    if (link?.isSymbolicLink() && path.resolve(path.dirname(run.dir), await fs.readlink(run.dir)) === this.store.run(home, runId).dir) return { ...report, linkedFrom: home };
    const lock = await run.lock();
    if ("heldBy" in lock) return { ...report, skipped: `being trained here by pid ${lock.heldBy.pid}` };
    try {
      const here = await run.readStatus().catch(() => undefined);
      if ((here?.epochsDone ?? 0) >= there.epochsDone) return { ...report, skipped: `this store's own copy is at epoch ${here?.epochsDone}, the run in ${home} at ${there.epochsDone}` };
      // linkRun keeps anything this folder held aside, never deletes it.
      await this.store.linkRun(experiment, runId, home);
    } finally {
      await lock.release();
    }
    await this.store.refreshIndex(experiment);
    return { ...report, linkedFrom: home };
  }

  /** Every epoch record the server has, rebuilt from metric histories (step = epoch). */
  async records(run: MlflowRun, upToEpoch = Infinity): Promise<EpochRecord[]> {
    const histories: MetricHistory[] = [];
    // Only the record's keys: the `final/…` and `best/…` metrics of runs synced before the summary moved to tags (and anything else logged to the run) are not epochs.
    for (const { key } of run.data.metrics ?? []) if (recordKeyOfMlflow(key) !== undefined) histories.push({ name: key, points: await this.client.getMetricHistory(run.info.run_id, key) });
    return recordsFromHistories(histories, upToEpoch);
  }

  /**
   * Copies one run into the store when the server is ahead of it: finished
   * there and not here, or a later checkpoint than the store's. Records past
   * the checkpoint are not copied (they will be trained again, and the sink
   * does not log an epoch the server has). Takes the run's lock, so it never
   * writes under a process training the run here.
   */
  async pullRun(experiment: string, runId: string, found?: MlflowRun): Promise<PullReport> {
    const mlRun = found ?? (await this.findRun(experiment, runId));
    if (!mlRun) {
      const elsewhere = await this.findRunElsewhere(runId, experiment);
      if (elsewhere) return this.pullLinked(experiment, runId, elsewhere.experiment, elsewhere.run);
      return { runId, skipped: "not on the server" };
    }
    const report: PullReport = { runId, mlflowRunId: mlRun.info.run_id };
    const run = this.store.run(experiment, runId);
    const local = await run.readStatus().catch(() => undefined);
    const finished = mlRun.info.status === "FINISHED";
    const ckpt = serverCheckpointEpoch(mlRun);
    // Done here, unless the server's checkpoint went further: the run was extended on another machine.
    if (local?.state === "done" && (ckpt ?? 0) <= local.epochsDone) return { ...report, skipped: "already done here" };
    if (!finished && (ckpt === undefined || ckpt <= (local?.epochsDone ?? 0))) {
      return { ...report, skipped: ckpt === undefined ? "no checkpoint on the server" : `the store is at epoch ${local?.epochsDone ?? 0}, the server's checkpoint at ${ckpt}` };
    }
    const lock = await run.lock();
    if ("heldBy" in lock) return { ...report, skipped: `being trained here by pid ${lock.heldBy.pid}` };
    try {
      const upTo = finished ? Infinity : ckpt!;
      const artifacts = await this.client.listAllArtifacts(mlRun.info.run_id);
      const has = new Set(artifacts.map((a) => a.path));
      const get = (p: string) => this.client.downloadArtifact(mlRun.info, p);

      const configBytes = has.has(RESULTS_FILES.config) ? await get(RESULTS_FILES.config) : undefined;
      if (!configBytes) return { ...report, skipped: `no ${RESULTS_FILES.config} among its artifacts` };
      const config = JSON.parse(Buffer.from(configBytes).toString("utf8")) as StoredConfig;
      const epochs = Number(config.config["epochs"] ?? 0);

      // Checkpoint first, then records up to it, then status: the same order a trainer writes them.
      if (ckpt !== undefined && has.has(checkpointArtifact(ckpt))) await writeFileAtomic(run.checkpointFile, await get(checkpointArtifact(ckpt)));
      const records = await this.records(mlRun, upTo);
      await writeFileAtomic(run.file(RESULTS_FILES.metrics), records.map((r) => JSON.stringify(r) + "\n").join(""));
      let samples = 0;
      for (const a of artifacts) {
        const m = /^samples\/epoch-(\d+)\.png$/.exec(a.path);
        if (!m || Number(m[1]) > upTo) continue;
        await writeFileAtomic(path.join(run.dir, RESULTS_FILES.samples, sampleFileName(Number(m[1]))), await get(a.path));
        samples++;
      }
      await writeFileAtomic(run.file(RESULTS_FILES.config), configBytes);
      if (finished && has.has(RESULTS_FILES.summary)) await writeFileAtomic(run.file(RESULTS_FILES.summary), await get(RESULTS_FILES.summary));
      const lastEpoch = records.at(-1)?.epoch ?? 0;
      if (finished) await run.writeStatus({ state: "done", epochsDone: lastEpoch, epochs: Math.max(epochs, lastEpoch) });
      else await run.writeStatus({ state: "running", epochsDone: ckpt!, epochs });
      report.pulled = { epochs: records.length, ...(ckpt !== undefined ? { checkpointEpoch: ckpt } : {}), samples, finished };
      return report;
    } finally {
      await lock.release();
    }
  }

  /**
   * Copies every finished run of an experiment into the store, and writes
   * its plan.json from the runs' configs when the store has none (a machine
   * that never planned it).
   */
  async pullExperiment(experiment: string, only?: ReadonlySet<string>): Promise<PullReport[]> {
    const runs = await this.runsOf(experiment);
    const reports: PullReport[] = [];
    for (const [runId, r] of runs) {
      if (only && !only.has(runId)) continue;
      if (r.info.status !== "FINISHED") {
        reports.push({ runId, mlflowRunId: r.info.run_id, skipped: `${r.info.status.toLowerCase()} on the server` });
        continue;
      }
      reports.push(await this.pullRun(experiment, runId, (await this.client.getRun(r.info.run_id)) ?? r));
    }
    // The experiment's runs that were logged under another experiment (the same config, trained there once).
    const wanted = only ?? new Set((await this.store.readPlan(experiment).catch(() => undefined))?.runs.map((r) => r.runId) ?? []);
    for (const runId of wanted) {
      if (runs.has(runId)) continue;
      const elsewhere = await this.findRunElsewhere(runId, experiment);
      if (!elsewhere) continue;
      if (elsewhere.run.info.status !== "FINISHED") {
        reports.push({ runId, mlflowRunId: elsewhere.run.info.run_id, skipped: `logged under ${elsewhere.experiment}: ${elsewhere.run.info.status.toLowerCase()} on the server` });
        continue;
      }
      reports.push(await this.pullLinked(experiment, runId, elsewhere.experiment, elsewhere.run));
    }
    if (!(await this.store.readPlan(experiment))) {
      const planned: PlanIndex["runs"] = [];
      let file: string | undefined;
      for (const rep of reports) {
        const cfg = await this.store.run(experiment, rep.runId).readConfig();
        if (!cfg) continue;
        planned.push({ runId: rep.runId, varied: cfg.varied });
        file ??= cfg.file;
      }
      if (planned.length > 0) {
        const plan: PlanIndex = {
          experiment,
          description: "pulled from MLflow",
          axes: [...new Set(planned.flatMap((p) => Object.keys(p.varied)))],
          ...(file ? { file } : {}),
          createdAt: new Date().toISOString(),
          runs: planned,
        };
        await this.store.writePlan(plan);
      }
    }
    await this.store.refreshIndex(experiment);
    return reports;
  }
}
