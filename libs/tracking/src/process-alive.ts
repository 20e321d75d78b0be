import os from "node:os";
import type { Liveness } from "./run-state.js";

/**
 * Whether a process with this pid exists on this host. Locks, statuses and
 * caches record their writer's pid so that a writer killed with -9 is told
 * apart from one still at work. EPERM means it exists but is someone else's.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** This host and its processes, as {@link standing} and the lock read them. */
export function localLiveness(): Liveness {
  return { host: os.hostname(), alive: processAlive };
}
