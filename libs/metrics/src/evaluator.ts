import type * as tf from "@tensorflow/tfjs-core";
import { loadDataset } from "@ganscope/data";
import type { DatasetId } from "@ganscope/dsl";
import { timed } from "@ganscope/tracking";
import { loadOrTrainClassifier, type ClassifierInfo, type LoadClassifierOptions } from "./classifier-cache.js";
import { DEFAULT_CLASSIFIER, type ClassifierSpec, type DigitClassifier } from "./digit-classifier.js";
import { EVAL_SAMPLES, evaluateImages, realReference, sampleImages, type RealReference, type SampleEvaluation } from "./evaluate.js";
import { DEFAULT_COLLAPSE_THRESHOLDS, type CollapseThresholds } from "./mode-collapse.js";

export interface EvaluatorOptions extends LoadClassifierOptions {
  readonly dataset: DatasetId;
  /** Classifier to look through; {@link DEFAULT_CLASSIFIER} when omitted. */
  readonly classifier?: ClassifierSpec;
  /** Real reference images drawn from the test split, and the number of samples callers should evaluate; {@link EVAL_SAMPLES} when omitted. */
  readonly samples?: number;
  readonly thresholds?: CollapseThresholds;
}

/** A classifier plus an embedded real reference: everything an evaluation needs, prepared once. */
export interface Evaluator {
  readonly dataset: DatasetId;
  readonly samples: number;
  readonly classifier: DigitClassifier;
  readonly classifierInfo: ClassifierInfo;
  readonly reference: RealReference;
  readonly thresholds: CollapseThresholds;
  /** Evaluates `count × 784` images in [-1, 1] against the real reference. */
  evaluate(images: Float32Array | tf.Tensor2D): Promise<SampleEvaluation>;
  dispose(): void;
}

/**
 * Loads (or trains, once per machine) the dataset's classifier and embeds
 * `samples` held-out real images as the reference.
 *
 * @example
 * const evaluator = await createEvaluator({ dataset: "mnist" });
 * const e = await evaluator.evaluate(gan.generate(fixedNoise)); // e.fidLite, e.modes, e.collapsed…
 */
export async function createEvaluator(options: EvaluatorOptions): Promise<Evaluator> {
  const samples = options.samples ?? EVAL_SAMPLES;
  const thresholds = options.thresholds ?? DEFAULT_COLLAPSE_THRESHOLDS;
  const { classifier, info } = await timed("evaluator.classifier", {}, () => loadOrTrainClassifier(options.dataset, options.classifier ?? DEFAULT_CLASSIFIER, options));
  if (!(samples > classifier.featureDim)) {
    classifier.dispose();
    throw new RangeError(`createEvaluator: samples (${samples}) must exceed the classifier's ${classifier.featureDim} feature dimensions`);
  }
  const reference = await timed("evaluator.reference", {}, () => realReference(classifier, sampleImages(loadDataset(options.dataset, { split: "test", shared: true }), samples).images));
  return {
    dataset: options.dataset,
    samples,
    classifier,
    classifierInfo: info,
    reference,
    thresholds,
    evaluate: (images) => evaluateImages(classifier, reference, images, thresholds),
    dispose: () => classifier.dispose(),
  };
}
