/**
 * What a worker reports while it trains (its events), the words every caller
 * of the lifecycle reads; what training came to (RunOutcome) is tracking's
 * run-state vocabulary.
 */
import type { EpochRecord, RunOutcome } from "@ganscope/tracking";

/** What a worker reports while it trains, for the progress display. */
export type RunEvent =
  | { type: "start"; runId: string; fromEpoch: number; epochs: number; stepsPerEpoch: number }
  | { type: "progress"; runId: string; epoch: number; stepsDone: number; stepsTotal: number }
  | { type: "epoch"; runId: string; record: EpochRecord }
  | { type: "finish"; runId: string; outcome: RunOutcome }
  /** Something the user should know that does not stop the run (records set aside, a status rebuilt). */
  | { type: "notice"; runId: string; message: string };
