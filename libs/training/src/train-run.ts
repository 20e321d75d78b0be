/**
 * The worker's whole job, read top to bottom: open the run, train its
 * epochs, and after each one let the lifecycle record, draw, checkpoint and
 * decide whether to stop (run-lifecycle.ts); the epoch itself is
 * train-epoch.ts's.
 */
import type { RunSpec } from "@ganscope/dsl";
import type { RunOutcome } from "./run-outcome.js";
import { afterEpoch, closeRun, completeRun, failRun, isOpen, openRun, type TrainOptions } from "./run-lifecycle.js";
import { trainEpoch } from "./train-epoch.js";

/**
 * The worker's whole job: take a RunSpec, train it, write the store.
 * A run's `epochs` is a target: a run done to fewer epochs is extended from
 * its checkpoint, one done to as many or more is reused, a run killed halfway
 * resumes. After each epoch the stop policy and successive halving may end it
 * early (status `stopped`). Faults of the store are one line, not a stack.
 */
export async function trainRun(spec: RunSpec, opts: TrainOptions): Promise<RunOutcome> {
  const run = await openRun(spec, opts);
  if (!isOpen(run)) return run;
  const progressEvery = opts.progressEvery ?? 10;
  try {
    while (run.epoch <= run.target) {
      const epoch = run.epoch;
      const stats = await trainEpoch(run.gan, run.train, epoch, {
        progressEvery,
        onProgress: (stepsDone) => opts.onEvent?.({ type: "progress", runId: spec.runId, epoch, stepsDone, stepsTotal: run.stepsPerEpoch }),
      });
      const ended = await afterEpoch(run, stats);
      if (ended) return ended;
    }
    return await completeRun(run);
  } catch (e) {
    return await failRun(run, e);
  } finally {
    await closeRun(run);
  }
}
