import { fork, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { HalvingPolicy, ResolvedStopPolicy, RunSpec } from "@ganscope/dsl";
import type { BackendInfo, BackendName } from "@ganscope/models";
import type { RunEvent, RunOutcome } from "@ganscope/training";
import type { FromWorker, ToWorker } from "./worker.js";

export interface ScheduleOptions {
  resultsDir: string;
  experiment: string;
  file?: string;
  /** Worker processes; each trains one run at a time. */
  concurrency: number;
  backend?: BackendName;
  /** The plan's stop policy; undefined or null: never stop early. */
  stop?: ResolvedStopPolicy;
  /** Successive halving across these runs. */
  halving?: HalvingPolicy;
  /** Extend `stopped` runs instead of skipping them. */
  resumeStopped?: boolean;
  onEvent?: (e: RunEvent) => void;
  onBackend?: (b: BackendInfo) => void;
  /** Called as each run ends, in completion order. */
  onResult?: (runId: string, outcome: RunOutcome) => void;
}

export const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
export const TSX = import.meta.resolve("tsx");

/**
 * Lines libtensorflow prints on stderr when it loads, whatever TF_CPP_MIN_LOG_LEVEL
 * says (absl logs before it is initialised): notices, not problems, and one
 * pair per worker would bury the progress display.
 */
const TF_STARTUP_NOISE = [/^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$/, /^I0000 [\d:. ]+ port\.cc:\d+\] oneDNN custom operations are on\./];

/** Passes a worker's stderr through, line by line, less TensorFlow's start-up notices. */
export function forwardStderr(child: ChildProcess): void {
  if (!child.stderr) return;
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on("line", (line) => {
    if (!TF_STARTUP_NOISE.some((re) => re.test(line))) process.stderr.write(`${line}\n`);
  });
}

/**
 * Runs every spec on a pool of worker processes fed from a local queue.
 * Results come back in plan order whatever order the workers finish in.
 */
export async function schedule(runs: readonly RunSpec[], opts: ScheduleOptions): Promise<Map<string, RunOutcome>> {
  const queue = [...runs];
  const results = new Map<string, RunOutcome>();
  const workers = Math.max(1, Math.min(opts.concurrency, runs.length));
  const children: ChildProcess[] = [];
  const stopAll = () => children.forEach((c) => c.kill("SIGTERM"));
  process.once("SIGINT", stopAll);
  process.once("SIGTERM", stopAll);

  const startWorker = () =>
    new Promise<void>((resolve, reject) => {
      const child = fork(WORKER, [], { execArgv: ["--import", TSX], stdio: ["ignore", "inherit", "pipe", "ipc"] });
      children.push(child);
      forwardStderr(child);
      let current: RunSpec | undefined;
      const next = () => {
        current = queue.shift();
        if (!current) {
          child.disconnect();
          return;
        }
        child.send({
          type: "run",
          spec: current,
          resultsDir: opts.resultsDir,
          experiment: opts.experiment,
          file: opts.file,
          stop: opts.stop ?? null,
          ...(opts.halving ? { halving: { policy: opts.halving, peers: runs.map((r) => r.runId) } } : {}),
          resumeStopped: opts.resumeStopped ?? false,
        } satisfies ToWorker);
      };
      child.on("message", (m: FromWorker) => {
        if (m.type === "ready") {
          opts.onBackend?.(m.backend);
          next();
        } else if (m.type === "init-failed") {
          reject(new Error(m.error));
          child.kill();
        } else if (m.type === "event") {
          opts.onEvent?.(m.event);
        } else if (m.type === "result") {
          results.set(m.runId, m.outcome);
          opts.onResult?.(m.runId, m.outcome);
          next();
        }
      });
      child.on("exit", (code, signal) => {
        if (current && !results.has(current.runId)) {
          const outcome: RunOutcome = { status: "failed", error: `worker exited (${signal ?? `code ${code}`}) while training; rerun to resume from its checkpoint` };
          results.set(current.runId, outcome);
          opts.onEvent?.({ type: "finish", runId: current.runId, outcome });
        }
        resolve();
      });
      child.on("error", reject);
      child.send({ type: "init", backend: opts.backend } satisfies ToWorker);
    });

  try {
    await Promise.all(Array.from({ length: workers }, startWorker));
  } finally {
    process.off("SIGINT", stopAll);
    process.off("SIGTERM", stopAll);
  }
  return new Map(runs.filter((r) => results.has(r.runId)).map((r) => [r.runId, results.get(r.runId)!]));
}
