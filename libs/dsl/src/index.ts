// The only entry point of @ganscope/dsl; every other module is internal.

export {
  ACTIVATIONS,
  BUILTIN_DATASETS,
  DEFAULTS,
  INTEGER_KEYS,
  OPTIONAL_PARAM_KEYS,
  PARAM_KEYS,
  PRECISIONS,
  discriminatorSizes,
  generatorSizes,
  hiddenWidths,
} from "./hyperparameters.js";
export type { Activation, BuiltinDataset, DatasetId, HyperParams, ParamKey, Precision, RunConfig } from "./hyperparameters.js";

export type { RunPlan, RunSpec } from "./run-plan.js";

export { experiment, isExperiment } from "./experiment-builder.js";
export type { AxisValues, DslTypeError, Experiment, ExperimentBuilder, WithAxis } from "./experiment-builder.js";
export type { Axis, ExperimentDefinition, RunFilter } from "./experiment-definition.js";

export { MAX_RUNS } from "./plan-compiler.js";
export { DSL_METHODS, OTHER_SOURCES, PLAN_ISSUE_CODES, PlanError, formatIssue, issueKey } from "./plan-error.js";
export type { DslMethod, IssueContext, IssuePath, IssueSource, PlanIssue, PlanIssueCode } from "./plan-error.js";
export { closestKey, isParamKey, validateConfig } from "./validate.js";
export { UserError } from "./user-error.js";
export { FINDING_VERDICTS, FINDING_VERDICT_SCHEMA, RUN_VERDICTS, RUN_VERDICT_SCHEMA } from "./verdict-names.js";
export type { FindingVerdict, FindingVerdictShown, RunVerdict } from "./verdict-names.js";

export { SCHEDULE_KEYS, canonicalJson, legacyRunId, runId, trajectoryOf } from "./run-id.js";
export { DEFAULT_STOP_POLICY, HALVING_METRICS, resolveStopPolicy, validateHalvingPolicy, validateStopPolicy } from "./run-policies.js";
export type { HalvingMetric, HalvingPolicy, ResolvedStopPolicy, StopPolicy } from "./run-policies.js";

export {
  BOOKKEEPING_KEYS,
  CLASS_COUNT,
  CLASS_SHARE_PREFIX,
  CLASS_SHARE_SPEC,
  EVALUATION_KEYS,
  RANKED_KEYS,
  RECORD_KEYS,
  RECORD_SCHEMA,
  STEP_STAT_KEYS,
  TRAINING_KEYS,
  classOf,
  classShareKey,
  compareRecordKeys,
  directionOf,
  isClassShareKey,
  isRecordKey,
  metricLabel,
  metricSpec,
  mlflowMetricName,
  recordKeyOfMlflow,
  shortLabel,
  valueAt,
} from "./record-schema.js";
export type {
  ClassShareKey,
  Direction,
  EvaluationKey,
  FixedRecordKey,
  KeysWhere,
  MetricKind,
  MetricSource,
  MetricSpec,
  RankedKey,
  RecordKey,
  RecordValues,
  StepStatKey,
  TrainingKey,
} from "./record-schema.js";
