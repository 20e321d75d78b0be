export { processAlive } from "./process-alive.js";
export { appendLineDurable, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from "./atomic-file.js";
export {
  RESULTS_FILES,
  RunDir,
  RunStore,
  gitCommit,
  sampleFileName,
  type EpochRecord,
  type ExperimentIndex,
  type IndexedRunState,
  type LockInfo,
  type MlflowLink,
  type MlflowLinks,
  type PlanIndex,
  type RunIndexEntry,
  type RunState,
  type RunStatus,
  type StoredConfig,
} from "./run-store.js";
export {
  MLFLOW_LIMITS,
  MlflowClient,
  MlflowError,
  connectionFromEnv,
  splitLogBatch,
  type LogBatch,
  type MlflowClientOptions,
  type MlflowConnection,
  type MlflowFileInfo,
  type MlflowLimits,
  type MlflowMetric,
  type MlflowParam,
  type MlflowRun,
  type MlflowRunInfo,
  type MlflowRunStatus,
  type MlflowTag,
} from "./mlflow-client.js";
export {
  MLFLOW_TAGS,
  MlflowSync,
  metricsOf,
  mlflowRunName,
  mlflowStatusOf,
  paramsOf,
  type RunSyncReport,
  type SyncRunOptions,
} from "./mlflow-sync.js";
export { CHECKPOINT_ARTIFACTS, MlflowPull, checkpointArtifact, serverCheckpointEpoch, type PullReport } from "./mlflow-pull.js";
