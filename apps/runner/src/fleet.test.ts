/**
 * A sweep served by several machines through Redis, with the real parts: a
 * real redis-server (AOF on), a real MLflow server, the runner CLI as a
 * coordinator (`exp --queue`) and as workers (`worker`), each worker with its
 * own results folder, as separate machines would have. One 6-run plan at a
 * tiny budget (256 images, widths 16, 6 epochs) goes through everything that
 * can happen to a fleet:
 *
 * - workers started after the plan was queued;
 * - the coordinator killed (-9) and started again: it re-attaches, adds nothing;
 * - a worker killed (-9, its whole process group: a machine dying) while
 *   training: its job is queued again within lockDuration + stalledInterval
 *   and finishes on another worker, resumed from its last checkpoint in MLflow;
 * - Redis killed and restarted from its append-only file: no job lost;
 * - a worker sent SIGTERM while training: it checkpoints, gives the job back, exits;
 *
 * and at the end every run has each epoch exactly once: in MLflow, in the
 * coordinator's store (pulled from MLflow) and in every worker's store.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUEUE_NAME, redisOptionsOf, type JobProgress } from "@ganscope/queue";
import { startRedisServer, type RedisServer } from "@ganscope/queue/testing";
import type { RunStatus, StoredConfig } from "@ganscope/tracking";
import { freePort, startMlflowServer, type MlflowServer } from "@ganscope/tracking/testing";

const REPO = path.resolve(import.meta.dirname, "../../..");
const MAIN = path.join(import.meta.dirname, "main.ts");
mkdirSync(path.join(REPO, "tmp"), { recursive: true });
const dir = mkdtempSync(path.join(REPO, "tmp", "fleet-"));

/** Short locks so the test waits seconds, not the production 30 s + 15 s. */
const LOCK_MS = 3000;
const STALLED_MS = 1500;
const EPOCHS = 6;
const EXPERIMENT = "fleet-test";

const expFile = path.join(dir, "fleet.exp.ts");
writeFileSync(
  expFile,
  `import { experiment } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
export default experiment("${EXPERIMENT}")
  .fix({ ...TINY_GAN, limit: 256, batch_size: 16, sample_every: 2, eval_every: 100 })
  .vary("dis_lr", [2e-4, 5e-4, 1e-3])
  .vary("seed", [1, 2])
  .epochs(${EPOCHS});
`,
);

interface Proc {
  name: string;
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
  /** SIGKILL to the worker and its training process (each its own group): the machine is gone. */
  kill9(): void;
}

let redis: RedisServer;
let mlflow: MlflowServer;
const procs: Proc[] = [];

/** Every process below pid (a worker's training process is in a group of its own). */
function descendants(pid: number): number[] {
  let out = "";
  try {
    out = execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" });
  } catch {
    return [];
  }
  const kids = out.split("\n").map((l) => Number(l.trim())).filter((n) => n > 0);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

function start(name: string, args: string[]): Proc {
  const env: NodeJS.ProcessEnv = { ...process.env, MLFLOW_TRACKING_URI: mlflow.uri };
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: REPO, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const p: Proc = {
    name,
    child,
    out: () => out,
    exited,
    kill9: () => {
      const pids = [child.pid!, ...descendants(child.pid!)];
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
    },
  };
  procs.push(p);
  return p;
}

function worker(name: string): Proc {
  return start(name, ["worker", "--queue", redis.url, "--results", path.join(dir, name), "--lock-duration", String(LOCK_MS), "--stalled-interval", String(STALLED_MS), "--max-stalled", "5"]);
}

function coordinator(name: string): Proc {
  return start(name, ["exp", "--file", expFile, "--queue", redis.url, "--results", path.join(dir, "coordinator")]);
}

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${procs.map((p) => `--- ${p.name}\n${p.out().slice(-3000)}`).join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Epochs of a metrics.jsonl, line by line as written (no de-duplication). */
function epochsIn(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { epoch: number }).epoch);
}

/** A run this worker is training with at least one epoch checkpointed and more to go. */
function midRun(name: string): { runId: string; epochsDone: number } | undefined {
  const root = path.join(dir, name, EXPERIMENT);
  if (!existsSync(root)) return undefined;
  for (const runId of readdirSync(root)) {
    const s = readJson<RunStatus>(path.join(root, runId, "status.json"));
    if (s?.state === "running" && s.epochsDone >= 1 && s.epochsDone <= EPOCHS - 3) return { runId, epochsDone: s.epochsDone };
  }
  return undefined;
}

async function rest<T>(endpoint: string, body: unknown): Promise<T> {
  const res = await fetch(`${mlflow.uri}/api/2.0/mlflow/${endpoint}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${endpoint}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The epoch of the run's checkpoint that MLflow's `ganscope.checkpoint_epoch` tag names (what a worker resumes from), 0 if none yet. */
async function mlflowCheckpointEpoch(runId: string): Promise<number> {
  try {
    const exp = await restGet<{ experiment: { experiment_id: string } }>("experiments/get-by-name", { experiment_name: EXPERIMENT });
    const { runs } = await rest<{ runs?: { data: { tags?: { key: string; value: string }[] } }[] }>("runs/search", {
      experiment_ids: [exp.experiment.experiment_id],
      filter: `tags.\`ganscope.run_id\` = '${runId}'`,
    });
    return Number(runs?.[0]?.data.tags?.find((t) => t.key === "ganscope.checkpoint_epoch")?.value ?? 0);
  } catch {
    return 0; // the experiment is not in MLflow yet
  }
}

async function restGet<T>(endpoint: string, query: Record<string, string>): Promise<T> {
  const res = await fetch(`${mlflow.uri}/api/2.0/mlflow/${endpoint}?${new URLSearchParams(query)}`);
  if (!res.ok) throw new Error(`${endpoint}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  [redis, mlflow] = await Promise.all([startRedisServer(), startMlflowServer()]);
});

afterAll(async () => {
  for (const p of procs) p.kill9();
  await Promise.all([redis?.stop(), mlflow?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe("a plan served by a fleet of workers through Redis", () => {
  it("a Redis that is not there yet: one clear line, retries, then the plan is queued; Ctrl-C leaves it queued", { timeout: 180_000 }, async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const c = start("early", ["exp", "--file", expFile, "--queue", url, "--results", path.join(dir, "early")]);
    await until("the unreachable message", () => /Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\); retrying every 5 s/.test(c.out()));
    const late = await startRedisServer({ port });
    try {
      await until("the plan to be queued once Redis is up", () => /6 runs added, 0 already queued/.test(c.out()), 60_000);
      expect(c.out().match(/is unreachable/g)).toHaveLength(1);
      expect(c.out()).not.toMatch(/\n\s+at .*\(/);
      c.child.kill("SIGINT");
      expect(await c.exited).toBe(130);
      expect(c.out()).toMatch(/the jobs stay queued/);
      const q = new Queue(QUEUE_NAME, { connection: redisOptionsOf(late.url) as never });
      expect(await q.getJobCounts("waiting")).toEqual({ waiting: 6 });
      await q.close();
    } finally {
      await late.stop();
    }
  });

  it("survives a dead coordinator, a dead worker, a Redis restart and a SIGTERM, with every epoch exactly once", { timeout: 600_000 }, async () => {
    const queue = new Queue(QUEUE_NAME, { connection: redisOptionsOf(redis.url) as never });
    // This test's own view of the queue rides out the Redis restart like everyone else's.
    queue.on("error", () => {});
    try {
      // The plan is queued before any worker exists.
      const c1 = coordinator("c1");
      await until("the plan to be queued", () => /6 runs added, 0 already queued/.test(c1.out()));
      expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 6 });
      const w = [worker("w1"), worker("w2"), worker("w3")];

      // The coordinator dies; a new one re-attaches and adds nothing.
      await until("a first epoch", () => /epoch 1\/6/.test(c1.out()));
      c1.kill9();
      await c1.exited;
      const c2 = coordinator("c2");
      await until("the second coordinator to attach", () => /0 runs added, 6 already queued or done/.test(c2.out()));

      // A machine dies mid-run.
      // A run whose checkpoint has reached MLflow: the upload trails the local status.json by a moment (longer on a loaded
      // machine), and a run killed before it rightly starts again from epoch 1 elsewhere; this test is about resuming.
      const victim = await until("a worker in the middle of a run, its checkpoint in MLflow", async () => {
        for (const p of w) {
          const m = midRun(p.name);
          if (m && (await mlflowCheckpointEpoch(m.runId)) >= 1) return { proc: p, ...m };
        }
        return undefined;
      });
      const before = (await queue.getJob(victim.runId))!;
      const attemptsBefore = before.attemptsStarted;
      const victimWorker = (before.progress as JobProgress<unknown>).worker;
      victim.proc.kill9();
      const killedAt = Date.now();
      await victim.proc.exited;
      const atKill = readJson<RunStatus>(path.join(dir, victim.proc.name, EXPERIMENT, victim.runId, "status.json"))!;
      expect(atKill.epochsDone).toBeLessThan(EPOCHS);
      // Another machine joins after the plan was queued and after the loss.
      w.push(worker("w4"));
      await until(`${victim.runId} to be queued again`, async () => {
        const j = await queue.getJob(victim.runId);
        const state = await j?.getState();
        return state === "waiting" || state === "completed" || (state === "active" && j!.attemptsStarted > attemptsBefore) ? true : undefined;
      });
      const requeuedMs = Date.now() - killedAt;
      // The bound BullMQ gives (lock lapses, then one stalled check), plus the 100 ms polling of this test.
      expect(requeuedMs).toBeLessThanOrEqual(LOCK_MS + STALLED_MS + 500);
      const resumedBy = await until(`${victim.runId} training on another worker`, async () => {
        const j = await queue.getJob(victim.runId);
        const p = j?.progress as JobProgress<{ type: string }> | undefined;
        return p && typeof p === "object" && p.worker !== victimWorker ? p.worker : (await j?.getState()) === "completed" ? "completed" : undefined;
      });
      expect(resumedBy).not.toBe(victimWorker);

      // Redis crashes and comes back from its append-only file.
      await redis.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 1000));
      await redis.restart();
      const counts = await queue.getJobCounts("waiting", "active", "completed", "failed", "delayed", "prioritized");
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(6);

      // A worker told to stop while training: checkpoints, gives the job back, exits 0.
      const alive = w.filter((p) => p !== victim.proc && p.child.exitCode === null);
      const stopping = await until("a live worker in the middle of a run", () => alive.find((p) => midRun(p.name)), 120_000).catch(() => undefined);
      if (stopping) {
        stopping.child.kill("SIGTERM");
        expect(await stopping.exited).toBe(0);
        expect(stopping.out()).toMatch(/given back to the queue \(stopping; epoch \d+ is checkpointed\)/);
      }

      // The plan completes.
      expect(await c2.exited, c2.out()).toBe(0);
      const out = c2.out();
      expect(out.match(/│ done +│ 6\/6/g)).toHaveLength(6);
      expect(out).toMatch(/unreachable/);
      expect(out).toMatch(/is back/);
      expect(out.match(/unreachable/g)!.length).toBe(1);
      expect(out).not.toMatch(/\n\s+at .*\(/);
      expect(out).toMatch(/6 of 6 runs of fleet-test copied/);
      // A resumed run is said once per delivery that resumed it, not once per progress report (before: 52 lines for one
      // run), and BullMQ's own lock errors ("queue: Missing lock for job … moveToFinished") reach no one.
      const deliveries = w.reduce((n, p) => n + (p.out().match(/: taken by \S+ \(delivery \d+\)/g)?.length ?? 0), 0);
      const resumes = out.match(/^\S+: resuming after epoch \d+$/gm) ?? [];
      expect(resumes.length, resumes.join("\n")).toBeLessThanOrEqual(deliveries - 6);
      for (const p of [c2, ...w]) expect(p.out(), p.name).not.toMatch(/queue: (Missing lock|Lock mismatch)/);

      // The dead worker's run went on elsewhere, from the checkpoint it left in MLflow
      // (and, should the SIGTERM above have hit it, once more from the one given back).
      const taker = w.find((p) => resumedBy === `${os.hostname()}:${p.child.pid}`);
      expect(taker, `${resumedBy} is none of ${w.map((p) => `${p.name}=${p.child.pid}`).join(", ")}`).toBeDefined();
      const resumed = new RegExp(`${victim.runId}: resuming from MLflow's checkpoint of epoch (\\d+)`).exec(taker!.out());
      expect(resumed, taker!.out()).not.toBeNull();
      const resumedFrom = Number(resumed![1]);
      const finisher = w.find((p) => readJson<RunStatus>(path.join(dir, p.name, EXPERIMENT, victim.runId, "status.json"))?.state === "done");
      expect(finisher).toBeDefined();
      expect(resumedFrom).toBeGreaterThanOrEqual(1);
      expect(resumedFrom).toBeLessThanOrEqual(atKill.epochsDone);

      // Every epoch exactly once: MLflow, the coordinator's store, every worker's store.
      const exp = await restGet<{ experiment: { experiment_id: string } }>("experiments/get-by-name", { experiment_name: EXPERIMENT });
      const { runs } = await rest<{ runs: { info: { run_id: string; status: string }; data: { tags: { key: string; value: string }[]; metrics: { key: string }[] } }[] }>("runs/search", {
        experiment_ids: [exp.experiment.experiment_id],
        max_results: 100,
      });
      expect(runs).toHaveLength(6);
      const all = Array.from({ length: EPOCHS }, (_, i) => i + 1);
      for (const r of runs) {
        expect(r.info.status).toBe("FINISHED");
        for (const { key } of r.data.metrics) {
          const h = await restGet<{ metrics: { step: number }[] }>("metrics/get-history", { run_id: r.info.run_id, metric_key: key, max_results: "1000" });
          const steps = h.metrics.map((m) => m.step).sort((a, b) => a - b);
          if (["d_loss", "g_loss", "secs"].includes(key)) expect(steps, `${key} of ${r.info.run_id}`).toEqual(all);
          else expect(new Set(steps).size, `${key} of ${r.info.run_id}`).toBe(steps.length);
        }
        expect(r.data.tags.find((t) => t.key === "ganscope.checkpoint_epoch")?.value).toBe(String(EPOCHS));
      }
      const coordRoot = path.join(dir, "coordinator", EXPERIMENT);
      const planned = readJson<{ runs: { runId: string }[] }>(path.join(coordRoot, "plan.json"))!.runs.map((r) => r.runId);
      expect(planned).toHaveLength(6);
      for (const runId of planned) {
        expect(epochsIn(path.join(coordRoot, runId, "metrics.jsonl")), runId).toEqual(all);
        expect(readJson<RunStatus>(path.join(coordRoot, runId, "status.json"))?.state).toBe("done");
        expect(readJson<StoredConfig>(path.join(coordRoot, runId, "config.json"))?.backend?.name).toBeTruthy();
      }
      for (const p of w) {
        const root = path.join(dir, p.name, EXPERIMENT);
        if (!existsSync(root)) continue;
        for (const runId of readdirSync(root)) {
          const file = path.join(root, runId, "metrics.jsonl");
          if (!existsSync(file)) continue;
          const got = epochsIn(file);
          expect(new Set(got).size, `${p.name}/${runId}`).toBe(got.length);
          if (readJson<RunStatus>(path.join(root, runId, "status.json"))?.state === "done") expect(got, `${p.name}/${runId}`).toEqual(all);
          else expect(got, `${p.name}/${runId}`).toEqual(all.slice(0, got.length));
        }
      }
      const finished = readJson<RunStatus>(path.join(dir, finisher!.name, EXPERIMENT, victim.runId, "status.json"));
      expect(finished?.state).toBe("done");
      console.error(
        `fleet test: ${victim.runId} killed on ${victim.proc.name} with epoch ${atKill.epochsDone} checkpointed; queued again after ${requeuedMs} ms (bound ${LOCK_MS + STALLED_MS} ms); resumed on ${taker!.name} from epoch ${resumedFrom}; finished on ${finisher!.name}; SIGTERM ${stopping ? `to ${stopping.name}` : "not tried (no run in progress)"}`,
      );

      // Enqueueing again adds nothing; the remaining workers stop cleanly.
      const c3 = coordinator("c3");
      expect(await c3.exited).toBe(0);
      expect(c3.out()).toMatch(/0 runs added, 6 already queued or done/);
      for (const p of w.filter((x) => x.child.exitCode === null && x.child.signalCode === null)) {
        p.child.kill("SIGTERM");
        expect(await p.exited).toBe(0);
      }
    } finally {
      await queue.close();
    }
  });
});
