/**
 * The runs of an experiment for a researcher's own tests: trained exactly as
 * the runner trains them (one lifecycle, the metrics hook, the same run
 * store), or read back when the store already holds them, each with its
 * records and verdict — what `expect(run.records).not.toCollapse()` reads.
 */
import os from "node:os";
import path from "node:path";
import type { Experiment } from "@ganscope/dsl";
import { judgeRun, type Verdict } from "@ganscope/metrics";
import { selectBackend, type BackendName } from "@ganscope/models";
import { RunStore, type EpochRecord } from "@ganscope/tracking";
import { MetricsHook, classifierFromEnv } from "./metrics-hook.js";
import { trainRun } from "./train-run.js";

export interface TrainedRun {
  readonly runId: string;
  readonly varied: Readonly<Record<string, unknown>>;
  readonly records: readonly EpochRecord[];
  readonly verdict: Verdict;
}

export interface TrainedRunsOptions {
  /**
   * The run store. Default: a folder per classifier under the system's temp
   * folder, so a test rerun reuses its runs and never writes the runner's
   * `results/` with the test classifier's numbers. Pass `results` to assert
   * on the runs the runner trained (their numbers are the dashboard's).
   */
  readonly resultsDir?: string;
  readonly backend?: BackendName;
}

/**
 * Trains (or reuses) every run of `experiment` and returns its records and verdict, in plan order.
 *
 * @example
 * const [run] = await trainedRuns(experiment("short").fix({ limit: 512 }).epochs(2));
 * expect(run!.records).not.toCollapse();
 */
export async function trainedRuns(experiment: Experiment, options: TrainedRunsOptions = {}): Promise<TrainedRun[]> {
  const plan = experiment.compile();
  const classifier = classifierFromEnv();
  const resultsDir = path.resolve(options.resultsDir ?? path.join(os.tmpdir(), `ganscope-test-runs-${process.env["GANSCOPE_CLASSIFIER"] ?? "default"}`));
  const backend = await selectBackend(options.backend);
  const hook = new MetricsHook({ classifier, log: () => {} });
  const store = new RunStore(resultsDir);
  const out: TrainedRun[] = [];
  for (const spec of plan.runs) {
    const outcome = await trainRun(spec, { resultsDir, experiment: plan.experiment, backend, hooks: [hook], ...(plan.stop ? { stop: plan.stop } : {}) });
    if (outcome.status === "failed") throw new Error(`trainedRuns: run ${spec.runId} of "${plan.experiment}" failed: ${outcome.error}`);
    const records = await store.run(plan.experiment, spec.runId).readRecords();
    const asked = records.filter((r) => r.epoch <= spec.config.epochs);
    out.push({ runId: spec.runId, varied: spec.varied, records: asked, verdict: judgeRun(asked).verdict });
  }
  return out;
}
