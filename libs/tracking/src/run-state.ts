/**
 * A run's states, and the one rule for "is this run settled for this
 * target" (after Optuna's TrialState.is_finished): the trainer, the study,
 * the runner's checks and the queue ask here instead of deciding for
 * themselves, so a run done to 4 epochs asked for 6 is unsettled everywhere.
 */

/** status.json's state. `stopped`: ended early by a stop policy or successive halving; it keeps its checkpoint and can be extended. */
export type RunState = "running" | "done" | "failed" | "stopped";

/** What the rule reads of a status.json. */
export interface SettledInput {
  readonly state: RunState;
  readonly epochsDone: number;
  readonly stopReason?: string;
}

export interface SettledOptions {
  /** Extend `stopped` runs (the runner's --resume-stopped): then a stopped run is not settled. */
  readonly resumeStopped?: boolean;
}

/**
 * Why a run needs no training for a target of `target` epochs ("done to 6
 * epochs", "stopped at epoch 3: …"), or undefined when it does: no status
 * yet, running or failed, done to fewer epochs (it is extended), or stopped
 * while stopped runs are resumed. Run ids ignore the schedule, so a run done
 * to more epochs than asked is settled (it reports the asked epoch).
 */
export function settled(status: SettledInput | undefined, target: number, options: SettledOptions = {}): string | undefined {
  if (status === undefined) return undefined;
  if (status.state === "done" && status.epochsDone >= target) return `done to ${status.epochsDone} epoch${status.epochsDone === 1 ? "" : "s"}`;
  if (status.state === "stopped" && !options.resumeStopped) return `stopped at epoch ${status.epochsDone}${status.stopReason ? `: ${status.stopReason}` : ""} (--resume-stopped extends it)`;
  return undefined;
}
