import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { localLiveness } from "./process-alive.js";
import { RUN_STATES, standing, type Liveness, type RunStanding, type RunState } from "./run-state.js";
import { RESULTS_FILES, type EpochRecord, type RunStatus } from "./store-formats.js";
import { RunDir } from "./run-dir.js";

/**
 * The run store read strictly read-only, for a reader beside runners that
 * may be writing the same folders right now (the dashboard). Where RunDir
 * throws on a corrupt file (a runner must not build on one), this reader
 * keeps going: a file that cannot be read is a warning naming it, a torn
 * last line of metrics.jsonl (an append in flight, or a kill) is skipped in
 * silence, and nothing is ever repaired or rewritten.
 */

/** One run's folder as it is now. */
export interface RunSnapshot {
  /** The run's folder in its experiment (through a link for a linked run). */
  readonly dir: string;
  /** Where its files are: the folder a link points at, else `dir`. */
  readonly realDir: string;
  /** Whether the folder (or a live link to one) exists. */
  readonly exists: boolean;
  /** The experiment whose run this folder links to (the same config, trained once). */
  readonly linkedFrom?: string;
  /** status.json when it holds an object (its fields as written: older stores may lack some). */
  readonly status?: RunStatus;
  /** summary.json, config.json and mlflow.json as parsed, unchecked: each reader takes what it knows. */
  readonly summary?: unknown;
  readonly config?: unknown;
  readonly mlflow?: unknown;
  /** The epoch records, one per epoch (a replayed epoch's later line wins), in epoch order. */
  readonly records: EpochRecord[];
  /** The sample grids written so far, by epoch. */
  readonly samples: { epoch: number; file: string }[];
  /**
   * Where it stands (run-state.ts's {@link standing}: a running status
   * against the run's lock); undefined without a status.json or with a
   * state this version does not know.
   */
  readonly standing?: RunStanding;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * metrics.jsonl without repairing it: a torn last line is skipped; any other
 * unreadable line is skipped with a warning naming `file:line`; a resumed
 * run's replayed epoch keeps its later line, as the runner's own resume does.
 */
export async function readRecordsLenient(file: string, warnings: string[]): Promise<EpochRecord[]> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    warnings.push(`${file}: ${(e as Error).message}`);
    return [];
  }
  const byEpoch = new Map<number, EpochRecord>();
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      // The last line may be mid-append; any other torn line is worth a word.
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== "")) warnings.push(`${file}:${i + 1}: unreadable line skipped`);
      return;
    }
    if (!isObject(rec) || typeof rec["epoch"] !== "number") return;
    byEpoch.set(rec["epoch"], rec as EpochRecord);
  });
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** Reads a run store without writing to it; what it could not read is in `warnings`. */
export class StoreReader {
  /** Problems met so far, each naming its file. */
  readonly warnings: string[] = [];

  /** @param liveness how to tell a live lock holder (tests pin it); defaults to this host's processes */
  constructor(
    readonly root: string,
    private readonly liveness: Liveness = localLiveness(),
  ) {}

  /** A JSON file as parsed; undefined when it is missing, and (with a warning) when it cannot be read or parsed. */
  async readJson(file: string, warnings: string[] = this.warnings): Promise<unknown> {
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      warnings.push(`${file}: ${(e as Error).message}`);
      return undefined;
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      warnings.push(`${file}: not valid JSON (${(e as Error).message})`);
      return undefined;
    }
  }

  /** Folders (and links) at the store's root, sorted; a missing root has none. */
  async folders(): Promise<string[]> {
    try {
      const entries = await fs.readdir(this.root, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") this.warnings.push(`${this.root}: ${(e as Error).message}`);
      return [];
    }
  }

  /** Run folders of an experiment: those holding a config.json or status.json (what the runner writes first). */
  async runFolders(experiment: string): Promise<string[]> {
    const expDir = path.join(this.root, experiment);
    const entries = await fs.readdir(expDir, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith("."))
      .map((e) => e.name)
      .filter((n) => existsSync(path.join(expDir, n, RESULTS_FILES.config)) || existsSync(path.join(expDir, n, RESULTS_FILES.status)))
      .sort();
  }

  /** One run's folder as it is now; a run not started yet is one that does not exist. */
  async run(experiment: string, runId: string): Promise<RunSnapshot> {
    const dir = path.join(this.root, experiment, runId);
    let linkedFrom: string | undefined;
    let realDir = dir;
    let exists = false;
    let isLink = false;
    try {
      isLink = (await fs.lstat(dir)).isSymbolicLink();
      if (isLink) {
        realDir = await fs.realpath(dir);
        const rel = path.relative(await fs.realpath(this.root), realDir);
        linkedFrom = rel.split(path.sep)[0] ?? rel;
      }
      exists = true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOENT on realpath: a dangling link to a deleted run, which holds nothing.
      if (isLink && code === "ENOENT") this.warnings.push(`${dir}: link to a run that no longer exists`);
      else if (code !== "ENOENT") this.warnings.push(`${dir}: ${(e as Error).message}`);
    }
    const run = new RunDir(dir);
    const [statusRaw, summary, config, mlflow, records, samples] = await Promise.all([
      this.readJson(run.file(RESULTS_FILES.status)),
      this.readJson(run.file(RESULTS_FILES.summary)),
      this.readJson(run.file(RESULTS_FILES.config)),
      this.readJson(run.file(RESULTS_FILES.mlflow)),
      readRecordsLenient(run.file(RESULTS_FILES.metrics), this.warnings),
      run.samples().catch(() => []),
    ]);
    const status = isObject(statusRaw) ? (statusRaw as unknown as RunStatus) : undefined;
    // The lock as it is, stale or not: standing() decides whether its holder lives.
    const lock = status?.state === "running" ? run.readLock() : undefined;
    const known = status !== undefined && (RUN_STATES as readonly string[]).includes(status.state);
    return {
      dir,
      realDir,
      exists,
      ...(linkedFrom !== undefined ? { linkedFrom } : {}),
      ...(status ? { status } : {}),
      ...(summary !== undefined ? { summary } : {}),
      ...(config !== undefined ? { config } : {}),
      ...(mlflow !== undefined ? { mlflow } : {}),
      records,
      samples,
      ...(known ? { standing: standing(status as { state: RunState }, lock, this.liveness) } : {}),
    };
  }
}
