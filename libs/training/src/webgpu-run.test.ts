/**
 * A whole run on the webgpu backend (Dawn on Mesa's lavapipe, the software
 * adapter scripts/setup-vulkan.sh installs): trained, evaluated, sampled,
 * checkpointed, extended from its checkpoint, and its records held against
 * the same run on the cpu backend. Nothing on the run's path may read a GPU
 * tensor synchronously (in Node that throws on webgpu), and the arithmetic
 * must be the same up to float32 rounding: WGSL's matMul, exp and reductions
 * round differently from tfjs-cpu's, so the backends agree closely, not bit for bit.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STEP_STAT_KEYS, experiment } from "@ganscope/dsl";
import { TEST_CLASSIFIER } from "@ganscope/metrics";
import { releaseBackend, selectBackend, type BackendInfo } from "@ganscope/models";
import { useSoftwareWebgpu } from "@ganscope/models/testing";
import { RunStore, type EpochRecord } from "@ganscope/tracking";
import { MetricsHook } from "./metrics-hook.js";
import { trainRun } from "./train-run.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-webgpu-run-"));
afterAll(() => {
  releaseBackend();
  rmSync(tmp, { recursive: true, force: true });
});

/** 4 steps an epoch, evaluated every epoch on 500 samples through the small test classifier: seconds on either backend. */
const tiny = experiment("webgpu-run").fix({ limit: 128, batch_size: 32, gen_width: 16, dis_width: 16, max_width: 32, eval_every: 1, sample_every: 1 });
const hook = () => new MetricsHook({ classifier: TEST_CLASSIFIER, samples: 500, log: () => {} });

/**
 * How far webgpu's records may lie from cpu's, relative (|a − b| ≤ tol·(1 + |b|)).
 * Measured on lavapipe (Mesa 25.0.7, 2 cores, x86-64): step statistics within
 * 1.3e-7, the evaluation's continuous metrics (FID-lite, KID, IS-lite,
 * confidence) within 1.7e-7, every k-NN share and class share identical.
 * The bounds leave ~100× for another CPU's vector width under llvmpipe; the
 * shares count points (1/500 each) and may move by two on a radius. Counts
 * (modes, steps, collapsed) must agree exactly under either bound.
 */
const TOLERANCE = { steps: 1e-5, metrics: 1e-5, shares: 0.004 } as const;
const SHARES = new Set(["density", "coverage", "precision", "recall", "modes"]);

async function train(backend: BackendInfo, results: string, epochs: number): Promise<EpochRecord[]> {
  const plan = tiny.epochs(epochs).compile();
  const spec = plan.runs[0]!;
  const outcome = await trainRun(spec, { resultsDir: results, experiment: plan.experiment, backend, hooks: [hook()] });
  if (outcome.status !== "done") throw new Error(`run on ${backend.name} ended ${outcome.status}: ${"error" in outcome ? outcome.error : ""}`);
  return new RunStore(results).run(plan.experiment, spec.runId).readRecords();
}

let cpu: EpochRecord[];

beforeAll(async () => {
  useSoftwareWebgpu();
  cpu = await train(await selectBackend("cpu"), path.join(tmp, "cpu"), 3);
});

describe("a run on --backend webgpu (software adapter)", () => {
  it("trains, evaluates, checkpoints and resumes, and its records match the cpu backend's within the stated tolerance", async () => {
    const backend = await selectBackend("webgpu");
    expect(backend.adapter?.software).toBe(true);
    const results = path.join(tmp, "webgpu");
    // Two epochs, then the same run asked for three: epoch 3 is trained from epoch 2's checkpoint.
    expect(await train(backend, results, 2)).toHaveLength(2);
    const gpu = await train(backend, results, 3);
    expect(gpu.map((r) => r.epoch)).toEqual([1, 2, 3]);

    const runDir = new RunStore(results).run("webgpu-run", tiny.epochs(3).compile().runs[0]!.runId);
    const config = JSON.parse(readFileSync(runDir.file("config.json"), "utf8")) as { backend: BackendInfo };
    expect(config.backend.name).toBe("webgpu");
    expect(config.backend.provider).toMatch(/^@tensorflow\/tfjs-backend-webgpu@4\.22\.0 on Dawn \(webgpu@0\.6\.2\): mesa /);
    expect(config.backend.adapter).toMatchObject({ vendor: "mesa", software: true });

    for (const [i, r] of gpu.entries()) {
      const want = cpu[i]!;
      const keys = Object.keys(want).filter((k) => k !== "secs");
      expect(Object.keys(r).filter((k) => k !== "secs").sort(), `epoch ${r.epoch}'s keys`).toEqual(keys.sort());
      for (const k of keys) {
        const tol = (STEP_STAT_KEYS as readonly string[]).includes(k) ? TOLERANCE.steps : SHARES.has(k) || k.startsWith("class_") ? TOLERANCE.shares : TOLERANCE.metrics;
        const [a, b] = [(r as unknown as Record<string, number>)[k]!, (want as unknown as Record<string, number>)[k]!];
        expect(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `epoch ${r.epoch} ${k}: webgpu ${a}, cpu ${b} (tolerance ${tol})`).toBe(true);
      }
    }
  });

  it("keeps what Dawn holds bounded through a long epoch: it frees finished GPU work only when awaited (settleWebgpu)", async () => {
    const backend = await selectBackend("webgpu");
    // Mappings of this process: on lavapipe every allocation Dawn keeps is one, and Linux allows 65,530.
    const mappings = () => readFileSync("/proc/self/maps", "utf8").split("\n").length;
    const before = mappings();
    let most = before;
    // 240 steps in one epoch (no awaits of its own until the epoch's end): unawaited, ~170 new mappings a step.
    const plan = experiment("webgpu-long-epoch").fix({ limit: 32 * 240, batch_size: 32, gen_width: 16, dis_width: 16, max_width: 32 }).epochs(1).compile();
    const outcome = await trainRun(plan.runs[0]!, {
      resultsDir: path.join(tmp, "long-epoch"),
      experiment: plan.experiment,
      backend,
      hooks: [],
      progressEvery: 8,
      onEvent: (e) => {
        if (e.type === "progress") most = Math.max(most, mappings());
      },
    });
    expect(outcome.status).toBe("done");
    expect(most - before).toBeLessThan(10_000);
  });
});
