export { localLiveness, processAlive } from "./process-alive.js";
export {
  RUN_STATES,
  STANDINGS,
  countStandings,
  holderAlive,
  outcomeStatus,
  settled,
  standing,
  type Holder,
  type Liveness,
  type RunOutcome,
  type RunStanding,
  type RunState,
  type SettledInput,
  type SettledOptions,
  type Standing,
  type StopCause,
} from "./run-state.js";
export { CorruptFileError, StoreWriteError, appendLineDurable, describeErrno, readJsonIfExists, writeFileAtomic, writeJsonAtomic, type AtomicWriteOptions } from "./atomic-file.js";
export {
  RESULTS_FILES,
  sampleFileName,
  type EpochRecord,
  type MlflowLink,
  type MlflowLinks,
  type PlanIndex,
  type RunStatus,
  type StoredConfig,
  type StoredTrainingData,
} from "./store-formats.js";
export { RunDir, gitCommit } from "./run-dir.js";
export { CorruptRecordsError } from "./run-records.js";
export { type LockInfo } from "./run-lock.js";
export { type ExperimentIndex, type RunIndexEntry } from "./experiment-index.js";
export { RunStore } from "./run-store.js";
export { StoreReader, readRecordsLenient, type RunSnapshot } from "./store-reader.js";
export {
  MLFLOW_LIMITS,
  MlflowClient,
  MlflowConfigError,
  MlflowError,
  connectionFromEnv,
  splitLogBatch,
  type LogBatch,
  type MlflowClientOptions,
  type MlflowConnection,
  type MlflowDataset,
  type MlflowDatasetInput,
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
  MLFLOW_EXPERIMENT_KIND,
  MLFLOW_TAGS,
  MlflowSync,
  metricsOf,
  SUMMARY_TAG_PREFIX,
  summaryTagsOf,
  mlflowRunName,
  mlflowStatusOf,
  paramsOf,
  type RunSyncReport,
  type SyncRunOptions,
} from "./mlflow-sync.js";
export { MLFLOW_DATASET_CONTEXT, datasetInputOf, mlflowDatasetName } from "./mlflow-dataset.js";
export { MLFLOW_IMAGES_DIR, MLFLOW_LOGGED_IMAGES_TAG, SAMPLES_IMAGE_KEY, imageArtifacts, logImageStep, loggedImages, type ImageArtifacts } from "./mlflow-images.js";
export { CHECKPOINT_ARTIFACTS, MlflowPull, checkpointArtifact, recordsFromHistories, serverCheckpointEpoch, type MetricHistory, type PullReport } from "./mlflow-pull.js";
export { recordSpan, spanFile, timed, type Span } from "./span-log.js";
