/**
 * `runner sync`: replays into MLflow whatever it is missing from the run
 * store (runs, params, every epoch's metrics, sample grids, config and
 * summary, final status). Idempotent: a second sync sends nothing.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { MlflowClient, MlflowSync, RESULTS_FILES, RunStore, connectionFromEnv, type MlflowLinks, type RunSyncReport } from "@ganscope/tracking";

export interface SyncOptions {
  /** Root of the run store. */
  resultsDir: string;
  /** Experiments to sync; default every experiment in the store. */
  experiments?: readonly string[];
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** One line per run that changed, skipped or failed; a run already in sync prints nothing. */
export function describeSync(r: RunSyncReport): string | undefined {
  const head = `${r.experiment}/${r.runId}`;
  if (r.skipped) return `${head}: skipped (${r.skipped})`;
  const sent = [
    r.created ? "created" : "",
    r.params ? `${r.params} params` : "",
    r.tags ? `${r.tags} tags` : "",
    r.metrics ? `${r.metrics} metric values` : "",
    r.artifacts ? `${r.artifacts} artifacts` : "",
    r.images ? `${r.images} sample grids as images` : "",
    r.input ? "its training data as input" : "",
    r.status ? `status ${r.status}` : "",
    r.checkpointEpoch ? `checkpoint of epoch ${r.checkpointEpoch}` : "",
  ].filter(Boolean);
  if (r.error) return `${head}: ${sent.length ? `${sent.join(", ")}; ` : ""}error: ${r.error}`;
  return sent.length ? `${head} → MLflow run ${r.mlflowRunId}: ${sent.join(", ")}` : undefined;
}

/** The tracking servers the store's runs were logged to (their mlflow.json), sorted. */
export async function recordedServers(resultsDir: string, experiments?: readonly string[]): Promise<string[]> {
  const store = new RunStore(resultsDir);
  const uris = new Set<string>();
  for (const exp of experiments ?? (await store.experiments())) {
    const dirs = await fs.readdir(path.join(resultsDir, exp)).catch(() => [] as string[]);
    for (const d of dirs) {
      const text = await fs.readFile(path.join(resultsDir, exp, d, RESULTS_FILES.mlflow), "utf8").catch(() => undefined);
      if (text === undefined) continue;
      try {
        for (const l of (JSON.parse(text) as MlflowLinks).links ?? []) if (typeof l.trackingUri === "string") uris.add(l.trackingUri);
      } catch {
        // A corrupt mlflow.json names no server; the sync itself reports it.
      }
    }
  }
  return [...uris].sort();
}

/**
 * Syncs the store to the server named by MLFLOW_TRACKING_URI or, when it is
 * unset, to the one server the store's runs were logged to (said in the log).
 * Throws when neither names one; returns the per-run reports (errors inside
 * them, not thrown).
 */
export async function syncStore(opts: SyncOptions): Promise<RunSyncReport[]> {
  const log = opts.log ?? ((l: string) => console.error(l));
  let env = opts.env ?? process.env;
  if (!env["MLFLOW_TRACKING_URI"]) {
    const known = await recordedServers(opts.resultsDir, opts.experiments);
    if (known.length === 0) throw new Error("MLFLOW_TRACKING_URI is not set and no run in the store was logged to MLflow: nothing to sync to");
    if (known.length > 1) throw new Error(`MLFLOW_TRACKING_URI is not set and the store's runs were logged to ${known.length} servers (${known.join(", ")}): set it to the one to sync to`);
    log(`MLFLOW_TRACKING_URI is not set; syncing to ${known[0]}, where the store's runs were logged (their mlflow.json)`);
    env = { ...env, MLFLOW_TRACKING_URI: known[0] };
  }
  const connection = connectionFromEnv(env);
  if (!connection) throw new Error("MLFLOW_TRACKING_URI is not set: nothing to sync to");
  const sync = new MlflowSync(new MlflowClient(connection), new RunStore(opts.resultsDir));
  const reports = await sync.syncAll(opts.experiments);
  for (const r of reports) {
    const line = describeSync(r);
    if (line) log(line);
  }
  // A run not tried because the server went away counts once, as not tried, not as an error of its own.
  const checked = reports.filter((r) => !r.skipped);
  const failed = checked.filter((r) => r.error || r.unreachable).length;
  const notTried = reports.filter((r) => r.skipped && r.unreachable).length;
  log(`MLflow sync to ${connection.trackingUri}: ${checked.length} runs checked, ${failed} with errors${notTried ? `, ${notTried} not tried (server unreachable)` : ""}`);
  return reports;
}

/**
 * The sync at the end of a plan, when MLFLOW_TRACKING_URI is set: catches up
 * whatever the live sink missed (an outage, a killed worker). Never fails the
 * plan; a server that is still down is reported with the command to rerun.
 */
export async function syncAfterPlan(resultsDir: string, experiment: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!env["MLFLOW_TRACKING_URI"]) return;
  try {
    const reports = await syncStore({ resultsDir, experiments: [experiment], env });
    if (reports.some((r) => r.error || r.unreachable)) console.error(`MLflow is missing some of ${experiment}; the run store has it all: rerun \`runner sync\` when the server is back`);
    const link = (await new RunStore(resultsDir).index(experiment).catch(() => undefined))?.runs.find((r) => r.mlflow)?.mlflow;
    // The experiment's runs table in the training view: MLflow 3's UI opens on GenAI traces unless the URL asks.
    if (link) console.error(`MLflow: ${link.trackingUri.replace(/\/+$/, "")}/#/experiments/${encodeURIComponent(link.experimentId)}?workflowType=machine_learning`);
  } catch (e) {
    console.error(`MLflow sync failed: ${(e as Error).message}; the run store has everything: rerun \`runner sync\` later`);
  }
}
