// The only entry point of @ganscope/metrics; vitest matchers live in "@ganscope/metrics/vitest".

export { DEFAULT_CLASSIFIER, TEST_CLASSIFIER, classifierFromWeights, trainClassifier } from "./digit-classifier.js";
export type { ClassifierSpec, DigitClassifier, Embedding, TrainClassifierOptions } from "./digit-classifier.js";
export { classifierCacheKey, defaultCacheDir, loadOrTrainClassifier } from "./classifier-cache.js";
export type { ClassifierInfo, LoadClassifierOptions, LoadedClassifier } from "./classifier-cache.js";

export { fidLite, frechetDistance, frechetParts, gaussianStats } from "./fid-lite.js";
export type { FrechetParts, GaussianStats } from "./fid-lite.js";
export {
  DEFAULT_COLLAPSE_THRESHOLDS,
  DIVERSITY_SAMPLES_PER_CLASS,
  classHistogram,
  classSpread,
  collapseReasons,
  collapseReport,
  diversityRatio,
  klFromUniform,
  maxClassShare,
  modesCovered,
} from "./mode-collapse.js";
export type { ClassSpread, CollapseReport, CollapseThresholds } from "./mode-collapse.js";
export {
  DENSITY_K,
  KID_SUBSETS,
  KID_SUBSET_SIZE,
  PRECISION_K,
  compareToReference,
  densityCoverage,
  featureReference,
  kernelInceptionDistance,
  precisionRecall,
} from "./feature-metrics.js";
export type { CompareOptions, DensityCoverage, FeatureComparison, FeatureReference, Features, KidOptions, KidResult, PrecisionRecall } from "./feature-metrics.js";
export { inceptionScoreLite } from "./inception-score.js";

export { CLASS_SHARE_PREFIX, EVAL_SAMPLES, METRIC_KEYS, REFERENCE_SEED, evaluateImages, evaluationRecord, realReference, sampleImages } from "./evaluate.js";
export type { RealReference, SampleEvaluation } from "./evaluate.js";
export { createEvaluator } from "./evaluator.js";
export type { Evaluator, EvaluatorOptions } from "./evaluator.js";

export { DEFAULT_HEALTH_THRESHOLDS, VERDICTS, hasNoDigits, isRealistic, isSaturated, judgeRun, noDigitsReasons, recordCollapse, recordHistogram } from "./verdict.js";
export type { HealthEvidence, HealthThresholds, RunJudgement, TrainingRecord, Verdict } from "./verdict.js";
export { summarizeRun } from "./summarize.js";
export type { MetricsSummary } from "./summarize.js";
export { blurImages, noiseImages, shiftImages } from "./corruptions.js";
