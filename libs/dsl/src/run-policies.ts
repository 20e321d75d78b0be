/**
 * When a run ends before its epochs: the stop policy (a run that is dead
 * stops) and successive halving (a plan keeps its best runs going). Both are
 * schedules, not part of a run's identity: the same run stopped at epoch 12
 * can be extended later, and its id does not change.
 */
import type { RunConfig } from "./hyperparameters.js";
import { issue, type IssueContext, type PlanIssue } from "./plan-error.js";
import { RECORD_SCHEMA, type RankedKey } from "./record-schema.js";


/**
 * Stop a run early when it is dead. Each detector counts consecutive epochs
 * from the start of this training session (a resumed or extended run starts
 * counting afresh, so extending a stopped run on purpose gives it k epochs).
 */
export interface StopPolicy {
  /**
   * Stop after the discriminator has been saturated (D(G(z)) < 0.05 and
   * d_loss < 0.1, libs/metrics' detector) in this many consecutive epochs;
   * `false` never stops for it.
   */
  readonly saturated?: number | false;
  /**
   * Stop after this many consecutive evaluations whose samples look
   * collapsed (libs/metrics' collapse measures); `false` never stops for it.
   */
  readonly collapsed?: number | false;
  /**
   * A non-finite loss or gradient always ends a run (its weights are NaN: it
   * cannot recover), so this may only be `true`; it is here to be said out loud.
   */
  readonly diverged?: true;
}

/**
 * The policy every run gets unless the experiment says `.stopWhen(...)`:
 * stop after 5 consecutive epochs of a saturated discriminator.
 *
 * Why it does not stop a run a person would keep: once D(G(z)) < 0.05 and
 * d_loss < 0.1 hold for 5 epochs in a row, the generator's samples have
 * stopped changing (the seed baseline at full data: saturated from epoch 20,
 * the same blob from 20 to 100); a GAN that is merely going through a bad
 * patch swings back within an epoch or two. Collapse does not stop a run by
 * default: collapse is itself a finding the seed reports ((5, 2) "mostly
 * generates a single digit"), and early noisy samples can look collapsed.
 */
export const DEFAULT_STOP_POLICY: Readonly<Required<Pick<StopPolicy, "saturated" | "collapsed">>> = Object.freeze({ saturated: 5, collapsed: false });

/**
 * Metrics successive halving can rank runs by, with which way is better
 * (`min`/`max`, from the record schema's direction). The choice of metrics is
 * this list's: sample quality and modes, not the collapse shares.
 */
const HALVING_KEYS = ["fid_lite", "kid", "is_lite", "modes", "coverage", "density", "precision", "recall"] as const satisfies readonly RankedKey[];
export const HALVING_METRICS = Object.freeze(Object.fromEntries(HALVING_KEYS.map((k) => [k, RECORD_SCHEMA[k].direction === "lower" ? "min" : "max"]))) as {
  readonly [K in (typeof HALVING_KEYS)[number]]: (typeof RECORD_SCHEMA)[K]["direction"] extends "lower" ? "min" : "max";
};
export type HalvingMetric = keyof typeof HALVING_METRICS;

/**
 * Asynchronous successive halving (ASHA, Li et al. 2020): when a run reaches
 * a rung, it goes on if its best `metric` so far is among the best `keep`
 * fraction of the plan's runs that have reached that rung; otherwise it stops.
 */
export interface HalvingPolicy {
  readonly metric: HalvingMetric;
  /** Epochs at which runs are compared, strictly increasing, each at most the runs' epochs. */
  readonly rungs: readonly [number, ...number[]];
  /** Fraction of the runs at a rung that go on, in (0, 1); e.g. 1/3. */
  readonly keep: number;
}

/** A plan's stop policy after defaults: `null` when the experiment turned stopping off. */
export type ResolvedStopPolicy = { readonly saturated: number | false; readonly collapsed: number | false } | null;

const isPositiveInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1;
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Issues of a `.stopWhen(...)` argument, from any caller. */
export function validateStopPolicy(policy: unknown, at: IssueContext): PlanIssue[] {
  if (policy === false) return [];
  if (!isPlain(policy)) return [issue(at, "not-an-object", [], policy, "an object { saturated?, collapsed?, diverged? } or false", { shape: "{ saturated?, collapsed?, diverged? } or false" })];
  const issues: PlanIssue[] = [];
  for (const [key, value] of Object.entries(policy)) {
    if (key === "saturated" || key === "collapsed") {
      if (value !== false && !isPositiveInt(value)) issues.push(issue(at, "invalid-value", [key], value, "a positive integer or false", { must: `a positive integer (consecutive ${key === "saturated" ? "epochs" : "evaluations"}) or false` }));
    } else if (key === "diverged") {
      if (value !== true) issues.push(issue(at, "invalid-value", [key], value, "true", { must: "true (a run with non-finite weights always stops)" }));
    } else {
      issues.push(issue(at, "unknown-option", [key], value, "saturated, collapsed or diverged", { what: "stop condition", known: "saturated, collapsed, diverged" }));
    }
  }
  return issues;
}

/** Issues of a `.halving(...)` argument, checked against every run's config (rungs within epochs, an evaluation by the first rung). */
export function validateHalvingPolicy(policy: unknown, at: IssueContext, configs: readonly Readonly<RunConfig>[]): PlanIssue[] {
  if (!isPlain(policy)) return [issue(at, "not-an-object", [], policy, "an object { metric, rungs, keep }", { shape: "{ metric, rungs, keep }" })];
  const issues: PlanIssue[] = [];
  for (const key of Object.keys(policy)) {
    if (!["metric", "rungs", "keep"].includes(key)) issues.push(issue(at, "unknown-option", [key], policy[key], "metric, rungs or keep", { what: "halving option", known: "metric, rungs, keep" }));
  }
  const { metric, rungs, keep } = policy;
  if (typeof metric !== "string" || !Object.hasOwn(HALVING_METRICS, metric)) {
    issues.push(issue(at, "invalid-value", ["metric"], metric, `one of ${Object.keys(HALVING_METRICS).join(", ")}`));
  }
  if (!Array.isArray(rungs) || rungs.length === 0 || !rungs.every(isPositiveInt)) {
    issues.push(issue(at, "invalid-value", ["rungs"], rungs, "a non-empty list of positive integers", { must: "a non-empty list of positive integer epochs" }));
  } else {
    const r = rungs as number[];
    if (r.some((v, i) => i > 0 && v <= r[i - 1]!)) issues.push(issue(at, "invalid-value", ["rungs"], rungs, "strictly increasing epochs", { must: "strictly increasing" }));
    const epochs = Math.min(...configs.map((c) => c.epochs));
    if (configs.length > 0 && r.at(-1)! > epochs) issues.push(issue(at, "rungs-beyond-epochs", ["rungs"], rungs, `rungs ≤ epochs (${epochs})`, { epochs }));
    const evalEvery = Math.max(...configs.map((c) => c.eval_every));
    if (configs.length > 0 && r[0]! < evalEvery) issues.push(issue(at, "rung-before-evaluation", ["rungs"], rungs, `a first rung ≥ eval_every (${evalEvery})`, { rung: r[0]!, evalEvery }));
  }
  if (typeof keep !== "number" || !(keep > 0 && keep < 1)) issues.push(issue(at, "invalid-value", ["keep"], keep, "a number in (0, 1)", { must: "in (0, 1)" }));
  return issues;
}

/** The policy a plan runs with: the default unless the experiment declared one (`false` = never stop early). */
export function resolveStopPolicy(declared: StopPolicy | false | undefined): ResolvedStopPolicy {
  if (declared === false) return null;
  return Object.freeze({
    saturated: declared?.saturated ?? DEFAULT_STOP_POLICY.saturated,
    collapsed: declared?.collapsed ?? DEFAULT_STOP_POLICY.collapsed,
  });
}
