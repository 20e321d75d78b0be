/**
 * The data the static site is built from, as plain JSON. The build writes it
 * into JS files (`window.GANSCOPE…`) rather than JSON files because a page
 * opened from disk (file://) may not fetch() its neighbours but may load
 * scripts. The browser code imports these types, and the record schema's
 * key lists through here (`@ganscope/dsl/record-schema` loads nothing).
 */
import {
  BOOKKEEPING_KEYS as SCHEMA_BOOKKEEPING_KEYS,
  CLASS_COUNT,
  CLASS_SHARE_PREFIX,
  classShareKey,
  RANKED_KEYS,
  RECORD_KEYS,
  RECORD_SCHEMA,
  STEP_STAT_KEYS,
  directionOf,
  metricLabel,
  shortLabel,
  type FixedRecordKey,
  type StepStatKey,
} from "@ganscope/dsl/record-schema";

/** Where a run stands, as the dashboard shows it. */
export type RunDisplayState =
  /** status.json says done. */
  | "done"
  /** status.json says running and its process is alive (or on another host, where we cannot tell). */
  | "running"
  /** status.json says running but its process is gone on this host: killed; the runner will resume it. */
  | "interrupted"
  /** status.json says failed (including diverged runs). */
  | "failed"
  /** Ended early by a stop policy or successive halving (the reason is the note); extendable with --resume-stopped. */
  | "stopped"
  /** Planned (plan.json) but nothing written yet. */
  | "pending";

export const RUN_DISPLAY_STATES: readonly RunDisplayState[] = ["done", "stopped", "running", "interrupted", "failed", "pending"];

/** A verdict as the metrics lib writes it into summary.json, normalised to a label and its evidence. */
export interface VerdictView {
  /** e.g. converged | no_digits | mode_collapse | vanishing_gradients | diverged | not_converged. */
  label: string;
  /** Human-readable evidence that decided it, when the summary gives any. */
  evidence?: string;
}

/**
 * One numeric series per record key, aligned with `epochs` unless the series
 * was downsampled, in which case it carries its own x values.
 */
export interface SeriesData {
  x?: number[];
  /** null where an epoch has no value (e.g. metrics evaluated every few epochs). */
  y: (number | null)[];
}

export interface SampleRef {
  epoch: number;
  /** Path relative to the site root. */
  src: string;
}

export interface RunView {
  runId: string;
  /** The varied hyperparameters' values for this run, keyed by axis. */
  varied: Record<string, string | number | boolean | null>;
  /** In the latest plan.json; false for a run an earlier plan of the experiment (other flags, another file) left in the store. */
  inPlan: boolean;
  /** The experiment file that planned it (config.json). */
  file?: string;
  /** Its page in the MLflow UI, when the run was logged there (mlflow.json). */
  mlflowUrl?: string;
  state: RunDisplayState;
  /** status.json's error, or why the state was derived (e.g. "pid 123 is gone"). */
  note?: string;
  epochsDone: number;
  epochs: number | null;
  /** Training seconds (sum of epoch secs), null with no records. */
  wallSecs: number | null;
  updatedAt?: string;
  /** Experiment whose folder this run's symlink points at, when it was reused from there. */
  linkedFrom?: string;
  verdict?: VerdictView;
  /** Last recorded value of each numeric key (from summary.json where it says so, else the records). */
  final: Record<string, number>;
  /** Best (lowest for losses/distances, highest for scores) value over the records, for evaluated metrics. */
  best: Record<string, number>;
  /** Epoch numbers of the (possibly downsampled) records. */
  epochs_x: number[];
  series: Record<string, SeriesData>;
  samples: SampleRef[];
}

export interface ExperimentView {
  name: string;
  description: string;
  axes: string[];
  /** The latest plan's file. */
  file?: string;
  /** Every experiment file a run of the store came from. */
  files: string[];
  createdAt?: string;
  /** Every run of the store: the latest plan's first, then those of earlier plans. */
  runs: RunView[];
  /** Numeric record keys present in any run, training stats first. */
  metricKeys: string[];
}

export interface StateCounts {
  done: number;
  stopped: number;
  running: number;
  interrupted: number;
  failed: number;
  pending: number;
}

export interface ExperimentSummary {
  name: string;
  description: string;
  axes: string[];
  runCount: number;
  /** Of which in the latest plan. */
  inPlanCount: number;
  counts: StateCounts;
  verdicts: Record<string, number>;
  /** Script holding this experiment's ExperimentView, relative to the site root. */
  dataScript: string;
  createdAt?: string;
}

/**
 * A study's verdict on a finding, as report.json says it: the findings lib
 * writes confirmed | refuted | inconclusive, "untested" (shown "not tested")
 * for a finding its budget could not train, and "undecidable" (shown "not
 * decidable at this budget") for one its runs' verdicts say the budget
 * learned nothing about; any other word is shown as it is.
 */
export type FindingVerdictView = "confirmed" | "refuted" | "inconclusive" | "not tested" | "not decidable at this budget" | (string & {});

export const FINDING_VERDICTS: readonly string[] = ["confirmed", "refuted", "inconclusive", "not tested", "not decidable at this budget"];

/** One run an arm of a claim names, as the findings lib lists it (report.json's `runs` of each arm). */
export interface ArmRunRef {
  experiment: string;
  runId: string;
  seed: number | null;
  /** The value the claim read from it at the budget; absent for a run unfinished or without the value. */
  value?: number;
  /** Its verdict at the report's budget. */
  verdict?: string;
  /** Finished without the value (diverged, stopped): counted at the worst value measured. */
  imputed?: boolean;
}

/** An arm of a claim: the findings lib's ArmSummary, with the median run's grid as a site path. */
export interface ArmView {
  label: string;
  n: number;
  strata: number;
  minSeeds: number;
  missing: number;
  /** Finished runs without the value, counted at the worst value measured (report.json's `imputed`). */
  imputed?: number;
  /** Why runs lack a measured value: their verdict (imputed) or `unfinished`. */
  missingWhy?: Record<string, number>;
  /** Finished runs with a verdict at the report's budget, and their mix (`no_digits 3/3`). */
  judged?: number;
  verdicts?: Record<string, number>;
  mean?: number;
  iqm?: number;
  runs: ArmRunRef[];
  /** Why configs of the arm are not trained at the report's budget (the findings lib's notTrained). */
  notTrained?: string[];
  /** True when report.json lists no runs for the arm (written before it did) and they were taken as the median run's config over every seed. */
  runsInferred?: boolean;
  medianRun?: { experiment: string; runId: string; value: number; sample?: SampleRef };
}

export interface CompareClaimView {
  kind: "compare";
  statement: string;
  /** A record key (fid_lite, max_class_share, …) or `verdict:<label>` (1 when the run was judged so, else 0). */
  metric: string;
  direction: "lower" | "higher";
  a: ArmView;
  b: ArmView;
  /** "welch" for a metric, "fisher" for a verdict's share. */
  test?: string;
  /** mean(a) − mean(b) and its 95% interval: Welch's t (Newcombe's for a difference of shares); older reports: the bootstrap's. */
  effect?: number;
  lo?: number;
  hi?: number;
  df?: number;
  /** The 95% stratified bootstrap interval, for display. */
  bootstrapLo?: number;
  bootstrapHi?: number;
  probabilityOfImprovement?: number;
  /** Two-sided p, the one-sided p each way, the Holm-adjusted p and the tests in the finding's Holm family. */
  p?: number;
  pClaimed?: number;
  pReverse?: number;
  pAdjusted?: number;
  family?: number;
  /** Minimum detectable effect at 80% power: in pooled SDs (d) and the metric's units. */
  mde?: { d: number; value: number; pooledSd: number; alpha: number; power: number };
  verdict: FindingVerdictView;
  reason: string;
  /** A caveat that holds even when decided (pre-convergence). */
  note?: string;
}

export interface RateClaimView {
  kind: "rate";
  statement: string;
  arm: ArmView;
  verdicts: string[];
  successes: number;
  n: number;
  rate?: number;
  /** Wilson 95% interval of the rate. */
  lo: number;
  hi: number;
  bound: { atLeast: number } | { atMost: number };
  p?: number;
  pClaimed?: number;
  pReverse?: number;
  pAdjusted?: number;
  family?: number;
  /** The true share at which the exact test would decide the claim with 80% power at this n. */
  detectableRate?: number;
  verdict: FindingVerdictView;
  reason: string;
}

export interface RankClaimView {
  kind: "rank";
  statement: string;
  pairs: CompareClaimView[];
  verdict: FindingVerdictView;
  reason: string;
}

export type ClaimView = CompareClaimView | RateClaimView | RankClaimView;

export interface FindingView {
  id: string;
  title: string;
  quote: string;
  assumptions?: string;
  budgetLine: string;
  verdict: FindingVerdictView;
  /** The mix of its claims' verdicts and the Holm family, or why it was not tested, when the report says. */
  reason?: string;
  /** Tests in its Holm family. */
  tests?: number;
  claims: ClaimView[];
}

/** A study's report.json (`runner:study` writes it to `<results>/<study>/`), as the Findings page reads it. */
export interface StudyView {
  name: string;
  description: string;
  budgetLine: string;
  budgetName: string;
  budgetPurpose?: string;
  generatedAt?: string;
  commit?: string;
  command?: string;
  runs?: { planned: number; finished: number };
  /** The study's reference config and positive control, which its gate read. */
  reference?: string;
  positiveControl?: string;
  findings: FindingView[];
  /** Experiments whose runs the arms name: the page loads their data for the curves. */
  experiments: string[];
  /** report.json's path in the store, for the page to name. */
  reportFile: string;
}

export interface StudySummary {
  name: string;
  description: string;
  budgetLine: string;
  generatedAt?: string;
  findings: number;
  /** Findings per verdict. */
  verdicts: Record<string, number>;
  /** Script holding this study's StudyView, relative to the site root. */
  dataScript: string;
}

export interface SiteIndex {
  generatedAt: string;
  /** The results folder, as given to the build, for the page footer. */
  resultsDir: string;
  experiments: ExperimentSummary[];
  /** Study reports found in the store (`<results>/<study>/report.json`). */
  studies: StudySummary[];
  /** Problems met while reading the store (unreadable files …), shown on the page rather than failing the build. */
  warnings: string[];
}

/** Record keys that describe the training loop rather than the model's quality (the record schema's step statistics). */
export const TRAINING_KEYS: readonly StepStatKey[] = STEP_STAT_KEYS;
/** Record keys that are bookkeeping, never plotted. */
export const BOOKKEEPING_KEYS: readonly FixedRecordKey[] = SCHEMA_BOOKKEEPING_KEYS;
/** Record keys where a higher value is better; `directionOf` says which way for any key. */
export const HIGHER_IS_BETTER: readonly FixedRecordKey[] = RECORD_KEYS.filter((k) => RECORD_SCHEMA[k].direction === "higher");
/** Prefix of the per-class share keys the metrics lib writes (class_share_0 … class_share_9). */
export type { FixedRecordKey, RecordKey } from "@ganscope/dsl/record-schema";
export { CLASS_COUNT, CLASS_SHARE_PREFIX, classShareKey, directionOf, metricLabel, shortLabel };
/** Evaluated keys with a better direction (FID-lite, KID, coverage, modes, …): the final metrics runs are compared on. */
export { RANKED_KEYS };
/** Verdicts the page has a colour for; any other label gets the neutral badge. */
export const KNOWN_VERDICTS: readonly string[] = ["converged", "no_digits", "mode_collapse", "vanishing_gradients", "diverged", "not_converged"];
/** What `data/build.js` sets: the build's time, which a served page polls to reload itself after a rebuild. */
export const BUILD_STAMP_SCRIPT = "data/build.js";
