export { appendLineDurable, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from "./atomic-file.js";
export {
  RESULTS_FILES,
  RunDir,
  RunStore,
  sampleFileName,
  type EpochRecord,
  type PlanIndex,
  type RunState,
  type RunStatus,
} from "./run-store.js";
