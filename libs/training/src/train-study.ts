/**
 * Training what a study's findings read at a budget: every plan of the study
 * (@ganscope/findings' plansOfStudy), only the runs not yet settled for the
 * budget's epochs, on the local scheduler's worker processes (fused where
 * `fuse` asks), each plan's plan.json written first. What `runner study`
 * trains, and what a test that re-decides a finding trains.
 */
import os from "node:os";
import path from "node:path";
import type { RunPlan, RunSpec } from "@ganscope/dsl";
import { describeBudget, plansOfStudy, type Budget, type Study } from "@ganscope/findings";
import type { BackendName } from "@ganscope/models";
import { RunStore, settled, type SettledOptions } from "@ganscope/tracking";
import { backendPlan } from "./backend-cache.js";
import { fusionPlan, type Fuse } from "./fusion-cache.js";
import { planIndexOf } from "./plan-index.js";
import type { RunEvent } from "./run-event.js";
import { schedule } from "./scheduler.js";

/**
 * Runs of each plan not yet done at this budget in that experiment's folder.
 * A run done in another experiment is still scheduled here: the worker links
 * it (no training), so every experiment's folder holds the runs it reads.
 */
export async function missingRuns(store: RunStore, plans: readonly RunPlan[], options: SettledOptions = {}): Promise<{ plan: RunPlan; runs: RunSpec[] }[]> {
  const out: { plan: RunPlan; runs: RunSpec[] }[] = [];
  for (const plan of plans) {
    const runs: RunSpec[] = [];
    for (const r of plan.runs) {
      const status = await store.run(plan.experiment, r.runId).readStatus().catch(() => undefined);
      // Run ids ignore the schedule: a run done to fewer epochs than this budget asks is extended, so it is missing.
      if (settled(status, r.config.epochs, options) === undefined) runs.push(r);
    }
    out.push({ plan, runs });
  }
  return out;
}

/** A display of one plan's training (the runner's progress bars). */
export interface StudyProgress {
  onEvent(e: RunEvent): void;
  /** A run that needed no training, and why. */
  skip(spec: RunSpec, reason: string): void;
  /** The plan is trained: the display ends. */
  stop(): void;
}

export interface TrainStudyOptions {
  /** The findings file, recorded in each plan.json. */
  file: string;
  /** The run store folder. */
  results: string;
  /** Worker processes (default: one per core). */
  concurrency?: number;
  backend?: BackendName;
  /** Train a config's seeds as one fused model (see fusion-cache.ts); default off. */
  fuse?: Fuse;
  log?: (line: string) => void;
  /** A display per plan, given the plan cut to the runs it trains; none by default. */
  progress?: (plan: RunPlan) => StudyProgress;
}

/** Trains what `study` reads at `budget` that the store does not hold yet; returns how many runs failed (their errors logged). */
export async function trainStudy(study: Study, budget: Budget, opts: TrainStudyOptions): Promise<{ failed: number }> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const store = new RunStore(path.resolve(opts.results));
  const plans = plansOfStudy(study, budget);
  const concurrency = opts.concurrency ?? os.availableParallelism();
  let failed = 0;
  for (const { plan, runs } of await missingRuns(store, plans)) {
    // The store is written first; the plan records the budget its runs were planned at.
    await store.writePlan({ ...planIndexOf(plan, opts.file), ...{ budget: describeBudget(budget), study: study.name } });
    if (runs.length === 0) continue;
    log(`${plan.experiment}: ${runs.length} of ${plan.runs.length} runs to train at ${describeBudget(budget)}`);
    const { groups, fusion } = await fusionPlan(runs, opts.fuse ?? "off", Math.min(concurrency, runs.length), opts.backend, log);
    if (groups && groups.some((g) => g.length > 1)) log(`fusion: ${groups.map((g) => g.length).join(" + ")} runs per fused group`);
    const picked = await backendPlan(groups ?? runs.map((r) => [r]), opts.backend, Math.min(concurrency, runs.length), log);
    const progress = opts.progress?.({ ...plan, runs });
    const outcomes = await schedule(runs, {
      ...(groups ? { groups, fusion } : {}),
      ...(picked ? { backends: picked.backends } : {}),
      stop: plan.stop,
      resultsDir: store.root,
      experiment: plan.experiment,
      file: opts.file,
      concurrency,
      ...(opts.backend ? { backend: opts.backend } : {}),
      ...(progress ? { onEvent: (e: RunEvent) => progress.onEvent(e) } : {}),
      onResult: (runId, o) => {
        const spec = runs.find((r) => r.runId === runId);
        if (spec && o.status === "skipped") progress?.skip(spec, o.reason);
      },
    }).finally(() => progress?.stop());
    for (const o of outcomes.values()) {
      if (o.status === "failed") {
        failed++;
        log(o.error);
      }
    }
    await store.refreshIndex(plan.experiment);
  }
  return { failed };
}
