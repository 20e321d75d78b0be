/**
 * The data the static site is built from, as plain JSON. The build writes it
 * into JS files (`window.GANSCOPE…`) rather than JSON files because a page
 * opened from disk (file://) may not fetch() its neighbours but may load
 * scripts. The browser code imports these types, and the record schema's
 * key lists, the verdict names and the run states through here
 * (`@ganscope/dsl/record-schema`, `@ganscope/dsl/verdict-names` and
 * `@ganscope/tracking/run-state` load nothing); a study's views are the
 * findings lib's parsed report (`@ganscope/findings/report-parser`) with
 * site paths and the verdicts in words.
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
import { FINDING_VERDICTS as FINDING_VERDICT_NAMES, FINDING_VERDICT_SCHEMA, RUN_VERDICTS, type FindingVerdictShown } from "@ganscope/dsl/verdict-names";
import type { ParsedArm, ParsedArmRun, ParsedComparison, ParsedFinding, ParsedRanking, ParsedRate, ParsedStudyReport } from "@ganscope/findings/report-parser";
import { STANDINGS, countStandings, type Standing } from "@ganscope/tracking/run-state";

/** Where a run stands, as the dashboard shows it: tracking's standings (run-state.ts), in the order the page lists them. */
export type RunDisplayState = Standing;
export const RUN_DISPLAY_STATES: readonly RunDisplayState[] = STANDINGS;

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

/** Runs per standing, every standing a key (countStandings counts them). */
export type StateCounts = Record<RunDisplayState, number>;
export { countStandings };

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
 * A study's verdict on a finding, in the words shown for report.json's
 * (dsl's FINDING_VERDICT_SCHEMA: "untested" is shown "not tested",
 * "undecidable" "not decidable at this budget"); any other word is shown as
 * it is.
 */
export type FindingVerdictView = FindingVerdictShown | (string & {});

export const FINDING_VERDICTS: readonly FindingVerdictShown[] = FINDING_VERDICT_NAMES.map((v) => FINDING_VERDICT_SCHEMA[v].shown);

/** One run an arm of a claim names, as the findings lib lists it (report.json's `runs` of each arm). */
export type ArmRunRef = ParsedArmRun;

/** An arm of a claim: the findings lib's, with its runs (listed or inferred) and the median run's grid as a site path. */
export type ArmView = Omit<ParsedArm, "runs" | "medianRun"> & {
  runs: ArmRunRef[];
  /** True when report.json lists no runs for the arm (written before it did) and they were taken as the median run's config over every seed. */
  runsInferred?: boolean;
  medianRun?: { experiment: string; runId: string; value: number; sample?: SampleRef };
};

/** A claim as the page shows it: the findings lib's, with arms as views and the verdict in words. */
export type CompareClaimView = Omit<ParsedComparison, "a" | "b" | "verdict"> & { a: ArmView; b: ArmView; verdict: FindingVerdictView };
export type RateClaimView = Omit<ParsedRate, "arm" | "verdict"> & { arm: ArmView; verdict: FindingVerdictView };
export type RankClaimView = Omit<ParsedRanking, "pairs" | "verdict"> & { pairs: CompareClaimView[]; verdict: FindingVerdictView };
export type ClaimView = CompareClaimView | RateClaimView | RankClaimView;

export type FindingView = Omit<ParsedFinding, "claims" | "verdict"> & { verdict: FindingVerdictView; claims: ClaimView[] };

/** A study's report.json (`runner:study` writes it to `<results>/<study>/`), as the Findings page reads it: the findings lib's parsed report, named and placed. */
export type StudyView = Pick<ParsedStudyReport, "budgetLine" | "generatedAt" | "commit" | "command" | "runs" | "reference" | "positiveControl"> & {
  /** The study's name, else its folder's. */
  name: string;
  description: string;
  budgetName: string;
  budgetPurpose?: string;
  findings: FindingView[];
  /** Experiments whose runs the arms name: the page loads their data for the curves. */
  experiments: string[];
  /** report.json's path in the store, for the page to name. */
  reportFile: string;
};

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
/** Verdicts the page has a colour for (the metrics' verdicts, dsl's RUN_VERDICTS); any other label gets the neutral badge. */
export const KNOWN_VERDICTS: readonly string[] = RUN_VERDICTS;
/** What `data/build.js` sets: the build's time, which a served page polls to reload itself after a rebuild. */
export const BUILD_STAMP_SCRIPT = "data/build.js";
