import type { RunSpec } from "@ganscope/dsl";
import { loadDataset } from "@ganscope/data";
import { createGanGroup, fusionKey, type GanGroup } from "@ganscope/models";
import { timed, type RunOutcome } from "@ganscope/tracking";
import { afterEpoch, closeRun, completeRun, failRun, isOpen, openRun, type TrainOptions, type TrainingRun } from "./run-lifecycle.js";
import { trainGroupEpoch } from "./train-epoch.js";

/** What config.json records about a fused run: the runs it trained with, and how K was chosen. */
export interface FusionRecord {
  /** Runs in the group when it started (this run included), in group order. */
  group: string[];
  k: number;
  /** How K was chosen: "auto" with the measurements, or the user's --fuse. */
  chosen?: unknown;
}

/**
 * Trains same-shape runs as one fused model (GanGroup), with every run's
 * lifecycle unchanged: each run opens, writes its records, samples,
 * checkpoint, verdict and MLflow run after every epoch exactly as
 * trainRun does — the group's state is synced into each run's own Gan
 * first — so a kill mid-group loses at most the epoch in progress of each
 * run, and the group restarts from its runs' checkpoints. Runs may stand at
 * different epochs (resumed at different points): each trains its own next
 * epoch in the same lockstep (trainGroupEpoch). A run that is done, diverged
 * or failed leaves the group; the others go on in a regrouped model.
 */
export async function trainGroup(specs: readonly RunSpec[], opts: TrainOptions, chosen?: unknown): Promise<Map<string, RunOutcome>> {
  const key = fusionKey(specs[0]!.config);
  specs.forEach((s) => {
    if (fusionKey(s.config) !== key) throw new RangeError(`trainGroup: run ${s.runId} has other shapes than ${specs[0]!.runId}`);
  });
  const outcomes = new Map<string, RunOutcome>();
  const fusion: FusionRecord = { group: specs.map((s) => s.runId), k: specs.length, ...(chosen === undefined ? {} : { chosen }) };
  let active: TrainingRun[] = [];
  for (const spec of specs) {
    const run = await openRun(spec, opts, { fusion });
    if (isOpen(run)) active.push(run);
    else outcomes.set(spec.runId, run);
  }
  const cfg0 = specs[0]!.config;
  const train = loadDataset(cfg0.dataset, { split: "train", limit: cfg0.limit || undefined, shared: true });
  let group: GanGroup | null = null;

  const leave = async (run: TrainingRun, outcome: RunOutcome) => {
    outcomes.set(run.spec.runId, outcome);
    await closeRun(run);
  };
  try {
    // Runs with nothing left to train (resumed at their last epoch) complete now.
    for (const run of active.filter((r) => r.epoch > r.target)) await leave(run, await completeRun(run));
    active = active.filter((r) => !outcomes.has(r.spec.runId));
    while (active.length > 0) {
      group ??= await timed("group.create", { runs: active.length }, () => createGanGroup(active.map((r) => r.gan)));
      const members = active;
      const stats = await trainGroupEpoch(group, train, members.map((r) => r.epoch), {
        progressEvery: opts.progressEvery ?? 10,
        onProgress: (stepsDone) => {
          for (const r of members) opts.onEvent?.({ type: "progress", runId: r.spec.runId, epoch: r.epoch, stepsDone, stepsTotal: r.stepsPerEpoch });
        },
      });
      const leaving: TrainingRun[] = [];
      for (let k = 0; k < members.length; k++) {
        const run = members[k]!;
        let ended: RunOutcome | undefined;
        try {
          ended = await afterEpoch(run, stats[k]!);
          if (!ended && run.epoch > run.target) ended = await completeRun(run);
        } catch (e) {
          ended = await failRun(run, e);
        }
        if (ended) {
          leaving.push(run);
          await leave(run, ended);
        }
      }
      if (leaving.length > 0) {
        // Regroup the rest from their own (just synced) Gans: nothing of theirs is disturbed.
        group.dispose();
        group = null;
        active = active.filter((r) => !leaving.includes(r));
      }
    }
  } catch (e) {
    for (const run of active) if (!outcomes.has(run.spec.runId)) await leave(run, await failRun(run, e));
  } finally {
    group?.dispose();
  }
  return new Map(specs.filter((s) => outcomes.has(s.runId)).map((s) => [s.runId, outcomes.get(s.runId)!]));
}
