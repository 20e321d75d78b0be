/**
 * What a run's training came to (its outcome) and what a worker reports while
 * it trains (its events): the words every caller of the lifecycle reads.
 */
import type { EpochRecord, SettledInput } from "@ganscope/tracking";
import type { StopDecision } from "./stopping.js";

/** What a worker reports while it trains, for the progress display. */
export type RunEvent =
  | { type: "start"; runId: string; fromEpoch: number; epochs: number; stepsPerEpoch: number }
  | { type: "progress"; runId: string; epoch: number; stepsDone: number; stepsTotal: number }
  | { type: "epoch"; runId: string; record: EpochRecord }
  | { type: "finish"; runId: string; outcome: RunOutcome }
  /** Something the user should know that does not stop the run (records set aside, a status rebuilt). */
  | { type: "notice"; runId: string; message: string };

export type RunOutcome =
  | { status: "done"; epochs: number; last: EpochRecord | undefined; secsPerEpoch: number; /** What the hooks added to summary.json (e.g. the verdict). */ summary?: Readonly<Record<string, unknown>> }
  | { status: "skipped"; reason: string; last: EpochRecord | undefined }
  | { status: "diverged"; epoch: number; last: EpochRecord | undefined }
  /** Ended early by the stop policy or successive halving; extendable later (`--resume-stopped`). */
  | { status: "stopped"; epoch: number; by: StopDecision["by"]; reason: string; last: EpochRecord | undefined; secsPerEpoch: number; summary?: Readonly<Record<string, unknown>> }
  | { status: "failed"; error: string }
  /** Asked to stop (a queue worker's SIGTERM): the last epoch is checkpointed, the run resumes wherever it is picked up next. */
  | { status: "yielded"; epoch: number; last: EpochRecord | undefined };

/**
 * What an outcome says of its run's state, for @ganscope/tracking's
 * `settled` (the queue asks it of a done job when the run is queued again,
 * perhaps for more epochs); undefined where the outcome leaves the run
 * unsettled (failed, diverged, given back, busy).
 */
export function outcomeStatus(outcome: RunOutcome): SettledInput | undefined {
  switch (outcome.status) {
    case "done":
      return { state: "done", epochsDone: outcome.epochs };
    case "stopped":
      return { state: "stopped", epochsDone: outcome.epoch, stopReason: outcome.reason };
    case "skipped": {
      // The reasons `settled` gave; a skip for any other reason (another process holds the run) settles nothing.
      const done = /^done to (\d+) epoch/.exec(outcome.reason);
      if (done) return { state: "done", epochsDone: Number(done[1]) };
      const stopped = /^stopped at epoch (\d+)/.exec(outcome.reason);
      if (stopped) return { state: "stopped", epochsDone: Number(stopped[1]) };
      return undefined;
    }
    default:
      return undefined;
  }
}
