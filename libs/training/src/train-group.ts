import type { RunSpec } from "@ganscope/dsl";
import { batchIterator, loadDataset } from "@ganscope/data";
import { createGanGroup, fusionKey, stackBatches, type GanGroup } from "@ganscope/models";
import { recordSpan, timed } from "@ganscope/tracking";
import { isOpen, openRun, type OpenRun, type RunOutcome, type TrainOptions } from "./train-run.js";

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
 * epoch in the same lockstep, since equal shapes mean equal steps per epoch.
 * A run that is done, diverged or failed leaves the group; the others go on
 * in a regrouped model.
 */
export async function trainGroup(specs: readonly RunSpec[], opts: TrainOptions, chosen?: unknown): Promise<Map<string, RunOutcome>> {
  const key = fusionKey(specs[0]!.config);
  specs.forEach((s) => {
    if (fusionKey(s.config) !== key) throw new RangeError(`trainGroup: run ${s.runId} has other shapes than ${specs[0]!.runId}`);
  });
  const outcomes = new Map<string, RunOutcome>();
  const fusion: FusionRecord = { group: specs.map((s) => s.runId), k: specs.length, ...(chosen === undefined ? {} : { chosen }) };
  let active: OpenRun[] = [];
  for (const spec of specs) {
    const open = await openRun(spec, opts, { fusion });
    if (isOpen(open)) active.push(open);
    else outcomes.set(spec.runId, open);
  }
  const emit = opts.onEvent ?? (() => {});
  const every = opts.progressEvery ?? 10;
  const cfg0 = specs[0]!.config;
  const train = loadDataset(cfg0.dataset, { split: "train", limit: cfg0.limit || undefined });
  const pixels = train.rows * train.cols;
  let group: GanGroup | null = null;

  const leave = async (open: OpenRun, outcome: RunOutcome) => {
    outcomes.set(open.spec.runId, outcome);
    await open.close();
  };
  try {
    // Runs with nothing left to train (resumed at their last epoch) complete now.
    for (const open of active.filter((o) => o.epoch > o.target)) await leave(open, await open.complete());
    active = active.filter((o) => !outcomes.has(o.spec.runId));
    while (active.length > 0) {
      group ??= await timed("group.create", { runs: active.length }, () => createGanGroup(active.map((o) => o.gan)));
      const t0 = performance.now();
      const iterators = active.map((o) => batchIterator(train, o.spec.config.batch_size, o.spec.config.seed, o.epoch));
      let step = 0;
      for (;;) {
        const batches = iterators.map((it) => it.next());
        if (batches[0]!.done) break;
        const imgs = batches.map((b) => (b.done ? new Float32Array(0) : b.value.images));
        const reals = stackBatches(imgs, imgs[0]!.length / pixels, pixels);
        group.trainStep(reals);
        reals.dispose();
        step++;
        if (step % every === 0) for (const o of active) emit({ type: "progress", runId: o.spec.runId, epoch: o.epoch, stepsDone: step, stepsTotal: o.stepsPerEpoch });
      }
      const stats = await group.takeStats();
      await group.sync();
      // Each run's share of the group's epoch: what it cost, so trainSecs sums to the plan's time.
      const secs = (performance.now() - t0) / 1000 / active.length;
      recordSpan("train", secs * 1000 * active.length, { runs: active.length, epoch: active[0]!.epoch });
      const leaving: OpenRun[] = [];
      for (let k = 0; k < active.length; k++) {
        const open = active[k]!;
        let ended: RunOutcome | undefined;
        try {
          ended = await open.afterEpoch({ ...stats[k]!, secs });
          if (!ended && open.epoch > open.target) ended = await open.complete();
        } catch (e) {
          ended = await open.fail(e);
        }
        if (ended) {
          leaving.push(open);
          await leave(open, ended);
        }
      }
      if (leaving.length > 0) {
        // Regroup the rest from their own (just synced) Gans: nothing of theirs is disturbed.
        group.dispose();
        group = null;
        active = active.filter((o) => !leaving.includes(o));
      }
    }
  } catch (e) {
    for (const open of active) if (!outcomes.has(open.spec.runId)) await leave(open, await open.fail(e));
  } finally {
    group?.dispose();
  }
  return new Map(specs.filter((s) => outcomes.has(s.runId)).map((s) => [s.runId, outcomes.get(s.runId)!]));
}
