/**
 * Mode collapse, measured through the digit classifier: which classes the
 * generator draws (histogram, modes covered, KL from uniform, largest class
 * share) and how varied its drawings are within a class (diversity ratio).
 */
import { assertFiniteRows, type FeatureSet } from "./finite.js";

/** Thresholds that decide {@link CollapseReport.collapsed}; every one is overridable. */
export interface CollapseThresholds {
  /**
   * A class counts as covered when at least this share of samples is
   * predicted as it. 0.02 is a fifth of the uniform share (0.1): real test
   * digits' rarest class holds 0.089, a healthy generator may be uneven, but
   * one that draws a class once in fifty samples has effectively dropped it.
   */
  readonly modeShare: number;
  /** Collapsed when fewer classes than this are covered (8 of 10: a generator that never draws three of the digits has collapsed). */
  readonly minModes: number;
  /** Collapsed when one class takes more than this share (real test digits: at most 0.114; the seed's "(5,2) mostly generates 1"). */
  readonly maxClassShare: number;
  /**
   * Collapsed when the within-class diversity ratio falls below this: the
   * generator's drawings of a class are, on average, less than a quarter as
   * far apart as real digits of that class — one good "1" repeated scores 0.
   * Not higher, because blur alone lowers the ratio (default classifier:
   * 0.69 at σ = 1 px, 0.49 at 1.5, 0.34 at 2), and a blurry generator that
   * draws every digit is unconverged, not collapsed.
   */
  readonly minDiversity: number;
}

export const DEFAULT_COLLAPSE_THRESHOLDS: CollapseThresholds = Object.freeze({
  modeShare: 0.02,
  minModes: 8,
  maxClassShare: 0.5,
  minDiversity: 0.25,
});

/** Share of `predicted` in each class 0..numClasses-1 (sums to 1). */
export function classHistogram(predicted: ArrayLike<number>, numClasses: number): number[] {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`classHistogram: numClasses must be a positive integer, got ${numClasses}`);
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < predicted.length; i++) {
    const c = predicted[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new RangeError(`classHistogram: class ${c} outside 0..${numClasses - 1}`);
    counts[c]!++;
  }
  return predicted.length === 0 ? counts : counts.map((n) => n / predicted.length);
}

/** Number of classes whose share is at least `minShare`. */
export function modesCovered(histogram: readonly number[], minShare: number): number {
  return histogram.filter((p) => p >= minShare && p > 0).length;
}

/**
 * KL(histogram ‖ uniform) in nats: Σ p log(p·K). 0 exactly for the uniform
 * histogram, log K when every sample falls in one class.
 */
export function klFromUniform(histogram: readonly number[]): number {
  const k = histogram.length;
  let kl = 0;
  for (const p of histogram) if (p > 0) kl += p * Math.log(p * k);
  // Rounding can leave −1e-17 for a histogram that is uniform up to float error.
  return Math.max(0, kl);
}

export function maxClassShare(histogram: readonly number[]): number {
  return histogram.reduce((m, p) => Math.max(m, p), 0);
}

/** Per class, the most samples used for mean pairwise distances (O(n²) pairs): keeps an evaluation well under a second. */
export const DIVERSITY_SAMPLES_PER_CLASS = 250;

function meanPairwiseDistance(features: ArrayLike<number>, dim: number, rows: readonly number[]): number {
  let sum = 0;
  let pairs = 0;
  for (let x = 0; x < rows.length; x++) {
    const a = rows[x]! * dim;
    for (let y = x + 1; y < rows.length; y++) {
      const b = rows[y]! * dim;
      let d2 = 0;
      for (let j = 0; j < dim; j++) d2 += (features[a + j]! - features[b + j]!) ** 2;
      sum += Math.sqrt(d2);
      pairs++;
    }
  }
  return pairs === 0 ? NaN : sum / pairs;
}

function rowsByClass(predicted: ArrayLike<number>, numClasses: number): number[][] {
  const rows: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < predicted.length; i++) {
    const list = rows[predicted[i]!];
    if (list && list.length < DIVERSITY_SAMPLES_PER_CLASS) list.push(i);
  }
  return rows;
}

/** What a set of samples looks like to the diversity measure, so real statistics are computed once. */
export interface ClassSpread {
  /** Mean pairwise feature distance of each class's samples (NaN when a class has fewer than 2). */
  readonly perClass: readonly number[];
  /** Samples per class. */
  readonly counts: readonly number[];
}

/**
 * Mean pairwise feature distance within each predicted class (first
 * {@link DIVERSITY_SAMPLES_PER_CLASS} samples of each). A NaN or ±Inf
 * feature is refused: its class would read NaN, which
 * {@link diversityRatio} leaves out as a class without pairs.
 */
export function classSpread(features: ArrayLike<number>, dim: number, predicted: ArrayLike<number>, numClasses: number, set?: FeatureSet): ClassSpread {
  assertFiniteRows(features, dim, "classSpread", set);
  const rows = rowsByClass(predicted, numClasses);
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < predicted.length; i++) counts[predicted[i]!]!++;
  return { perClass: rows.map((r) => meanPairwiseDistance(features, dim, r)), counts };
}

/**
 * Within-class diversity ratio: for each class, the generated samples' mean
 * pairwise feature distance over the real samples' (same predicted class),
 * averaged with the generated class counts as weights. ≈1 for a generator as
 * varied as the data, 0 for one that repeats one image per class. Classes
 * with fewer than 2 generated samples carry no pairs and are left out; if
 * none remain, the ratio is 0 (nothing varied was drawn).
 */
export function diversityRatio(generated: ClassSpread, real: ClassSpread): number {
  let weighted = 0;
  let weight = 0;
  generated.perClass.forEach((g, c) => {
    const r = real.perClass[c];
    if (!Number.isFinite(g) || r === undefined || !(r > 0)) return;
    const n = generated.counts[c]!;
    weighted += n * (g / r);
    weight += n;
  });
  return weight === 0 ? 0 : weighted / weight;
}

/** Everything the mode-collapse measures say about one set of samples. */
export interface CollapseReport {
  /** Share of samples per predicted class. */
  readonly histogram: readonly number[];
  readonly modes: number;
  readonly klUniform: number;
  readonly maxClassShare: number;
  readonly diversity: number;
  readonly collapsed: boolean;
  /** Which thresholds were crossed, in words; empty when not collapsed. */
  readonly reasons: readonly string[];
}

/** Applies the thresholds to already-computed measures. */
export function collapseReasons(
  m: { modes: number; maxClassShare: number; diversity: number; histogram?: readonly number[] },
  thresholds: CollapseThresholds = DEFAULT_COLLAPSE_THRESHOLDS,
): string[] {
  const reasons: string[] = [];
  const classes = m.histogram?.length;
  if (m.modes < thresholds.minModes) {
    reasons.push(`${m.modes}${classes ? `/${classes}` : ""} classes covered (each ≥ ${thresholds.modeShare} of samples), need ≥ ${thresholds.minModes}`);
  }
  if (m.maxClassShare > thresholds.maxClassShare) {
    const top = m.histogram ? m.histogram.indexOf(m.maxClassShare) : -1;
    reasons.push(`class ${top >= 0 ? top : "?"} takes ${fmtShare(m.maxClassShare)} of samples, limit ${fmtShare(thresholds.maxClassShare)}`);
  }
  if (!(m.diversity >= thresholds.minDiversity)) {
    reasons.push(`within-class diversity ratio ${m.diversity.toFixed(3)} < ${thresholds.minDiversity} (samples of a class look alike)`);
  }
  return reasons;
}

const fmtShare = (p: number) => `${(100 * p).toFixed(1)}%`;

/** All mode-collapse measures of generated samples against real ones. */
export function collapseReport(
  generated: { features: ArrayLike<number>; predicted: ArrayLike<number> },
  realSpread: ClassSpread,
  dim: number,
  numClasses: number,
  thresholds: CollapseThresholds = DEFAULT_COLLAPSE_THRESHOLDS,
): CollapseReport {
  const histogram = classHistogram(generated.predicted, numClasses);
  const modes = modesCovered(histogram, thresholds.modeShare);
  const top = maxClassShare(histogram);
  const diversity = diversityRatio(classSpread(generated.features, dim, generated.predicted, numClasses, "fake"), realSpread);
  const reasons = collapseReasons({ modes, maxClassShare: top, diversity, histogram }, thresholds);
  return { histogram, modes, klUniform: klFromUniform(histogram), maxClassShare: top, diversity, collapsed: reasons.length > 0, reasons };
}
