import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { experiment, type RunPlan } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { datasetDigest, loadDataset } from "@ganscope/data";
import { selectBackend, type BackendInfo } from "@ganscope/models";
import { RunStore } from "@ganscope/tracking";
import type { RunEvent } from "./run-outcome.js";
import { trainRun } from "./train-run.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-runner-"));
let backend: BackendInfo;
let plan: RunPlan;

beforeAll(async () => {
  backend = await selectBackend();
  plan = experiment("tiny")
    .fix({ limit: 128, batch_size: 64, gen_width: 32, dis_width: 32, max_width: 64, sample_every: 1 })
    .vary("activation", ["relu", "elu"])
    .epochs(2)
    .compile();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("trainRun", () => {
  it("asked to yield mid-epoch, finishes that epoch's checkpoint and returns; resumed, it ends with every epoch once", async () => {
    const spec = experiment("tiny-yield").fix({ ...TINY_GAN, limit: 128, batch_size: 16 }).epochs(3).compile().runs[0]!;
    const yielding = new AbortController();
    const first = await trainRun(spec, {
      resultsDir: tmp,
      experiment: "tiny-yield",
      backend,
      progressEvery: 2,
      // A queue worker's SIGTERM arrives while epoch 1 trains.
      onEvent: (e) => e.type === "progress" && e.epoch === 1 && yielding.abort(),
      yieldSignal: yielding.signal,
    });
    expect(first).toMatchObject({ status: "yielded", epoch: 1 });
    const dir = new RunStore(tmp).run("tiny-yield", spec.runId);
    expect((await dir.readStatus())?.epochsDone).toBe(1);
    const second = await trainRun(spec, { resultsDir: tmp, experiment: "tiny-yield", backend });
    expect(second.status).toBe("done");
    const epochs = readFileSync(dir.file("metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l).epoch);
    expect(epochs).toEqual([1, 2, 3]);
  });

  it("trains a run and writes the run store: config, one record per epoch, sample grids, checkpoint, status, summary", async () => {
    const spec = plan.runs[0]!;
    const events: RunEvent[] = [];
    const outcome = await trainRun(spec, { resultsDir: tmp, experiment: plan.experiment, backend, onEvent: (e) => events.push(e) });
    expect(outcome.status).toBe("done");

    const dir = new RunStore(tmp).run(plan.experiment, spec.runId);
    const config = JSON.parse(readFileSync(dir.file("config.json"), "utf8"));
    expect(config.config).toEqual(spec.config);
    expect(config.backend.name).toBe(backend.name);
    // What it trained on, read off the loaded split (MLflow's run input): the limit's images, their digest.
    expect(config.data).toEqual({
      id: spec.config.dataset,
      description: expect.stringContaining("MNIST"),
      file: expect.stringMatching(/train-images/),
      digest: datasetDigest(loadDataset(spec.config.dataset, { split: "train", limit: spec.config.limit || undefined })),
      images: spec.config.limit,
      splitImages: 60_000,
      rows: 28,
      cols: 28,
    });

    const lines = readFileSync(dir.file("metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((r) => r.epoch)).toEqual([1, 2]);
    for (const r of lines) {
      for (const k of ["d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm", "secs"]) expect(Number.isFinite(r[k])).toBe(true);
      expect(r.steps).toBe(2);
    }

    const samples = readdirSync(dir.file("samples")).sort();
    expect(samples).toEqual(["epoch-0001.png", "epoch-0002.png"]);
    const png = PNG.sync.read(readFileSync(path.join(dir.file("samples"), samples[1]!)));
    // 10 columns × 10 rows (9 generated, 1 real) of 28×28 digits with padding.
    expect(png.width).toBe(png.height);
    expect(png.width).toBeGreaterThan(280);

    expect(existsSync(dir.checkpointFile)).toBe(true);
    expect((await dir.readStatus())?.state).toBe("done");
    expect(JSON.parse(readFileSync(dir.file("summary.json"), "utf8")).status).toBe("done");
    expect(events.filter((e) => e.type === "epoch")).toHaveLength(2);
  });

  it("skips a run that is already done, without touching its records", async () => {
    const spec = plan.runs[0]!;
    const dir = new RunStore(tmp).run(plan.experiment, spec.runId);
    const before = readFileSync(dir.file("metrics.jsonl"), "utf8");
    const outcome = await trainRun(spec, { resultsDir: tmp, experiment: plan.experiment, backend });
    expect(outcome).toMatchObject({ status: "skipped", reason: "done to 2 epochs" });
    expect(readFileSync(dir.file("metrics.jsonl"), "utf8")).toBe(before);
  });

  it("reuses a run another experiment already trained with the same config", async () => {
    const spec = plan.runs[0]!;
    // The runner writes each experiment's plan.json first; the store finds experiments by it.
    const store = new RunStore(tmp);
    await store.writePlan({ experiment: "tiny", description: "", axes: ["activation"], createdAt: new Date().toISOString(), runs: [] });
    const outcome = await trainRun(spec, { resultsDir: tmp, experiment: "tiny-copy", backend });
    expect(outcome.status).toBe("skipped");
    expect(outcome.status === "skipped" && outcome.reason).toMatch(/done to 2 epochs, trained in tiny$/);
    expect((await new RunStore(tmp).run("tiny-copy", spec.runId).readStatus())?.state).toBe("done");
  });

  it("continues an interrupted run from its checkpoint, ending with every epoch exactly once", async () => {
    const spec = plan.runs[1]!;
    const longer = { ...spec, config: { ...spec.config, epochs: 3 } };
    // Stop after epoch 1 by training a 1-epoch copy into the same folder, then resume to 3.
    const first = { ...spec, config: { ...spec.config, epochs: 1 } };
    await trainRun(first, { resultsDir: tmp, experiment: plan.experiment, backend });
    const dir = new RunStore(tmp).run(plan.experiment, spec.runId);
    const status = await dir.readStatus();
    expect(status?.state).toBe("done");
    // Mark it unfinished, as a killed runner leaves it.
    await dir.writeStatus({ state: "running", epochsDone: 1, epochs: 3 });
    const events: RunEvent[] = [];
    const outcome = await trainRun(longer, { resultsDir: tmp, experiment: plan.experiment, backend, onEvent: (e) => events.push(e) });
    expect(outcome.status).toBe("done");
    expect(events.find((e) => e.type === "start")).toMatchObject({ fromEpoch: 1 });
    expect((await dir.readRecords()).map((r) => r.epoch)).toEqual([1, 2, 3]);
  });
});
