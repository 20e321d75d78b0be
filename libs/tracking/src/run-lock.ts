/** A run's lock: one runner trains a run at a time, and a killed holder's lock is taken over. */
import { randomUUID } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { localLiveness } from "./process-alive.js";
import { holderAlive } from "./run-state.js";
import { StoreWriteError, writeFileAtomic } from "./atomic-file.js";
import { RESULTS_FILES } from "./store-formats.js";

/** Per-run lock holder's identity as written in the lock file. */
export interface LockInfo {
  pid: number;
  host: string;
  since: string;
  /** Unique per acquisition, so a stale lock is told apart from a fresh one in the same place. */
  nonce?: string;
}

/** A lock file's holder as written; undefined when it is absent or unreadable (mid-write). */
export function readLockInfo(file: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LockInfo;
  } catch {
    return undefined;
  }
}

/** A lock whose holder is gone: same host and its process no longer exists. */
function isStale(holder: LockInfo): boolean {
  return !holderAlive(holder, localLiveness());
}

/**
 * Takes the run's lock, so two runners on one results folder never train
 * the same run. Returns a release function, or the live holder when someone
 * else has it (the caller skips the run and says who has it).
 *
 * The lock file appears with its content in one step (written to a private
 * file, then hard-linked into place), so it is never seen empty. A lock
 * whose process is gone (kill -9) is taken over; of several runners finding
 * the same stale lock, only the one that creates `.lock.reap-<nonce>` may
 * remove it, and it removes it only while the file still holds that nonce,
 * so a fresh lock is never removed by a slow competitor.
 */
export async function acquireRunLock(dir: string): Promise<{ release: () => Promise<void> } | { heldBy: LockInfo }> {
  await fs.mkdir(dir, { recursive: true }).catch((e: unknown) => {
    throw StoreWriteError.from(dir, e, "create the folder");
  });
  const file = path.join(dir, RESULTS_FILES.lock);
  const me: LockInfo = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), nonce: randomUUID() };
  const mine = `${file}.${me.nonce}`;
  await writeFileAtomic(mine, JSON.stringify(me));
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await fs.link(mine, file);
        return {
          release: async () => {
            // Only ever remove our own lock (a bug elsewhere must not free someone else's).
            if (readLockInfo(file)?.nonce === me.nonce) await fs.rm(file, { force: true });
          },
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const holder = readLockInfo(file);
      if (holder === undefined) {
        // Released between our link and read, or a legacy lock mid-write: look again shortly.
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      if (!isStale(holder)) return { heldBy: holder };
      await reap(file, holder);
    }
    return { heldBy: readLockInfo(file) ?? { pid: 0, host: `an unreadable lock file ${file} (remove it if no runner is running)`, since: "?" } };
  } finally {
    await fs.rm(mine, { force: true });
  }
}

/** Removes a stale lock, if we win the right to (see {@link acquireRunLock}). */
async function reap(file: string, stale: LockInfo): Promise<void> {
  const marker = `${file}.reap-${stale.nonce ?? `${stale.pid}-${stale.since}`}`;
  try {
    await fs.writeFile(marker, JSON.stringify({ pid: process.pid, host: os.hostname() }), { flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    // Another runner is reaping it. If that runner died mid-reap, clear its marker.
    const reaper = readLockInfo(marker);
    if (reaper && isStale(reaper)) await fs.rm(marker, { force: true });
    else await new Promise((r) => setTimeout(r, 20));
    return;
  }
  try {
    const now = readLockInfo(file);
    if (now && now.pid === stale.pid && now.since === stale.since && now.nonce === stale.nonce) await fs.rm(file, { force: true });
  } finally {
    await fs.rm(marker, { force: true });
  }
}

/** Who holds the run's lock now, if anyone alive does; a stale lock counts as free. */
export function runLockHolder(dir: string): LockInfo | undefined {
  const holder = readRunLock(dir);
  return holder && !isStale(holder) ? holder : undefined;
}

/** The lock file as it is, stale or not; undefined when there is none (or it is mid-write). */
export function readRunLock(dir: string): LockInfo | undefined {
  return readLockInfo(path.join(dir, RESULTS_FILES.lock));
}
