/**
 * Figures for "Past one machine" (not a test: nothing here is asserted).
 *
 * 1. Overhead: the same plan through the queue (a coordinator `exp --queue`
 *    and 2 `worker` processes, one training process each) against the local
 *    scheduler (`exp --concurrency 2`), both logging to the same MLflow
 *    server, rounds interleaved (local, queue, local, queue, …) on a fresh
 *    Redis and a fresh experiment name each round. Throughput ratio =
 *    local wall time / queue wall time (≥ 1 means the queue is as fast).
 * 2. Recovery: 3 workers, 2 runs; the worker training the first run is
 *    killed (-9, with its training process) after its first checkpoint;
 *    seconds until the job is back in the queue and until it trains again
 *    (first progress from another worker), at the production lock values.
 *
 *   nice -n 10 npx tsx bench/fleet.ts [--rounds 3] [--trials 3] [--out /tmp/fleet-bench]
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { QUEUE_NAME, WORKER_LOCKS, redisOptionsOf, type JobProgress } from "@ganscope/queue";
import { startRedisServer } from "@ganscope/queue/testing";
import { startMlflowServer } from "@ganscope/tracking/testing";

const REPO = path.resolve(import.meta.dirname, "..");
const MAIN = path.join(REPO, "apps/runner/src/main.ts");
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg("rounds", 3);
const TRIALS = arg("trials", 3);
const outIdx = process.argv.indexOf("--out");
const OUT = outIdx > 0 ? process.argv[outIdx + 1]! : "/tmp/fleet-bench";
mkdirSync(OUT, { recursive: true });
mkdirSync(path.join(REPO, "tmp"), { recursive: true });
const dir = mkdtempSync(path.join(REPO, "tmp", "fleet-bench-"));

/** The bench's plan: 4 runs of the seed's networks at batch 64 (3 epochs × 10 steps each, sample grid at the end). */
function planFile(name: string, epochs = 3): string {
  const file = path.join(dir, `${name}.exp.ts`);
  writeFileSync(
    file,
    `import { experiment } from "@ganscope/dsl";
export default experiment("${name}")
  .fix({ limit: 640, batch_size: 64, sample_every: 1000, eval_every: 1000 })
  .vary("gen_dropout", [0, 0.3])
  .vary("dis_dropout", [0, 0.3])
  .epochs(${epochs});
`,
  );
  return file;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  return { child, out: () => out, exited: new Promise((r) => child.on("close", (c) => r(c))) };
}

function killTree(pid: number): void {
  let kids: number[] = [];
  try {
    kids = execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).split("\n").map((l) => Number(l.trim())).filter((n) => n > 0);
  } catch {
    // no children
  }
  for (const k of kids) killTree(k);
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone
  }
}

const mlflow = await startMlflowServer();
const env = { MLFLOW_TRACKING_URI: mlflow.uri };
const rows: { round: number; mode: string; secs: number }[] = [];
try {
  // 1. Overhead.
  for (let round = 1; round <= ROUNDS; round++) {
    for (const mode of ["local", "queue"] as const) {
      const name = `fleet-bench-${mode}-${round}`;
      const file = planFile(name);
      const t0 = performance.now();
      if (mode === "local") {
        const p = run(["exp", "--file", file, "--concurrency", "2", "--results", path.join(dir, name)], env);
        if ((await p.exited) !== 0) throw new Error(`local plan failed:\n${p.out()}`);
      } else {
        const redis = await startRedisServer();
        const coord = run(["exp", "--file", file, "--queue", redis.url, "--results", path.join(dir, name, "coordinator")], env);
        const workers = [1, 2].map((i) => run(["worker", "--queue", redis.url, "--results", path.join(dir, name, `w${i}`)], env));
        const code = await coord.exited;
        const secs = (performance.now() - t0) / 1000;
        for (const w of workers) w.child.kill("SIGTERM");
        await Promise.all(workers.map((w) => w.exited));
        await redis.stop();
        if (code !== 0) throw new Error(`queued plan failed:\n${coord.out()}`);
        rows.push({ round, mode, secs });
        console.error(`round ${round} ${mode}: ${secs.toFixed(1)} s`);
        continue;
      }
      const secs = (performance.now() - t0) / 1000;
      rows.push({ round, mode, secs });
      console.error(`round ${round} ${mode}: ${secs.toFixed(1)} s`);
    }
  }
  const local = median(rows.filter((r) => r.mode === "local").map((r) => r.secs));
  const queued = median(rows.filter((r) => r.mode === "queue").map((r) => r.secs));
  const ratios = Array.from({ length: ROUNDS }, (_, i) => rows.find((r) => r.round === i + 1 && r.mode === "local")!.secs / rows.find((r) => r.round === i + 1 && r.mode === "queue")!.secs);

  // 2. Recovery at the production lock values.
  const trials: { requeueS: number; trainingAgainS: number; fromEpoch: number }[] = [];
  for (let t = 1; t <= TRIALS; t++) {
    const redis = await startRedisServer();
    const queue = new Queue(QUEUE_NAME, { connection: redisOptionsOf(redis.url) as never });
    const name = `fleet-bench-recovery-${t}`;
    // More epochs, so a killed run has more to train.
    const file = planFile(name, 12);
    const coord = run(["exp", "--file", file, "--queue", redis.url, "--results", path.join(dir, name, "coordinator")], env);
    const workers = [1, 2, 3].map((i) => ({ i, p: run(["worker", "--queue", redis.url, "--results", path.join(dir, name, `w${i}`)], env) }));
    // Wait for a worker with a checkpointed epoch of a run.
    let victim: { i: number; runId: string; worker: string } | undefined;
    while (!victim) {
      await new Promise((r) => setTimeout(r, 100));
      for (const w of workers) {
        const root = path.join(dir, name, `w${w.i}`, name);
        if (!existsSync(root)) continue;
        for (const runId of readdirSync(root)) {
          const s = (() => {
            try {
              return JSON.parse(readFileSync(path.join(root, runId, "status.json"), "utf8")) as { state: string; epochsDone: number };
            } catch {
              return undefined;
            }
          })();
          if (s?.state === "running" && s.epochsDone >= 2) {
            const job = await queue.getJob(runId);
            const worker = (job?.progress as JobProgress<unknown> | undefined)?.worker;
            if (worker) victim = { i: w.i, runId, worker };
          }
        }
      }
    }
    const attempts = (await queue.getJob(victim.runId))!.attemptsStarted;
    const victimProc = workers.find((w) => w.i === victim!.i)!.p;
    killTree(victimProc.child.pid!);
    const killed = performance.now();
    let requeueS: number | undefined;
    let trainingAgainS: number | undefined;
    while (trainingAgainS === undefined) {
      await new Promise((r) => setTimeout(r, 50));
      const job = (await queue.getJob(victim.runId))!;
      const state = await job.getState();
      if (requeueS === undefined && (state === "waiting" || job.attemptsStarted > attempts)) requeueS = (performance.now() - killed) / 1000;
      const p = job.progress as JobProgress<{ type: string }> | undefined;
      if (p && typeof p === "object" && p.worker !== victim.worker && (p.event.type === "progress" || p.event.type === "epoch")) trainingAgainS = (performance.now() - killed) / 1000;
    }
    await coord.exited;
    const finisher = workers.find((w) => w.i !== victim!.i && w.p.out().includes(`${victim!.runId}: resuming from MLflow's checkpoint of epoch`));
    const fromEpoch = Number(new RegExp(`${victim.runId}: resuming from MLflow's checkpoint of epoch (\\d+)`).exec(finisher?.p.out() ?? "")?.[1] ?? NaN);
    for (const w of workers) if (w.i !== victim.i) w.p.child.kill("SIGTERM");
    await Promise.all(workers.filter((w) => w.i !== victim!.i).map((w) => w.p.exited));
    await queue.close();
    await redis.stop();
    trials.push({ requeueS: requeueS!, trainingAgainS, fromEpoch });
    console.error(`recovery trial ${t}: back in the queue after ${requeueS!.toFixed(1)} s, training again after ${trainingAgainS.toFixed(1)} s, from epoch ${fromEpoch}`);
  }

  const load = os.loadavg().map((x) => x.toFixed(1)).join(" ");
  const report = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} cores, load average ${load} at the end`,
    plan: "4 runs (gen_dropout × dis_dropout ∈ {0, 0.3}), seed's networks, batch 64, 640 images, 3 epochs (30 steps per run), MLflow on",
    overhead: { rounds: rows, localMedianS: local, queueMedianS: queued, throughputRatioPerRound: ratios, throughputRatioMedian: median(ratios) },
    recovery: { locks: WORKER_LOCKS, trials, requeueMedianS: median(trials.map((x) => x.requeueS)), trainingAgainMedianS: median(trials.map((x) => x.trainingAgainS)) },
  };
  writeFileSync(path.join(OUT, "fleet-bench.json"), JSON.stringify(report, null, 2));
  console.log(JSON.stringify(report, null, 2));
} finally {
  await mlflow.stop();
  rmSync(dir, { recursive: true, force: true });
}
