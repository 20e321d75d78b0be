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
export { MetricsHook, EVAL_NOISE_SEED, classifierFromEnv, type MetricsHookOptions } from "./metrics-hook.js";
export { MlflowHook, mlflowHooks } from "./mlflow-hook.js";
