import http from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunSpec } from "@ganscope/dsl";
import { QueueUrlError, RunQueue, redisOptionsOf, serveRuns, type RunJob, type Trainer } from "./index.js";
import { startRedisServer, type RedisServer } from "./testing/index.js";

type Ev = { type: "start" | "tick"; runId: string; n: number };
type Out = { status: "done"; runId: string; by: string };

function job(runId: string): RunJob {
  return { experiment: "queue-test", spec: { runId, varied: {}, config: {} } as unknown as RunSpec };
}

/** A trainer that stands for the forked training child: ticks a few times, honours yield. */
function ticking(name: string, ticks: number, ms: number): Trainer<Ev, Out> {
  return async (j, io) => {
    io.onEvent({ type: "start", runId: j.spec.runId, n: 0 });
    for (let i = 1; i <= ticks; i++) {
      await new Promise((r) => setTimeout(r, ms));
      io.onEvent({ type: "tick", runId: j.spec.runId, n: i });
      if (io.yieldSignal.aborted) return { givenBack: true, reason: "stopping" };
    }
    return { outcome: { status: "done", runId: j.spec.runId, by: name } };
  };
}

const quiet = () => {};

describe("redis URL", () => {
  it("reads host, port, db and credentials", () => {
    expect(redisOptionsOf("redis://10.1.2.3:7000/2")).toMatchObject({ host: "10.1.2.3", port: 7000, db: 2 });
    expect(redisOptionsOf("redis://u:p%40ss@h")).toMatchObject({ host: "h", port: 6379, username: "u", password: "p@ss" });
    expect(redisOptionsOf("rediss://h:1")).toHaveProperty("tls");
  });
  it("refuses what is not a Redis URL, naming the flag", () => {
    expect(() => redisOptionsOf("http://h:1")).toThrow(QueueUrlError);
    expect(() => redisOptionsOf("localhost:6379")).toThrow(/--queue must be a redis/);
    expect(() => redisOptionsOf("redis://h:1/x")).toThrow(/database/);
  });
  it("any port and db round-trip", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 15 }), (port, db) => {
        const o = redisOptionsOf(`redis://127.0.0.1:${port}/${db}`);
        return o.port === port && o.db === db;
      }),
    );
  });
});

describe("a --queue URL whose server is not Redis", () => {
  it("an HTTP server: enqueue rejects and a worker closes with a QueueUrlError saying so; nothing else is logged", async () => {
    const web = http.createServer((_req, res) => res.end("<!doctype html>"));
    await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
    const url = `redis://127.0.0.1:${(web.address() as AddressInfo).port}`;
    const lines: string[] = [];
    const q = new RunQueue<Ev, Out>(url, (l) => lines.push(l));
    try {
      const refused = await q.enqueue([job("r-http")]).then(() => undefined, (e: unknown) => e);
      expect(refused).toBeInstanceOf(QueueUrlError);
      expect((refused as Error).message).toBe(`--queue ${url}: the server there does not speak Redis (it answered "H…", as an HTTP server does); point --queue at a Redis server's host and port (redis-server listens on 6379 by default)`);
      const w = serveRuns<Ev, Out>({ url, concurrency: 1, trainer: ticking("w", 1, 1), log: (l) => lines.push(l) });
      await expect(w.closed).rejects.toThrow(/does not speak Redis/);
      expect(lines).toEqual([]);
    } finally {
      await q.close();
      await new Promise((resolve) => web.close(resolve));
    }
  });
});

describe("RunQueue on a real redis-server", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("enqueues one job per run, and enqueueing again adds nothing", async () => {
    const q = new RunQueue<Ev, Out>(redis.url, quiet);
    try {
      const jobs = ["r-a1", "r-a2", "r-a3"].map(job);
      expect((await q.enqueue(jobs)).added).toEqual(["r-a1", "r-a2", "r-a3"]);
      const again = await q.enqueue(jobs);
      expect(again.added).toEqual([]);
      expect(again.present).toEqual(["r-a1", "r-a2", "r-a3"]);
      expect(await q.queue.getJobCounts("waiting")).toEqual({ waiting: 3 });
    } finally {
      await q.queue.obliterate({ force: true });
      await q.close();
    }
  });

  it("a run done short of a new target gets one extension job (idempotent by run id and target), followed in its place", async () => {
    type Done = { status: "done"; runId: string; by: string; epochs: number };
    const statusOf = (o: Done) => ({ state: "done" as const, epochsDone: o.epochs });
    const withEpochs = (runId: string, epochs: number): RunJob => ({ experiment: "queue-test", spec: { runId, varied: {}, config: { epochs } } as unknown as RunSpec });
    const q = new RunQueue<Ev, Done>(redis.url, quiet, { statusOf });
    const trained: string[] = [];
    // A run that can get no further than `reach` (as one that fails or stops short would).
    let reach = Infinity;
    const w = serveRuns<Ev, Done>({
      url: redis.url,
      concurrency: 1,
      trainer: async (j) => {
        trained.push(`${j.spec.runId}→${j.spec.config.epochs}`);
        return { outcome: { status: "done", runId: j.spec.runId, by: "w", epochs: Math.min(reach, j.spec.config.epochs) } };
      },
      log: quiet,
    });
    try {
      const first = await q.enqueue([withEpochs("r-e1", 3)]);
      expect(first.added).toEqual(["r-e1"]);
      expect((await q.follow(["r-e1"], {}, first.jobIds)).outcomes.get("r-e1")).toMatchObject({ epochs: 3 });
      // Same target: nothing to do.
      expect((await q.enqueue([withEpochs("r-e1", 3)])).present).toEqual(["r-e1"]);
      // More epochs: one job for the extension, however often it is queued.
      const more = await q.enqueue([withEpochs("r-e1", 5)]);
      expect(more.added).toEqual([]);
      expect(more.extended).toEqual([{ runId: "r-e1", jobId: "r-e1@5", why: "done to 3 epochs on the queue, asked for 5" }]);
      expect(more.jobIds.get("r-e1")).toBe("r-e1@5");
      const twice = await q.enqueue([withEpochs("r-e1", 5)]);
      expect(twice.extended).toEqual([]);
      expect(twice.present).toEqual(["r-e1@5"]);
      const { outcomes } = await q.follow(["r-e1"], {}, more.jobIds);
      expect(outcomes.get("r-e1")).toMatchObject({ epochs: 5 });
      // Settled now for 5 and for anything less; the extension's job is what a returning coordinator follows.
      const after = await q.enqueue([withEpochs("r-e1", 5)]);
      expect([after.present, after.jobIds.get("r-e1")]).toEqual([["r-e1@5"], "r-e1@5"]);
      expect((await q.enqueue([withEpochs("r-e1", 2)])).present).toEqual(["r-e1"]);
      expect(trained).toEqual(["r-e1→3", "r-e1→5"]);
      // An extension that ended short of its target is run again by the next enqueue (as a local rerun would), under the same job id.
      reach = 6;
      const seven = await q.enqueue([withEpochs("r-e1", 7)]);
      expect((await q.follow(["r-e1"], {}, seven.jobIds)).outcomes.get("r-e1")).toMatchObject({ epochs: 6 });
      reach = Infinity;
      const retry = await q.enqueue([withEpochs("r-e1", 7)]);
      expect(retry.extended).toEqual([{ runId: "r-e1", jobId: "r-e1@7", why: "done to 6 epochs on the queue, asked for 7" }]);
      expect((await q.follow(["r-e1"], {}, retry.jobIds)).outcomes.get("r-e1")).toMatchObject({ epochs: 7 });
      expect(trained).toEqual(["r-e1→3", "r-e1→5", "r-e1→7", "r-e1→7"]);
    } finally {
      await w.stop();
      await q.queue.obliterate({ force: true });
      await q.close();
    }
  });

  it("a follower sees every run's events and outcome; a second follower re-attaches to the finished plan", async () => {
    const q = new RunQueue<Ev, Out>(redis.url, quiet);
    const w = serveRuns<Ev, Out>({ url: redis.url, concurrency: 2, trainer: ticking("w1", 3, 20), isStart: (e) => e.type === "start", log: quiet });
    try {
      const ids = ["r-b1", "r-b2", "r-b3", "r-b4"];
      await q.enqueue(ids.map(job));
      const seen = new Map<string, number[]>();
      const { outcomes, failed } = await q.follow(ids, {
        onEvent: (id, e) => seen.set(id, [...(seen.get(id) ?? []), e.n]),
      });
      expect(failed.size).toBe(0);
      expect([...outcomes.keys()].sort()).toEqual(ids);
      for (const id of ids) expect(outcomes.get(id)).toEqual({ status: "done", runId: id, by: "w1" });
      for (const id of ids) expect(seen.get(id)).toContain(3);

      const later = new RunQueue<Ev, Out>(redis.url, quiet);
      const again = await later.follow(ids, {});
      expect([...again.outcomes.keys()].sort()).toEqual(ids);
      expect((await later.enqueue(ids.map(job))).added).toEqual([]);
      await later.close();
    } finally {
      await w.stop();
      await q.queue.obliterate({ force: true });
      await q.close();
    }
  });

  it("a run's start event reaches the follower once per worker that starts it, not once per progress report", async () => {
    // Before: every report carried the start and the follower passed it on each time, so the coordinator printed
    // "<run>: resuming after epoch 5" once per progress event (52 times for one resumed run).
    const q = new RunQueue<Ev, Out>(redis.url, quiet);
    const first = serveRuns<Ev, Out>({ url: redis.url, concurrency: 1, trainer: ticking("first", 400, 10), isStart: (e) => e.type === "start", log: quiet });
    let second: ReturnType<typeof serveRuns<Ev, Out>> | undefined;
    try {
      await q.enqueue([job("r-s1")]);
      const events: Ev[] = [];
      const following = q.follow(["r-s1"], { onEvent: (_id, e) => events.push(e) });
      while (events.filter((e) => e.type === "tick").length < 10) await new Promise((r) => setTimeout(r, 20));
      // The first worker stops and gives the job back; a second one starts the run again and finishes it.
      await first.stop();
      second = serveRuns<Ev, Out>({ url: redis.url, concurrency: 1, trainer: ticking("second", 20, 5), isStart: (e) => e.type === "start", log: quiet });
      const { outcomes } = await following;
      expect(outcomes.get("r-s1")).toMatchObject({ by: "second" });
      // Two deliveries (both workers are this process, so they share a name): one start each, among 10+ reports.
      expect(events.filter((e) => e.type === "tick").length).toBeGreaterThan(10);
      expect(events.filter((e) => e.type === "start")).toHaveLength(2);
    } finally {
      await first.stop();
      await second?.stop();
      await q.queue.obliterate({ force: true });
      await q.close();
    }
  });

  it("a job taken back while its worker trained it: one line in the worker's words, no raw BullMQ error", async () => {
    // Before: "queue: Missing lock for job … moveToFinished" reached the user.
    const q = new RunQueue<Ev, Out>(redis.url, quiet);
    const raw = new Redis(redisOptionsOf(redis.url));
    const lines: string[] = [];
    const trainer: Trainer<Ev, Out> = async (j, io) => {
      // The first delivery loses its lock as a frozen machine's would (the stalled check then re-queues the job).
      if (io.attempt === 1) await raw.del(`bull:${q.queue.name}:${j.spec.runId}:lock`);
      return { outcome: { status: "done", runId: j.spec.runId, by: `delivery ${io.attempt}` } };
    };
    const w = serveRuns<Ev, Out>({ url: redis.url, concurrency: 1, trainer, locks: { lockDuration: 1000, stalledInterval: 500 }, log: (l) => lines.push(l) });
    try {
      await q.enqueue([job("r-l1")]);
      const { outcomes } = await q.follow(["r-l1"], {});
      expect(outcomes.get("r-l1")?.by).not.toBe("delivery 1");
      const about = lines.filter((l) => !/taken by/.test(l));
      expect(about).toEqual(["r-l1: the queue took the job back before this worker could hand in its result (its lock lapsed); the worker that takes it next resumes the run from its last checkpoint, or finds it done"]);
    } finally {
      raw.disconnect();
      await w.stop();
      await q.queue.obliterate({ force: true });
      await q.close();
    }
  });

  it("a stopping worker gives its job back, and another worker finishes it", async () => {
    const q = new RunQueue<Ev, Out>(redis.url, quiet);
    const slow = serveRuns<Ev, Out>({ url: redis.url, concurrency: 1, trainer: ticking("slow", 200, 20), log: quiet });
    try {
      await q.enqueue([job("r-c1")]);
      const following = q.follow(["r-c1"], {});
      while ((await q.queue.getJobState("r-c1")) !== "active") await new Promise((r) => setTimeout(r, 20));
      await slow.stop();
      expect(await q.queue.getJobState("r-c1")).toBe("waiting");
      const fast = serveRuns<Ev, Out>({ url: redis.url, concurrency: 1, trainer: ticking("fast", 2, 10), log: quiet });
      const { outcomes } = await following;
      expect(outcomes.get("r-c1")).toMatchObject({ by: "fast" });
      await fast.stop();
    } finally {
      await q.queue.obliterate({ force: true });
      await q.close();
    }
  });

  it("Redis killed and restarted from its append-only file loses no job, and the follower carries on", async () => {
    const lines: string[] = [];
    const q = new RunQueue<Ev, Out>(redis.url, (l) => lines.push(l));
    try {
      const ids = ["r-d1", "r-d2", "r-d3"];
      await q.enqueue(ids.map(job));
      const following = q.follow(ids, {});
      await new Promise((r) => setTimeout(r, 300));
      await redis.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 1500));
      await redis.restart();
      expect(await q.queue.getJobCounts("waiting")).toEqual({ waiting: 3 });
      const w = serveRuns<Ev, Out>({ url: redis.url, concurrency: 3, trainer: ticking("w", 2, 10), log: quiet });
      const { outcomes } = await following;
      expect([...outcomes.keys()].sort()).toEqual(ids);
      await w.stop();
      // One line for the outage and one for the recovery, no stack trace.
      expect(lines.filter((l) => /unreachable/.test(l))).toHaveLength(1);
      expect(lines.some((l) => /is back/.test(l))).toBe(true);
      expect(lines.join("\n")).not.toMatch(/\n\s+at /);
    } finally {
      await q.queue.obliterate({ force: true });
      await q.close();
    }
  });
});
