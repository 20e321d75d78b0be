// The only entry point of @ganscope/dashboard; the CLI (cli.ts) and the browser code (../client) sit on it.

export { buildSite, compileClient, type BuildOptions, type BuildReport } from "./build-site.js";
export { lttbIndices } from "./downsample.js";
export { livenessFingerprint } from "./liveness.js";
export { createStaticServer, listen } from "./serve.js";
export { buildSeries, countStates, orderMetricKeys, readStore, verdictOf, type ReadOptions, type SampleCopy, type StoreSnapshot } from "./store-reader.js";
export {
  BOOKKEEPING_KEYS,
  CLASS_SHARE_PREFIX,
  HIGHER_IS_BETTER,
  RUN_DISPLAY_STATES,
  TRAINING_KEYS,
  type ExperimentSummary,
  type ExperimentView,
  type RunDisplayState,
  type RunView,
  type SampleRef,
  type SeriesData,
  type SiteIndex,
  type StateCounts,
  type VerdictView,
} from "./site-data.js";
