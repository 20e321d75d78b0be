import { describe, expect, it } from "vitest";
import type { RunView } from "../src/site-data.js";
import { verdictColour } from "./colours.js";
import { axisName, inBrushed, parallelDims, parallelHyperAxes, parallelMetricChoices, parallelOption, parallelRuns } from "./parallel-options.js";

function run(runId: string, varied: RunView["varied"], verdict: string | undefined, final: Record<string, number>): RunView {
  return {
    runId,
    varied,
    inPlan: true,
    state: verdict ? "done" : "pending",
    epochsDone: 1,
    epochs: 1,
    wallSecs: 1,
    final,
    best: {},
    epochs_x: [1],
    series: {},
    samples: [],
    ...(verdict ? { verdict: { label: verdict } } : {}),
  };
}

const runs = [
  run("a", { gen_lr: 1e-3, activation: "elu", dis_dropout: 0, seed: 0 }, "converged", { fid_lite: 12, coverage: 0.8, d_loss: 1.2 }),
  run("b", { gen_lr: 1e-5, activation: "relu", dis_dropout: 0.6, seed: 1 }, "no_digits", { fid_lite: 250, coverage: 0 }),
  run("c", { gen_lr: 1e-4, activation: "relu", dis_dropout: 0.3, seed: 0 }, "not_converged", { fid_lite: 120 }),
  run("p", { gen_lr: 1e-4, activation: "elu", dis_dropout: 0.3, seed: 1 }, undefined, {}),
];
const axes = ["gen_lr", "activation", "dis_dropout", "seed"];

describe("parallel coordinates", () => {
  it("an axis per varied hyperparameter but the seed, spaced as the hyperparameter plot spaces it, then one per metric", () => {
    const hyper = parallelHyperAxes(axes);
    expect(hyper).toEqual(["gen_lr", "activation", "dis_dropout"]);
    const dims = parallelDims(runs, hyper, ["fid_lite", "coverage"]);
    expect(dims.map((d) => [d.key, d.scale])).toEqual([
      ["gen_lr", "log"],
      ["activation", "category"],
      ["dis_dropout", "value"],
      ["fid_lite", "value"],
      ["coverage", "value"],
    ]);
    expect(dims.map(axisName)).toEqual(["gen_lr (log)", "activation", "dis_dropout", "FID-lite ↓", "coverage ↑"]);
  });

  it("offers the final metrics with a better direction that some run has, not the losses", () => {
    expect(parallelMetricChoices(runs)).toEqual(["fid_lite", "coverage"]);
  });

  it("one line per run with a picked metric, in a series per verdict coloured as the verdict", () => {
    expect(parallelRuns(runs, ["fid_lite"]).map((r) => r.runId)).toEqual(["a", "b", "c"]);
    const option = parallelOption(runs, parallelHyperAxes(axes), ["fid_lite", "coverage"], axes);
    const series = option.series as { name: string; data: { name: string; value: unknown[] }[]; lineStyle: { color: string } }[];
    expect(series.map((s) => s.name)).toEqual(["converged", "no digits", "not converged"]);
    expect(series.map((s) => s.lineStyle.color)).toEqual(["converged", "no_digits", "not_converged"].map(verdictColour));
    expect(series.flatMap((s) => s.data.map((d) => d.name))).toEqual(["a", "b", "c"]);
    // Categories as their text, numbers as numbers, a missing metric as a gap (null).
    expect(series[2]!.data[0]!.value).toEqual([1e-4, "relu", 0.3, 120, null]);
    const category = (option.parallelAxis as { type: string; data?: string[] }[])[1]!;
    expect(category).toMatchObject({ type: "category", data: ["elu", "relu"] });
  });

  it("the tooltip names the run, its verdict and its metrics", () => {
    const option = parallelOption(runs, ["gen_lr"], ["fid_lite"], axes);
    const formatter = (option.tooltip as { formatter: (p: unknown) => string }).formatter;
    expect(formatter({ name: "b" })).toContain("verdict: no digits");
    expect(formatter({ name: "b" })).toContain("FID-lite: <b>250</b>");
  });

  it("a run is in the brush when it lies in a brushed stretch of every brushed axis; categories by index", () => {
    const drawn = parallelRuns(runs, ["fid_lite"]);
    const dims = parallelDims(drawn, ["gen_lr", "activation"], ["fid_lite"]);
    const inside = (brushed: [string, [number, number][]][]) => drawn.filter((r) => inBrushed(r, drawn, dims, new Map(brushed))).map((r) => r.runId);
    expect(inside([])).toEqual(["a", "b", "c"]);
    expect(inside([["metric:fid_lite", [[0, 130]]]])).toEqual(["a", "c"]);
    // Categories elu (0), relu (1): the relu runs.
    expect(inside([["metric:fid_lite", [[0, 130]]], ["hyper:activation", [[0.5, 1.5]]]])).toEqual(["c"]);
    // Two stretches on one axis are alternatives.
    expect(inside([["metric:fid_lite", [[0, 20], [200, 300]]]])).toEqual(["a", "b"]);
    expect(inside([["hyper:gen_lr", [[5e-4, 2e-3]]]])).toEqual(["a"]);
  });
});
