export { trainRun, type EvalContext, type RunContext, type RunEvent, type RunHooks, type RunOutcome, type TrainOptions } from "./train-run.js";
export { defaultHooks } from "./hooks.js";
export { schedule, type ScheduleOptions } from "./scheduler.js";
export { ExperimentFileError, applyOverrides, loadExperiment, type PlanOverrides } from "./load-experiment.js";
export { PlanProgress, summaryTable, variedLabel } from "./progress.js";
