import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ExperimentView, RunView } from "../src/site-data.js";
import { classOption, curveOption, curveTooltip, epochBounds, hyperOption } from "./chart-options.js";
import { CATEGORICAL, contrastOnWhite, MIN_CONTRAST, readableOnWhite, runStyles, viridis } from "./colours.js";

/**
 * The chart builders are pure: they run here in Node, without a browser or
 * echarts, on hand-made runs. The browser test (app.browser.test.ts) checks
 * what the page then draws.
 */
function run(runId: string, varied: RunView["varied"], d_loss: number[], extra: Partial<RunView> = {}): RunView {
  return {
    runId,
    varied,
    inPlan: true,
    state: "done",
    epochsDone: d_loss.length,
    epochs: d_loss.length,
    wallSecs: 1,
    final: { d_loss: d_loss.at(-1)! },
    best: {},
    epochs_x: d_loss.map((_, i) => i + 1),
    series: { d_loss: { y: d_loss } },
    samples: [],
    ...extra,
  };
}

const runs = [run("a", { gen_lr: 0.001 }, [1.4, 1.2, 1.1]), run("b", { gen_lr: 0.01 }, [1.3, 0.9, 0.7])];
const exp: ExperimentView = { name: "e", description: "", axes: ["gen_lr"], files: [], runs, metricKeys: ["d_loss"] };

describe("curve charts", () => {
  const styles = runStyles(runs, "gen_lr", undefined);
  const option = curveOption(runs, "d_loss", exp.axes, styles);
  const xAxis = option.xAxis as { min: number; max: number; minInterval: number; axisLabel: { formatter: (v: number) => string } };

  it("one line per run with records, named by its varied values, in its colour", () => {
    const series = option.series as { name: string; data: [number, number][]; lineStyle: { color: string } }[];
    expect(series.map((s) => s.name)).toEqual(["gen_lr=0.001", "gen_lr=0.01"]);
    expect(series[0]!.data).toEqual([[1, 1.4], [2, 1.2], [3, 1.1]]);
    expect(series.map((s) => s.lineStyle.color)).toEqual([styles.get("a")!.color, styles.get("b")!.color]);
  });

  it("the epoch axis starts at the first epoch (1), in whole epochs", () => {
    expect([xAxis.min, xAxis.max, xAxis.minInterval]).toEqual([1, 3, 1]);
    expect([1, 1.5, 2].map(xAxis.axisLabel.formatter)).toEqual(["1", "", "2"]);
    // A one-epoch run still gets an axis one epoch wide, not a zero-width one.
    expect(epochBounds([run("c", {}, [1])], "d_loss")).toEqual({ min: 1, max: 2 });
  });

  it("the tooltip reads 'epoch 2', not the pointer's '2.00'", () => {
    const text = curveTooltip([
      { marker: "•", seriesName: "gen_lr=0.001", value: [2, 1.2] },
      { marker: "•", seriesName: "gen_lr=0.01", value: [2, 0.9] },
    ]);
    expect(text).toBe("epoch 2<br>•gen_lr=0.001: <b>1.2</b><br>•gen_lr=0.01: <b>0.9</b>");
    const formatter = (option.tooltip as { formatter: (p: unknown) => string }).formatter;
    expect(formatter([{ seriesName: "x", value: [2, 0.5] }])).toMatch(/^epoch 2<br>/);
  });

  it("says so when no run has recorded the key", () => {
    expect(curveOption(runs, "fid_lite", exp.axes, styles).graphic).toMatchObject({ style: { text: "no epochs recorded yet" } });
  });
});

describe("colours", () => {
  it("every colour of a numeric axis keeps at least 3:1 contrast on white, the lightest end too", () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (t) => contrastOnWhite(viridis(t)) >= MIN_CONTRAST - 1e-9));
    // The second of two values was viridis' #b5de2b (1.6:1): now darkened, still yellow-green.
    expect(contrastOnWhite("#b5de2b")).toBeLessThan(2);
    const top = viridis(1);
    expect(contrastOnWhite(top)).toBeGreaterThanOrEqual(MIN_CONTRAST);
    const [r, g, b] = /rgb\((\d+), (\d+), (\d+)\)/.exec(top)!.slice(1).map(Number) as [number, number, number];
    expect(g).toBeGreaterThan(r);
    expect(g).toBeGreaterThan(b);
  });

  it("leaves colours that already read untouched, and orders a numeric axis low → high", () => {
    expect(readableOnWhite("#440154")).toBe("rgb(68, 1, 84)");
    const styles = runStyles(runs, "gen_lr", undefined);
    expect(styles.get("a")!.color).toBe(viridis(0));
    expect(styles.get("b")!.color).toBe(viridis(1));
    expect(runStyles(runs, undefined, undefined).get("b")!.color).toBe(CATEGORICAL[1]);
  });
});

describe("metric vs hyperparameter and digit shares", () => {
  it("one axis: the mean metric per value, direction in the axis name", () => {
    const option = hyperOption(exp, "final:d_loss", "gen_lr", undefined);
    // Learning rates a decade apart: a log axis, each mean at its value (not evenly spaced categories).
    expect(option.xAxis).toMatchObject({ type: "log", name: "gen_lr (log scale)" });
    expect((option.series as { data: unknown[] }[])[0]!.data).toEqual([[0.001, 1.1], [0.01, 0.7]]);
    // A GAN's losses have no better direction (the record schema's "neither"); quality metrics do.
    expect((option.yAxis as { name: string }).name).toBe("final D loss");
    expect((hyperOption(exp, "final:coverage", "gen_lr", undefined).yAxis as { name: string }).name).toBe("final coverage (higher is better)");
    expect((hyperOption(exp, "best:fid_lite", "gen_lr", undefined).yAxis as { name: string }).name).toBe("best FID-lite (lower is better)");
  });

  it("the class-share heatmap has a cell per run and digit, from class_share_k", () => {
    const shares = Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`class_share_${k}`, k === 1 ? 0.91 : 0.01]));
    const r = run("s", { gen_lr: 0.001 }, [1], { final: shares });
    const series = (classOption([r, runs[1]!], exp.axes).series as { data: [number, number, number][] }[])[0]!;
    expect(series.data).toHaveLength(10);
    expect(series.data.find((c) => c[0] === 1)).toEqual([1, 0, 0.91]);
  });
});
