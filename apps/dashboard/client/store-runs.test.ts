import { describe, expect, it } from "vitest";
import type { ExperimentView, RunView } from "../src/site-data.js";
import { storeAxes, storeRuns } from "./store-runs.js";

function run(runId: string, varied: RunView["varied"], linkedFrom?: string): RunView {
  return { runId, varied, inPlan: true, state: "done", epochsDone: 1, epochs: 1, wallSecs: 1, final: {}, best: {}, epochs_x: [1], series: {}, samples: [], ...(linkedFrom ? { linkedFrom } : {}) };
}

function exp(name: string, axes: string[], runs: RunView[]): ExperimentView {
  return { name, description: "", axes, files: [], runs, metricKeys: [] };
}

describe("every run of the store", () => {
  // "shared" was trained by dropout and reused (linked) by lr, which is read first.
  const lr = exp("lr", ["gen_lr", "seed"], [run("shared", { gen_lr: 2e-4, seed: 0 }, "dropout"), run("fast", { gen_lr: 1e-3, seed: 0 })]);
  const dropout = exp("dropout", ["seed", "dis_dropout"], [run("shared", { dis_dropout: 0, seed: 0 }), run("drop", { dis_dropout: 0.6, seed: 0 })]);

  it("lists a reused run once, under the experiment that trained it, with every experiment's varied values", () => {
    const all = storeRuns([lr, dropout]);
    expect(all.map((r) => [r.runId, r.experiment, r.alsoIn])).toEqual([
      ["shared", "dropout", ["lr"]],
      ["fast", "lr", []],
      ["drop", "dropout", []],
    ]);
    expect(all[0]!.varied).toEqual({ gen_lr: 2e-4, seed: 0, dis_dropout: 0 });
    // Read the other way round, the same rows.
    expect(storeRuns([dropout, lr]).map((r) => [r.runId, r.experiment, r.alsoIn])).toEqual([
      ["shared", "dropout", ["lr"]],
      ["drop", "dropout", []],
      ["fast", "lr", []],
    ]);
  });

  it("names each varied hyperparameter once, the seed last", () => {
    expect(storeAxes([lr, dropout])).toEqual(["gen_lr", "dis_dropout", "seed"]);
  });
});
