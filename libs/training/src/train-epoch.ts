/**
 * One epoch of training: one pass over the training images in the run's
 * seeded order, one D step and one G step per batch — for a single run
 * ({@link trainEpoch}) and for a fused group of same-shape runs trained as one
 * model ({@link trainGroupEpoch}). Everything around an epoch (records,
 * samples, checkpoints, stopping) is the run's lifecycle (run-lifecycle.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import { batchIterator, type BatchSource } from "@ganscope/data";
import { settleWebgpu, stackBatches, type Gan, type GanGroup, type StepStats } from "@ganscope/models";

/** Steps between waits for the GPU on webgpu (settleWebgpu says why): a sync every 16 steps costs little, and bounds what Dawn holds. */
const SETTLE_EVERY = 16;

/** One epoch's training statistics: the GAN's step means plus the epoch's wall time. */
export type EpochStats = StepStats & { secs: number };

export interface EpochOptions {
  /** Report progress every this many steps (default 10). */
  progressEvery?: number;
  onProgress?: (stepsDone: number) => void;
}

/**
 * One pass over the training images, as every caller trains: the batches of
 * epoch `epoch` in the run's seeded order (a function of seed and epoch only,
 * so a resumed run draws what an uninterrupted one would), one D step and one
 * G step per batch. Returns the epoch's mean statistics (one host sync).
 *
 * @example
 * for (let epoch = 1; epoch <= cfg.epochs; epoch++) console.log(await trainEpoch(gan, train, epoch));
 */
export async function trainEpoch(gan: Gan, train: BatchSource, epoch: number, opts: EpochOptions = {}): Promise<EpochStats> {
  const t0 = performance.now();
  const size = train.rows * train.cols;
  const every = opts.progressEvery ?? 10;
  let step = 0;
  for (const batch of batchIterator(train, gan.config.batch_size, gan.config.seed, epoch)) {
    const real = tf.tensor2d(batch.images, [batch.size, size]);
    gan.trainStep(real);
    real.dispose();
    step++;
    if (step % SETTLE_EVERY === 0) await settleWebgpu();
    if (opts.onProgress && step % every === 0) opts.onProgress(step);
  }
  const stats = await gan.takeStats();
  return { ...stats, secs: (performance.now() - t0) / 1000 };
}

/**
 * The fused group's epoch: every member run draws its own epoch's batches
 * (`epochs[k]` for `group.runs[k]`, in its own seeded order, so each run sees
 * what it would alone) and the group steps them together. Equal shapes mean
 * equal steps per epoch, so runs resumed at different epochs train in
 * lockstep. The group's state is synced into each member's Gan before this
 * returns. Each run's `secs` is its share of the group's wall time, so a
 * plan's trainSecs sum to what it cost.
 */
export async function trainGroupEpoch(group: GanGroup, train: BatchSource, epochs: readonly number[], opts: EpochOptions = {}): Promise<EpochStats[]> {
  const t0 = performance.now();
  const pixels = train.rows * train.cols;
  const every = opts.progressEvery ?? 10;
  const iterators = group.runs.map((gan, k) => batchIterator(train, gan.config.batch_size, gan.config.seed, epochs[k]!));
  let step = 0;
  for (;;) {
    const batches = iterators.map((it) => it.next());
    if (batches[0]!.done) break;
    const imgs = batches.map((b) => (b.done ? new Float32Array(0) : b.value.images));
    const reals = stackBatches(imgs, imgs[0]!.length / pixels, pixels);
    group.trainStep(reals);
    reals.dispose();
    step++;
    if (step % SETTLE_EVERY === 0) await settleWebgpu();
    if (opts.onProgress && step % every === 0) opts.onProgress(step);
  }
  const stats = await group.takeStats();
  await group.sync();
  const secs = (performance.now() - t0) / 1000 / group.runs.length;
  return stats.map((s) => ({ ...s, secs }));
}
