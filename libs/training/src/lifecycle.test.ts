/**
 * The run lifecycle of issue 12 on real training: a run is extended from its
 * checkpoint when asked for more epochs, stopped by the default policy when
 * its discriminator saturates, judged by successive halving against its
 * plan's other runs, and found again in a store written before run ids
 * stopped hashing the schedule.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS, experiment, type RunConfig, type RunSpec } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { selectBackend, type BackendInfo } from "@ganscope/models";
import { RunStore, type EpochRecord } from "@ganscope/tracking";
import { migrateLegacyRuns } from "./migrate-store.js";
import type { RunHooks } from "./hooks.js";
import type { RunEvent } from "./run-outcome.js";
import { trainRun } from "./train-run.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-lifecycle-"));
let backend: BackendInfo;
beforeAll(async () => {
  backend = await selectBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TINY = { ...TINY_GAN, limit: 128, batch_size: 64, sample_every: 1 } as const;
const withEpochs = (spec: RunSpec, epochs: number): RunSpec => ({ ...spec, config: { ...spec.config, epochs } });
/** Records without their wall-clock seconds, which no two trainings share. */
const trajectory = (records: readonly EpochRecord[]) => records.map(({ secs: _s, ...r }) => r);

describe("extension", () => {
  const spec = experiment("grow").fix(TINY).epochs(2).compile().runs[0]!;

  it("a run done to 2 epochs asked for 4 keeps its id, trains epochs 3–4 only, and equals an uninterrupted 4-epoch run", async () => {
    expect(experiment("grow").fix(TINY).epochs(4).compile().runs[0]!.runId).toBe(spec.runId);
    const results = path.join(tmp, "grow");
    expect((await trainRun(spec, { resultsDir: results, experiment: "grow", backend })).status).toBe("done");
    const run = new RunStore(results).run("grow", spec.runId);
    const before = readFileSync(run.file("metrics.jsonl"), "utf8");

    const events: RunEvent[] = [];
    const outcome = await trainRun(withEpochs(spec, 4), { resultsDir: results, experiment: "grow", backend, onEvent: (e) => events.push(e) });
    expect(outcome).toMatchObject({ status: "done", epochs: 4 });
    expect(events.find((e) => e.type === "start")).toMatchObject({ fromEpoch: 2, epochs: 4 });
    expect(events.filter((e) => e.type === "epoch").map((e) => e.type === "epoch" && e.record.epoch)).toEqual([3, 4]);
    const after = readFileSync(run.file("metrics.jsonl"), "utf8");
    expect(after.startsWith(before)).toBe(true);
    expect(await run.readStatus()).toMatchObject({ state: "done", epochsDone: 4, epochs: 4 });

    const straight = path.join(tmp, "straight");
    await trainRun(withEpochs(spec, 4), { resultsDir: straight, experiment: "grow", backend });
    expect(trajectory(await run.readRecords())).toEqual(trajectory(await new RunStore(straight).run("grow", spec.runId).readRecords()));
  });

  it("asked for fewer epochs than it has, the run is reused and reports the record at the smaller target", async () => {
    const outcome = await trainRun(withEpochs(spec, 3), { resultsDir: path.join(tmp, "grow"), experiment: "grow", backend });
    expect(outcome).toMatchObject({ status: "skipped", reason: "done to 4 epochs", last: { epoch: 3 } });
  });

  it("refuses to extend a run whose checkpoint is gone, saying what to do, and keeps its records", async () => {
    const results = path.join(tmp, "nockpt");
    await trainRun(spec, { resultsDir: results, experiment: "grow", backend });
    const run = new RunStore(results).run("grow", spec.runId);
    rmSync(run.checkpointFile);
    const before = readFileSync(run.file("metrics.jsonl"), "utf8");
    const outcome = await trainRun(withEpochs(spec, 4), { resultsDir: results, experiment: "grow", backend });
    expect(outcome.status).toBe("failed");
    expect(outcome.status === "failed" && outcome.error).toMatch(/^cannot extend run \w+ from epoch 2 to 4: \S+checkpoint\.bin is missing \(its records stay as they are\); move the run folder aside[^\n]*$/);
    expect(readFileSync(run.file("metrics.jsonl"), "utf8")).toBe(before);
  });
});

describe("the default stop policy", () => {
  // A discriminator 1000× faster than its generator wins within two epochs and stays saturated.
  const plan = experiment("saturate").fix({ ...TINY, limit: 256, dis_lr: 0.01, gen_lr: 1e-5, eval_every: 100 }).epochs(20).compile();
  const spec = plan.runs[0]!;
  const results = path.join(tmp, "saturate");

  it("stops a run whose discriminator saturates, with the reason and evidence in summary.json and status stopped", async () => {
    expect(plan.stop).toEqual({ saturated: 5, collapsed: false });
    const outcome = await trainRun(spec, { resultsDir: results, experiment: plan.experiment, backend, stop: plan.stop });
    expect(outcome.status).toBe("stopped");
    const run = new RunStore(results).run(plan.experiment, spec.runId);
    const status = await run.readStatus();
    expect(status?.state).toBe("stopped");
    expect(status!.epochsDone).toBeLessThan(20);
    const summary = JSON.parse(readFileSync(run.file("summary.json"), "utf8"));
    expect(summary).toMatchObject({ status: "stopped", epochs: status!.epochsDone, stop: { by: "saturated", target: 20 } });
    expect(summary.stop.reason).toMatch(/discriminator saturated in 5 consecutive epochs/);
    expect(summary.stop.evidence.d_fake.every((v: number) => v < 0.05)).toBe(true);
    expect(existsSync(run.checkpointFile)).toBe(true);
    expect((await run.readRecords()).length).toBe(status!.epochsDone);
  });

  it("a stopped run is skipped on the next invocation, and extended on purpose with resumeStopped", async () => {
    const run = new RunStore(results).run(plan.experiment, spec.runId);
    const stoppedAt = (await run.readStatus())!.epochsDone;
    expect(await trainRun(spec, { resultsDir: results, experiment: plan.experiment, backend, stop: plan.stop })).toMatchObject({
      status: "skipped",
      reason: expect.stringMatching(new RegExp(`^stopped at epoch ${stoppedAt}: discriminator saturated .*--resume-stopped`)),
    });
    // Extended on purpose, it counts its new epochs afresh: still saturated, it stops again 5 epochs later.
    const again = await trainRun(spec, { resultsDir: results, experiment: plan.experiment, backend, stop: plan.stop, resumeStopped: true });
    expect(again).toMatchObject({ status: "stopped", epoch: stoppedAt + 5 });
    expect((await run.readRecords()).map((r) => r.epoch)).toEqual(Array.from({ length: stoppedAt + 5 }, (_, i) => i + 1));
  });

  it("stopWhen(false) trains the same config to its target", async () => {
    const off = experiment("saturate").fix({ ...TINY, limit: 256, dis_lr: 0.01, gen_lr: 1e-5, eval_every: 100 }).epochs(8).stopWhen(false).compile();
    const outcome = await trainRun(off.runs[0]!, { resultsDir: path.join(tmp, "never"), experiment: off.experiment, backend, stop: off.stop });
    expect(outcome).toMatchObject({ status: "done", epochs: 8 });
  });
});

describe("successive halving in trainRun", () => {
  /** An evaluation hook that scores a run by its generator's learning rate, so the ranking is known in advance. */
  const scoreByLr: RunHooks = {
    name: "score",
    evaluate: async (ctx): Promise<Record<string, number>> => (ctx.mustEvaluate || ctx.epoch % ctx.spec.config.eval_every === 0 ? { fid_lite: ctx.spec.config.gen_lr * 1e4 - ctx.epoch } : {}),
  };
  const plan = experiment("halve").fix({ ...TINY, eval_every: 1 }).vary("gen_lr", [1e-4, 3e-4, 2e-4]).epochs(4).halving({ metric: "fid_lite", rungs: [2], keep: 1 / 2 }).compile();

  it("runs arriving at a rung behind better runs stop there; the best go on to their target", async () => {
    const results = path.join(tmp, "halve");
    const outcomes = [];
    for (const spec of plan.runs) {
      outcomes.push(await trainRun(spec, { resultsDir: results, experiment: plan.experiment, backend, hooks: [scoreByLr], halving: { policy: plan.halving!, peers: plan.runs.map((r) => r.runId) } }));
    }
    // 1e-4 arrives first (alone: goes on); 3e-4 is worse than it (rank 2 of 2, keep 1): stops; 2e-4 ranks 2 of 3, keep ⌈1.5⌉ = 2: goes on.
    expect(outcomes.map((o) => o.status)).toEqual(["done", "stopped", "done"]);
    const summary = JSON.parse(readFileSync(new RunStore(results).run(plan.experiment, plan.runs[1]!.runId).file("summary.json"), "utf8"));
    expect(summary.stop).toMatchObject({ by: "halving", epoch: 2, evidence: { rung: 2, rank: 2, runs: 2, kept: 1 } });
  });
});

describe("stores written before schedule-free run ids", () => {
  it("migrates the fixture's run folder to its new id; the run is reused, then extended with its old epochs untouched", async () => {
    const results = path.join(tmp, "legacy");
    cpSync(path.join(import.meta.dirname, "fixtures", "legacy-store"), results, { recursive: true });
    const config: RunConfig = { ...DEFAULTS, gen_layers: 2, dis_layers: 2, batch_size: 64, limit: 128, latent_dim: 8, gen_width: 16, dis_width: 16, max_width: 16, epochs: 2, sample_every: 1, eval_every: 1 };
    const plan = experiment("legacy").fix(config).compile();
    const spec = plan.runs[0]!;
    const store = new RunStore(results);
    const oldRecords = readFileSync(path.join(results, "legacy", "80ffeda8798c", "metrics.jsonl"), "utf8");

    expect(await migrateLegacyRuns(store, "legacy")).toEqual([{ from: "80ffeda8798c", to: spec.runId }]);
    expect(existsSync(path.join(results, "legacy", "80ffeda8798c"))).toBe(false);
    const run = store.run("legacy", spec.runId);
    expect(await run.readConfig()).toMatchObject({ runId: spec.runId, legacyRunId: "80ffeda8798c" });
    expect(await migrateLegacyRuns(store, "legacy")).toEqual([]);

    expect(await trainRun(spec, { resultsDir: results, experiment: "legacy", backend })).toMatchObject({ status: "skipped", reason: "done to 2 epochs" });
    const extended = await trainRun(withEpochs(spec, 3), { resultsDir: results, experiment: "legacy", backend });
    expect(extended).toMatchObject({ status: "done", epochs: 3 });
    const text = readFileSync(run.file("metrics.jsonl"), "utf8");
    expect(text.startsWith(oldRecords)).toBe(true);
    expect((await run.readRecords()).map((r) => r.epoch)).toEqual([1, 2, 3]);
  });
});
