export {
  trainRun,
  trainEpoch,
  type EpochStats,
  type EvalContext,
  type RunContext,
  type RunEvent,
  type RunHooks,
  type TrainOptions,
} from "./train-run.js";
export { defaultHooks } from "./hooks.js";
export { halvingDecision, rungValue, stopDecision, type StopDecision } from "./stopping.js";
export { migrateLegacyRuns, type Migration } from "./migrate-store.js";
export { MetricsHook, EVAL_NOISE_SEED, classifierFromEnv, type MetricsHookOptions } from "./metrics-hook.js";
export { MlflowHook, mlflowHooks } from "./mlflow-hook.js";
export { trainGroup, type FusionRecord } from "./train-group.js";
export { chooseK, measureFusion, planGroups, type FusionMeasurement } from "./fusion.js";
export { MAX_CONTENTION_RATIO, defaultStepTimesFile, evaluationsOf, machineId, shapeKey, stepTimes, timeEvaluation, timeSteps, trusted } from "./step-times.js";
export type { MachineTimings, Measured, StepTimes, StepTimesOptions } from "./step-times.js";
export { trainedRuns, type TrainedRun, type TrainedRunsOptions } from "./trained-runs.js";
