/**
 * What a queued plan must do that a local one does, with the real parts (a
 * real redis-server, a real MLflow server, the runner CLI as coordinator and
 * as a worker, each with its own results folder as separate machines have):
 *
 * - a run done on the queue to 3 epochs, queued again with `--epochs 5`, is
 *   extended (one job for the extension, queued once however often asked);
 * - the same config in a second experiment is the same run: its coordinator,
 *   on another machine, finds it in MLflow under the experiment it was logged
 *   in, pulls it there and links it, rather than reporting 0 of 0 and leaving
 *   the run pending.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUEUE_NAME, redisOptionsOf } from "@ganscope/queue";
import { startRedisServer, type RedisServer } from "@ganscope/queue/testing";
import { RunStore } from "@ganscope/tracking";
import { startMlflowServer, type MlflowServer } from "@ganscope/tracking/testing";

const REPO = path.resolve(import.meta.dirname, "../../..");
const MAIN = path.join(import.meta.dirname, "main.ts");
mkdirSync(path.join(REPO, "tmp"), { recursive: true });
const dir = mkdtempSync(path.join(REPO, "tmp", "fleet-extend-"));

function expFile(name: string, epochs: number): string {
  const file = path.join(dir, `${name}.exp.ts`);
  writeFileSync(
    file,
    `import { experiment } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
export default experiment("${name}")
  .fix({ ...TINY_GAN, limit: 256, batch_size: 64, sample_every: 100, eval_every: 100 })
  .epochs(${epochs});
`,
  );
  return file;
}
const fileA = expFile("ext-a", 3);
const fileB = expFile("ext-b", 3);

let redis: RedisServer;
let mlflow: MlflowServer;
let worker: { child: ChildProcess; out: () => string; exited: Promise<number | null> } | undefined;

function start(args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: REPO, env: { ...process.env, MLFLOW_TRACKING_URI: mlflow.uri }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  return { child, out: () => out, exited: new Promise((r) => child.on("close", (code) => r(code))) };
}

async function coordinator(file: string, results: string, extra: string[] = []): Promise<{ code: number | null; out: string }> {
  const c = start(["exp", "--file", file, "--queue", redis.url, "--results", path.join(dir, results), ...extra]);
  const code = await c.exited;
  return { code, out: c.out() };
}

async function rest<T>(endpoint: string, body?: unknown): Promise<T> {
  const res = await fetch(`${mlflow.uri}/api/2.0/mlflow/${endpoint}`, body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${endpoint}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Every MLflow run of the server, with its experiment's name, checkpoint tag and d_loss steps. */
async function serverRuns(): Promise<{ experiment: string; runId: string | undefined; checkpoint: string | undefined; steps: number[] }[]> {
  const { experiments } = await rest<{ experiments: { experiment_id: string; name: string }[] }>("experiments/search", { max_results: 100 });
  const names = new Map(experiments.map((e) => [e.experiment_id, e.name]));
  const { runs } = await rest<{ runs?: { info: { run_id: string; experiment_id: string }; data: { tags: { key: string; value: string }[] } }[] }>("runs/search", { experiment_ids: [...names.keys()], max_results: 100 });
  const out = [];
  for (const r of runs ?? []) {
    const h = await rest<{ metrics?: { step: number }[] }>(`metrics/get-history?run_id=${r.info.run_id}&metric_key=d_loss`);
    const tag = (k: string) => r.data.tags.find((t) => t.key === k)?.value;
    out.push({ experiment: names.get(r.info.experiment_id)!, runId: tag("ganscope.run_id"), checkpoint: tag("ganscope.checkpoint_epoch"), steps: (h.metrics ?? []).map((m) => m.step).sort((a, b) => a - b) });
  }
  return out;
}

const epochsOf = (f: string) =>
  existsSync(f)
    ? readFileSync(f, "utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => (JSON.parse(l) as { epoch: number }).epoch)
    : [];

beforeAll(async () => {
  [redis, mlflow] = await Promise.all([startRedisServer(), startMlflowServer()]);
  worker = start(["worker", "--queue", redis.url, "--results", path.join(dir, "worker")]);
}, 300_000);

afterAll(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill("SIGTERM");
    await worker.exited;
  }
  await Promise.all([redis?.stop(), mlflow?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe("a queued plan extends and links as a local one does", () => {
  let runId = "";

  it("trains a plan to 3 epochs on the queue", { timeout: 300_000 }, async () => {
    const first = await coordinator(fileA, "coordinator");
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/1 runs added, 0 already queued or done/);
    const [entry] = (await new RunStore(path.join(dir, "coordinator")).index("ext-a")).runs;
    runId = entry!.runId;
    expect([entry!.state, entry!.epochsDone]).toEqual(["done", 3]);
  });

  it("queued again with --epochs 5, the run is extended by one job (once), trained 4–5 only, and nothing is lost", { timeout: 300_000 }, async () => {
    const more = await coordinator(fileA, "coordinator", ["--epochs", "5"]);
    expect(more.code, more.out).toBe(0);
    expect(more.out).toMatch(/0 runs added, 1 extended, 0 already queued or done/);
    expect(more.out).toContain(`${runId}: done to 3 epochs on the queue, asked for 5; queued as job ${runId}@5`);
    expect(more.out).toMatch(/│ done +│ 5\/5/);
    expect(more.out).toContain(`${runId}: resuming after epoch 3`);
    expect(worker!.out()).toContain(`${runId}@5: taken by`);
    console.error(`fleet-extend, --epochs 5:\n${more.out.split("\n").filter((l) => /queue redis|asked for|resuming|│ done|pulled|←/.test(l)).join("\n")}`);
    // The worker had the run to epoch 3: it resumed there.
    const workerRun = new RunStore(path.join(dir, "worker")).run("ext-a", runId);
    expect(epochsOf(workerRun.file("metrics.jsonl"))).toEqual([1, 2, 3, 4, 5]);
    // The coordinator's store holds the extension (pulled over its 3-epoch copy).
    const coordRun = new RunStore(path.join(dir, "coordinator")).run("ext-a", runId);
    expect(await coordRun.readStatus()).toMatchObject({ state: "done", epochsDone: 5 });
    expect(readFileSync(coordRun.file("metrics.jsonl"), "utf8")).toBe(readFileSync(workerRun.file("metrics.jsonl"), "utf8"));
    // MLflow: one run, each epoch once, the checkpoint of epoch 5.
    expect(await serverRuns()).toEqual([{ experiment: "ext-a", runId, checkpoint: "5", steps: [1, 2, 3, 4, 5] }]);

    // Queued again: nothing more, and the coordinator follows the extension's job.
    const again = await coordinator(fileA, "coordinator", ["--epochs", "5"]);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/0 runs added, 1 already queued or done/);
    expect(again.out).toMatch(/│ done +│ 5\/5/);
    const q = new Queue(QUEUE_NAME, { connection: redisOptionsOf(redis.url) as never });
    expect((await q.getJobs(["completed", "waiting", "active", "delayed", "failed"])).map((j) => j.id).sort()).toEqual([runId, `${runId}@5`]);
    await q.close();
  });

  it("the same config in a second experiment, coordinated from another machine, is found under the first and linked", { timeout: 300_000 }, async () => {
    const b = await coordinator(fileB, "other-machine");
    expect(b.code, b.out).toBe(0);
    expect(b.out).toMatch(/0 runs added, 1 already queued or done/);
    expect(b.out).toContain(`ext-b/${runId} → ext-a/${runId} (the same run, logged under ext-a; linked)`);
    expect(b.out).toMatch(/pulled from .*: 1 of 1 runs of ext-b copied into .*, 1 linked to the experiment they were logged under/);
    console.error(`fleet-extend, second experiment:\n${b.out.split("\n").filter((l) => /queue redis|│ done|pulled|←|→/.test(l)).join("\n")}`);
    const store = new RunStore(path.join(dir, "other-machine"));
    expect(lstatSync(store.run("ext-b", runId).dir).isSymbolicLink()).toBe(true);
    const [entry] = (await store.index("ext-b")).runs;
    expect(entry).toMatchObject({ runId, state: "done", epochsDone: 5, linkedFrom: "ext-a" });
    expect(epochsOf(store.run("ext-a", runId).file("metrics.jsonl"))).toEqual([1, 2, 3, 4, 5]);
    // Trained once: nothing was logged under ext-b.
    expect((await serverRuns()).map((r) => r.experiment)).toEqual(["ext-a"]);
  });
});
