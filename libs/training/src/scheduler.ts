import type { ChildProcess } from "node:child_process";
import type { HalvingPolicy, ResolvedStopPolicy, RunConfig, RunSpec } from "@ganscope/dsl";
import type { BackendInfo, BackendName } from "@ganscope/models";
import type { RunOutcome } from "@ganscope/tracking";
import { forwardStderr } from "./filtered-stderr.js";
import type { FusionMeasurement } from "./fusion.js";
import type { RunEvent } from "./run-event.js";
import { forkWorker } from "./worker-launch.js";
import type { FromWorker, ToWorker } from "./worker-process.js";

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
  /**
   * Fused groups (see planGroups): each is trained as one model by one
   * worker; a group of one is a plain run. Default: every run on its own.
   */
  groups?: readonly (readonly RunSpec[])[];
  /** How the group size was chosen, for each fused run's config.json. */
  fusion?: unknown;
  /**
   * Runs that train on another backend than `backend`, by run id (`--backend
   * auto`'s per-shape picks, backend-cache.ts), on workers of their own.
   */
  backends?: ReadonlyMap<string, BackendName>;
}

/**
 * Workers for the runs `--backend auto` put on webgpu: one. The decision
 * counts one GPU once, however many workers share it, and its worker keeps
 * a core busy dispatching, so it takes one from the CPU workers. A worker
 * keeps its backend for life: what it prepares once (the metrics'
 * classifier and reference features) lives on that backend, and leaving
 * webgpu disposes everything held there.
 */
const WEBGPU_WORKERS = 1;

/**
 * How many workers each queue gets: webgpu's at most WEBGPU_WORKERS, the
 * plan's backend the rest of `concurrency` (at least one while it has runs).
 * Where `concurrency` leaves no worker for the plan's backend beside the
 * GPU's (`--concurrency 1`), the two pools run one after the other instead
 * of side by side: a worker keeps its backend for life, so one process
 * cannot serve both, and starting both would be two processes on a budget
 * of one.
 */
export function workerPools(concurrency: number, gpuGroups: number, cpuRuns: number): { cpu: number; gpu: number; oneAfterTheOther: boolean } {
  const gpu = Math.min(WEBGPU_WORKERS, gpuGroups);
  const cpu = cpuRuns === 0 ? 0 : Math.max(1, Math.min(concurrency - gpu, cpuRuns));
  return { cpu, gpu, oneAfterTheOther: gpu > 0 && cpu > 0 && cpu + gpu > Math.max(1, concurrency) };
}

/**
 * Runs every spec on a pool of worker processes fed from a local queue.
 * Results come back in plan order whatever order the workers finish in.
 */
export async function schedule(runs: readonly RunSpec[], opts: ScheduleOptions): Promise<Map<string, RunOutcome>> {
  const items: (readonly RunSpec[])[] = opts.groups ? [...opts.groups] : runs.map((r) => [r]);
  // One queue per backend, each with its own workers: the plan's backend, and webgpu where auto picked it for some shapes.
  const elsewhere = (g: readonly RunSpec[]) => opts.backends?.get(g[0]!.runId);
  const gpuQueue = items.filter((g) => elsewhere(g) === "webgpu");
  const queue = items.filter((g) => elsewhere(g) !== "webgpu");
  const { cpu: workers, gpu: gpuWorkers, oneAfterTheOther } = workerPools(opts.concurrency, gpuQueue.length, queue.reduce((n, g) => n + g.length, 0));
  const results = new Map<string, RunOutcome>();
  const children: ChildProcess[] = [];
  // Once asked to stop, no pool starts and no worker gets more work: under --concurrency 1 the second pool would otherwise start after the first's workers were killed.
  let stopping = false;
  const stopAll = () => {
    stopping = true;
    children.forEach((c) => c.kill("SIGTERM"));
  };
  process.once("SIGINT", stopAll);
  process.once("SIGTERM", stopAll);

  const startWorker = (queue: (readonly RunSpec[])[], backend: BackendName | undefined) =>
    new Promise<void>((resolve, reject) => {
      const child = forkWorker({ stdio: ["ignore", "inherit", "pipe", "ipc"] });
      children.push(child);
      forwardStderr(child);
      let current: readonly RunSpec[] | undefined;
      const next = () => {
        current = stopping ? undefined : queue.shift();
        if (!current) {
          child.disconnect();
          return;
        }
        const where = {
          resultsDir: opts.resultsDir,
          experiment: opts.experiment,
          file: opts.file,
          stop: opts.stop ?? null,
          ...(opts.halving ? { halving: { policy: opts.halving, peers: runs.map((r) => r.runId) } } : {}),
          resumeStopped: opts.resumeStopped ?? false,
        };
        if (current.length === 1) child.send({ type: "run", spec: current[0]!, ...where } satisfies ToWorker);
        else child.send({ type: "group", specs: [...current], ...where, chosen: opts.fusion } satisfies ToWorker);
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
          // A group reports each run as it ends, then group-done.
          if (current?.length === 1) next();
        } else if (m.type === "group-done") {
          next();
        }
      });
      child.on("exit", (code, signal) => {
        for (const spec of current ?? []) {
          if (results.has(spec.runId)) continue;
          const outcome: RunOutcome = { status: "failed", error: `worker exited (${signal ?? `code ${code}`}) while training; rerun to resume from its checkpoint` };
          results.set(spec.runId, outcome);
          opts.onEvent?.({ type: "finish", runId: spec.runId, outcome });
        }
        resolve();
      });
      child.on("error", reject);
      child.send({ type: "init", backend } satisfies ToWorker);
    });

  try {
    const cpuPool = () => Promise.all(Array.from({ length: workers }, () => startWorker(queue, opts.backend)));
    const gpuPool = () => Promise.all(Array.from({ length: gpuWorkers }, () => startWorker(gpuQueue, "webgpu")));
    if (oneAfterTheOther) await gpuPool().then(() => (stopping ? undefined : cpuPool()));
    else await Promise.all([cpuPool(), gpuPool()]);
  } finally {
    process.off("SIGINT", stopAll);
    process.off("SIGTERM", stopAll);
  }
  return new Map(runs.filter((r) => results.has(r.runId)).map((r) => [r.runId, results.get(r.runId)!]));
}

/**
 * Measures fused-group throughput for `config`'s shapes in a worker of its
 * own (the backend the plan trains on, one TensorFlow thread as every
 * worker), for --fuse=auto.
 */
export async function calibrateFusion(config: RunConfig, ks: readonly number[], backend?: BackendName): Promise<FusionMeasurement[]> {
  return (await calibrateGroups(config, ks, backend)).measured;
}

/** {@link calibrateFusion}, with the backend the worker picked (what `--backend auto` compares). */
export function calibrateGroups(config: RunConfig, ks: readonly number[], backend?: BackendName): Promise<{ backend: BackendInfo; measured: FusionMeasurement[] }> {
  return new Promise((resolve, reject) => {
    const child = forkWorker({ stdio: ["ignore", "inherit", "pipe", "ipc"] });
    forwardStderr(child);
    let picked: BackendInfo | undefined;
    child.on("message", (m: FromWorker) => {
      if (m.type === "ready") {
        picked = m.backend;
        child.send({ type: "calibrate", config, ks: [...ks] } satisfies ToWorker);
      } else if (m.type === "init-failed") (reject(new Error(m.error)), child.kill());
      else if (m.type === "calibrated") (resolve({ backend: picked!, measured: m.measured }), child.disconnect());
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`fusion calibration worker exited (code ${code})`)));
    child.send({ type: "init", backend } satisfies ToWorker);
  });
}
