/**
 * The worker's side: takes run jobs from the queue and hands each to a
 * trainer that runs outside this process. The process holding BullMQ's lock
 * never trains: a CPU-bound job would block its event loop, the lock would
 * not be renewed and the job would be declared stalled while it still runs
 * (bullmq #2857, #3056). Here the event loop only forwards progress and
 * renews locks.
 */
import os from "node:os";
import { Worker, WaitingError, type ConnectionOptions, type Job } from "bullmq";
import { redisOptionsOf } from "./redis-url.js";
import { QUEUE_NAME, RedisHealth, type JobProgress, type RunJob } from "./run-queue.js";

/**
 * Lock and stall settings (BullMQ's defaults are 30 s / 30 s / 1).
 * - lockDuration 30 s: the lock is renewed every 15 s by an event loop that
 *   does nothing else, so only a dead machine or a Redis outage lets it lapse.
 * - stalledInterval 15 s: a dead worker's job is back in the queue within
 *   lockDuration + stalledInterval = 45 s of its last renewal.
 * - maxStalledCount 3: a run survives three lost machines before it is
 *   failed (a run resumes from its checkpoint, so a stall costs at most an
 *   epoch; failing it after one stall, BullMQ's default, would give up on a
 *   sweep's run because one machine rebooted).
 */
export const WORKER_LOCKS = { lockDuration: 30_000, stalledInterval: 15_000, maxStalledCount: 3 } as const;

/** How long a stopping worker waits for its runs to checkpoint and give their jobs back. */
const STOP_GRACE_MS = 10 * 60_000;

export interface WorkerLocks {
  lockDuration: number;
  stalledInterval: number;
  maxStalledCount: number;
}

/** What the trainer gets for one job. */
export interface TrainIo<E> {
  /** Progress to forward to the coordinator. */
  onEvent(event: E): void;
  /** Aborted on SIGTERM: finish the current epoch's checkpoint, then return "given back". */
  yieldSignal: AbortSignal;
  /** Aborted when this worker lost the job's lock (another worker may have it): stop at once. */
  lostSignal: AbortSignal;
  /** The job's delivery (1 = first). */
  attempt: number;
}

export type TrainResult<O> = { outcome: O } | { givenBack: true; reason: string };

/** Trains one run, outside this process, to an outcome. Throwing fails the attempt. */
export type Trainer<E, O> = (job: RunJob, io: TrainIo<E>) => Promise<TrainResult<O>>;

export interface ServeOptions<E, O> {
  url: string;
  /** Jobs trained at once on this machine. */
  concurrency: number;
  trainer: Trainer<E, O>;
  locks?: Partial<WorkerLocks>;
  /** The run's start event, kept so each progress report carries it. */
  isStart?: (event: E) => boolean;
  log?: (line: string) => void;
}

export interface ServingWorker {
  readonly worker: Worker<RunJob, unknown>;
  readonly name: string;
  /** SIGTERM's path: take no new job, let each run finish its epoch and give its job back, then close. */
  stop(): Promise<void>;
  /** Resolves when the worker has closed; rejects with a QueueUrlError if the server at the URL is not Redis (the worker then closes itself). */
  readonly closed: Promise<void>;
}

/** Serves run jobs until stopped. */
export function serveRuns<E, O>(opts: ServeOptions<E, O>): ServingWorker {
  const log = opts.log ?? ((l: string) => console.error(l));
  const locks: WorkerLocks = { ...WORKER_LOCKS, ...opts.locks };
  const name = `${os.hostname()}:${process.pid}`;
  const health = new RedisHealth(opts.url, log, `worker ${name}`);
  const active = new Map<string, { yieldCtl: AbortController; lostCtl: AbortController }>();
  const inflight = new Set<Promise<unknown>>();
  let stopping = false;

  const processor = (job: Job<RunJob, unknown>, token?: string): Promise<O> => {
    const p = process1(job, token);
    inflight.add(p);
    const forget = () => inflight.delete(p);
    p.then(forget, forget);
    return p;
  };
  const process1 = async (job: Job<RunJob, unknown>, token?: string): Promise<O> => {
    const id = job.id!;
    const yieldCtl = new AbortController();
    const lostCtl = new AbortController();
    active.set(id, { yieldCtl, lostCtl });
    if (stopping) yieldCtl.abort();
    let start: E | undefined;
    try {
      const result = await opts.trainer(job.data, {
        onEvent: (event) => {
          if (opts.isStart?.(event)) start = event;
          const p: JobProgress<E> = { worker: name, delivery: job.attemptsStarted, event, ...(start !== undefined ? { start } : {}) };
          // Not awaited: progress is best effort, and while Redis is down ioredis holds it until reconnect.
          job.updateProgress(p as unknown as object).catch(() => {});
        },
        yieldSignal: yieldCtl.signal,
        lostSignal: lostCtl.signal,
        attempt: job.attemptsStarted,
      });
      if ("givenBack" in result) {
        log(`${id}: given back to the queue (${result.reason})`);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      return result.outcome;
    } finally {
      active.delete(id);
    }
  };

  const worker = new Worker<RunJob, unknown>(QUEUE_NAME, processor as never, {
    connection: redisOptionsOf(opts.url) as ConnectionOptions,
    concurrency: opts.concurrency,
    lockDuration: locks.lockDuration,
    stalledInterval: locks.stalledInterval,
    maxStalledCount: locks.maxStalledCount,
    // A short poll when idle, so a stop is quick and a plan queued later is seen at once anyway (blocking pop).
    drainDelay: 2,
  });
  // Jobs whose lost lock this worker has reported, this delivery: BullMQ's own error when it then reports the job
  // done or failed ("Missing lock for job … moveToFinished") says the same again.
  const lostSaid = new Set<string>();
  worker.on("error", (e: Error) => {
    const lock = /^(?:Missing lock|Lock mismatch) for job (\S+?)\.? /.exec(e.message);
    if (!lock) return health.onError(e);
    const id = lock[1]!;
    if (lostSaid.has(id)) return;
    lostSaid.add(id);
    log(`${id}: the queue took the job back before this worker could hand in its result (its lock lapsed); the worker that takes it next resumes the run from its last checkpoint, or finds it done`);
  });
  worker.on("lockRenewalFailed", (ids: string[]) => {
    for (const id of ids) {
      const a = active.get(id);
      if (!a || a.lostCtl.signal.aborted) continue;
      lostSaid.add(id);
      log(`${id}: this worker lost the job's lock (the queue may have handed it to another worker); stopping its training`);
      a.lostCtl.abort();
    }
  });
  worker.on("active", (job: Job<RunJob>) => {
    lostSaid.delete(job.id!);
    log(`${job.id}: taken by ${name} (delivery ${job.attemptsStarted})`);
  });

  let closedResolve!: () => void;
  let closedReject!: (e: Error) => void;
  const closed = new Promise<void>((resolve, reject) => {
    closedResolve = resolve;
    closedReject = reject;
  });
  worker.on("closed", () => closedResolve());
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
  // Retrying a server that does not speak Redis cannot help: say so and stop (it never held a job).
  void health.notRedis.then(async (e) => {
    closedReject(e);
    stopping = true;
    await Promise.race([worker.close(true).catch(() => {}), sleep(5000)]);
    await health.close();
  });

  return {
    worker,
    name,
    closed,
    stop: async () => {
      if (stopping) return closed;
      stopping = true;
      for (const a of active.values()) a.yieldCtl.abort();
      // Each run checkpoints and its job goes back. Should Redis be down meanwhile, the
      // give-back waits for it; past the grace the lock lapses and the stalled check
      // re-queues the job all the same.
      void worker.close().catch(() => {});
      await Promise.race([Promise.allSettled([...inflight]), sleep(STOP_GRACE_MS)]);
      // Nothing of ours is active now: a forced close does not wait on a blocking poll or a Redis that is down.
      await Promise.race([worker.close(true).catch(() => {}), sleep(5000)]);
      await health.close();
      closedResolve();
    },
  };
}
