/**
 * Where this machine's measurements are cached, and the key that says which
 * machine took them: one folder for every measurement — the metrics'
 * classifier, step times (step-times.ts), fused-group throughput
 * (fusion-cache.ts) — so `GANSCOPE_CACHE` moves them all, and one machine id,
 * so a cache copied to another machine is never read as its own.
 */
import os from "node:os";
import path from "node:path";
import { defaultCacheDir } from "@ganscope/metrics";

/** Host, CPU model and core count: what a measured time belongs to. */
export function machineId(): string {
  return `${os.hostname()}|${os.cpus()[0]?.model ?? "cpu"}|${os.cpus().length} cores`;
}

/** A path in the cache folder ($GANSCOPE_CACHE, else .cache/ganscope in the repository). */
export function cachePath(...parts: string[]): string {
  return path.join(defaultCacheDir(), ...parts);
}
