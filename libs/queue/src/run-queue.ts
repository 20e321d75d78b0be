/**
 * A run plan on a Redis queue (BullMQ): one job per run, the run id as the
 * job id, so enqueueing a plan twice adds nothing and a coordinator that
 * comes back re-attaches to the same jobs. Jobs stay in Redis when done
 * (their outcome is the job's return value), which is what makes "enqueue
 * again" a no-op and lets a later coordinator print the summary.
 *
 * A run's epochs are a target, not part of its id: a run whose job is done
 * but that is not settled for the target asked now (done to 3 epochs, asked
 * for 5) gets a second job, `<runId>@<target>`, so queueing the extension
 * twice adds it once and a returning coordinator follows the same job.
 *
 * BullMQ delivers at least once; what a delivery does twice is made
 * harmless by the run itself (its store lock, its checkpoint, MLflow's
 * epoch de-duplication), not here.
 */
import { Queue, QueueEvents, type ConnectionOptions, type Job, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import type { ResolvedStopPolicy, RunSpec } from "@ganscope/dsl";
import { settled, type SettledInput } from "@ganscope/tracking";
import { redactedUrl, redisOptionsOf } from "./redis-url.js";

/** The one queue every ganscope worker serves, whatever the experiment. */
export const QUEUE_NAME = "ganscope-runs";

/** What a job carries: everything a worker needs to train the run. */
export interface RunJob {
  spec: RunSpec;
  experiment: string;
  /** The experiment file, recorded in config.json. */
  file?: string;
  /**
   * The plan's stop policy. Successive halving is not carried: it compares a
   * run with its peers' records in one store, and queued peers train on other machines.
   */
  stop?: ResolvedStopPolicy;
}

/**
 * What a worker reports as job progress: the run's latest event, with the
 * run's start event alongside, so a coordinator that attaches mid-run can
 * draw its bar from a single read of the job.
 */
export interface JobProgress<E> {
  /** host:pid of the worker training it. */
  worker: string;
  start?: E;
  event: E;
}

/**
 * Job options. Attempts count failures of the training process (a crash, not
 * a lost machine: that is a stall, counted by the worker's maxStalledCount);
 * a run that fails in its own code returns a "failed" outcome and completes.
 */
const JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: "fixed", delay: 5000 },
  removeOnComplete: false,
  removeOnFail: false,
};

/**
 * Reports a Redis that cannot be reached once per outage, and once when it is
 * back; BullMQ and ioredis keep retrying meanwhile. Connection errors of
 * BullMQ's own clients are covered by this report and not printed again.
 */
export class RedisHealth {
  private readonly client: Redis;
  private down = false;
  private readonly seen = new Set<string>();

  constructor(
    readonly url: string,
    private readonly log: (line: string) => void,
    private readonly role: string,
  ) {
    this.client = new Redis({ ...redisOptionsOf(url), lazyConnect: false });
    this.client.on("error", (e: Error) => this.outage(e));
    this.client.on("ready", () => {
      if (this.down) this.log(`Redis at ${redactedUrl(this.url)} is back; ${this.role} carries on`);
      this.down = false;
    });
  }

  private outage(e: Error): void {
    if (this.down) return;
    this.down = true;
    const why = (e as NodeJS.ErrnoException).code ?? e.message;
    this.log(`Redis at ${redactedUrl(this.url)} is unreachable (${why}); retrying every 5 s — queued jobs are safe in Redis, nothing is lost`);
  }

  /** For BullMQ's 'error' events: connection trouble is this report's; anything else is printed once per message. */
  onError = (e: Error): void => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "ETIMEDOUT" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || /Connection is closed|connect ETIMEDOUT|ECONNREFUSED/.test(e.message)) {
      this.outage(e);
      return;
    }
    if (this.seen.has(e.message)) return;
    this.seen.add(e.message);
    this.log(`queue: ${e.message}`);
  };

  /** Redis is not answering right now. */
  get isDown(): boolean {
    return this.down || this.client.status !== "ready";
  }

  /** Resolves when Redis answers (after as many retries as it takes). */
  async ready(): Promise<void> {
    while (this.client.status !== "ready") await new Promise((r) => setTimeout(r, 100));
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}

/** The job that trains a run to `target` epochs once the run's first job is done short of it. */
export function extensionJobId(runId: string, target: number): string {
  // BullMQ refuses ':' in custom ids.
  return `${runId}@${target}`;
}

export interface RunQueueOptions<O> {
  /**
   * What a done job's outcome says of its run's state, for {@link settled}:
   * without it, a done job is taken as settled whatever the target.
   */
  statusOf?(outcome: O, job: RunJob): SettledInput | undefined;
}

export interface EnqueueReport {
  /** The job each run is followed by (its run id, or its extension's job id). */
  jobIds: Map<string, string>;
  /** New jobs. */
  added: string[];
  /** Runs done on the queue but not settled for this target (done to fewer epochs, failed): a job trains them on, as a local plan would. With why. */
  extended: { runId: string; jobId: string; why: string }[];
  /** Jobs already there (waiting, active, delayed or done): left as they are. */
  present: string[];
  /** Jobs that had failed: retried. */
  retried: string[];
}

export interface FollowHandlers<E, O> {
  onEvent?(runId: string, event: E, worker: string): void;
  /** A run is done on some worker: its outcome (the job's return value). */
  onOutcome?(runId: string, outcome: O): void;
  /** A job failed for good (attempts used up, or stalled too often). */
  onFailed?(runId: string, reason: string): void;
  /** A job's worker stopped renewing its lock (a dead machine): it is queued again. */
  onStalled?(runId: string): void;
  /** A job was taken by a worker. */
  onActive?(runId: string): void;
}

/** The coordinator's side: enqueue a plan and follow it. */
export class RunQueue<E = unknown, O = unknown> {
  readonly queue: Queue<RunJob, O>;
  private events: QueueEvents | undefined;
  readonly health: RedisHealth;

  constructor(
    readonly url: string,
    log: (line: string) => void = (l) => console.error(l),
    private readonly options: RunQueueOptions<O> = {},
  ) {
    this.health = new RedisHealth(url, log, "the plan");
    this.queue = new Queue<RunJob, O>(QUEUE_NAME, { connection: redisOptionsOf(url) as ConnectionOptions, defaultJobOptions: JOB_OPTIONS });
    this.queue.on("error", this.health.onError);
  }

  /**
   * Adds one job per run not queued yet; retries those that failed; leaves
   * the rest, except a run whose job is done short of its target now: that
   * run's extension job is added (or, done unsettled too, run again).
   */
  async enqueue(jobs: readonly RunJob[]): Promise<EnqueueReport> {
    await this.health.ready();
    const report: EnqueueReport = { jobIds: new Map(), added: [], extended: [], present: [], retried: [] };
    for (const data of jobs) {
      const runId = data.spec.runId;
      const target = data.spec.config.epochs;
      let id = runId;
      let state = await this.queue.getJobState(id);
      let why = state === "completed" ? await this.unsettled(id, target) : undefined;
      if (why !== undefined) {
        id = extensionJobId(runId, target);
        state = await this.queue.getJobState(id);
        // Its extension done and settled: followed as it is (below); done and still short: run again.
        if (state === "completed") why = await this.unsettled(id, target);
      }
      report.jobIds.set(runId, id);
      if (state === "unknown") {
        // Adding an id that exists is a no-op in BullMQ, so a racing coordinator adds nothing twice either.
        await this.queue.add(data.experiment, data, { ...JOB_OPTIONS, jobId: id });
        if (why !== undefined) report.extended.push({ runId, jobId: id, why });
        else report.added.push(id);
      } else if (state === "failed") {
        const job = await this.queue.getJob(id);
        await job?.retry("failed");
        report.retried.push(id);
      } else if (state === "completed" && why !== undefined) {
        // The extension's job is done and the run still short of the target (it failed): train it again, as a local rerun would.
        const job = await this.queue.getJob(id);
        await job?.updateData(data);
        await job?.retry("completed");
        report.extended.push({ runId, jobId: id, why });
      } else {
        report.present.push(id);
      }
    }
    return report;
  }

  /** Why a done job's run needs more training for `target` epochs, or undefined when it is settled for it. */
  private async unsettled(jobId: string, target: number): Promise<string | undefined> {
    if (!this.options.statusOf) return undefined;
    const job = await this.queue.getJob(jobId);
    if (!job) return undefined;
    const status = this.options.statusOf(job.returnvalue, job.data);
    if (settled(status, target) !== undefined) return undefined;
    if (!status) return `its job on the queue ended without a result`;
    return `${status.state} to ${status.epochsDone} epoch${status.epochsDone === 1 ? "" : "s"} on the queue, asked for ${target}`;
  }

  /**
   * Follows the given runs until each is done or failed for good: first
   * subscribes to queue events, then reads every job's state, so nothing that
   * happens in between is missed (a run seen twice is reported once).
   * Resolves with the outcomes, by run id; `stop()` ends it early (the jobs
   * stay queued). `jobIds` names the job each run is followed by (enqueue's
   * report), where that is not the run id.
   */
  async follow(runIds: readonly string[], handlers: FollowHandlers<E, O>, jobIds?: ReadonlyMap<string, string>): Promise<{ outcomes: Map<string, O>; failed: Map<string, string> }> {
    await this.health.ready();
    // Events name jobs; handlers and results name runs (a run's job is its id, or its extension's: see enqueue's jobIds).
    const runOf = new Map(runIds.map((r) => [jobIds?.get(r) ?? r, r]));
    const wanted = new Set(runOf.keys());
    const outcomes = new Map<string, O>();
    const failed = new Map<string, string>();
    const events = new QueueEvents(QUEUE_NAME, { connection: redisOptionsOf(this.url) as ConnectionOptions });
    this.events = events;
    events.on("error", this.health.onError);
    let resolveAll!: () => void;
    const allDone = new Promise<void>((r) => (resolveAll = r));
    const check = () => {
      if ([...wanted].every((id) => outcomes.has(id) || failed.has(id))) resolveAll();
    };
    const progress = (id: string, p: unknown) => {
      if (!wanted.has(id) || outcomes.has(id) || !p || typeof p !== "object" || !("event" in p)) return;
      const jp = p as JobProgress<E>;
      if (jp.start !== undefined && jp.start !== jp.event) handlers.onEvent?.(runOf.get(id)!, jp.start, jp.worker);
      handlers.onEvent?.(runOf.get(id)!, jp.event, jp.worker);
    };
    const completed = (id: string, value: O) => {
      if (!wanted.has(id) || outcomes.has(id)) return;
      failed.delete(id);
      outcomes.set(id, value);
      handlers.onOutcome?.(runOf.get(id)!, value);
      check();
    };
    const failedFor = async (id: string, reason: string) => {
      if (!wanted.has(id) || outcomes.has(id) || failed.has(id)) return;
      // A failed attempt with attempts left goes back to wait/delayed: not the end.
      const state = await this.queue.getJobState(id);
      if (state !== "failed") return;
      failed.set(id, reason);
      handlers.onFailed?.(runOf.get(id)!, reason);
      check();
    };
    events.on("progress", ({ jobId, data }) => progress(jobId, data));
    events.on("completed", ({ jobId, returnvalue }) => completed(jobId, (typeof returnvalue === "string" ? JSON.parse(returnvalue) : returnvalue) as O));
    events.on("failed", ({ jobId, failedReason }) => void failedFor(jobId, failedReason));
    events.on("stalled", ({ jobId }) => wanted.has(jobId) && handlers.onStalled?.(runOf.get(jobId)!));
    events.on("active", ({ jobId }) => wanted.has(jobId) && handlers.onActive?.(runOf.get(jobId)!));
    await events.waitUntilReady();
    // The stream is read from "now" once its connection is up; give the blocking read a moment to be issued.
    await new Promise((r) => setTimeout(r, 100));

    for (const id of wanted) {
      // State first, then the job: a job read before it completed would have no return value yet.
      const state = await this.queue.getJobState(id);
      const job: Job<RunJob, O> | undefined = await this.queue.getJob(id);
      if (!job) continue;
      if (state === "completed") {
        // Finished before we subscribed (a busy machine, or a re-attach): its last event still reaches the follower.
        progress(id, job.progress);
        completed(id, job.returnvalue);
      }
      else if (state === "failed") await failedFor(id, job.failedReason);
      else if (state === "active") progress(id, job.progress);
    }
    check();
    await Promise.race([allDone, this.stopped]);
    const byRun = <V>(m: Map<string, V>) => new Map([...m].map(([id, v]) => [runOf.get(id)!, v]));
    return { outcomes: byRun(outcomes), failed: byRun(failed) };
  }

  private stopNow!: () => void;
  private readonly stopped = new Promise<void>((r) => (this.stopNow = r));

  /** Ends `follow` early: the jobs stay queued for the workers and for a later `follow`. */
  stop(): void {
    this.stopNow();
  }

  async close(): Promise<void> {
    await this.events?.close();
    await this.queue.close();
    await this.health.close();
  }
}
