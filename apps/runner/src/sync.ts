/**
 * `runner sync`: replays into MLflow whatever it is missing from the run
 * store (runs, params, every epoch's metrics, sample grids, config and
 * summary, final status). Idempotent: a second sync sends nothing.
 */
import { MlflowClient, MlflowSync, RunStore, connectionFromEnv, type RunSyncReport } from "@ganscope/tracking";

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
    r.status ? `status ${r.status}` : "",
  ].filter(Boolean);
  if (r.error) return `${head}: ${sent.length ? `${sent.join(", ")}; ` : ""}error: ${r.error}`;
  return sent.length ? `${head} → MLflow run ${r.mlflowRunId}: ${sent.join(", ")}` : undefined;
}

/**
 * Syncs the store to the server named by MLFLOW_TRACKING_URI. Throws when it
 * is unset; returns the per-run reports (errors inside them, not thrown).
 */
export async function syncStore(opts: SyncOptions): Promise<RunSyncReport[]> {
  const connection = connectionFromEnv(opts.env ?? process.env);
  if (!connection) throw new Error("MLFLOW_TRACKING_URI is not set: nothing to sync to");
  const log = opts.log ?? ((l: string) => console.error(l));
  const sync = new MlflowSync(new MlflowClient(connection), new RunStore(opts.resultsDir));
  const reports = await sync.syncAll(opts.experiments);
  for (const r of reports) {
    const line = describeSync(r);
    if (line) log(line);
  }
  const failed = reports.filter((r) => r.error || r.unreachable).length;
  const started = reports.filter((r) => !r.skipped).length;
  log(`MLflow sync to ${connection.trackingUri}: ${started} runs checked, ${failed} with errors`);
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
  } catch (e) {
    console.error(`MLflow sync failed: ${(e as Error).message}; the run store has everything: rerun \`runner sync\` later`);
  }
}
