/**
 * Kill/resume, for real: the runner CLI is started as a child process and
 * SIGKILLed (no handler can run) at chosen points of a run — the whole
 * process group as a crash or power loss would, only the worker, or only the
 * parent — then started again. The finished run must hold every epoch once,
 * and since training is a function of (seed, step) alone its records and
 * sample grids must match those of a run that was never interrupted, bit
 * for bit.
 *
 * RESUME_TRIALS=<n> adds n randomised kill trials (seeded) for a longer soak.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStore, type EpochRecord, type RunStatus } from "@ganscope/tracking";

const REPO = path.resolve(import.meta.dirname, "../../..");
const MAIN = path.join(import.meta.dirname, "main.ts");
// Inside the repo (tmp/ is git-ignored) so that the experiment file resolves @ganscope/dsl.
mkdirSync(path.join(REPO, "tmp"), { recursive: true });
const dir = mkdtempSync(path.join(REPO, "tmp", "resume-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EPOCHS = 5;
const EXPERIMENT = "resume-kill";
// 512 images in batches of 32: 16 steps per epoch, long enough to be killed inside one.
const expFile = path.join(dir, "resume.exp.ts");
writeFileSync(
  expFile,
  `import { experiment } from "@ganscope/dsl";
export default experiment("${EXPERIMENT}")
  .fix({ limit: 512, batch_size: 32, gen_width: 32, dis_width: 32, max_width: 64, sample_every: 1, seed: 7 })
  .epochs(${EPOCHS});
`,
);
const twoRunnersFile = path.join(dir, "two.exp.ts");
writeFileSync(
  twoRunnersFile,
  `import { experiment } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
export default experiment("two-runners")
  .fix({ ...TINY_GAN, limit: 256, batch_size: 64, sample_every: 2 })
  .vary("dis_lr", [1e-4, 2e-4, 5e-4, 1e-3])
  .epochs(4);
`,
);

interface Runner {
  child: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `runner exp` as its own process group, MLflow off. */
function startRunner(file: string, results: string, ...extra: string[]): Runner {
  const env = { ...process.env };
  delete env["MLFLOW_TRACKING_URI"];
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, "exp", `--file=${file}`, "--results", results, "--concurrency", "1", ...extra], {
    cwd: REPO,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout!.on("data", (d) => (text += String(d)));
  child.stderr!.on("data", (d) => (text += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  return { child, out: () => text, exited };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | undefined, runner: Runner, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void runner.exited.then(() => (done = true));
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (done) throw new Error(`runner exited before ${what}:\n${runner.out()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** What a killed run left on disk. */
interface Leftover {
  lines: number;
  torn: boolean;
  checkpointEpoch: number | undefined;
  statusEpochs: number | undefined;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** The epoch in a checkpoint's header ("GSCK", uint32 header length, JSON header). */
function checkpointEpoch(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const buf = readFileSync(file);
  const len = buf.readUInt32LE(4);
  return (JSON.parse(buf.toString("utf8", 8, 8 + len)) as { meta: { epoch: number } }).meta.epoch;
}

function leftover(runDir: string): Leftover {
  const text = existsSync(path.join(runDir, "metrics.jsonl")) ? readFileSync(path.join(runDir, "metrics.jsonl"), "utf8") : "";
  const parts = text.split("\n");
  return {
    lines: parts.filter((l) => l.trim() !== "").length,
    torn: parts.at(-1) !== "",
    checkpointEpoch: checkpointEpoch(path.join(runDir, "checkpoint.bin")),
    statusEpochs: readJson<RunStatus>(path.join(runDir, "status.json"))?.epochsDone,
  };
}

function metricLines(runDir: string): number {
  const file = path.join(runDir, "metrics.jsonl");
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l.endsWith("}")).length : 0;
}

type KillPoint =
  | { at: "first-status" } // as soon as the (new) worker says "running": inside its first epoch
  | { at: "record"; epoch: number } // epoch's record just appended, before its checkpoint
  | { at: "checkpoint"; epoch: number } // epoch's checkpoint just written
  | { at: "mid-epoch"; after: number; fraction: number }; // inside epoch after+1
type Victim = "group" | "worker" | "parent";

function describeKill(p: KillPoint, v: Victim): string {
  const where =
    p.at === "first-status" ? "as soon as its worker wrote its first status" : p.at === "record" ? `right after epoch ${p.epoch}'s record` : p.at === "checkpoint" ? `right after epoch ${p.epoch}'s checkpoint` : `${Math.round(p.fraction * 100)}% into epoch ${p.after + 1}`;
  return `kill -9 ${v} ${where}`;
}

let reference: EpochRecord[] = [];
let referenceSamples: Map<string, Buffer>;
let secsPerEpoch = 0.5;
let runId = "";
const log: string[] = [];

/** Runs the CLI, kills it at the point, and waits until nothing of it is left. */
async function runAndKill(results: string, point: KillPoint, victim: Victim): Promise<Leftover> {
  const runner = startRunner(expFile, results);
  const runDir = path.join(results, EXPERIMENT, runId);
  const statusFile = path.join(runDir, "status.json");
  const status = () => readJson<RunStatus>(statusFile);
  // Wait for this runner's worker to take the run over: the files may still show what the last kill left.
  const previous = status()?.pid;
  await until("the new worker's running status", () => {
    const s = status();
    return s?.state === "running" && s.pid !== previous && alive(s.pid) ? true : undefined;
  }, runner);
  if (point.at === "first-status") {
    // killed right away
  } else if (point.at === "record") {
    await until(`epoch ${point.epoch}'s record`, () => (metricLines(runDir) >= point.epoch ? true : undefined), runner);
  } else if (point.at === "checkpoint") {
    await until(`epoch ${point.epoch}'s checkpoint`, () => ((checkpointEpoch(path.join(runDir, "checkpoint.bin")) ?? 0) >= point.epoch ? true : undefined), runner);
  } else {
    await until(`epoch ${point.after}'s status`, () => ((status()?.epochsDone ?? -1) >= point.after && status()?.state === "running" ? true : undefined), runner);
    await sleep(point.fraction * secsPerEpoch * 1000);
  }
  const workerPid = status()?.pid;
  if (victim === "group") process.kill(-runner.child.pid!, "SIGKILL");
  else if (victim === "parent") runner.child.kill("SIGKILL");
  else process.kill(workerPid!, "SIGKILL");
  await runner.exited;
  // A worker whose parent died exits on its own; a new runner must not find it alive.
  const deadline = Date.now() + 30_000;
  while (workerPid && alive(workerPid) && Date.now() < deadline) await sleep(10);
  expect(workerPid && alive(workerPid), "worker still alive after its runner was killed").toBeFalsy();
  const seen = leftover(runDir);
  log.push(`${describeKill(point, victim)}: left ${seen.lines} record(s)${seen.torn ? " + a torn line" : ""}, checkpoint ${seen.checkpointEpoch ?? "none"}, status epochsDone ${seen.statusEpochs ?? "none"}`);
  return seen;
}

const withoutSecs = (records: readonly EpochRecord[]) => records.map(({ secs: _secs, ...rest }) => rest);

function samplesOf(runDir: string): Map<string, Buffer> {
  const d = path.join(runDir, "samples");
  return new Map(readdirSync(d).sort().map((f) => [f, readFileSync(path.join(d, f))]));
}

/**
 * Records must equal the reference's bit for bit (wall-clock seconds aside):
 * training is a function of (seed, step), and checkpoints carry everything a
 * step depends on, Adam's running bias-correction powers included.
 */
function expectSameTraining(lines: readonly EpochRecord[]): void {
  expect(withoutSecs(lines)).toEqual(withoutSecs(reference));
}

/** Sample grids: byte-identical to the uninterrupted run's. */
function expectSameSamples(samples: Map<string, Buffer>): void {
  expect([...samples.keys()]).toEqual([...referenceSamples.keys()]);
  for (const [name, bytes] of samples) {
    expect(bytes.equals(referenceSamples.get(name)!), `${name} differs from the reference`).toBe(true);
  }
}

/** Finishes the run and checks it against the uninterrupted reference. */
async function finishAndCheck(results: string): Promise<void> {
  const runner = startRunner(expFile, results);
  const { code } = await runner.exited;
  expect(code, runner.out()).toBe(0);
  const run = new RunStore(results).run(EXPERIMENT, runId);
  expect((await run.readStatus())?.state).toBe("done");
  const lines = readFileSync(run.file("metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as EpochRecord);
  // No duplicate, no missing epoch: exactly 1..EPOCHS in order.
  expect(lines.map((r) => r.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
  expectSameTraining(lines);
  expectSameSamples(samplesOf(run.dir));
}

let again: EpochRecord[] = [];

beforeAll(async () => {
  // The reference run and a second uninterrupted one, side by side.
  const runners = ["reference", "again"].map((name) => startRunner(expFile, path.join(dir, name)));
  for (const r of runners) expect((await r.exited).code, r.out()).toBe(0);
  const store = new RunStore(path.join(dir, "reference"));
  runId = (await store.readPlan(EXPERIMENT))!.runs[0]!.runId;
  const run = store.run(EXPERIMENT, runId);
  reference = await run.readRecords();
  referenceSamples = samplesOf(run.dir);
  secsPerEpoch = reference.reduce((s, r) => s + r.secs, 0) / reference.length;
  again = await new RunStore(path.join(dir, "again")).run(EXPERIMENT, runId).readRecords();
}, 300_000);

afterAll(() => {
  if (log.length > 0) console.info(`kill/resume trials:\n  ${log.join("\n  ")}`);
});

describe("a runner killed with SIGKILL resumes without losing or duplicating an epoch", () => {
  it("training is deterministic: two uninterrupted runs agree bit for bit", () => {
    expect(withoutSecs(again)).toEqual(withoutSecs(reference));
    expect(again).toHaveLength(EPOCHS);
  });

  it("killed five times: the group mid epoch 1 and after a record, the worker mid-epoch, the parent after a record, the group after a checkpoint", async () => {
    const results = path.join(dir, "kills");
    const kills: [KillPoint, Victim][] = [
      [{ at: "first-status" }, "group"],
      [{ at: "record", epoch: 2 }, "group"],
      [{ at: "mid-epoch", after: 2, fraction: 0.5 }, "worker"],
      [{ at: "record", epoch: 4 }, "parent"],
      [{ at: "checkpoint", epoch: 4 }, "group"],
    ];
    for (const [point, victim] of kills) {
      const left = await runAndKill(results, point, victim);
      // Never more than one record beyond the checkpoint (the epoch being saved when killed).
      expect(left.lines - (left.checkpointEpoch ?? 0)).toBeLessThanOrEqual(1);
    }
    await finishAndCheck(results);
  });

  it("randomised kill points (RESUME_TRIALS, default 0)", async () => {
    const trials = Number(process.env["RESUME_TRIALS"] ?? 0);
    // A small LCG so a soak reproduces: trial t always kills at the same points.
    let state = 12345;
    const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const victims: Victim[] = ["group", "worker", "parent"];
    for (let t = 0; t < trials; t++) {
      const results = path.join(dir, `random-${t}`);
      const kills = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < kills; k++) {
        const kind = Math.floor(rand() * 4);
        const epoch = 1 + Math.floor(rand() * (EPOCHS - 1));
        const point: KillPoint =
          kind === 0 ? { at: "first-status" } : kind === 1 ? { at: "record", epoch } : kind === 2 ? { at: "checkpoint", epoch } : { at: "mid-epoch", after: epoch - 1, fraction: rand() };
        const victim = victims[Math.floor(rand() * 3)]!;
        // A point already passed (the run resumed beyond it) is skipped rather than waited for forever.
        const done = new RunStore(results).run(EXPERIMENT, runId);
        const ck = checkpointEpoch(done.checkpointFile) ?? 0;
        if ((point.at === "record" || point.at === "checkpoint") && point.epoch <= ck) continue;
        if (point.at === "mid-epoch" && point.after < ck) continue;
        await runAndKill(results, point, victim);
      }
      await finishAndCheck(results);
    }
  }, 3_600_000);
});

describe("two runners on one results folder", () => {
  // Both paths whatever this CPU makes `--fuse auto` pick: runs one by one, and the four as one fused group
  // (which opens its runs in a burst while the other runner asks for their locks).
  it.each([["one by one", "--fuse=off"], ["as one fused group", "--fuse=4"]])("never train the same run twice (%s): the second skips what the first holds, and says so", async (_name, fuse) => {
    const results = path.join(dir, `two${fuse}`);
    const a = startRunner(twoRunnersFile, results, fuse);
    const b = startRunner(twoRunnersFile, results, fuse);
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect(ra.code, a.out()).toBe(0);
    expect(rb.code, b.out()).toBe(0);
    const trained = `${a.out()}\n${b.out()}`.match(/^[0-9a-f]{12} \S+ epoch \d+\/4/gm) ?? [];
    // Every (run, epoch) trained by exactly one of them.
    const pairs = trained.map((l) => l.replace(/ \S+ epoch /, "@"));
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(pairs).toHaveLength(4 * 4);
    expect(`${a.out()}\n${b.out()}`).toMatch(/skipped \((being trained by pid \d+|done to 4 epochs)/);
    const store = new RunStore(results);
    const index = await store.index("two-runners");
    expect(index.counts.done).toBe(4);
    for (const r of index.runs) expect((await store.run("two-runners", r.runId).readRecords()).map((x) => x.epoch)).toEqual([1, 2, 3, 4]);
  });

  it("after a kill, two runners started together race for the stale lock and only one resumes it", async () => {
    const results = path.join(dir, "two-after-kill");
    const killed = await runAndKill(results, { at: "record", epoch: 2 }, "group");
    const a = startRunner(expFile, results);
    const b = startRunner(expFile, results);
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect(ra.code, a.out()).toBe(0);
    expect(rb.code, b.out()).toBe(0);
    const trainers = [a.out(), b.out()].filter((o) => /^[0-9a-f]{12} \S+ epoch \d+\/5/m.test(o));
    const trainedEpochs = `${a.out()}\n${b.out()}`.match(/^[0-9a-f]{12} \S+ epoch \d+\/5/gm) ?? [];
    // One of them resumed and trained the rest; the other trained nothing.
    expect(trainers).toHaveLength(1);
    expect(new Set(trainedEpochs).size).toBe(trainedEpochs.length);
    const run = new RunStore(results).run(EXPERIMENT, runId);
    // Exactly the epochs after the checkpoint the kill left were trained again, once.
    expect(trainedEpochs).toHaveLength(EPOCHS - (killed.checkpointEpoch ?? 0));
    expectSameTraining(await run.readRecords());
  });
});
