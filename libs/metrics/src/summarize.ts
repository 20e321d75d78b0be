import { RANKED_KEYS, RECORD_SCHEMA } from "@ganscope/dsl";
import { METRIC_KEYS } from "./evaluate.js";
import { DEFAULT_HEALTH_THRESHOLDS, judgeRun, recordHistogram, type HealthEvidence, type HealthThresholds, type TrainingRecord, type Verdict } from "./verdict.js";

/** What the metrics add to a run's summary.json. */
export interface MetricsSummary {
  /** The last evaluation's numbers (with its epoch and class histogram). */
  readonly final?: { readonly epoch: number; readonly histogram?: number[] } & Readonly<Record<string, number | number[]>>;
  /** The best value of each metric over all evaluations, with the epoch it was reached. */
  readonly best: Readonly<Record<string, { readonly epoch: number; readonly value: number }>>;
  readonly evaluations: number;
  readonly verdict: Verdict;
  readonly verdict_reasons: readonly string[];
  readonly verdict_notes: readonly string[];
  readonly evidence: HealthEvidence;
}

/**
 * Final and best evaluation values and the verdict, from a run's records.
 *
 * @example
 * const summary = summarizeRun(records); // summary.verdict === "converged"
 */
export function summarizeRun(records: readonly TrainingRecord[], thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): MetricsSummary {
  const evals = records.filter((r) => typeof r["fid_lite"] === "number");
  const last = evals.at(-1);
  const best: Record<string, { epoch: number; value: number }> = {};
  // Best values of the evaluation metrics that have a better direction (the record schema's RANKED_KEYS).
  for (const key of RANKED_KEYS) {
    const lower = RECORD_SCHEMA[key].direction === "lower";
    for (const r of evals) {
      const value = r[key];
      if (value === undefined || !Number.isFinite(value)) continue;
      const current = best[key];
      const better = lower ? (current?.value ?? Infinity) > value : (current?.value ?? -Infinity) < value;
      if (better) best[key] = { epoch: r.epoch, value };
    }
  }
  const judgement = judgeRun(records, thresholds);
  let final: MetricsSummary["final"];
  if (last) {
    const values: Record<string, number | number[]> = { epoch: last.epoch };
    for (const key of METRIC_KEYS) if (last[key] !== undefined) values[key] = last[key]!;
    const histogram = recordHistogram(last);
    if (histogram) values["histogram"] = histogram;
    final = values as MetricsSummary["final"];
  }
  return {
    ...(final ? { final } : {}),
    best,
    evaluations: evals.length,
    verdict: judgement.verdict,
    verdict_reasons: judgement.reasons,
    verdict_notes: judgement.notes,
    evidence: judgement.evidence,
  };
}
