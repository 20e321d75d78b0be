/**
 * What a study costs on this machine, from measurement rather than a
 * constant: a few timed training steps per distinct network shape on the
 * backend in use, and one timed evaluation, cached per machine and backend
 * (the measurement and its cache are @ganscope/training step-times.ts, which the
 * catalog uses too through `runner step-times`).
 */
import os from "node:os";
import path from "node:path";
import type { RunSpec } from "@ganscope/dsl";
import { selectBackend, type BackendName } from "@ganscope/models";
import { RunStore } from "@ganscope/tracking";
import { describeBudget, plansOfStudy, type Budget, type Study } from "@ganscope/findings";
import { evaluationsOf, missingRuns, stepTimes } from "@ganscope/training";

export interface CostOptions {
  concurrency: number;
  backend?: BackendName | undefined;
  stepsPerEpoch: (spec: RunSpec) => number;
  resultsDir?: string;
  cacheFile?: string;
  /** Per config, how much faster a run-step is when its seeds train as one fused group (measured, cached), if known. */
  fusionSpeedup?: (config: RunSpec["config"]) => number | undefined;
}

function duration(secs: number): string {
  return secs >= 3600 ? `${(secs / 3600).toFixed(1)} h` : secs >= 60 ? `${(secs / 60).toFixed(1)} min` : `${secs.toFixed(0)} s`;
}

/** The dry run of `runner study`: every run to train, its shape's measured step time, and the total on this machine. */
export async function describeStudyCost(study: Study, budget: Budget, opts: CostOptions): Promise<string> {
  const backend = await selectBackend(opts.backend);
  const plans = plansOfStudy(study, budget);
  const store = new RunStore(path.resolve(opts.resultsDir ?? "results"));
  const todo = await missingRuns(store, plans);
  const unique = new Map<string, RunSpec>();
  // A run finished in another experiment of the store is linked, not trained.
  const trainedElsewhere = new Set<string>();
  for (const { plan, runs } of todo) for (const spec of runs) if ((await store.findFinished(spec.runId, plan.experiment)) !== undefined) trainedElsewhere.add(spec.runId);
  for (const t of todo) t.runs = t.runs.filter((spec) => !trainedElsewhere.has(spec.runId));
  for (const { runs } of todo) for (const spec of runs) if (!unique.has(spec.runId)) unique.set(spec.runId, spec);
  const notices: string[] = [];
  const times = await stepTimes(
    [...unique.values()].map((s) => s.config),
    { backend, evaluation: unique.size > 0, log: (l) => notices.push(`  (${l})`), ...(opts.cacheFile ? { cacheFile: opts.cacheFile } : {}) },
  );
  const lines: string[] = [`study "${study.name}" at ${describeBudget(budget)}`, `backend: ${times.backend}; machine ${times.machine}; load average ${times.loadavg.toFixed(1)}`, ...notices];
  const evalSecs = times.evalSecs?.secs ?? 0;
  const seen = new Set<string>();
  let totalSecs = 0;
  let runsToTrain = 0;
  let fused = 0;
  for (const { plan, runs } of todo) {
    lines.push(`${plan.experiment}: ${plan.runs.length} runs, ${runs.length} to train`);
    for (const spec of runs) {
      if (seen.has(spec.runId)) continue;
      seen.add(spec.runId);
      const speedup = opts.fusionSpeedup?.(spec.config);
      const sps = times.secsPerStep(spec.config) / (speedup ?? 1);
      if (speedup !== undefined) fused++;
      const steps = spec.config.epochs * opts.stepsPerEpoch(spec);
      const evals = evaluationsOf(spec.config);
      const secs = steps * sps + evals * evalSecs;
      totalSecs += secs;
      runsToTrain++;
      const label = Object.entries(spec.varied).map(([k, v]) => `${k}=${String(v)}`).join(" ");
      lines.push(`  ${spec.runId}  ${label.padEnd(44)} ${steps} steps × ${(sps * 1000).toFixed(1)} ms + ${evals} eval ≈ ${secs.toFixed(1)} s`);
    }
  }
  const workers = Math.max(1, Math.min(opts.concurrency, os.availableParallelism()));
  const f = times.loadFactor;
  lines.push(
    `total: ${runsToTrain} runs to train, ≈ ${duration(totalSecs)} of one worker; ≈ ${duration(totalSecs / workers)} wall on ${workers} worker(s) at the cached figures' load`,
    `  (fusion: ${fused} of ${runsToTrain} runs priced at their shape's measured fused speed (--fuse auto's cache), the rest as runs alone; runs the stop policy ends early (a saturated discriminator) cost less, not counted)`,
    ...(f ? [`  at today's load (${f.loadavg}) a step takes ${f.factor.toFixed(2)}× its cached figure (${(f.nowSecs * 1000).toFixed(1)} ms now against ${(f.cachedSecs * 1000).toFixed(1)} ms, timed again on ${f.shape}): ≈ ${duration((totalSecs * f.factor) / workers)} wall`] : []),
    `  (step times: ${times.steps.size} shapes from ${times.cacheFile}: ${times.cached} cached, ${times.measured} measured now, ${times.remeasured} measured again (taken under a much heavier load); ` +
      `one evaluation ≈ ${times.evalSecs?.secs.toFixed(2) ?? "–"} s; worker start-up, dataset loading, checkpoints and sample grids not counted)`,
  );
  return lines.join("\n");
}
