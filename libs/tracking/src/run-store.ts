import { promises as fs, existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { appendLineDurable, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from "./atomic-file.js";

/** One line of metrics.jsonl: what an epoch measured. Metrics added by evaluation are extra numeric keys. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  d_loss: number;
  g_loss: number;
  d_real: number;
  d_fake: number;
  d_grad_norm: number;
  g_grad_norm: number;
  /** Training steps in this epoch. */
  steps: number;
  /** Wall-clock seconds the epoch took (training only). */
  secs: number;
  [metric: string]: number;
}

export type RunState = "running" | "done" | "failed";

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
}

/** plan.json at the experiment's root: what the plan is made of, for the dashboard and sync. */
export interface PlanIndex {
  experiment: string;
  description: string;
  axes: string[];
  file?: string;
  createdAt: string;
  runs: { runId: string; varied: Record<string, unknown> }[];
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
} as const;

export function sampleFileName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, "0")}.png`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Per-run lock holder's identity as written in the lock file. */
interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

/** A run's folder under results/<experiment>/<runId>/. */
export class RunDir {
  constructor(readonly dir: string) {}

  file(name: string): string {
    return path.join(this.dir, name);
  }

  async writeConfig(config: unknown): Promise<void> {
    await writeJsonAtomic(this.file(RESULTS_FILES.config), config);
  }

  async readStatus(): Promise<RunStatus | undefined> {
    return readJsonIfExists<RunStatus>(this.file(RESULTS_FILES.status));
  }

  async writeStatus(status: Omit<RunStatus, "updatedAt" | "pid" | "host">): Promise<void> {
    const full: RunStatus = { ...status, updatedAt: new Date().toISOString(), pid: process.pid, host: os.hostname() };
    await writeJsonAtomic(this.file(RESULTS_FILES.status), full);
  }

  /**
   * The epoch records, repaired for resume: a torn last line (killed
   * mid-write) is dropped, and so is any epoch beyond `upToEpoch` — the
   * checkpoint's epoch — so that replaying from the checkpoint neither
   * duplicates nor skips an epoch. The file is rewritten when repaired.
   */
  async readRecords(upToEpoch = Infinity): Promise<EpochRecord[]> {
    const file = this.file(RESULTS_FILES.metrics);
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    const records: EpochRecord[] = [];
    let repaired = false;
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      let rec: EpochRecord;
      try {
        rec = JSON.parse(line) as EpochRecord;
      } catch {
        repaired = true; // torn write from a killed process
        continue;
      }
      if (rec.epoch > upToEpoch || records.some((r) => r.epoch === rec.epoch)) {
        repaired = true;
        continue;
      }
      records.push(rec);
    }
    if (repaired) await writeFileAtomic(file, records.map((r) => JSON.stringify(r) + "\n").join(""));
    return records;
  }

  async appendRecord(record: EpochRecord): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
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
   * Takes the run's lock, so two runners on one results folder never train
   * the same run. A lock whose process is gone (killed) is taken over.
   * Returns a release function, or the holder when someone else has it.
   */
  async lock(): Promise<{ release: () => Promise<void> } | { heldBy: LockInfo }> {
    await fs.mkdir(this.dir, { recursive: true });
    const file = this.file(RESULTS_FILES.lock);
    const me: LockInfo = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await fs.open(file, "wx");
        await handle.writeFile(JSON.stringify(me));
        await handle.close();
        return {
          release: async () => {
            await fs.rm(file, { force: true });
          },
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      let holder: LockInfo | undefined;
      try {
        holder = JSON.parse(readFileSync(file, "utf8")) as LockInfo;
      } catch {
        holder = undefined; // half-written by a process killed between open and write
      }
      if (holder && holder.host === me.host && isAlive(holder.pid) && holder.pid !== process.pid) {
        return { heldBy: holder };
      }
      if (holder && holder.host !== me.host) return { heldBy: holder };
      // Stale: its process is gone. Remove and race for it again.
      await fs.rm(file, { force: true });
    }
    const holder = JSON.parse(readFileSync(file, "utf8")) as LockInfo;
    return { heldBy: holder };
  }
}

/** The run store: results/<experiment>/<runId>/. Written before anything else. */
export class RunStore {
  constructor(readonly root: string) {}

  experimentDir(experiment: string): string {
    return path.join(this.root, experiment);
  }

  run(experiment: string, runId: string): RunDir {
    return new RunDir(path.join(this.root, experiment, runId));
  }

  async writePlan(plan: PlanIndex): Promise<void> {
    await writeJsonAtomic(path.join(this.experimentDir(plan.experiment), RESULTS_FILES.plan), plan);
  }

  async readPlan(experiment: string): Promise<PlanIndex | undefined> {
    return readJsonIfExists<PlanIndex>(path.join(this.experimentDir(experiment), RESULTS_FILES.plan));
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
   * Another experiment's finished copy of this run, if any: the same config
   * is the same run, so it is linked rather than trained again.
   */
  async findFinished(runId: string, exceptExperiment: string): Promise<string | undefined> {
    for (const exp of await this.experiments()) {
      if (exp === exceptExperiment) continue;
      const dir = this.run(exp, runId);
      const status = await dir.readStatus().catch(() => undefined);
      if (status?.state === "done") return exp;
    }
    return undefined;
  }

  /** Makes results/<experiment>/<runId> point at another experiment's finished run. */
  async linkRun(experiment: string, runId: string, fromExperiment: string): Promise<void> {
    const target = path.join("..", fromExperiment, runId);
    const link = path.join(this.experimentDir(experiment), runId);
    await fs.mkdir(this.experimentDir(experiment), { recursive: true });
    await fs.rm(link, { recursive: true, force: true });
    await fs.symlink(target, link, "dir");
  }
}
