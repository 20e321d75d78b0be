/**
 * Every run of the store across experiments, for the one table over them
 * all. Pure: unit-tested in Node (store-runs.test.ts).
 */
import type { ExperimentView, RunView } from "../src/site-data.js";
import { SEED_AXIS } from "./aggregate.js";

/** A run with the experiment it belongs to. */
export interface StoreRun extends RunView {
  experiment: string;
  /** Other experiments that list the same run (the runner links a config already trained instead of training it twice). */
  alsoIn: string[];
}

/**
 * One row per run id: a run reused by other experiments (a symlink in the
 * store, `linkedFrom` set there) is one run, listed under the experiment
 * that trained it, with every experiment's varied values of it (the same
 * config, so they never disagree); in the experiments' order.
 */
export function storeRuns(experiments: readonly ExperimentView[]): StoreRun[] {
  const byId = new Map<string, StoreRun>();
  const owned = (r: RunView) => r.linkedFrom === undefined;
  for (const exp of experiments) {
    for (const r of exp.runs) {
      const seen = byId.get(r.runId);
      if (!seen) {
        byId.set(r.runId, { ...r, varied: { ...r.varied }, experiment: exp.name, alsoIn: [] });
        continue;
      }
      const varied = { ...seen.varied, ...r.varied };
      // The experiment that trained it wins the row; the one met first otherwise.
      if (owned(r) && !owned(seen)) byId.set(r.runId, { ...r, varied, experiment: exp.name, alsoIn: [...seen.alsoIn, seen.experiment] });
      else byId.set(r.runId, { ...seen, varied, alsoIn: [...seen.alsoIn, exp.name] });
    }
  }
  return [...byId.values()];
}

/** The hyperparameters varied anywhere, in the order the experiments name them, the seed last. */
export function storeAxes(experiments: readonly ExperimentView[]): string[] {
  const axes = [...new Set(experiments.flatMap((e) => e.axes))];
  return [...axes.filter((a) => a !== SEED_AXIS), ...axes.filter((a) => a === SEED_AXIS)];
}
