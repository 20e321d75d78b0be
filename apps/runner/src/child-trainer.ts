/**
 * The queue worker's trainer: runs each job in one of the runner's worker
 * processes (@ganscope/training's worker-process.ts, the same child the local scheduler forks), so the
 * process that holds the BullMQ lock never blocks on training. Before a job
 * trains, the run is pulled from MLflow when the server has it further along
 * than this machine's store (another worker trained it, then died or gave it
 * back): its latest checkpoint and the records up to it.
 */
import type { ChildProcess } from "node:child_process";
import { resolveStopPolicy } from "@ganscope/dsl";
import type { BackendInfo, BackendName } from "@ganscope/models";
import type { Trainer } from "@ganscope/queue";
import { MlflowClient, MlflowPull, MlflowSync, RunStore, connectionFromEnv, type RunOutcome } from "@ganscope/tracking";
import { forkWorker, forwardStderr, type FromWorker, type RunEvent, type ToWorker } from "@ganscope/training";

interface Child {
  proc: ChildProcess;
  backend: BackendInfo;
}

export interface ChildTrainerOptions {
  resultsDir: string;
  backend?: BackendName;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  onBackend?: (b: BackendInfo) => void;
}

function startChild(backend: BackendName | undefined): Promise<Child> {
  return new Promise((resolve, reject) => {
    // Its own process group: a Ctrl-C or a SIGTERM to the worker's group reaches only the
    // worker, which asks this process to finish its epoch; kill it and this one exits on disconnect.
    const proc = forkWorker({ stdio: ["ignore", "inherit", "pipe", "ipc"], detached: true });
    forwardStderr(proc);
    const onMessage = (m: FromWorker) => {
      if (m.type === "ready") {
        proc.off("message", onMessage);
        resolve({ proc, backend: m.backend });
      } else if (m.type === "init-failed") {
        proc.kill();
        reject(new Error(m.error));
      }
    };
    proc.on("message", onMessage);
    proc.once("exit", (code, signal) => reject(new Error(`worker process exited (${signal ?? `code ${code}`}) while starting`)));
    proc.send({ type: "init", ...(backend ? { backend } : {}) } satisfies ToWorker);
  });
}

/** A Trainer over a pool of worker processes (one per concurrent job, started on demand, reused). */
export function childTrainer(opts: ChildTrainerOptions): { trainer: Trainer<RunEvent, RunOutcome>; close(): void } {
  const log = opts.log ?? ((l: string) => console.error(l));
  const idle: Child[] = [];
  const all = new Set<Child>();
  const connection = connectionFromEnv(opts.env ?? process.env);
  const client = connection ? new MlflowClient(connection, { timeoutMs: 30_000, retries: 2 }) : undefined;
  const pull = client ? new MlflowPull(client, new RunStore(opts.resultsDir)) : undefined;
  // The training loop's MLflow sink gives up quickly so a slow server never stalls training, and leaves
  // the rest to a sync at the end of the plan; on a fleet that end is another machine's, which can only
  // pull what the server has. So a finished job is reported done only after this patient sync.
  const sync = client ? new MlflowSync(client, new RunStore(opts.resultsDir)) : undefined;

  const trainer: Trainer<RunEvent, RunOutcome> = async (job, io) => {
    const runId = job.spec.runId;
    if (pull) {
      // The server may be down: then the run resumes from whatever this machine has.
      const r = await pull.pullRun(job.experiment, runId).catch((e: Error) => ({ runId, skipped: `MLflow unreachable: ${e.message.split("\n")[0]}`, pulled: undefined }));
      if (r.pulled) {
        log(
          `${runId}: ${r.pulled.finished ? "already finished elsewhere; copied" : `resuming from MLflow's checkpoint of epoch ${r.pulled.checkpointEpoch}`} (${r.pulled.epochs} epoch records, ${r.pulled.samples} sample grids)`,
        );
      }
    }
    if (io.lostSignal.aborted) throw new Error(`${runId}: lost the job's lock before training`);
    let child = idle.pop();
    if (!child) {
      child = await startChild(opts.backend);
      all.add(child);
      opts.onBackend?.(child.backend);
    }
    const c = child;
    const result = await new Promise<Awaited<ReturnType<Trainer<RunEvent, RunOutcome>>>>((resolve, reject) => {
      let settled = false;
      const done = (f: () => void) => {
        if (settled) return;
        settled = true;
        c.proc.off("message", onMessage);
        c.proc.off("exit", onExit);
        io.yieldSignal.removeEventListener("abort", onYield);
        io.lostSignal.removeEventListener("abort", onLost);
        f();
      };
      const onMessage = (m: FromWorker) => {
        if (m.type === "event") io.onEvent(m.event);
        else if (m.type === "result" && m.runId === runId) {
          idle.push(c);
          done(() => resolve(m.outcome.status === "yielded" ? { givenBack: true, reason: `stopping; epoch ${m.outcome.epoch} is checkpointed` } : { outcome: m.outcome }));
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        all.delete(c);
        done(() => reject(new Error(`${runId}: worker process exited (${signal ?? `code ${code}`}) while training; the queue retries it from its checkpoint`)));
      };
      const onYield = () => c.proc.send({ type: "yield" } satisfies ToWorker);
      const onLost = () => c.proc.kill("SIGKILL");
      c.proc.on("message", onMessage);
      c.proc.on("exit", onExit);
      io.yieldSignal.addEventListener("abort", onYield);
      io.lostSignal.addEventListener("abort", onLost);
      c.proc.send({
        type: "run",
        spec: job.spec,
        resultsDir: opts.resultsDir,
        experiment: job.experiment,
        ...(job.file ? { file: job.file } : {}),
        stop: job.stop === undefined ? resolveStopPolicy(undefined) : job.stop,
        resumeStopped: false,
      } satisfies ToWorker);
      if (io.yieldSignal.aborted) onYield();
    });
    if (sync && "outcome" in result) {
      const r = await sync.syncRun(job.experiment, runId).catch((e: Error) => ({ error: e.message.split("\n")[0] }));
      if (r.error) log(`${runId}: done here, but MLflow does not have all of it yet (${r.error}); \`runner sync\` on this machine replays it`);
    }
    return result;
  };
  return {
    trainer,
    close: () => {
      for (const c of all) if (c.proc.connected) c.proc.disconnect();
    },
  };
}
