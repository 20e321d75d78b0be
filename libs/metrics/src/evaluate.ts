/**
 * One evaluation of a set of images against held-out real digits: FID-lite,
 * KID, density/coverage, precision/recall, the mode-collapse measures and
 * IS-lite, all through one classifier pass.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { shuffledIndices, type BatchSource } from "@ganscope/data";
import { CLASS_SHARE_PREFIX, EVALUATION_KEYS, classShareKey, type ClassShareKey, type EvaluationKey } from "@ganscope/dsl";
import type { DigitClassifier } from "./digit-classifier.js";
import { compareToReference, featureReference, type FeatureReference } from "./feature-metrics.js";
import { frechetParts, gaussianStats, type GaussianStats } from "./fid-lite.js";
import { inceptionScoreLite } from "./inception-score.js";
import { DEFAULT_COLLAPSE_THRESHOLDS, classSpread, collapseReport, type ClassSpread, type CollapseThresholds } from "./mode-collapse.js";

/**
 * Images per evaluation, generated and real alike. Why 2000: FID-lite
 * needs more samples than feature dimensions (128) for a full-rank
 * covariance, and its small-sample bias shrinks like d²/N — at 2000 two
 * disjoint sets of real digits score about 1% of the real-vs-noise distance,
 * while one evaluation stays well under a second on a CPU. Two disjoint
 * halves of MNIST's 10k test split can each hold up to 5000.
 */
export const EVAL_SAMPLES = 2000;

/** Seed of the shuffle that picks the real reference images from the test split. */
export const REFERENCE_SEED = 31_337;

/** Held-out real digits, embedded once and reused by every evaluation. */
export interface RealReference {
  readonly count: number;
  readonly stats: GaussianStats;
  readonly spread: ClassSpread;
  /** IS-lite of the real images themselves. */
  readonly isLite: number;
  /** The real features with their k-NN radii and kernel, for KID, density/coverage and precision/recall. */
  readonly features: FeatureReference;
}

/** Picks `count` images of `data` by a seeded shuffle (MNIST's test split is ordered by writer group, so its first images are not a fair sample). */
export function sampleImages(data: Pick<BatchSource, "count" | "rows" | "cols" | "images" | "labels">, count: number, seed = REFERENCE_SEED, skip = 0): { images: Float32Array; labels: Uint8Array } {
  if (skip + count > data.count) throw new RangeError(`sampleImages: asked for images ${skip}..${skip + count - 1} of ${data.count}`);
  const size = data.rows * data.cols;
  const order = shuffledIndices(data.count, seed, 0);
  const images = new Float32Array(count * size);
  const labels = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    const i = order[skip + k]!;
    images.set(data.images.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = data.labels[i]!;
  }
  return { images, labels };
}

/** Embeds real images for later evaluations. */
export async function realReference(classifier: DigitClassifier, images: Float32Array | tf.Tensor2D): Promise<RealReference> {
  const e = await classifier.embed(images);
  return {
    count: e.count,
    stats: gaussianStats(e.features, e.count, e.featureDim, "real"),
    spread: classSpread(e.features, e.featureDim, e.predicted, e.numClasses, "real"),
    isLite: inceptionScoreLite(e.probs, e.numClasses),
    features: await featureReference({ data: e.features, dim: e.featureDim }),
  };
}

/** What one evaluation measured. */
export interface SampleEvaluation {
  readonly count: number;
  readonly fidLite: number;
  /** FID-lite's ‖μ₁ − μ₂‖² part. */
  readonly fidMean: number;
  readonly isLite: number;
  /** Share of samples per predicted class. */
  readonly histogram: readonly number[];
  readonly modes: number;
  readonly klUniform: number;
  readonly maxClassShare: number;
  readonly diversity: number;
  readonly collapsed: boolean;
  readonly collapseReasons: readonly string[];
  /** KID: mean and standard deviation over subsets of the unbiased MMD² (cubic kernel). */
  readonly kid: number;
  readonly kidStd: number;
  /** Density and coverage, k = 5. */
  readonly density: number;
  readonly coverage: number;
  /** Improved precision and recall, k = 3. */
  readonly precision: number;
  readonly recall: number;
  /**
   * Mean over samples of the classifier's top class probability: how surely
   * it recognises a digit in each image (real test digits 0.99). Separates
   * one realistic digit repeated (≈ 1) from speckle the classifier merely
   * files under one class (≈ 0.5), which the class histogram cannot.
   */
  readonly confidence: number;
}

/**
 * Evaluates images (`count × 784` in [-1, 1]) against a real reference.
 * Throws when there are not more images than feature dimensions.
 */
export async function evaluateImages(
  classifier: DigitClassifier,
  reference: RealReference,
  images: Float32Array | tf.Tensor2D,
  thresholds: CollapseThresholds = DEFAULT_COLLAPSE_THRESHOLDS,
): Promise<SampleEvaluation> {
  const e = await classifier.embed(images);
  if (!(e.count > e.featureDim)) {
    throw new RangeError(`evaluateImages: ${e.count} images for ${e.featureDim} features; FID-lite needs more images than feature dimensions`);
  }
  const fid = frechetParts(gaussianStats(e.features, e.count, e.featureDim, "fake"), reference.stats);
  const collapse = collapseReport(e, reference.spread, e.featureDim, e.numClasses, thresholds);
  const near = await compareToReference(reference.features, { data: e.features, dim: e.featureDim });
  let confidence = 0;
  for (let i = 0; i < e.count; i++) confidence += e.probs[i * e.numClasses + e.predicted[i]!]!;
  return {
    count: e.count,
    fidLite: fid.distance,
    fidMean: fid.meanTerm,
    isLite: inceptionScoreLite(e.probs, e.numClasses),
    histogram: collapse.histogram,
    modes: collapse.modes,
    klUniform: collapse.klUniform,
    maxClassShare: collapse.maxClassShare,
    diversity: collapse.diversity,
    collapsed: collapse.collapsed,
    collapseReasons: collapse.reasons,
    kid: near.kid.mean,
    kidStd: near.kid.std,
    density: near.density,
    coverage: near.coverage,
    precision: near.precision,
    recall: near.recall,
    confidence: confidence / e.count,
  };
}

/** Record keys an evaluation adds to a run's per-epoch record (the record schema's `evaluation` keys), class shares aside. */
export const METRIC_KEYS: readonly EvaluationKey[] = EVALUATION_KEYS;

export { CLASS_SHARE_PREFIX };

/** An evaluation as the flat numbers of a run record (`collapsed` as 0/1). */
export function evaluationRecord(e: SampleEvaluation): Record<string, number> {
  // Every evaluation key of the record schema, and only those: a key added there and not here fails to compile.
  const out: { [K in EvaluationKey]: number } & Record<ClassShareKey, number> = {
    fid_lite: e.fidLite,
    kid: e.kid,
    kid_std: e.kidStd,
    density: e.density,
    coverage: e.coverage,
    precision: e.precision,
    recall: e.recall,
    confidence: e.confidence,
    is_lite: e.isLite,
    modes: e.modes,
    kl_uniform: e.klUniform,
    max_class_share: e.maxClassShare,
    diversity: e.diversity,
    collapsed: e.collapsed ? 1 : 0,
  };
  e.histogram.forEach((p, k) => (out[classShareKey(k)] = p));
  return out;
}
