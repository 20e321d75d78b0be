/**
 * The run store's front door: results/<experiment>/<runId>/. Its parts live
 * beside it: the files' formats (store-formats.ts), a run's folder
 * (run-dir.ts), its records (run-records.ts) and lock (run-lock.ts), the
 * experiment index (experiment-index.ts), cross-experiment links
 * (run-links.ts); a run's state is run-state.ts's.
 */
import { promises as fs, existsSync } from "node:fs";
import path from "node:path";
import { readJsonIfExists, writeJsonAtomic } from "./atomic-file.js";
import { RESULTS_FILES, type PlanIndex } from "./store-formats.js";
import { RunDir } from "./run-dir.js";
import { readLockInfo } from "./run-lock.js";
import { buildExperimentIndex, type ExperimentIndex } from "./experiment-index.js";
import { findFinished, linkRun } from "./run-links.js";

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

  /** The experiment's index, built now (experiment-index.ts's {@link buildExperimentIndex}): planned runs in plan order, then folders left by earlier plans. */
  async index(experiment: string): Promise<ExperimentIndex> {
    const plan = await this.readPlan(experiment);
    return buildExperimentIndex(experiment, plan, this.experimentDir(experiment), (runId) => this.run(experiment, runId));
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

  /** Another experiment's finished copy of this run, if any (run-links.ts's {@link findFinished}). */
  async findFinished(runId: string, exceptExperiment: string): Promise<string | undefined> {
    return findFinished(await this.experiments(), runId, exceptExperiment, (exp, id) => this.run(exp, id));
  }

  /** Makes results/<experiment>/<runId> point at another experiment's finished run; call it holding that run's lock (run-links.ts's {@link linkRun}). */
  async linkRun(experiment: string, runId: string, fromExperiment: string): Promise<string | undefined> {
    return linkRun(this.experimentDir(experiment), runId, fromExperiment);
  }
}
