/**
 * How a worker process (worker-process.ts) is started. From the source tree
 * it runs through tsx; inside a bundled build (the GPU kit, apps/gpu-kit)
 * there is no tsx and no TypeScript: the build puts the worker's own bundle,
 * `worker-process.mjs`, beside the bundle this module was bundled into, and
 * the worker starts on plain Node.
 */
import { fork, type ChildProcess, type ForkOptions } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface WorkerLaunch {
  /** The worker's entry module. */
  module: string;
  /** Node flags it needs (tsx's loader from source, nothing bundled). */
  execArgv: string[];
}

/** This module's own URL ends in .ts only when it runs from source. */
const FROM_SOURCE = import.meta.url.endsWith(".ts");

export function workerLaunch(): WorkerLaunch {
  if (!FROM_SOURCE) return { module: fileURLToPath(new URL("./worker-process.mjs", import.meta.url)), execArgv: [] };
  // Resolved here, not at import: a bundle has no tsx to resolve.
  return { module: fileURLToPath(new URL("./worker-process.ts", import.meta.url)), execArgv: ["--import", import.meta.resolve("tsx")] };
}

/** A worker process, started as {@link workerLaunch} says. */
export function forkWorker(opts: Omit<ForkOptions, "execArgv">): ChildProcess {
  const { module, execArgv } = workerLaunch();
  return fork(module, [], { ...opts, execArgv });
}
