import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EpochRecord, PlanIndex, RunStatus } from "@ganscope/tracking";
import { livenessFingerprint, storeFingerprint } from "./liveness.js";
import { buildSeries, readStore, verdictOf } from "./store-reader.js";

/**
 * Reading the store's files in their odd states (torn lines, links, dead
 * pids, missing pieces). The browser tests read a store a real training run
 * wrote; these pin the edge cases that a real run only hits by bad luck.
 */

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "dash-store-"));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const HOST = "test-host";

function record(epoch: number, extra: Record<string, number> = {}): EpochRecord {
  return { epoch, d_loss: 1 / epoch, g_loss: 0.5 + epoch / 10, d_real: 0.6, d_fake: 0.4, d_grad_norm: 1, g_grad_norm: 2, steps: 2, secs: 0.5, ...extra };
}

/** `lock`: the run's lock file, as a runner holds it while it trains (and a killed one leaves it). */
async function writeRun(exp: string, runId: string, files: { status?: Partial<RunStatus>; lock?: { pid: number; host?: string }; records?: EpochRecord[]; metricsText?: string; summary?: unknown; samples?: number[] }) {
  const dir = path.join(root, exp, runId);
  await fs.mkdir(dir, { recursive: true });
  if (files.lock) await fs.writeFile(path.join(dir, ".lock"), JSON.stringify({ host: HOST, since: "2026-01-01T00:00:00.000Z", nonce: "n", ...files.lock }));
  if (files.status) {
    const status: RunStatus = { state: "done", epochsDone: 0, epochs: 3, updatedAt: "2026-01-01T00:00:00.000Z", pid: 1, host: HOST, ...files.status };
    await fs.writeFile(path.join(dir, "status.json"), JSON.stringify(status));
  }
  const text = files.metricsText ?? (files.records ?? []).map((r) => JSON.stringify(r) + "\n").join("");
  if (text) await fs.writeFile(path.join(dir, "metrics.jsonl"), text);
  if (files.summary !== undefined) await fs.writeFile(path.join(dir, "summary.json"), JSON.stringify(files.summary));
  for (const e of files.samples ?? []) {
    await fs.mkdir(path.join(dir, "samples"), { recursive: true });
    await fs.writeFile(path.join(dir, "samples", `epoch-${String(e).padStart(4, "0")}.png`), "png");
  }
}

async function writePlan(exp: string, runs: PlanIndex["runs"], axes = ["gen_lr"]) {
  await fs.mkdir(path.join(root, exp), { recursive: true });
  const plan: PlanIndex = { experiment: exp, description: `about ${exp}`, axes, createdAt: "2026-01-01T00:00:00.000Z", runs };
  await fs.writeFile(path.join(root, exp, "plan.json"), JSON.stringify(plan));
}

const alive = new Set([4242]);
const opts = { host: HOST, isAlive: (pid: number) => alive.has(pid) };

describe("readStore", () => {
  it("reads a missing or empty store as no experiments", async () => {
    expect((await readStore(path.join(root, "nope"), opts)).experiments).toEqual([]);
    const empty = await readStore(root, opts);
    expect(empty.experiments).toEqual([]);
    expect(empty.warnings).toEqual([]);
  });

  it("tells done, running, interrupted, failed and pending apart", async () => {
    await writePlan("states", ["done", "live", "killed", "remote", "unlocked", "broke", "never"].map((runId, i) => ({ runId, varied: { gen_lr: i } })));
    await writeRun("states", "done", { status: { state: "done", epochsDone: 3 }, records: [record(1), record(2), record(3)] });
    await writeRun("states", "live", { status: { state: "running", epochsDone: 1, pid: 4242 }, lock: { pid: 4242 }, records: [record(1)] });
    await writeRun("states", "killed", { status: { state: "running", epochsDone: 1, pid: 999_999 }, lock: { pid: 999_999 }, records: [record(1)] });
    await writeRun("states", "remote", { status: { state: "running", epochsDone: 1, pid: 999_999, host: "elsewhere" }, lock: { pid: 999_999, host: "elsewhere" }, records: [record(1)] });
    // Its status says running, but no process holds its lock: its runner is gone (whatever status.json's pid now names).
    await writeRun("states", "unlocked", { status: { state: "running", epochsDone: 1, pid: 4242 }, records: [record(1)] });
    await writeRun("states", "broke", { status: { state: "failed", epochsDone: 1, error: "diverged: non-finite loss at epoch 2" }, records: [record(1)] });
    const { experiments } = await readStore(root, opts);
    const runs = experiments[0]!.view.runs;
    expect(Object.fromEntries(runs.map((r) => [r.runId, r.state]))).toEqual({
      done: "done",
      live: "running",
      killed: "interrupted",
      // A pid on another machine cannot be checked here: trust its lock.
      remote: "running",
      unlocked: "interrupted",
      broke: "failed",
      never: "pending",
    });
    expect(runs.find((r) => r.runId === "killed")!.note).toMatch(/pid 999999 .* is gone; rerun the experiment to resume/);
    expect(runs.find((r) => r.runId === "remote")!.note).toBe("on elsewhere");
    expect(runs.find((r) => r.runId === "unlocked")!.note).toBe("no process holds its lock; rerun the experiment to resume");
    expect(runs.find((r) => r.runId === "broke")!.note).toMatch(/diverged/);
    expect(experiments[0]!.summary.counts).toEqual({ done: 1, stopped: 0, running: 2, interrupted: 2, failed: 1, pending: 1 });
  });

  it("skips a torn last line without rewriting the file (the runner may be appending to it)", async () => {
    const text = JSON.stringify(record(1)) + "\n" + JSON.stringify(record(2)) + "\n" + '{"epoch":3,"d_lo';
    await writePlan("torn", [{ runId: "r", varied: { gen_lr: 1 } }]);
    await writeRun("torn", "r", { status: { state: "running", pid: 4242, epochsDone: 2 }, metricsText: text });
    const file = path.join(root, "torn", "r", "metrics.jsonl");
    const before = await fs.stat(file);
    const { experiments, warnings } = await readStore(root, opts);
    expect(experiments[0]!.view.runs[0]!.epochs_x).toEqual([1, 2]);
    expect(warnings).toEqual([]);
    expect(await fs.readFile(file, "utf8")).toBe(text);
    expect((await fs.stat(file)).mtimeMs).toBe(before.mtimeMs);
  });

  it("follows a run linked from another experiment and copies its samples once", async () => {
    await writePlan("a", [{ runId: "shared", varied: { gen_lr: 1 } }]);
    await writeRun("a", "shared", { status: { state: "done", epochsDone: 2 }, records: [record(1), record(2)], samples: [1, 2] });
    await writePlan("b", [{ runId: "shared", varied: { gen_lr: 1 } }]);
    await fs.symlink(path.join("..", "a", "shared"), path.join(root, "b", "shared"), "dir");
    const snap = await readStore(root, opts);
    const [a, b] = snap.experiments.map((e) => e.view.runs[0]!);
    expect(b!.linkedFrom).toBe("a");
    expect(a!.linkedFrom).toBeUndefined();
    expect(b!.samples).toEqual(a!.samples);
    expect(snap.samples.map((s) => s.to)).toEqual(["s/shared/epoch-0001.png", "s/shared/epoch-0002.png"]);
  });

  it("reports a dangling link as a warning, not a failure", async () => {
    await writePlan("c", [{ runId: "gone", varied: { gen_lr: 1 } }]);
    await fs.symlink(path.join("..", "deleted", "gone"), path.join(root, "c", "gone"), "dir");
    const snap = await readStore(root, opts);
    expect(snap.experiments[0]!.view.runs[0]!.state).toBe("pending");
    expect(snap.warnings.join("\n")).toMatch(/link to a run that no longer exists/);
  });

  it("shows evaluated metrics when present: final = last evaluated, best by direction, summary wins", async () => {
    await writePlan("m", [{ runId: "r", varied: { gen_lr: 1 } }]);
    const recs = [record(1, { fid_lite: 80, modes: 4 }), record(2), record(3, { fid_lite: 30, modes: 9 }), record(4, { fid_lite: 45, modes: 7 })];
    await writeRun("m", "r", {
      status: { state: "done", epochsDone: 4 },
      records: recs,
      summary: { status: "done", final: { fid_lite: 44.5 }, verdict: "not_converged", evidence: { fid_lite: 44.5, d_fake: 0.41 } },
    });
    const run = (await readStore(root, opts)).experiments[0]!.view.runs[0]!;
    expect(run.final.fid_lite).toBe(44.5);
    expect(run.best.fid_lite).toBe(30);
    expect(run.best.modes).toBe(9);
    expect(run.final.modes).toBe(7);
    expect(run.verdict).toEqual({ label: "not_converged", evidence: "fid_lite: 44.5, d_fake: 0.41" });
    // Metrics evaluated every few epochs carry their own x.
    expect(run.series.fid_lite).toEqual({ x: [1, 3, 4], y: [80, 30, 45] });
    expect(run.series.d_loss!.x).toBeUndefined();
  });

  it("reads the metrics lib's summary: verdict reasons as evidence, metrics.final, metrics.best as { epoch, value }", async () => {
    await writePlan("lib", [{ runId: "r", varied: { gen_lr: 1 } }]);
    const shares = Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`class_share_${k}`, k === 2 ? 1 : 0]));
    const recs = [record(1), record(2, { fid_lite: 216.7, modes: 1, collapsed: 1, ...shares })];
    await writeRun("lib", "r", {
      status: { state: "done", epochsDone: 2 },
      records: recs,
      summary: {
        status: "done",
        final: recs[1],
        verdict: "mode_collapse",
        verdict_reasons: ["epoch 2: 1/10 classes covered", "epoch 2: class 2 takes 100.0% of samples"],
        verdict_evidence: { epochs: 2 },
        metrics: { final: { epoch: 2, fid_lite: 216.7, modes: 1, histogram: [0, 0, 1] }, best: { fid_lite: { epoch: 2, value: 216.7 }, modes: { epoch: 2, value: 1 } } },
      },
    });
    const { experiments } = await readStore(root, opts);
    const run = experiments[0]!.view.runs[0]!;
    expect(run.verdict).toEqual({ label: "mode_collapse", evidence: "epoch 2: 1/10 classes covered; epoch 2: class 2 takes 100.0% of samples" });
    expect(run.best).toMatchObject({ fid_lite: 216.7, modes: 1 });
    expect(run.final).toMatchObject({ fid_lite: 216.7, modes: 1, class_share_2: 1 });
    expect(run.final.histogram).toBeUndefined();
    // Class shares are data for the histogram, not ten more metrics to pick.
    expect(experiments[0]!.view.metricKeys).toEqual(["d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm", "fid_lite", "modes", "collapsed"]);
    expect(experiments[0]!.summary.verdicts).toEqual({ mode_collapse: 1 });
  });

  it("treats a store with no metrics at all (before the metrics lib) as fine", async () => {
    await writePlan("plain", [{ runId: "r", varied: { gen_lr: 1 } }]);
    await writeRun("plain", "r", { status: { state: "done", epochsDone: 1 }, records: [record(1)], summary: { status: "done" } });
    const { experiments } = await readStore(root, opts);
    const e = experiments[0]!;
    expect(e.view.runs[0]!.verdict).toBeUndefined();
    expect(e.view.runs[0]!.best).toEqual({});
    expect(e.summary.verdicts).toEqual({});
    expect(e.view.metricKeys).toEqual(["d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"]);
  });

  it("ignores folders without a plan and warns about a corrupt plan", async () => {
    await fs.mkdir(path.join(root, "stray", "r"), { recursive: true });
    await fs.mkdir(path.join(root, "bad"));
    await fs.writeFile(path.join(root, "bad", "plan.json"), "{not json");
    const snap = await readStore(root, opts);
    expect(snap.experiments).toEqual([]);
    expect(snap.warnings.join("\n")).toMatch(/bad\/plan\.json: not valid JSON .*; the experiment has no run folders to show/);
  });

  it("names what is wrong with a plan.json of the wrong shape, and still shows the runs in the store", async () => {
    await writeRun("shape", "r1", { status: { state: "done", epochsDone: 2 }, records: [record(1), record(2)] });
    await fs.writeFile(path.join(root, "shape", "r1", "config.json"), JSON.stringify({ runId: "r1", experiment: "shape", varied: { gen_lr: 0.001 }, config: {} }));
    const cases: [string, RegExp][] = [
      ["[1, 2]", /shape\/plan\.json: expected an object with "runs": \[\{ runId, varied \}, …\], got an array; showing its 1 run folder\(s\) without the plan/],
      [`{"runs": "r1"}`, /shape\/plan\.json: "runs" must be an array of \{ runId, varied \}, got string/],
      [`{"runs": [{"varied": {}}], "axes": []}`, /shape\/plan\.json: runs\[0\] has no string "runId"; skipped/],
      ["{truncated", /shape\/plan\.json: not valid JSON .*; showing its 1 run folder\(s\) without the plan/],
    ];
    for (const [text, message] of cases) {
      await fs.writeFile(path.join(root, "shape", "plan.json"), text);
      const snap = await readStore(root, opts);
      expect(snap.warnings.join("\n"), text).toMatch(message);
      const runs = snap.experiments.find((e) => e.view.name === "shape")?.view.runs;
      expect(runs?.map((r) => [r.runId, r.state, r.epochsDone, r.varied]), text).toEqual([["r1", "done", 2, { gen_lr: 0.001 }]]);
    }
  });

  it("shows every run of the store: the latest plan's, then earlier plans' with their file, and links to MLflow", async () => {
    await writePlan("many", [{ runId: "new1", varied: { gen_lr: 0.001 } }]);
    await writeRun("many", "new1", { status: { state: "done", epochsDone: 1 }, records: [record(1)] });
    await writeRun("many", "old1", { status: { state: "done", epochsDone: 3 }, records: [record(1), record(2), record(3)] });
    await fs.writeFile(path.join(root, "many", "old1", "config.json"), JSON.stringify({ runId: "old1", experiment: "many", file: "experiments/old.exp.ts", varied: { gen_lr: 0.01, epochs: 3 }, config: {} }));
    await fs.writeFile(
      path.join(root, "many", "new1", "mlflow.json"),
      JSON.stringify({ links: [{ trackingUri: "http://127.0.0.1:5000/", experimentName: "many", experimentId: "7", runId: "abc" }] }),
    );
    // A folder the runner never wrote into is not a run.
    await fs.mkdir(path.join(root, "many", "scratch"));
    const { experiments } = await readStore(root, opts);
    const view = experiments[0]!.view;
    expect(view.runs.map((r) => [r.runId, r.inPlan, r.file ?? null, r.varied])).toEqual([
      ["new1", true, null, { gen_lr: 0.001 }],
      ["old1", false, "experiments/old.exp.ts", { gen_lr: 0.01, epochs: 3 }],
    ]);
    expect(view.axes).toEqual(["gen_lr", "epochs"]);
    expect(view.files).toEqual(["experiments/old.exp.ts"]);
    expect(experiments[0]!.summary).toMatchObject({ runCount: 2, inPlanCount: 1 });
    expect(view.runs[0]!.mlflowUrl).toBe("http://127.0.0.1:5000/#/experiments/7/runs/abc?workflowType=machine_learning");
    expect(view.runs[1]!.mlflowUrl).toBeUndefined();
  });
});

describe("verdictOf", () => {
  it("reads a bare label, an object label and its evidence, and nothing else", () => {
    expect(verdictOf({ verdict: "mode_collapse" })).toEqual({ label: "mode_collapse" });
    expect(verdictOf({ verdict: { verdict: "vanishing_gradients", evidence: ["d_loss → 0.01", "D(G(z)) → 0.002"] } })).toEqual({
      label: "vanishing_gradients",
      evidence: "d_loss → 0.01; D(G(z)) → 0.002",
    });
    expect(verdictOf({ verdict: { label: "converged" } })).toEqual({ label: "converged" });
    expect(verdictOf({ status: "done" })).toBeUndefined();
    expect(verdictOf({ verdict: 3 })).toBeUndefined();
    expect(verdictOf(undefined)).toBeUndefined();
  });
});

describe("buildSeries", () => {
  it("keeps every point up to the budget and no more than the budget beyond it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 900 }), fc.integer({ min: 3, max: 400 }), (n, max) => {
        const recs = Array.from({ length: n }, (_, i) => record(i + 1));
        const { epochs, series } = buildSeries(recs, max);
        expect(epochs).toHaveLength(n);
        for (const s of Object.values(series)) {
          expect(s.y.length).toBe(Math.min(n, max));
          expect(s.x === undefined).toBe(n <= max);
        }
      }),
      { numRuns: 30 },
    );
  });

  it("turns non-finite values (a diverged epoch) into gaps, not JSON nulls in the middle of a line", () => {
    const { series } = buildSeries([record(1), record(2, { d_loss: Number.NaN }), record(3)], 100);
    expect(series.d_loss).toEqual({ x: [1, 3], y: [1, 0.33333] });
  });
});

describe("livenessFingerprint", () => {
  it("changes when a running run's process dies, and only lists running runs", async () => {
    const child = spawnSync(process.execPath, ["-e", "0"]);
    const deadPid = child.pid!;
    await writeRun("e", "a", { status: { state: "running", pid: process.pid, host: os.hostname() }, lock: { pid: process.pid, host: os.hostname() } });
    await writeRun("e", "b", { status: { state: "done" } });
    await writeRun("e", "c", { status: { state: "running", pid: deadPid, host: "elsewhere" }, lock: { pid: deadPid, host: "elsewhere" } });
    const before = await livenessFingerprint(root);
    expect(before).toBe("e/a alive\ne/c remote\n");
    // The runner killed: its lock stays behind, naming a process that is gone.
    await writeRun("e", "a", { status: { state: "running", pid: process.pid, host: os.hostname() }, lock: { pid: deadPid, host: os.hostname() } });
    expect(await livenessFingerprint(root)).toBe("e/a gone\ne/c remote\n");
    expect(await livenessFingerprint(path.join(root, "missing"))).toBe("\n");
  });
});

describe("storeFingerprint", () => {
  it("changes when a run is added to the store, and not when nothing changes", async () => {
    const before = await storeFingerprint(root);
    expect(await storeFingerprint(root)).toBe(before);
    await writeRun("e", "added-later", { status: { state: "done" } });
    const after = await storeFingerprint(root);
    expect(after).not.toBe(before);
    expect(after).toMatch(/^e\/added-later\/status\.json \d+ \d+$/m);
  });
});
