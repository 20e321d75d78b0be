// The only entry point of @ganscope/dsl; every other module is internal.

export {
  ACTIVATIONS,
  BUILTIN_DATASETS,
  DEFAULTS,
  INTEGER_KEYS,
  PARAM_KEYS,
  discriminatorSizes,
  generatorSizes,
  hiddenWidths,
} from "./hyperparameters.js";
export type { Activation, BuiltinDataset, DatasetId, HyperParams, ParamKey, RunConfig } from "./hyperparameters.js";

export type { RunPlan, RunSpec } from "./run-plan.js";

export { experiment, isExperiment } from "./experiment-builder.js";
export type { AxisValues, DslTypeError, Experiment, ExperimentBuilder, WithAxis } from "./experiment-builder.js";
export type { Axis, ExperimentDefinition, RunFilter } from "./experiment-definition.js";

export { MAX_RUNS } from "./plan-compiler.js";
export { PlanError } from "./plan-error.js";
export type { PlanIssue } from "./plan-error.js";
export { closestKey, isParamKey, validateConfig } from "./validate.js";
export type { IssueContext } from "./validate.js";

export { SCHEDULE_KEYS, canonicalJson, legacyRunId, runId, trajectoryOf } from "./run-id.js";
export { DEFAULT_STOP_POLICY, HALVING_METRICS, resolveStopPolicy, validateHalvingPolicy, validateStopPolicy } from "./run-policies.js";
export type { HalvingMetric, HalvingPolicy, ResolvedStopPolicy, StopPolicy } from "./run-policies.js";
