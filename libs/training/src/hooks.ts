/**
 * The extension points of a run's lifecycle (run-lifecycle.ts): what a hook
 * sees of its run and when it is called. The hooks every worker attaches are
 * in default-hooks.ts.
 */
import type { RunSpec } from "@ganscope/dsl";
import type { Dataset } from "@ganscope/data";
import type { BackendInfo, Gan } from "@ganscope/models";
import type { EpochRecord } from "@ganscope/tracking";
import type { RunOutcome } from "./run-outcome.js";

/** What a hook sees of the run it is attached to. */
export interface RunContext {
  readonly spec: RunSpec;
  readonly experiment: string;
  readonly file: string | undefined;
  /** The run's folder in the run store. */
  readonly dir: string;
  readonly backend: BackendInfo;
}

/** What an evaluation hook gets after an epoch's training. */
export interface EvalContext extends RunContext {
  readonly epoch: number;
  readonly gan: Gan;
  /** The held-out split (never trained on). */
  readonly test: Dataset;
  /** All records so far, this epoch's not yet included. */
  readonly records: readonly EpochRecord[];
  /**
   * Evaluate this epoch whatever the cadence: it is the run's last (its
   * target, a rung of successive halving, or the stop policy is about to stop it).
   */
  readonly mustEvaluate: boolean;
}

/**
 * Extension points of the training loop (metrics, MLflow, …). Every hook is
 * optional and awaited in order; the run store is always written first, so a
 * failing sink never costs a record.
 */
export interface RunHooks {
  readonly name: string;
  onStart?(ctx: RunContext, resumedRecords: readonly EpochRecord[]): Promise<void>;
  /** Extra numbers for this epoch's record (e.g. fid_lite); called every epoch, the hook decides its cadence. */
  evaluate?(ctx: EvalContext): Promise<Record<string, number>>;
  onEpoch?(ctx: RunContext, record: EpochRecord): Promise<void>;
  onSample?(ctx: RunContext, epoch: number, file: string): Promise<void>;
  /** After an epoch's checkpoint is written and status.json says so: a run can resume from `file`. */
  onCheckpoint?(ctx: RunContext, epoch: number, file: string): Promise<void>;
  /** Extra fields for summary.json (e.g. a verdict), from all records. */
  summarize?(ctx: RunContext, records: readonly EpochRecord[]): Promise<Record<string, unknown>>;
  onFinish?(ctx: RunContext, outcome: RunOutcome): Promise<void>;
}
