// The only entry point of @ganscope/findings; every other module is internal.
export { FindingError, arm, armsOf, compare, finding, isStudy, rank, rate, study, union } from "./claim.js";
export type { Arm, ArmPart, AxesOf, Claim, Comparison, Direction, Finding, FindingsTypeError, MetricKey, RateClaim, Ranking, Selection, SelectableKey, Study } from "./claim.js";
export { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, effectInterval, iqm, mean, median, probabilityOfImprovement, wilsonInterval } from "./statistics.js";
export type { EffectEstimate, Observation, RateEstimate } from "./statistics.js";
export { BUDGETS, BUDGET_NAMES, applyBudget, budgetExcludes, denseParams, describeBudget, isBudgetName, seedsFor, strataKey } from "./budgets.js";
export type { Budget, BudgetName } from "./budgets.js";
export { MIN_SEEDS, combineVerdicts, decideFinding, evaluateClaim, runsOfArm } from "./evaluate.js";
export type { ArmSummary, ClaimResult, ComparisonResult, FindingResult, FindingVerdict, RankingResult, RateResult, StudyRun } from "./evaluate.js";
export { evaluateFinding, evaluateStudy, excludedByBudget, loadStudyRuns, plansOfStudy, studyPlans, writeStudyReport } from "./study-runs.js";
export type { EvaluateOptions, ExcludedRun, StudyOptions } from "./study-runs.js";
export { claimHeadline, renderMarkdown } from "./report.js";
export type { StudyReport } from "./report.js";
export { bandAgreement, bandVerdict, exchangeableRates, seedBand, studentTCentral } from "./band.js";
export type { BandAgreement, BandVerdict, EpochBand, SeedBand } from "./band.js";
export { EVIDENCE_FORMAT, EvidenceError, exportEvidence, importEvidence, readEvidence } from "./evidence-bundle.js";
export type { EvidenceManifest, EvidenceRun, ExportOptions } from "./evidence-bundle.js";
