/**
 * Seeded shuffling and batching. The order of every epoch is a pure function
 * of (seed, epoch), so a run that is killed and resumed at epoch e sees
 * exactly the batches it would have seen had it never stopped.
 */
import type { Dataset } from "./datasets.js";

/** A random number generator returning floats in [0, 1). */
export type Rng = () => number;

/** What batching needs from a dataset; a {@link Dataset} fits, and so does any hand-made one. */
export type BatchSource = Pick<Dataset, "count" | "rows" | "cols" | "images" | "labels">;

/** One mini-batch, gathered into fresh arrays. */
export interface Batch {
  /** Position of this batch within the epoch, from 0. */
  readonly index: number;
  /** Number of images; equals the batch size except in the last batch of an epoch. */
  readonly size: number;
  /** `size × rows × cols` pixels, as in the dataset. */
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  /** The dataset positions these images came from. */
  readonly indices: Uint32Array;
}

/**
 * mulberry32 (Tommy Ettinger): a 32-bit-state generator, ample for
 * shuffling 60 000 items and identical on every platform, unlike `Math.random`.
 *
 * @example
 * const rng = mulberry32(42);
 * rng(); // the same float in [0, 1) on every machine
 */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A permutation of 0..n-1 (Fisher–Yates), the same for the same
 * (seed, epoch) and independent between epochs.
 *
 * @example
 * shuffledIndices(5, 42, 0); // Uint32Array [3, 2, 4, 0, 1] on every machine
 */
export function shuffledIndices(n: number, seed: number, epoch: number): Uint32Array {
  checkInteger("shuffledIndices", "n", n, 0, 0xffffffff);
  checkSeed("shuffledIndices", seed);
  checkInteger("shuffledIndices", "epoch", epoch, 0, Number.MAX_SAFE_INTEGER);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rng = mulberry32(streamSeed(seed, epoch));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const a = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = a;
  }
  return order;
}

/** Number of batches {@link batchIterator} yields for n images: the last, partial batch counts. */
export function batchesPerEpoch(n: number, batchSize: number): number {
  checkInteger("batchesPerEpoch", "n", n, 0, Number.MAX_SAFE_INTEGER);
  checkInteger("batchesPerEpoch", "batchSize", batchSize, 1, Number.MAX_SAFE_INTEGER);
  return Math.ceil(n / batchSize);
}

/**
 * The batches of one epoch in shuffled order. Every image appears exactly
 * once per epoch. The last batch is kept even when smaller than `batchSize`
 * (n mod batchSize images) rather than dropped: with a `limit` of a few
 * hundred images, dropping would silently skip a noticeable share of them.
 *
 * @example
 * for (const batch of batchIterator(train, 64, config.seed, epoch)) {
 *   // batch.images: Float32Array of batch.size * 28 * 28
 * }
 */
export function batchIterator(dataset: BatchSource, batchSize: number, seed: number, epoch: number): Generator<Batch, void, undefined> {
  checkInteger("batchIterator", "batchSize", batchSize, 1, Number.MAX_SAFE_INTEGER);
  const { count, rows, cols, images, labels } = dataset;
  const pixels = rows * cols;
  if (images.length !== count * pixels || labels.length !== count) {
    throw new RangeError(
      `batchIterator: dataset of ${count} images of ${rows}×${cols} needs ${count * pixels} pixels and ${count} labels, got ${images.length} and ${labels.length}`,
    );
  }
  // Checked here rather than in the generator body, which would only run at the first `next()`.
  const order = shuffledIndices(count, seed, epoch);
  return gatherBatches(images, labels, pixels, order, batchSize);
}

function* gatherBatches(
  images: Float32Array,
  labels: Uint8Array,
  pixels: number,
  order: Uint32Array,
  batchSize: number,
): Generator<Batch, void, undefined> {
  const count = order.length;
  for (let start = 0, index = 0; start < count; start += batchSize, index++) {
    const indices = order.slice(start, Math.min(start + batchSize, count));
    const size = indices.length;
    const batchImages = new Float32Array(size * pixels);
    const batchLabels = new Uint8Array(size);
    for (let k = 0; k < size; k++) {
      const i = indices[k] ?? 0;
      batchImages.set(images.subarray(i * pixels, (i + 1) * pixels), k * pixels);
      batchLabels[k] = labels[i] ?? 0;
    }
    yield { index, size, images: batchImages, labels: batchLabels, indices };
  }
}

/**
 * Folds (seed, epoch) into one 32-bit generator seed. Each step is a
 * bijection (murmur3's finaliser), so distinct seeds give distinct epoch-0
 * streams and distinct epochs of one seed give distinct streams. Seeds above
 * 2^32 and negative seeds contribute their high bits too.
 */
function streamSeed(seed: number, epoch: number): number {
  const seedLow = seed >>> 0;
  const seedHigh = Math.floor(seed / 0x100000000) >>> 0;
  const epochLow = epoch >>> 0;
  const epochHigh = Math.floor(epoch / 0x100000000) >>> 0;
  let h = fmix32(0x9e3779b9 ^ seedLow);
  h = fmix32(h ^ seedHigh);
  h = fmix32(h ^ epochLow);
  return fmix32(h ^ epochHigh);
}

/** murmur3's 32-bit finaliser: a bijection with full avalanche, for counter-based seeded bits (here and in the models' dropout masks). */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function checkSeed(api: string, seed: number): void {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`${api}: seed must be a safe integer, got ${seed}`);
  }
}

function checkInteger(api: string, name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw new RangeError(`${api}: ${name} must be ${range}, got ${value}`);
  }
}
