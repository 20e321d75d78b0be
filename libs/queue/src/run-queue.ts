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
import net from "node:net";
import { Queue, QueueEvents, type ConnectionOptions, type Job, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import type { ResolvedStopPolicy, RunSpec } from "@ganscope/dsl";
import { settled, type SettledInput } from "@ganscope/tracking";
import { QueueUrlError, redactedUrl, redisOptionsOf } from "./redis-url.js";

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
  /** The job's delivery this report comes from (BullMQ's attemptsStarted): a run started again gets a new one. */
  delivery?: number;
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
 * What ioredis says when the bytes that came back are not RESP at all ("Unknown
 * RESP type 72 "H". Please report this." for an HTTP server's reply): the first
 * byte, or undefined for any other error.
 */
function foreignReply(e: Error): string | undefined {
  return /Unknown RESP type \d+ "(.)"/s.exec(e.message)?.[1] ?? (/^Protocol error/.test(e.message) ? "?" : undefined);
}

/**
 * The first byte a server answers a lone inline PING with ("+" or "-" from any
 * Redis), or undefined when it answers nothing within 2 s. One command and
 * nothing after it, so the server reads all we sent before it answers and
 * hangs up: its answer is not lost to a connection reset, as it can be on
 * ioredis' connections, which send several commands at once.
 */
function firstByteOf(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (b?: string) => {
      sock.destroy();
      resolve(b);
    };
    sock.setTimeout(2000, () => done());
    sock.on("error", () => done());
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d: Buffer) => done(String.fromCharCode(d[0]!)));
  });
}

/**
 * Reports a Redis that cannot be reached once per outage, and once when it is
 * back; BullMQ and ioredis keep retrying meanwhile. Connection errors of
 * BullMQ's own clients are covered by this report and not printed again.
 * A server that answers in something other than Redis's protocol is no
 * outage: retrying cannot help, so `ready()` rejects with a QueueUrlError
 * and `notRedis` resolves with it.
 */
export class RedisHealth {
  private readonly client: Redis;
  private down = false;
  private readonly seen = new Set<string>();
  private foreign: QueueUrlError | undefined;
  /** Whether Redis has answered at this URL since this process started. */
  private answered = false;
  private probing = false;
  private onForeign!: (e: QueueUrlError) => void;
  /** Resolves (and only then) when the server at the URL turns out not to speak Redis. */
  readonly notRedis = new Promise<QueueUrlError>((r) => (this.onForeign = r));

  constructor(
    readonly url: string,
    private readonly log: (line: string) => void,
    private readonly role: string,
  ) {
    this.client = new Redis({ ...redisOptionsOf(url), lazyConnect: false });
    this.client.on("error", (e: Error) => this.outage(e));
    this.client.on("ready", () => {
      this.answered = true;
      if (this.down) this.log(`Redis at ${redactedUrl(this.url)} is back; ${this.role} carries on`);
      this.down = false;
    });
  }

  private outage(e: Error): void {
    const first = foreignReply(e);
    if (first !== undefined) return this.notRedisAt(first);
    if (this.foreign || this.down || this.probing) return;
    const code = (e as NodeJS.ErrnoException).code;
    const { host, port, tls } = redisOptionsOf(this.url);
    if (!this.answered && (code === "ECONNRESET" || code === "EPIPE") && !tls && host && port) {
      // Hung up on before Redis ever answered here: perhaps no Redis at all (an HTTP server answers a Redis
      // command with 400 and closes). Ask once, plainly, before calling it an outage.
      this.probing = true;
      void firstByteOf(host, port).then((b) => {
        this.probing = false;
        if (b !== undefined && b !== "+" && b !== "-") this.notRedisAt(b);
        else if (!this.foreign && !this.down && !this.answered) this.report(e);
      });
      return;
    }
    this.report(e);
  }

  private report(e: Error): void {
    this.down = true;
    const why = (e as NodeJS.ErrnoException).code ?? e.message;
    this.log(`Redis at ${redactedUrl(this.url)} is unreachable (${why}); retrying every 5 s — queued jobs are safe in Redis, nothing is lost`);
  }

  /** The server answered `first` (or "?": something ioredis could not parse): not Redis. Stops retrying; `ready()` rejects. */
  private notRedisAt(first: string): void {
    if (this.foreign) return;
    const answer = first === "?" ? "its answer is not Redis's protocol" : `it answered "${first}…"${first === "H" ? ", as an HTTP server does" : first === "<" ? ", as a web page does" : ""}`;
    this.foreign = new QueueUrlError(
      `--queue ${redactedUrl(this.url)}: the server there does not speak Redis (${answer}); point --queue at a Redis server's host and port (redis-server listens on 6379 by default)`,
    );
    this.client.disconnect();
    this.onForeign(this.foreign);
  }

  /** For BullMQ's 'error' events: connection trouble is this report's; anything else is printed once per message. */
  onError = (e: Error): void => {
    // Once the server is known not to be Redis, whatever BullMQ's clients say next (EPIPE, the same parse error) is that.
    if (this.foreign || foreignReply(e) !== undefined) return this.outage(e);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EPIPE" || code === "ETIMEDOUT" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || /Connection is closed|connect ETIMEDOUT|ECONNREFUSED/.test(e.message)) {
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

  /** Resolves when Redis answers (after as many retries as it takes); rejects if the server there is not Redis. */
  async ready(): Promise<void> {
    while (this.client.status !== "ready") {
      if (this.foreign) throw this.foreign;
      await new Promise((r) => setTimeout(r, 100));
    }
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
    // Each run's start event as last passed on (with its worker and delivery): every progress report carries the
    // start, for a follower that attaches mid-run, and it is passed on once per start, not once per report.
    const starts = new Map<string, string>();
    const progress = (id: string, p: unknown) => {
      if (!wanted.has(id) || outcomes.has(id) || !p || typeof p !== "object" || !("event" in p)) return;
      const jp = p as JobProgress<E>;
      const start = jp.start === undefined ? undefined : JSON.stringify(jp.start);
      const key = `${jp.worker} ${jp.delivery ?? ""} ${start}`;
      if (start !== undefined && starts.get(id) !== key) {
        starts.set(id, key);
        handlers.onEvent?.(runOf.get(id)!, jp.start!, jp.worker);
      }
      if (start === undefined || JSON.stringify(jp.event) !== start) handlers.onEvent?.(runOf.get(id)!, jp.event, jp.worker);
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
