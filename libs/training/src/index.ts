export {
  trainRun,
  trainEpoch,
  type EpochStats,
  type EvalContext,
  type RunContext,
  type RunEvent,
  type RunHooks,
  type RunOutcome,
  type TrainOptions,
} from "./train-run.js";
export { defaultHooks } from "./hooks.js";
export { halvingDecision, rungValue, stopDecision, type StopDecision } from "./stopping.js";
export { migrateLegacyRuns, type Migration } from "./migrate-store.js";
export { MetricsHook, EVAL_NOISE_SEED, classifierFromEnv, type MetricsHookOptions } from "./metrics-hook.js";
export { MlflowHook, mlflowHooks } from "./mlflow-hook.js";
