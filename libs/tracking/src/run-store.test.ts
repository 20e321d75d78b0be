import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, appendFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeJsonAtomic } from "./atomic-file.js";
import type { EpochRecord } from "./store-formats.js";
import type { RunDir } from "./run-dir.js";
import { CorruptRecordsError } from "./run-records.js";
import { RunStore } from "./run-store.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-store-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The pid of a process that has exited: what a kill -9 leaves in a lock file. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

const record = (epoch: number): EpochRecord => ({
  epoch,
  d_loss: 1 / epoch,
  g_loss: epoch / 10,
  d_real: 0.5,
  d_fake: 0.5,
  d_grad_norm: 1,
  g_grad_norm: 1,
  steps: 4,
  secs: 0.1,
});

/** Leaves the run's lock as a killed process does: held by a pid that no longer exists. */
function orphanLock(run: RunDir, pid: number): void {
  writeFileSync(run.file(".lock"), JSON.stringify({ pid, host: os.hostname(), since: new Date().toISOString(), nonce: `dead-${pid}-${Math.random()}` }));
}

describe("RunDir records", () => {
  const metrics = (run: RunDir) => readFileSync(run.file("metrics.jsonl"), "utf8");

  it("readRecords leaves out a torn last line and never writes", async () => {
    const run = new RunStore(tmp).run("repair", "r1");
    for (const e of [1, 2, 3]) await run.appendRecord(record(e));
    appendFileSync(run.file("metrics.jsonl"), '{"epoch":4,"d_lo');
    const before = metrics(run);
    expect((await run.readRecords()).map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(metrics(run)).toBe(before);
  });

  it("resumeRecords cuts epochs beyond the checkpoint and a torn last line, nothing else", async () => {
    const run = new RunStore(tmp).run("repair", "r1b");
    for (const e of [1, 2, 3]) await run.appendRecord(record(e));
    appendFileSync(run.file("metrics.jsonl"), '{"epoch":4,"d_lo');
    expect((await run.resumeRecords(2)).map((r) => r.epoch)).toEqual([1, 2]);
    expect(metrics(run)).toBe([record(1), record(2)].map((r) => JSON.stringify(r) + "\n").join(""));
  });

  // Before: a garbage line was dropped and the file rewritten without it, on a skip as on a resume.
  it.each([
    ["garbage", "not json at all", /metrics\.jsonl:2: not valid JSON/],
    ["a repeated epoch", JSON.stringify(record(1)), /metrics\.jsonl:2: repeats epoch 1 of line 1/],
    ["no epoch", '{"d_loss":1}', /metrics\.jsonl:2: not an epoch record/],
  ])("a corrupt line that is not the last (%s) throws naming file:line and the file keeps every byte", async (_what, bad, message) => {
    const run = new RunStore(tmp).run("corrupt", `r-${_what.replace(/\W/g, "")}`);
    await run.appendRecord(record(1));
    appendFileSync(run.file("metrics.jsonl"), bad + "\n");
    await run.appendRecord(record(3));
    const before = metrics(run);
    await expect(run.readRecords()).rejects.toThrow(message);
    await expect(run.resumeRecords(3)).rejects.toBeInstanceOf(CorruptRecordsError);
    expect(metrics(run)).toBe(before);
  });

  it("a corrupt line at the end that still has its newline is corruption, not a torn append", async () => {
    const run = new RunStore(tmp).run("corrupt", "tail");
    await run.appendRecord(record(1));
    appendFileSync(run.file("metrics.jsonl"), "{oops}\n");
    await expect(run.readRecords()).rejects.toThrow(/metrics\.jsonl:2: not valid JSON/);
  });

  it("resumeRecords refuses a checkpoint ahead of the records (an epoch missing), leaving the file", async () => {
    const run = new RunStore(tmp).run("corrupt", "gap");
    for (const e of [1, 3]) await run.appendRecord(record(e));
    const before = metrics(run);
    await expect(run.resumeRecords(3)).rejects.toThrow(/metrics\.jsonl: the checkpoint is at epoch 3 but epoch 2 is missing/);
    expect(metrics(run)).toBe(before);
  });

  it("setRecordsAside keeps the old records under another name", async () => {
    const run = new RunStore(tmp).run("aside", "r1");
    for (const e of [1, 2]) await run.appendRecord(record(e));
    const before = metrics(run);
    const aside = await run.setRecordsAside();
    expect(readFileSync(aside!, "utf8")).toBe(before);
    expect(existsSync(run.file("metrics.jsonl"))).toBe(false);
    expect(await run.readRecords()).toEqual([]);
  });
});

describe("RunDir.removeStaleTemps", () => {
  it("clears what killed atomic writes left (records, samples, checkpoint) and nothing else", async () => {
    const run = new RunStore(tmp).run("temps", "r1");
    const keep = ["metrics.jsonl", "status.json", "checkpoint.bin", ".lock", ".lock.4f1c2d3e-uuid", "samples/epoch-0004.png"];
    const dead = deadPid();
    const temps = [`status.json.tmp-${dead}-rb6huy`, `checkpoint.bin.tmp-${dead}`, `samples/epoch-0004.png.tmp-${dead}-rb6huy`];
    for (const f of [...keep, ...temps]) {
      await writeJsonAtomic(run.file(f), {});
    }
    const removed = await run.removeStaleTemps();
    expect(removed.map((f) => path.relative(run.dir, f)).sort()).toEqual([...temps].sort());
    for (const f of keep) expect(existsSync(run.file(f)), f).toBe(true);
    for (const f of temps) expect(existsSync(run.file(f)), f).toBe(false);
  });
});

describe("RunDir.removeStaleTemps and a second runner", () => {
  it("keeps a live process's temp: another runner's lock request, written while we hold the lock", async () => {
    const run = new RunStore(tmp).run("temps", "r2");
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"], { stdio: "ignore" });
    try {
      const live = `.lock.0b5e-uuid.tmp-${other.pid}-k2v9qa`;
      const stale = `.lock.77aa-uuid.tmp-${deadPid()}-k2v9qa`;
      for (const f of [live, stale]) await writeJsonAtomic(run.file(f), {});
      const removed = await run.removeStaleTemps();
      expect(removed.map((f) => path.basename(f))).toEqual([stale]);
      expect(existsSync(run.file(live))).toBe(true);
    } finally {
      other.kill("SIGKILL");
    }
  });
});

describe("RunDir.lock", () => {
  it("gives the lock to one holder; a second attempt learns who holds it; release frees it", async () => {
    const run = new RunStore(tmp).run("lock", "a");
    const first = await run.lock();
    expect("release" in first).toBe(true);
    const second = await run.lock();
    expect(second).toMatchObject({ heldBy: { pid: process.pid, host: os.hostname() } });
    expect(run.lockHolder()?.pid).toBe(process.pid);
    if ("release" in first) await first.release();
    expect(run.lockHolder()).toBeUndefined();
    const third = await run.lock();
    expect("release" in third).toBe(true);
    if ("release" in third) await third.release();
  });

  it("takes over a lock whose process was killed", async () => {
    const run = new RunStore(tmp).run("lock", "stale");
    await run.lock(); // make the folder
    rmSync(run.file(".lock"));
    orphanLock(run, deadPid());
    expect(run.lockHolder()).toBeUndefined();
    const got = await run.lock();
    expect("release" in got).toBe(true);
    expect(JSON.parse(readFileSync(run.file(".lock"), "utf8")).pid).toBe(process.pid);
  });

  // Real processes racing. The previous lock (open "wx", then write; delete a stale one and retry) let 4 of 6
  // synchronised contenders "win" a stale lock: each deleted the lock another had just created.
  it.each([
    ["a free run", false],
    ["a run whose lock holder was killed", true],
  ])("of six processes racing for %s, exactly one gets it", async (_what, stale) => {
    const run = new RunStore(tmp).run("race", stale ? "stale" : "free");
    const probe = await run.lock();
    if ("release" in probe) await probe.release();
    if (stale) orphanLock(run, deadPid());
    const script = path.join(tmp, "race.mts");
    // Each contender loads, says "ready", and calls lock() when told "go": all within a millisecond or so.
    writeFileSync(
      script,
      `import { RunDir } from ${JSON.stringify(path.join(import.meta.dirname, "run-dir.ts"))};
process.stdout.write("ready\\n");
process.stdin.once("data", async () => {
  const got = await new RunDir(process.argv[2]).lock();
  process.stdout.write("release" in got ? "got\\n" : "held\\n");
  // Hold it (alive) until every contender has tried: the parent closes our stdin then.
  process.stdin.on("end", () => process.exit(0));
});
`,
    );
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ["--import", "tsx", script, run.dir], { stdio: ["pipe", "pipe", "inherit"] }));
    const texts = children.map(() => "");
    const said = (word: string) =>
      Promise.all(
        children.map(
          (child, i) =>
            new Promise<void>((resolve, reject) => {
              const look = () => (texts[i]!.includes(word) ? resolve() : undefined);
              child.stdout!.on("data", (d) => ((texts[i] += String(d)), look()));
              child.on("error", reject);
              child.on("close", () => (look(), reject(new Error(`contender exited before saying ${word}: ${texts[i]}`))));
              look();
            }),
        ),
      );
    await said("ready");
    for (const c of children) c.stdin!.write("go\n");
    await Promise.all(children.map((_, i) => new Promise<void>((resolve) => {
      const t = setInterval(() => /got|held/.test(texts[i]!) && (clearInterval(t), resolve()), 5);
    })));
    const outs = texts.map((t) => t.replace("ready", "").trim());
    await Promise.all(children.map((c) => new Promise((r) => (c.on("close", r), c.stdin!.end()))));
    expect(outs.sort()).toEqual(["got", "held", "held", "held", "held", "held"]);
  }, 60_000);
});

describe("RunStore index", () => {
  it("lists what ran, when and how it ended, and refreshes index.json on every status write", async () => {
    const store = new RunStore(path.join(tmp, "idx"));
    await store.writePlan({
      experiment: "e",
      description: "d",
      axes: ["gen_lr"],
      file: "e.exp.ts",
      createdAt: "2020-01-01T00:00:00.000Z",
      runs: ["done", "failed", "killed", "live", "pending"].map((runId, i) => ({ runId, varied: { gen_lr: i } })),
    });
    const done = store.run("e", "done");
    await done.writeStatus({ state: "running", epochsDone: 0, epochs: 2 });
    await done.writeStatus({ state: "done", epochsDone: 2, epochs: 2 });
    await done.writeSummary({ status: "done", verdict: { label: "converged" } });
    await store.run("e", "failed").writeStatus({ state: "failed", epochsDone: 1, epochs: 2, error: "diverged" });
    const killed = store.run("e", "killed");
    await killed.writeStatus({ state: "running", epochsDone: 1, epochs: 2 });
    const live = store.run("e", "live");
    const lock = await live.lock();
    await live.writeStatus({ state: "running", epochsDone: 1, epochs: 2 });
    // A folder from an earlier plan of the same experiment.
    await store.run("e", "old").writeConfig({ runId: "old", experiment: "e", varied: { gen_lr: 9 }, config: {} });
    // The killed run's lock belongs to a dead process.
    orphanLock(killed, deadPid());

    const index = await store.index("e");
    const by = Object.fromEntries(index.runs.map((r) => [r.runId, r]));
    expect(index.runs.map((r) => r.runId)).toEqual(["done", "failed", "killed", "live", "pending", "old"]);
    expect(index.counts).toEqual({ pending: 2, running: 1, interrupted: 1, done: 1, stopped: 0, failed: 1 });
    expect(by["done"]).toMatchObject({ state: "done", epochsDone: 2, attempts: 1, verdict: { label: "converged" }, inPlan: true });
    expect(by["done"]!.finishedAt! >= by["done"]!.startedAt!).toBe(true);
    expect(by["failed"]).toMatchObject({ state: "failed", error: "diverged" });
    expect(by["killed"]).toMatchObject({ state: "interrupted", epochsDone: 1 });
    expect(by["live"]).toMatchObject({ state: "running", pid: process.pid });
    expect(by["pending"]).toMatchObject({ state: "pending", epochsDone: 0 });
    expect(by["old"]).toMatchObject({ inPlan: false, varied: { gen_lr: 9 } });
    expect(index.createdAt).toBe("2020-01-01T00:00:00.000Z");

    // index.json follows status writes: the last one above made "live" running.
    const onDisk = await store.readIndex("e");
    expect(onDisk?.runs.find((r) => r.runId === "live")?.state).toBe("running");
    if ("release" in lock) await lock.release();
    await live.writeStatus({ state: "done", epochsDone: 2, epochs: 2 });
    expect((await store.readIndex("e"))?.runs.find((r) => r.runId === "live")?.state).toBe("done");
  });

  it("counts a new process resuming a run as another attempt and keeps its first start time", async () => {
    const store = new RunStore(path.join(tmp, "attempts"));
    const run = store.run("e", "r");
    await run.writeStatus({ state: "running", epochsDone: 0, epochs: 3 });
    const first = await run.readStatus();
    await run.writeStatus({ state: "running", epochsDone: 1, epochs: 3 });
    expect((await run.readStatus())?.attempts).toBe(1);
    // As a resumed run finds it: written by another (now dead) process.
    await writeJsonAtomic(run.file("status.json"), { ...(await run.readStatus()), pid: deadPid() });
    await run.writeStatus({ state: "running", epochsDone: 1, epochs: 3 });
    const after = await run.readStatus();
    expect(after).toMatchObject({ attempts: 2, startedAt: first!.startedAt });
  });
});

// The skip/resume state machine (fc.commands) drives the real protocol now:
// libs/training/src/lifecycle-model.test.ts runs trainRun itself through deaths at every write.
