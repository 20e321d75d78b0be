export { ExperimentFileError, applyOverrides, loadExperiment, type PlanOverrides } from "./load-experiment.js";
export { PlanProgress, summaryTable, variedLabel } from "./progress.js";
export { budgetOf, loadStudy, reportStudy, selectFindings, type StudyCommandOptions } from "./study.js";
