export { BACKENDS, TFJS_NODE_ENV, TFJS_NODE_GPU_ENV, gpuBuildDir, gpuBuildInfo, releaseBackend, selectBackend, type BackendInfo, type BackendName } from "./backend.js";
export { WEBGPU_ADAPTER_ENV, settleWebgpu, type WebgpuAdapter } from "./webgpu-backend.js";
export { activate, buildMlp, type Dense, type Mlp, type MlpArgs } from "./mlp.js";
export { createGan, type Gan } from "./gan.js";
export { type StepStats } from "./gan-step.js";
export { CheckpointError, encodeCheckpoint, loadCheckpoint, parseCheckpoint, saveCheckpoint, type CheckpointHeader } from "./checkpoint.js";
export { createGanGroup, fusionKey, stackBatches, type GanGroup } from "./gan-group.js";
export { isBackendNoise } from "./backend-noise.js";
export { setAdamLearningRate } from "./tfjs-internals.js";
