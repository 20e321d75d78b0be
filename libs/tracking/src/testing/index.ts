// Test helpers of @ganscope/tracking, for other packages' tests: `@ganscope/tracking/testing`.
export { ensureMlflow, freePort, startMlflowServer, type MlflowServer, type StartOptions } from "./mlflow-server.js";
export { canMount, mountReadOnly, mountTmpfs, type Mounted } from "./fault-mounts.js";
