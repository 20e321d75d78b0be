/**
 * The ECharts options of every chart, built from the site's data alone: pure
 * functions (no DOM, no echarts at run time), so they are unit-tested in Node
 * (chart-options.test.ts) and the browser test only checks what a person sees.
 */
import type { EChartsOption } from "echarts";
import { CLASS_COUNT, TRAINING_KEYS, classShareKey, directionOf, type ExperimentView, type RunView } from "../src/site-data.js";
import { sortedDistinct, type RunStyle } from "./colours.js";
import { fmt, label, runLabel, valueText } from "./format.js";

const TRAINING: readonly string[] = TRAINING_KEYS;

export function pairs(run: RunView, key: string): [number, number][] {
  const s = run.series[key];
  if (!s) return [];
  const xs = s.x ?? run.epochs_x;
  const out: [number, number][] = [];
  s.y.forEach((y, i) => {
    const x = xs[i];
    if (y !== null && x !== undefined) out.push([x, y]);
  });
  return out;
}

/** Room for the legend above and the epoch axis's name below: the per-run curves and the bands over seeds lay out alike. */
export const CURVE_GRID = { left: 56, right: 18, top: 34, bottom: 40 };

/** The epoch axis of a curve chart: whole epochs on the ticks and in the pointer's label; `range` its min (and max). */
export function epochAxis(range: { min?: number; max?: number }): EChartsOption["xAxis"] {
  return {
    type: "value",
    name: "epoch",
    nameLocation: "middle",
    nameGap: 24,
    minInterval: 1,
    ...range,
    axisLabel: { formatter: (v: number) => (Number.isInteger(v) ? String(v) : "") },
    axisPointer: { label: { formatter: (p: { value: unknown }) => String(Math.round(Number(p.value))) } },
  };
}

export function emptyGraphic(text: string): EChartsOption["graphic"] {
  return { type: "text", left: "center", top: "middle", style: { text, fill: "#66717c", fontSize: 13 } };
}

/** What the axis tooltip receives for each series under the pointer. */
export interface AxisTooltipItem {
  marker?: string;
  seriesName?: string;
  value?: unknown;
}

/**
 * The curves' tooltip: the epoch as the integer it is ("epoch 2", where
 * ECharts' own header printed the pointer's axis value "2.00"), then each
 * run's value.
 */
export function curveTooltip(items: AxisTooltipItem | AxisTooltipItem[]): string {
  const list = Array.isArray(items) ? items : [items];
  const first = list[0]?.value;
  const epoch = Array.isArray(first) ? Number(first[0]) : NaN;
  const head = Number.isFinite(epoch) ? `epoch ${Math.round(epoch)}` : "";
  const rows = list.map((p) => `${p.marker ?? ""}${p.seriesName ?? ""}: <b>${fmt(Array.isArray(p.value) ? Number(p.value[1]) : Number(p.value))}</b>`);
  return [head, ...rows].filter(Boolean).join("<br>");
}

/** Epoch axis bounds: whole epochs, from the first recorded (≥ 1), never a half epoch. */
export function epochBounds(runs: readonly RunView[], key: string): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const r of runs) for (const [x] of pairs(r, key)) {
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  if (!Number.isFinite(min)) return undefined;
  return { min: Math.max(1, Math.floor(min)), max: Math.max(Math.ceil(max), Math.floor(min) + 1) };
}

export function curveOption(runs: readonly RunView[], key: string, axes: readonly string[], styles: Map<string, RunStyle>): EChartsOption {
  const series = runs
    .map((r) => ({ r, data: pairs(r, key) }))
    .filter(({ data }) => data.length > 0)
    .map(({ r, data }) => {
      const st = styles.get(r.runId)!;
      return {
        type: "line" as const,
        name: runLabel(r, axes),
        data,
        // Few points: show them, or a one-epoch run draws nothing.
        showSymbol: data.length < 12,
        symbolSize: 5,
        sampling: "lttb" as const,
        lineStyle: { color: st.color, type: st.dash as "solid", width: 1.8 },
        itemStyle: { color: st.color },
        emphasis: { focus: "series" as const },
      };
    });
  const bounds = epochBounds(runs, key);
  return {
    animation: false,
    color: runs.map((r) => styles.get(r.runId)!.color),
    tooltip: { trigger: "axis", confine: true, formatter: (p: unknown) => curveTooltip(p as AxisTooltipItem[]) },
    legend: { type: "scroll", top: 0, textStyle: { fontSize: 11 } },
    grid: CURVE_GRID,
    xAxis: epochAxis(bounds ?? { min: 1 }),
    // The chart's title names the metric; a y-axis name would sit under the legend.
    yAxis: { type: "value", scale: true },
    dataZoom: [{ type: "inside" }],
    series,
    ...(series.length === 0 ? { graphic: emptyGraphic("no epochs recorded yet") } : {}),
  };
}

/** Metrics that make sense across runs for the hyperparameter plots: final values, and best for evaluated ones. */
export function summaryMetricChoices(exp: ExperimentView): { value: string; text: string }[] {
  const out: { value: string; text: string }[] = [];
  for (const k of exp.metricKeys) {
    if (!exp.runs.some((r) => r.final[k] !== undefined)) continue;
    out.push({ value: `final:${k}`, text: `final ${label(k)}` });
    if (!TRAINING.includes(k) && exp.runs.some((r) => r.best[k] !== undefined)) out.push({ value: `best:${k}`, text: `best ${label(k)}` });
  }
  return out;
}

export function metricValue(r: RunView, choice: string): number | undefined {
  const [kind, key] = choice.split(":") as ["final" | "best", string];
  return r[kind][key];
}

export function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * How a hyperparameter's values lie on an axis: numbers spaced by value, on a
 * log scale when all are positive and span a decade or more (learning rates
 * 1e-5 … 1e-3), not as evenly spaced categories; anything else (a run
 * without the value included) as categories.
 */
export function axisScale(values: readonly unknown[]): "log" | "value" | "category" {
  if (values.length === 0 || !values.every((x) => typeof x === "number" && Number.isFinite(x))) return "category";
  const xs = values as number[];
  return xs.every((x) => x > 0) && Math.max(...xs) / Math.min(...xs) >= 10 ? "log" : "value";
}

export function hyperOption(exp: ExperimentView, choice: string, xAxis: string, yAxis: string | undefined): EChartsOption {
  const key = choice.split(":")[1] ?? "";
  // The record schema says which way is better; losses and D outputs have no better way.
  const direction = directionOf(key);
  const better = direction === "neither" ? "" : `${direction} is better`;
  const name = `${choice.replace(":", " ").replace(key, label(key))}`;
  const xs = sortedDistinct(exp.runs.map((r) => r.varied[xAxis]));
  if (!yAxis) {
    // One axis: the metric as a line over the varied value; the mean where other axes vary too.
    const means = xs.map((x) => mean(exp.runs.filter((r) => r.varied[xAxis] === x).map((r) => metricValue(r, choice)).filter((v): v is number => v !== undefined)));
    const scale = axisScale(xs);
    const numeric = scale !== "category";
    const log = scale === "log";
    const at = (x: unknown): string | number => (numeric ? (x as number) : String(x ?? "—"));
    const data = numeric ? xs.map((x, i) => [x as number, means[i]!]) : means;
    const points = exp.runs
      .map((r) => [at(r.varied[xAxis]), metricValue(r, choice)] as const)
      .filter((p): p is readonly [string | number, number] => p[1] !== undefined)
      .map((p) => [p[0], p[1]]);
    const any = means.some((v) => v !== null);
    return {
      animation: false,
      tooltip: { trigger: "item", valueFormatter: (v) => fmt(Number(v)) },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 34, bottom: 44 },
      xAxis: numeric
        ? { type: log ? "log" : "value", name: log ? `${xAxis} (log scale)` : xAxis, nameLocation: "middle", nameGap: 26, scale: true, axisLabel: { formatter: (v: number) => valueText(v) } }
        : { type: "category", data: xs.map((x) => valueText(x)), name: xAxis, nameLocation: "middle", nameGap: 26 },
      yAxis: { type: "value", name: better ? `${name} (${better})` : name, scale: true },
      series: [
        { type: "line", name: `mean ${name}`, data, connectNulls: true, symbolSize: 8, lineStyle: { width: 2 } },
        { type: "scatter", name: "runs", data: points, symbolSize: 6, itemStyle: { opacity: 0.55 } },
      ],
      ...(any ? {} : { graphic: emptyGraphic("no run has this metric yet") }),
    };
  }
  // Two axes: a heatmap of the mean over any remaining axes; a missing cell is a run not done yet.
  const ys = sortedDistinct(exp.runs.map((r) => r.varied[yAxis]));
  const cells: [number, number, number][] = [];
  xs.forEach((x, i) =>
    ys.forEach((y, j) => {
      const m = mean(
        exp.runs
          .filter((r) => r.varied[xAxis] === x && r.varied[yAxis] === y)
          .map((r) => metricValue(r, choice))
          .filter((v): v is number => v !== undefined),
      );
      if (m !== null) cells.push([i, j, Number(m.toPrecision(4))]);
    }),
  );
  const values = cells.map((c) => c[2]);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  // Good = green end, whichever direction is good for this metric.
  const scale = ["#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027"];
  return {
    animation: false,
    tooltip: { position: "top", formatter: (p) => {
      const d = (p as unknown as { data: [number, number, number] }).data;
      return `${xAxis}=${valueText(xs[d[0]])}, ${yAxis}=${valueText(ys[d[1]])}<br>${name}: <b>${fmt(d[2])}</b>`;
    } },
    grid: { left: 70, right: 150, top: 20, bottom: 50 },
    xAxis: { type: "category", data: xs.map((x) => valueText(x)), name: xAxis, nameLocation: "middle", nameGap: 26, splitArea: { show: true } },
    yAxis: { type: "category", data: ys.map((y) => valueText(y)), name: yAxis, nameLocation: "middle", nameGap: 46, splitArea: { show: true } },
    visualMap: {
      min: Number.isFinite(lo) ? lo : 0,
      max: Number.isFinite(hi) ? (hi > lo ? hi : lo + 1) : 1,
      calculable: true,
      orient: "vertical",
      right: 10,
      top: "middle",
      formatter: (v) => fmt(Number(v)),
      text: direction === "neither" ? ["high", "low"] : [direction === "higher" ? "better" : "worse", direction === "higher" ? "worse" : "better"],
      inRange: { color: direction === "higher" ? [...scale].reverse() : scale },
    },
    series: [{ type: "heatmap", name, data: cells, label: { show: true, formatter: (p) => fmt((p as unknown as { data: [number, number, number] }).data[2]) }, emphasis: { itemStyle: { borderColor: "#000", borderWidth: 1 } } }],
    ...(cells.length === 0 ? { graphic: emptyGraphic("no run has this metric yet") } : {}),
  };
}

export function classShares(run: RunView): number[] | undefined {
  const shares = Array.from({ length: CLASS_COUNT }, (_, k) => run.final[classShareKey(k)]);
  return shares.every((v) => v === undefined) ? undefined : shares.map((v) => v ?? 0);
}

/**
 * Which digits each run generates at its last evaluation (the classifier's
 * shares): a run that "mostly generates the digit 1" is one bright cell.
 */
export function classOption(runs: readonly RunView[], axes: readonly string[]): EChartsOption {
  const rows = runs.map((r) => ({ r, shares: classShares(r) })).filter((x): x is { r: RunView; shares: number[] } => x.shares !== undefined);
  const cells: [number, number, number][] = [];
  rows.forEach(({ shares }, j) => shares.forEach((v, k) => cells.push([k, j, Number(v.toFixed(3))])));
  return {
    animation: false,
    tooltip: {
      position: "top",
      formatter: (p) => {
        const d = (p as unknown as { data: [number, number, number] }).data;
        return `${runLabel(rows[d[1]]!.r, axes)}<br>digit ${d[0]}: <b>${(d[2] * 100).toFixed(1)}%</b> of samples`;
      },
    },
    grid: { left: 8, right: 120, top: 10, bottom: 40, containLabel: true },
    xAxis: { type: "category", data: Array.from({ length: 10 }, (_, k) => String(k)), name: "digit the classifier sees", nameLocation: "middle", nameGap: 26 },
    yAxis: { type: "category", data: rows.map(({ r }) => runLabel(r, axes)), inverse: true, axisLabel: { fontSize: 11 } },
    visualMap: { min: 0, max: 1, calculable: true, orient: "vertical", right: 10, top: "middle", text: ["all samples", "none"], inRange: { color: ["#f7fbff", "#6baed6", "#08306b"] } },
    series: [{ type: "heatmap", name: "class share", data: cells, label: { show: rows.length <= 8, formatter: (p) => { const v = (p as unknown as { data: [number, number, number] }).data[2]; return v >= 0.005 ? `${Math.round(v * 100)}` : ""; } } }],
  };
}
