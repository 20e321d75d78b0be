/** index.json: what ran in an experiment, when, and how it ended, rebuilt from plan.json and the run folders. */
import { promises as fs, existsSync } from "node:fs";
import path from "node:path";
import { localLiveness } from "./process-alive.js";
import { countStandings, standing, type Standing } from "./run-state.js";
import { readJsonIfExists } from "./atomic-file.js";
import { RESULTS_FILES, type MlflowLink, type MlflowLinks, type PlanIndex } from "./store-formats.js";
import type { RunDir } from "./run-dir.js";

/** One run in an experiment's index. */
export interface RunIndexEntry {
  runId: string;
  varied: Record<string, unknown>;
  /** Where it stands (run-state.ts's {@link standing}). */
  state: Standing;
  epochsDone: number;
  /** Planned epochs; undefined for a run that has not started. */
  epochs?: number;
  startedAt?: string;
  updatedAt?: string;
  finishedAt?: string;
  attempts?: number;
  gitCommit?: string;
  /** Why a `stopped` run stopped. */
  stopReason?: string;
  /** Process training it now, for "running". */
  pid?: number;
  host?: string;
  error?: string;
  /** summary.json's verdict, once the metrics hooks write one. */
  verdict?: unknown;
  /** Another experiment whose finished run this one links to (same config, trained once). */
  linkedFrom?: string;
  /** False for a run folder left by an earlier plan of this experiment (e.g. other --epochs). */
  inPlan: boolean;
  /** Its MLflow run, when synced. */
  mlflow?: MlflowLink;
  /** Why its status.json could not be read (the run is then listed as interrupted: the next runner rebuilds it). */
  unreadable?: string;
}

/** index.json at the experiment's root: what ran, when, and how it ended. Rebuilt from the run folders. */
export interface ExperimentIndex {
  experiment: string;
  description: string;
  file?: string;
  axes: string[];
  createdAt?: string;
  /** When this index was built. */
  builtAt: string;
  counts: Record<Standing, number>;
  runs: RunIndexEntry[];
}

/**
 * The experiment's index, built now from plan.json and every run folder:
 * the planned runs in plan order, then folders left by earlier plans.
 */
export async function buildExperimentIndex(experiment: string, plan: PlanIndex | undefined, expDir: string, runDir: (runId: string) => RunDir): Promise<ExperimentIndex> {
  const onDisk = existsSync(expDir)
    ? (await fs.readdir(expDir, { withFileTypes: true }))
        .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith("."))
        .map((e) => e.name)
        .filter((name) => existsSync(path.join(expDir, name, RESULTS_FILES.config)) || existsSync(path.join(expDir, name, RESULTS_FILES.status)))
        .sort()
    : [];
  const planned = plan?.runs ?? [];
  const plannedIds = new Set(planned.map((r) => r.runId));
  const runs: RunIndexEntry[] = [];
  for (const r of planned) runs.push(await indexEntry(experiment, runDir, r.runId, r.varied, true));
  for (const id of onDisk) {
    if (plannedIds.has(id)) continue;
    const config = await runDir(id).readConfig().catch(() => undefined);
    runs.push(await indexEntry(experiment, runDir, id, config?.varied ?? {}, false));
  }
  const counts = countStandings(runs);
  return {
    experiment,
    description: plan?.description ?? "",
    ...(plan?.file !== undefined ? { file: plan.file } : {}),
    axes: plan?.axes ?? [],
    ...(plan?.createdAt !== undefined ? { createdAt: plan.createdAt } : {}),
    builtAt: new Date().toISOString(),
    counts,
    runs,
  };
}

async function indexEntry(experiment: string, runDir: (runId: string) => RunDir, runId: string, varied: Record<string, unknown>, inPlan: boolean): Promise<RunIndexEntry> {
  const run = runDir(runId);
  const entry: RunIndexEntry = { runId, varied, state: "pending", epochsDone: 0, inPlan };
  const link = await fs.lstat(run.dir).catch(() => undefined);
  if (link?.isSymbolicLink()) entry.linkedFrom = path.basename(path.dirname(path.resolve(path.dirname(run.dir), await fs.readlink(run.dir))));
  const status = await run.readStatus().catch((e: unknown) => {
    entry.state = "interrupted";
    entry.unreadable = `${(e as Error).message}; the next \`runner exp\` of this plan keeps it aside and rebuilds it from the checkpoint`;
    return undefined;
  });
  if (status) {
    const { state, holder } = standing(status, run.readLock(), localLiveness());
    entry.state = state;
    entry.epochsDone = status.epochsDone;
    entry.epochs = status.epochs;
    for (const k of ["startedAt", "updatedAt", "finishedAt", "attempts", "gitCommit", "error", "stopReason"] as const) {
      if (status[k] !== undefined) (entry as unknown as Record<string, unknown>)[k] = status[k];
    }
    if (holder) {
      entry.pid = holder.pid;
      entry.host = holder.host;
    }
  }
  const summary = await run.readSummary().catch(() => undefined);
  if (summary && summary["verdict"] !== undefined) entry.verdict = summary["verdict"];
  const links = await readJsonIfExists<MlflowLinks>(run.file(RESULTS_FILES.mlflow)).catch(() => undefined);
  const mine = links?.links.find((l) => l.experimentName === experiment);
  if (mine) entry.mlflow = mine;
  return entry;
}
