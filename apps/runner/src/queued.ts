/**
 * The runner's queue commands: `exp --queue` (enqueue a plan and follow it),
 * `worker` (serve jobs on this machine) and `pull` (copy finished runs from
 * MLflow into the local store). The queue itself is @ganscope/queue; this is
 * the wiring to the progress display, the worker processes and the store.
 */
import path from "node:path";
import type { RunPlan, RunSpec } from "@ganscope/dsl";
import type { BackendName } from "@ganscope/models";
import { RunQueue, WORKER_LOCKS, redactedUrl, serveRuns, type WorkerLocks } from "@ganscope/queue";
import { MlflowClient, MlflowError, MlflowPull, RunStore, connectionFromEnv, outcomeStatus, type PullReport, type RunOutcome } from "@ganscope/tracking";
import type { RunEvent } from "@ganscope/training";
import { childTrainer } from "./child-trainer.js";
import { CliError, checkResultsDir } from "./preflight.js";
import { PlanProgress } from "./progress.js";

export interface QueuedPlanOptions {
  url: string;
  plan: RunPlan;
  file: string;
  resultsDir: string;
  stepsPerEpoch: (spec: RunSpec) => number;
  env?: NodeJS.ProcessEnv;
}

/** One line per pulled, linked or uncopied run; runs already here print nothing. */
function describePull(experiment: string, r: PullReport): string | undefined {
  const linked = r.linkedFrom ? `${experiment}/${r.runId} → ${r.linkedFrom}/${r.runId} (the same run, logged under ${r.linkedFrom}; linked)` : undefined;
  // A finished run the server could not give is named with the reason, so a short count says which run and why.
  if (!r.pulled) return linked ?? (r.skipped && r.skipped !== "already done here" ? `${experiment}/${r.runId}: not copied (${r.skipped})` : undefined);
  const pulled = `${r.linkedFrom ?? experiment}/${r.runId} ← MLflow run ${r.mlflowRunId}: ${r.pulled.epochs} epochs, ${r.pulled.samples} sample grids${r.pulled.checkpointEpoch ? `, checkpoint of epoch ${r.pulled.checkpointEpoch}` : ""}`;
  return linked ? `${pulled}\n${linked}` : pulled;
}

/** Copies an experiment's finished runs from MLflow into the store; a server that is down is reported, not thrown. */
export async function pullFinished(resultsDir: string, experiment: string, opts: { only?: ReadonlySet<string>; env?: NodeJS.ProcessEnv; log?: (l: string) => void } = {}): Promise<PullReport[] | undefined> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const connection = connectionFromEnv(opts.env ?? process.env);
  if (!connection) {
    log(`MLFLOW_TRACKING_URI is not set: ${experiment}'s runs stay in MLflow-less workers' stores; set it to pull them here`);
    return undefined;
  }
  try {
    const reports = await new MlflowPull(new MlflowClient(connection), new RunStore(resultsDir)).pullExperiment(experiment, opts.only);
    for (const r of reports) {
      const line = describePull(experiment, r);
      if (line) log(line);
    }
    const linked = reports.filter((r) => r.linkedFrom).length;
    log(`pulled from ${connection.trackingUri}: ${reports.filter((r) => r.pulled).length} of ${reports.length} runs of ${experiment} copied into ${resultsDir}${linked ? `, ${linked} linked to the experiment${linked === 1 ? "" : "s"} they were logged under` : ""}`);
    return reports;
  } catch (e) {
    const why = (e as Error).message.split("\n")[0];
    // Only the server's trouble is the server's: a store that cannot be read or written is this machine's.
    if (e instanceof MlflowError) log(`pull from ${connection.trackingUri} failed: ${why}; rerun \`runner pull --experiment=${experiment}\` when it is back`);
    else log(`pull of ${experiment} into ${resultsDir} failed: ${why}`);
    return undefined;
  }
}

/** MLflow's own experiment, on every server: not one a user means. */
const MLFLOW_DEFAULT_EXPERIMENT = "Default";

/**
 * `runner pull`: what it can check before copying anything is refused in one
 * line (exit 2): a --results that is not a folder, an experiment the server
 * does not have (as `runner sync` refuses one the store does not have).
 * Resolves with the exit code.
 */
export async function pullCommand(results: string, experiments: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const connection = connectionFromEnv(env);
  if (!connection) {
    console.error("error: set MLFLOW_TRACKING_URI to the MLflow tracking server to pull from");
    return 2;
  }
  checkResultsDir(results);
  let onServer: string[];
  try {
    onServer = await new MlflowClient(connection).experimentNames();
  } catch (e) {
    console.error(`pull from ${connection.trackingUri} failed: ${(e as Error).message.split("\n")[0]}; rerun \`runner pull\` when it is back`);
    return 1;
  }
  const missing = experiments.filter((x) => !onServer.includes(x));
  if (missing.length > 0) {
    const known = onServer.filter((x) => x !== MLFLOW_DEFAULT_EXPERIMENT);
    throw new CliError(`--experiment ${missing.join(", ")}: no such experiment on ${connection.trackingUri} (it has ${known.length > 0 ? known.join(", ") : "no experiment but MLflow's Default"})`);
  }
  let code = 0;
  for (const exp of experiments) if (!(await pullFinished(path.resolve(results), exp, { env }))) code = 1;
  return code;
}

/**
 * Enqueues the plan (one job per run; runs already queued or done are left
 * as they are), follows it with the local progress display, and ends with
 * the outcomes and a pull of the finished runs. Ctrl-C stops following only.
 */
export async function runQueuedPlan(opts: QueuedPlanOptions): Promise<{ outcomes: Map<string, RunOutcome>; interrupted: boolean }> {
  const { plan } = opts;
  const progress = new PlanProgress(plan, opts.stepsPerEpoch);
  const queue = new RunQueue<RunEvent, RunOutcome>(opts.url, (l) => progress.log(l), { statusOf: outcomeStatus });
  let interrupted = false;
  let following = false;
  const onSigint = () => {
    interrupted = true;
    if (following) {
      queue.stop();
      return;
    }
    // Still enqueueing (perhaps waiting for Redis): whatever was added stays queued.
    progress.stop();
    console.error(`stopped before the whole plan was queued; run the same command again to queue the rest and follow it.`);
    process.exit(130);
  };
  process.once("SIGINT", onSigint);
  process.once("SIGTERM", onSigint);
  try {
    if (plan.halving) progress.log(`note: successive halving is not applied to a queued plan (it compares runs in one store; queued runs train on other machines); the stop policy still applies to each run`);
    const report = await queue.enqueue(plan.runs.map((spec) => ({ spec, experiment: plan.experiment, file: opts.file, stop: plan.stop })));
    progress.log(
      `queue ${redactedUrl(opts.url)}: ${report.added.length} runs added, ${report.extended.length ? `${report.extended.length} extended, ` : ""}${report.present.length} already queued or done${report.retried.length ? `, ${report.retried.length} failed ones retried` : ""}; waiting for workers (\`runner worker --queue=${redactedUrl(opts.url)}\`)`,
    );
    for (const x of report.extended) progress.log(`${x.runId}: ${x.why}; queued as job ${x.jobId}`);
    following = true;
    const specs = new Map(plan.runs.map((r) => [r.runId, r]));
    const seen = new Set<string>();
    const { outcomes, failed } = await queue.follow(
      plan.runs.map((r) => r.runId),
      {
        onEvent: (id, e) => {
          seen.add(id);
          progress.onEvent(e);
        },
        onOutcome: (id, o) => {
          const spec = specs.get(id)!;
          if (o.status === "skipped") progress.skip(spec, o.reason);
          else if (!seen.has(id)) progress.skip(spec, `${o.status} on the queue before this coordinator attached`);
        },
        onStalled: (id) => progress.log(`${id}: its worker stopped answering (machine lost?); queued again, it resumes from its last checkpoint elsewhere`),
        onFailed: (id, reason) => progress.log(`${id}: failed on the queue: ${reason.split("\n")[0]}`),
      },
      report.jobIds,
    );
    const all = new Map<string, RunOutcome>(outcomes);
    for (const [id, reason] of failed) all.set(id, { status: "failed", error: reason });
    return { outcomes: new Map(plan.runs.filter((r) => all.has(r.runId)).map((r) => [r.runId, all.get(r.runId)!])), interrupted };
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
    progress.stop();
    await queue.close();
    if (interrupted) console.error(`stopped following; the jobs stay queued and workers go on. Run the same command again to re-attach.`);
  }
}

export interface WorkerCommandOptions {
  url: string;
  resultsDir: string;
  concurrency: number;
  backend?: BackendName;
  locks?: Partial<WorkerLocks>;
}

/** Serves jobs until SIGTERM/SIGINT: then each run finishes its epoch's checkpoint and its job goes back to the queue. */
export async function serveWorker(opts: WorkerCommandOptions): Promise<void> {
  const log = (l: string) => console.error(l);
  const locks = { ...WORKER_LOCKS, ...opts.locks };
  if (!process.env["MLFLOW_TRACKING_URI"]) log("warning: MLFLOW_TRACKING_URI is not set: runs trained here stay in this machine's store and cannot resume on another worker");
  let announced = false;
  const children = childTrainer({
    resultsDir: opts.resultsDir,
    ...(opts.backend ? { backend: opts.backend } : {}),
    log,
    onBackend: (b) => {
      if (announced) return;
      announced = true;
      log(`backend: ${b.name} (${b.provider})`);
    },
  });
  const serving = serveRuns<RunEvent, RunOutcome>({
    url: opts.url,
    concurrency: opts.concurrency,
    trainer: children.trainer,
    locks,
    isStart: (e) => e.type === "start",
    log,
  });
  log(
    `worker ${serving.name}: serving ${redactedUrl(opts.url)} with ${opts.concurrency} training process(es), results in ${opts.resultsDir}/ (lockDuration ${locks.lockDuration} ms, stalledInterval ${locks.stalledInterval} ms, maxStalledCount ${locks.maxStalledCount})`,
  );
  const stop = (sig: string) => {
    log(`${sig}: finishing the current epochs' checkpoints, then giving the jobs back`);
    void serving.stop();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  try {
    await serving.closed;
  } finally {
    children.close();
  }
  log(`worker ${serving.name}: stopped`);
}
