import { describe, expect, it } from "vitest";
import { bandOption, bandTooltip, type BandCurve } from "./band-options.js";
import { intervalGeometry } from "./interval-plot.js";

const curve = (name: string, points: [number, number, number, number, number][]): BandCurve => ({
  name,
  color: "#4e79a7",
  dash: "solid",
  points: points.map(([epoch, mean, lo, hi, n]) => ({ epoch, mean, lo, hi, n })),
});

describe("bandOption", () => {
  it("draws per curve a band and a mean line under one name, the band's ends in the y extent", () => {
    const opt = bandOption([curve("a (n = 2)", [[1, 1, 0.5, 1.5, 2], [2, 0.8, 0.6, 1, 2]]), curve("empty", [])], "95% CI");
    const series = opt.series as { type: string; name: string; data: unknown[]; encode: Record<string, unknown> }[];
    expect(series.map((s) => [s.type, s.name])).toEqual([["custom", "a (n = 2)"], ["line", "a (n = 2)"]]);
    expect(series[0]!.data).toEqual([[1, 0.5, 1.5], [2, 0.6, 1]]);
    expect(series[0]!.encode).toEqual({ x: 0, y: [1, 2] });
    expect(series[1]!.data).toEqual([[1, 1, 0.5, 1.5, 2], [2, 0.8, 0.6, 1, 2]]);
    expect(opt.xAxis).toMatchObject({ min: 1, max: 2 });
  });

  it("sets a single epoch's error bars side by side, with room on the axis", () => {
    const opt = bandOption([curve("a", [[2, 1, 0, 2, 2]]), curve("b", [[2, 1, 0, 2, 2]])], "95% CI");
    const xs = (opt.series as { type: string; data: number[][] }[]).filter((s) => s.type === "line").map((s) => s.data[0]![0]!);
    expect(xs[0]).toBeLessThan(2);
    expect(xs[1]).toBeGreaterThan(2);
    expect(opt.xAxis).toMatchObject({ min: 1, max: 3 });
    expect(bandOption([], "x").graphic).toBeDefined();
  });

  it("tooltips say the mean, the interval and n, and which interval", () => {
    const text = bandTooltip([{ seriesType: "custom", seriesName: "a", value: [2, 0, 1] }, { seriesType: "line", seriesName: "a", value: [2, 0.5, 0.25, 0.75, 3] }], "95% CI of the mean");
    expect(text).toBe("epoch 2 · mean, 95% CI of the mean<br>a: <b>0.5</b> [0.25, 0.75] · n = 3");
  });
});

describe("intervalGeometry", () => {
  it("shades the claimed side of no effect and puts the whisker where the interval is", () => {
    const lower = intervalGeometry({ point: -2, lo: -3, hi: -1, ref: 0, claimed: "below", verdict: "confirmed" });
    expect(lower.claimed.x1).toBe(lower.refX);
    expect(lower.whisker!.x1).toBeLessThan(lower.refX);
    expect(lower.dotX).toBeGreaterThan(lower.whisker!.x0);
    expect(lower.dotX).toBeLessThan(lower.whisker!.x1);
    const higher = intervalGeometry({ point: -2, lo: -3, hi: -1, ref: 0, claimed: "above", verdict: "refuted" });
    expect(higher.claimed.x0).toBe(higher.refX);
    // A rate keeps its [0, 1] axis; no interval, no whisker.
    const rate = intervalGeometry({ lo: 0.2, hi: 0.9, point: 0.5, ref: 0.5, claimed: "above", domain: [0, 1], verdict: "inconclusive" });
    expect(rate.domain).toEqual([0, 1]);
    expect(rate.refX).toBeCloseTo(150);
    expect(intervalGeometry({ ref: 0, claimed: "above", verdict: "inconclusive" }).whisker).toBeUndefined();
  });
});
