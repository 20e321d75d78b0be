/**
 * What a claim is about, as data: each metric a claim may read (the record
 * schema's evaluation and step-statistic keys, libs/dsl/src/record-schema.ts)
 * and each run verdict, in one table per kind. The gate (gate.ts) reads
 * these to say which claims a budget can decide; a key added to the schema
 * fails to compile here until it is classified.
 */
import type { EvaluationKey, StepStatKey } from "@ganscope/dsl";
import type { Verdict } from "@ganscope/metrics";
import type { MetricKey } from "./claim.js";

/**
 * - `quality`: how close drawings are to real digits (FID-lite, KID, density,
 *   coverage, precision, recall, IS-lite, confidence, diversity). Generators
 *   that draw no digits each draw their own reproducible speckle, so two of
 *   them differ on these for reasons that say nothing about digits.
 * - `class`: which digits are drawn (largest class share, modes, KL to
 *   uniform, class shares, the collapse flag): meaningless without digits,
 *   in either arm.
 * - `training`: what a training step measures (losses, D's outputs, gradient
 *   norms): defined whether or not digits are drawn.
 */
export type MetricClass = "quality" | "class" | "training";

export const METRIC_CLASS: { readonly [K in EvaluationKey | StepStatKey]: MetricClass } = {
  fid_lite: "quality",
  kid: "quality",
  kid_std: "quality",
  density: "quality",
  coverage: "quality",
  precision: "quality",
  recall: "quality",
  confidence: "quality",
  is_lite: "quality",
  diversity: "quality",
  modes: "class",
  kl_uniform: "class",
  max_class_share: "class",
  collapsed: "class",
  d_loss: "training",
  g_loss: "training",
  d_real: "training",
  d_fake: "training",
  d_grad_norm: "training",
  g_grad_norm: "training",
};

/**
 * - `digits`: judged from the drawings (converged, mode_collapse,
 *   not_converged): only decidable where generators draw digits.
 * - `failure`: a failure mode judged without digits (no_digits,
 *   vanishing_gradients, diverged): decidable at any budget.
 */
export type VerdictClass = "digits" | "failure";

export const VERDICT_CLASS: { readonly [V in Verdict]: VerdictClass } = {
  converged: "digits",
  mode_collapse: "digits",
  not_converged: "digits",
  no_digits: "failure",
  vanishing_gradients: "failure",
  diverged: "failure",
};

/** Verdicts under which an arm draws no digits at all: "mostly" one of these and its quality is not compared. */
export const NO_DIGIT_VERDICTS: readonly Verdict[] = ["no_digits", "vanishing_gradients", "diverged"];

/** The class of a metric a claim reads; class shares (`class_share_k`) are class metrics; a verdict metric has none. */
export function metricClass(metric: MetricKey | string): MetricClass | undefined {
  if (metric.startsWith("verdict:")) return undefined;
  if (/^class_share_\d+$/.test(metric)) return "class";
  return (METRIC_CLASS as Readonly<Record<string, MetricClass>>)[metric];
}

/** The verdict a `verdict:<name>` metric reads, or undefined. */
export function verdictOfMetric(metric: MetricKey | string): Verdict | undefined {
  if (!metric.startsWith("verdict:")) return undefined;
  const v = metric.slice("verdict:".length);
  return Object.hasOwn(VERDICT_CLASS, v) ? (v as Verdict) : undefined;
}
