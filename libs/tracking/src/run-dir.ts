/** A run's folder: its status, config, summary, samples, checkpoint and temp files, with its records and lock behind the same front. */
import { execFileSync } from "node:child_process";
import { promises as fs, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { processAlive } from "./process-alive.js";
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from "./atomic-file.js";
import { RESULTS_FILES, sampleFileName, type EpochRecord, type RunStatus, type StoredConfig } from "./store-formats.js";
import { appendRecord, peekRecords, readRecords, resumeRecords, setRecordsAside } from "./run-records.js";
import { acquireRunLock, readRunLock, runLockHolder, type LockInfo } from "./run-lock.js";

let cachedCommit: string | null | undefined;

/** The checkout's HEAD commit, once per process; undefined outside a git checkout. */
export function gitCommit(): string | undefined {
  if (cachedCommit === undefined) {
    try {
      cachedCommit = execFileSync("git", ["rev-parse", "HEAD"], { stdio: ["ignore", "pipe", "ignore"], encoding: "utf8", timeout: 5000 }).trim() || null;
    } catch {
      cachedCommit = null;
    }
  }
  return cachedCommit ?? undefined;
}

/** What writeFileAtomic and saveCheckpoint name their temp files: the writer's pid is the first group. */
const TEMP_FILE = /\.tmp-(\d+)(-[a-z0-9]+)?$/;

/** A run's folder under results/<experiment>/<runId>/. */
export class RunDir {
  /** @param onStatus called after every status write (the store refreshes its index) */
  constructor(
    readonly dir: string,
    private readonly onStatus?: () => Promise<void>,
  ) {}

  file(name: string): string {
    return path.join(this.dir, name);
  }

  async writeConfig(config: unknown): Promise<void> {
    await writeJsonAtomic(this.file(RESULTS_FILES.config), config);
  }

  async readStatus(): Promise<RunStatus | undefined> {
    return readJsonIfExists<RunStatus>(this.file(RESULTS_FILES.status));
  }

  /**
   * Writes status.json, keeping the run's history: `startedAt` and
   * `attempts` carry over from the previous status (a new process writing
   * "running" counts as another attempt), `finishedAt` is set on "done" or
   * "failed". Then refreshes the experiment's index.json.
   */
  async writeStatus(status: Omit<RunStatus, "updatedAt" | "pid" | "host" | "startedAt" | "finishedAt" | "attempts" | "gitCommit">): Promise<void> {
    const prior = await this.readStatus().catch(() => undefined);
    const now = new Date().toISOString();
    const newAttempt = status.state === "running" && (prior?.state !== "running" || prior.pid !== process.pid || prior.host !== os.hostname());
    const full: RunStatus = {
      ...status,
      updatedAt: now,
      pid: process.pid,
      host: os.hostname(),
      startedAt: prior?.startedAt ?? now,
      attempts: (prior?.attempts ?? 0) + (newAttempt ? 1 : 0),
    };
    if (status.state === "done" || status.state === "failed" || status.state === "stopped") full.finishedAt = now;
    const commit = gitCommit();
    if (commit) full.gitCommit = commit;
    await writeJsonAtomic(this.file(RESULTS_FILES.status), full);
    await this.onStatus?.();
  }

  async readConfig(): Promise<StoredConfig | undefined> {
    return readJsonIfExists<StoredConfig>(this.file(RESULTS_FILES.config));
  }

  async readSummary(): Promise<Record<string, unknown> | undefined> {
    return readJsonIfExists<Record<string, unknown>>(this.file(RESULTS_FILES.summary));
  }

  /** The sample grids written so far, by epoch. */
  async samples(): Promise<{ epoch: number; file: string }[]> {
    const dir = this.file(RESULTS_FILES.samples);
    if (!existsSync(dir)) return [];
    return (await fs.readdir(dir))
      .map((name) => ({ name, m: /^epoch-(\d+)\.png$/.exec(name) }))
      .filter((x) => x.m !== null)
      .map((x) => ({ epoch: Number(x.m![1]), file: path.join(dir, x.name) }))
      .sort((a, b) => a.epoch - b.epoch);
  }

  /** The epoch records as written (run-records.ts's {@link readRecords}): never writes; a corrupt line throws. */
  async readRecords(): Promise<EpochRecord[]> {
    return readRecords(this.dir);
  }

  /** The records a resume from `checkpointEpoch` continues from (run-records.ts's {@link resumeRecords}). */
  async resumeRecords(checkpointEpoch: number): Promise<EpochRecord[]> {
    return resumeRecords(this.dir, checkpointEpoch);
  }

  /** Moves metrics.jsonl aside (run-records.ts's {@link setRecordsAside}); returns where to. */
  async setRecordsAside(): Promise<string | undefined> {
    return setRecordsAside(this.dir);
  }

  /** Another run's records as they are on disk, never repaired (run-records.ts's {@link peekRecords}). */
  async peekRecords(): Promise<EpochRecord[]> {
    return peekRecords(this.dir);
  }

  async appendRecord(record: EpochRecord): Promise<void> {
    await appendRecord(this.dir, record);
  }

  async writeSample(epoch: number, png: Uint8Array): Promise<string> {
    const file = path.join(this.dir, RESULTS_FILES.samples, sampleFileName(epoch));
    await writeFileAtomic(file, png);
    return file;
  }

  async writeSummary(summary: unknown): Promise<void> {
    await writeJsonAtomic(this.file(RESULTS_FILES.summary), summary);
  }

  get checkpointFile(): string {
    return this.file(RESULTS_FILES.checkpoint);
  }

  /**
   * The epoch the run's checkpoint holds, read from its header alone; undefined
   * when there is none or its header does not parse. status.json cannot say:
   * a kill between the checkpoint and the status leaves the checkpoint one
   * epoch ahead, and a diverged run's status names an epoch never checkpointed.
   * The framing ("GSCK", a uint32 header length, a JSON header whose `meta`
   * the trainer writes as `{ epoch }`) is @ganscope/models' checkpoint.ts,
   * which this node-only lib cannot import.
   */
  async checkpointEpoch(): Promise<number | undefined> {
    let fh: fs.FileHandle | undefined;
    try {
      fh = await fs.open(this.checkpointFile, "r");
      const prefix = Buffer.alloc(8);
      if ((await fh.read(prefix, 0, 8, 0)).bytesRead < 8 || prefix.toString("ascii", 0, 4) !== "GSCK") return undefined;
      const header = Buffer.alloc(prefix.readUInt32LE(4));
      if ((await fh.read(header, 0, header.length, 8)).bytesRead < header.length) return undefined;
      const epoch = (JSON.parse(header.toString("utf8")) as { meta?: { epoch?: unknown } }).meta?.epoch;
      return typeof epoch === "number" && Number.isSafeInteger(epoch) && epoch > 0 ? epoch : undefined;
    } catch {
      return undefined;
    } finally {
      await fh?.close();
    }
  }

  /**
   * Removes the temp files of atomic writes that a killed process left
   * behind (`<file>.tmp-<pid>[-<suffix>]`, never renamed into place). Call it
   * holding the run's lock: then no other process writes the run's files;
   * a live process's temp (another runner asking for the lock) is kept.
   */
  async removeStaleTemps(): Promise<string[]> {
    const removed: string[] = [];
    for (const dir of [this.dir, path.join(this.dir, RESULTS_FILES.samples)]) {
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        const pid = TEMP_FILE.exec(name)?.[1];
        // A live writer's temp is not stale: a second runner writes its private `.lock.<nonce>` here while it
        // asks for the lock we hold, and removing that mid-write failed its run with ENOENT (fused groups open
        // their runs in a burst, which made the race likely).
        if (pid === undefined || (Number(pid) !== process.pid && processAlive(Number(pid)))) continue;
        await fs.rm(path.join(dir, name), { force: true });
        removed.push(path.join(dir, name));
      }
    }
    return removed;
  }

  /** Takes the run's lock, or learns who holds it (run-lock.ts's {@link acquireRunLock}). */
  async lock(): Promise<{ release: () => Promise<void> } | { heldBy: LockInfo }> {
    return acquireRunLock(this.dir);
  }

  /** Who holds the run's lock now, if anyone alive does; a stale lock counts as free. */
  lockHolder(): LockInfo | undefined {
    return runLockHolder(this.dir);
  }

  /** The lock file as it is, stale or not; undefined when there is none (or it is mid-write). */
  readLock(): LockInfo | undefined {
    return readRunLock(this.dir);
  }
}
