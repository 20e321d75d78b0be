/**
 * `--backend auto` on Dawn's software adapter (Mesa's lavapipe), allowed
 * explicitly as only a test may: the measurement runs for a tiny shape in
 * real workers, is cached, and is read back instead of measured again; the
 * scheduler then trains the runs put on webgpu on a worker of their own.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { experiment, type RunSpec } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { WEBGPU_ADAPTER_ENV, type BackendInfo } from "@ganscope/models";
import { useSoftwareWebgpu } from "@ganscope/models/testing";
import { RunStore } from "@ganscope/tracking";
import { backendPlan } from "./backend-cache.js";
import type { RunEvent } from "./run-event.js";
import { schedule } from "./scheduler.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-backend-auto-"));
const saved = { cache: process.env["GANSCOPE_CACHE"], adapter: process.env[WEBGPU_ADAPTER_ENV] };
afterAll(() => {
  for (const [k, v] of [["GANSCOPE_CACHE", saved.cache], [WEBGPU_ADAPTER_ENV, saved.adapter]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(tmp, { recursive: true, force: true });
});

const plan = experiment("backend-auto").fix({ ...TINY_GAN, limit: 64, batch_size: 32, latent_dim: 8 }).vary("seed", [1, 2]).epochs(1).compile();
const group: readonly (readonly RunSpec[])[] = [plan.runs];

beforeAll(() => useSoftwareWebgpu());

describe("backendPlan (--backend auto)", () => {
  it("leaves a software adapter alone unless GANSCOPE_WEBGPU_ADAPTER=software asks for it, and measures nothing for a named backend", async () => {
    process.env[WEBGPU_ADAPTER_ENV] = "hardware";
    const lines: string[] = [];
    // The only Vulkan driver Dawn sees here is lavapipe: no hardware adapter, so auto is what it always was.
    expect(await backendPlan(group, undefined, 1, (l) => lines.push(l))).toBeUndefined();
    process.env[WEBGPU_ADAPTER_ENV] = "software";
    expect(await backendPlan(group, "cpu", 1, (l) => lines.push(l))).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it("measures webgpu against the CPU backend once for a shape and K, then reads the cache", async () => {
    process.env[WEBGPU_ADAPTER_ENV] = "software";
    process.env["GANSCOPE_CACHE"] = path.join(tmp, "cache");
    const first: string[] = [];
    const a = await backendPlan(group, undefined, 1, (l) => first.push(l));
    expect(a?.picks).toHaveLength(1);
    const pick = a!.picks[0]!;
    expect(pick).toMatchObject({ k: 2, runs: 2, cached: false, cpuWorkers: 1 });
    expect(pick.measured.cpu.msPerRunStep).toBeGreaterThan(0);
    expect(pick.measured.webgpu.msPerRunStep).toBeGreaterThan(0);
    expect(pick.backend).toBe(pick.measured.webgpu.msPerRunStep < pick.measured.cpu.msPerRunStep ? "webgpu" : pick.cpuBackend);
    expect([...a!.backends.keys()]).toEqual(pick.backend === "webgpu" ? plan.runs.map((r) => r.runId) : []);
    expect(existsSync(pick.cache)).toBe(true);
    expect(first[0]).toMatch(/^backend: measuring webgpu on mesa .*software adapter.* at K=2 \(once; cached in /);
    expect(first[1]).toMatch(new RegExp(`^backend: auto picked ${pick.backend} for 2 runs of one shape at K=2 \\(ms per run-step: (wasm|tensorflow|cpu) [\\d.]+, webgpu [\\d.]+\\)$`));

    const again: string[] = [];
    const b = await backendPlan(group, undefined, 1, (l) => again.push(l));
    expect(b?.picks[0]).toMatchObject({ cached: true, measured: pick.measured, backend: pick.backend });
    expect(again).toEqual([first[1]!.replace(/\)$/, ", measured earlier)")]);
  }, 120_000);
});

describe("schedule with per-run backends", () => {
  it("trains the runs put on webgpu on a webgpu worker of their own, the others on the plan's backend, each evaluated", async () => {
    process.env[WEBGPU_ADAPTER_ENV] = "software";
    if (saved.cache === undefined) delete process.env["GANSCOPE_CACHE"];
    else process.env["GANSCOPE_CACHE"] = saved.cache;
    const results = path.join(tmp, "results");
    const [gpu, home] = plan.runs as [RunSpec, RunSpec];
    const events: string[] = [];
    const onEvent = (e: RunEvent) => (e.type === "start" || e.type === "finish" ? events.push(`${e.type} ${e.runId === gpu.runId ? "gpu" : "home"}`) : undefined);
    const outcomes = await schedule(plan.runs, { resultsDir: results, experiment: plan.experiment, concurrency: 1, backend: "cpu", backends: new Map([[gpu.runId, "webgpu"]]), onEvent });
    expect([...outcomes.values()].map((o) => o.status)).toEqual(["done", "done"]);
    // --concurrency 1: the webgpu worker and the cpu one never train at once (one process at a time).
    expect(events).toEqual(["start gpu", "finish gpu", "start home", "finish home"]);
    const backendOf = (s: RunSpec) => (JSON.parse(readFileSync(new RunStore(results).run(plan.experiment, s.runId).file("config.json"), "utf8")) as { backend: BackendInfo }).backend;
    expect(backendOf(gpu)).toMatchObject({ name: "webgpu", adapter: { software: true } });
    expect(backendOf(home).name).toBe("cpu");
    // Each evaluated on its worker's backend, with the evaluator that worker prepared.
    for (const s of [gpu, home]) {
      const records = await new RunStore(results).run(plan.experiment, s.runId).readRecords();
      expect(records.at(-1)?.fid_lite, `${s.runId}'s FID-lite`).toBeGreaterThan(0);
    }
  }, 120_000);
});
