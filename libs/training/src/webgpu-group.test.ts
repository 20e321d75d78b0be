/**
 * A fused group (createGanGroup, its Adam update the WGSL program of
 * webgpu-adam.ts) trained on the webgpu backend — Dawn on Mesa's lavapipe,
 * the software adapter, allowed explicitly — writes each run's records
 * within a stated tolerance of the same run trained alone on the cpu
 * backend. (On cpu a fused run equals its run alone bit for bit:
 * train-group.test.ts; across backends float32 rounds differently.)
 */
import * as tf from "@tensorflow/tfjs-core";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STEP_STAT_KEYS, experiment, type RunSpec } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { createGan, createGanGroup, releaseBackend, selectBackend, stackBatches, type BackendInfo } from "@ganscope/models";
import { useSoftwareWebgpu } from "@ganscope/models/testing";
import { RunStore, type EpochRecord } from "@ganscope/tracking";
import { trainGroup } from "./train-group.js";
import { trainRun } from "./train-run.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-webgpu-group-"));
afterAll(() => {
  releaseBackend();
  rmSync(tmp, { recursive: true, force: true });
});

/** Three runs of one shape (seeds and learning rates apart), 3 steps an epoch, 3 epochs; no evaluation hooks (webgpu-run.test.ts holds the metrics). */
const plan = experiment("webgpu-group")
  .fix({ ...TINY_GAN, limit: 96, batch_size: 32, latent_dim: 8, dis_dropout: 0.3, sample_every: 3 })
  .vary("seed", [1, 2])
  .vary("gen_lr", [2e-4, 1e-3])
  .epochs(3)
  .compile();
const specs = plan.runs.slice(0, 3);

/**
 * How far a fused run's step statistics on webgpu may lie from the run
 * alone on cpu, relative (|a − b| ≤ tol·(1 + |b|)). Measured on lavapipe
 * (Mesa 25.0.7, 2 cores, x86-64): within 9.3e-8 over 3 runs × 3 epochs
 * (dropout on: its masks are drawn the same way on both backends); the bound
 * leaves ~100× for another CPU's vector width under llvmpipe, as
 * webgpu-run.test.ts's does.
 */
const TOLERANCE = 1e-5;

const numbers = ({ secs: _, ...r }: EpochRecord) => r;
const records = async (dir: string, s: RunSpec) => (await new RunStore(dir).run(plan.experiment, s.runId).readRecords()).map(numbers);

let cpu: BackendInfo;
beforeAll(async () => {
  useSoftwareWebgpu();
  cpu = await selectBackend("cpu");
  for (const s of specs) expect((await trainRun(s, { resultsDir: path.join(tmp, "alone"), experiment: plan.experiment, backend: cpu })).status).toBe("done");
});

describe("a fused group on --backend webgpu (software adapter)", () => {
  it("updates through the WGSL fused Adam", async () => {
    await selectBackend("webgpu");
    const members = specs.map((s) => createGan(s.config));
    const group = await createGanGroup(members);
    const images = specs.map(() => new Float32Array(32 * 784).fill(0.5));
    const reals = stackBatches(images, 32, 784);
    const profile = await tf.profile(() => group.trainStep(reals));
    await group.takeStats();
    reals.dispose();
    group.dispose();
    members.forEach((g) => g.dispose());
    expect(profile.kernelNames).toContain("GanscopeAdamUpdate");
  });

  it("writes each run's records within the stated tolerance of the run alone on cpu", async () => {
    const backend = await selectBackend("webgpu");
    const dir = path.join(tmp, "fused");
    const outcomes = await trainGroup(specs, { resultsDir: dir, experiment: plan.experiment, backend });
    expect([...outcomes.values()].map((o) => o.status)).toEqual(["done", "done", "done"]);
    for (const s of specs) {
      const run = new RunStore(dir).run(plan.experiment, s.runId);
      const config = JSON.parse(readFileSync(run.file("config.json"), "utf8")) as { backend: BackendInfo; fusion: { k: number } };
      expect(config.backend).toMatchObject({ name: "webgpu", adapter: { software: true } });
      expect(config.fusion.k).toBe(3);
      const [got, want] = [await records(dir, s), await records(path.join(tmp, "alone"), s)];
      expect(got.map((r) => r.epoch)).toEqual([1, 2, 3]);
      for (const [i, r] of got.entries()) {
        const w = want[i]! as unknown as Record<string, number>;
        expect(Object.keys(r).sort()).toEqual(Object.keys(w).sort());
        for (const k of Object.keys(w)) {
          const [a, b] = [(r as unknown as Record<string, number>)[k]!, w[k]!];
          const tol = (STEP_STAT_KEYS as readonly string[]).includes(k) ? TOLERANCE : 0;
          expect(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `run ${s.runId} epoch ${r.epoch} ${k}: webgpu fused ${a}, cpu alone ${b} (tolerance ${tol})`).toBe(true);
        }
      }
    }
  });
});
