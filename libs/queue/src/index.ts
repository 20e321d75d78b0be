export { QueueUrlError, redactedUrl, redisOptionsOf } from "./redis-url.js";
export { QUEUE_NAME, RedisHealth, RunQueue, extensionJobId, type EnqueueReport, type RunQueueOptions, type FollowHandlers, type JobProgress, type RunJob } from "./run-queue.js";
export { WORKER_LOCKS, serveRuns, type ServeOptions, type ServingWorker, type TrainIo, type TrainResult, type Trainer, type WorkerLocks } from "./run-worker.js";
