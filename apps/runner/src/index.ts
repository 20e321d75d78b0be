export { schedule, type ScheduleOptions } from "./scheduler.js";
export { ExperimentFileError, applyOverrides, loadExperiment, type PlanOverrides } from "./load-experiment.js";
export { PlanProgress, summaryTable, variedLabel } from "./progress.js";
export { budgetOf, loadStudy, missingRuns, reportStudy, selectFindings, trainStudy, type StudyCommandOptions } from "./study.js";
