/**
 * Parallel coordinates over a sweep, the view W&B's and TensorBoard HParams'
 * users reach for: one line per run, through an axis per varied
 * hyperparameter (spaced as the metric-vs-hyperparameter plot spaces it:
 * numbers by value, on a log scale when they span a decade) and an axis per
 * final metric, coloured by verdict. Pure: unit-tested in Node.
 */
import type { EChartsOption } from "echarts";
import { RANKED_KEYS, directionOf, shortLabel, type RunView } from "../src/site-data.js";
import { SEED_AXIS } from "./aggregate.js";
import { axisScale } from "./chart-options.js";
import { sortedDistinct, verdictColour } from "./colours.js";
import { fmt, label, runLabel, valueText } from "./format.js";
import { verdictOf, verdictOrder, verdictText } from "./run-filter.js";

/** Drawn until the reader picks others: sample quality (FID-lite, KID), fidelity and coverage of the real digits, and the class measures. */
export const DEFAULT_PARALLEL_METRICS: readonly string[] = ["fid_lite", "kid", "density", "coverage", "modes", "kl_uniform"];

/** The final metrics any run has, in the record schema's order: the evaluated keys with a better direction. */
export function parallelMetricChoices(runs: readonly RunView[]): string[] {
  return RANKED_KEYS.filter((k) => runs.some((r) => r.final[k] !== undefined));
}

/** The hyperparameter axes: every varied one but the seed, which nobody tunes and whose axis only crosses the lines. */
export function parallelHyperAxes(axes: readonly string[]): string[] {
  return axes.filter((a) => a !== SEED_AXIS);
}

/** The runs that get a line: those with a value of some picked metric (a pending run has none); all of them when no metric is picked. */
export function parallelRuns(runs: readonly RunView[], metrics: readonly string[]): RunView[] {
  if (metrics.length === 0) return [...runs];
  return runs.filter((r) => metrics.some((k) => Number.isFinite(r.final[k] ?? NaN)));
}

/** One axis of the chart: a varied hyperparameter or a final metric. */
export interface ParallelDim {
  kind: "hyper" | "metric";
  key: string;
  scale: "log" | "value" | "category";
}

export function parallelDims(runs: readonly RunView[], hyperAxes: readonly string[], metrics: readonly string[]): ParallelDim[] {
  return [
    ...hyperAxes.map<ParallelDim>((a) => ({ kind: "hyper", key: a, scale: axisScale(runs.map((r) => r.varied[a] ?? null)) })),
    ...metrics.map<ParallelDim>((k) => ({ kind: "metric", key: k, scale: "value" })),
  ];
}

/** The axis' id in the chart, which its brushing events name: `metric:fid_lite`, `hyper:gen_lr`. */
export function dimId(d: ParallelDim): string {
  return `${d.kind}:${d.key}`;
}

function categories(runs: readonly RunView[], d: ParallelDim): string[] {
  return sortedDistinct(runs.map((r) => r.varied[d.key] ?? null)).map(valueText);
}

function swept(runs: readonly RunView[], d: ParallelDim): number[] {
  return sortedDistinct(runs.map((r) => r.varied[d.key] ?? null)) as number[];
}

/**
 * Whether a run lies in every brushed stretch (by axis id; several
 * stretches on one axis are alternatives), as the chart highlights it: a
 * value axis brushes values, a category axis category indices.
 */
export function inBrushed(run: RunView, runs: readonly RunView[], dims: readonly ParallelDim[], brushed: ReadonlyMap<string, readonly (readonly [number, number])[]>): boolean {
  return dims.every((d) => {
    const intervals = brushed.get(dimId(d));
    if (!intervals || intervals.length === 0) return true;
    const c = coordinate(run, d);
    if (c === null) return false;
    const v = d.scale === "category" ? categories(runs, d).indexOf(String(c)) : (c as number);
    return intervals.some(([lo, hi]) => v >= lo && v <= hi);
  });
}

/** A run's coordinate on a dimension: a category's text, a number, or null where it has none (ECharts skips that point). */
function coordinate(run: RunView, d: ParallelDim): string | number | null {
  if (d.kind === "metric") {
    const v = run.final[d.key];
    return v !== undefined && Number.isFinite(v) ? v : null;
  }
  const v = run.varied[d.key] ?? null;
  return d.scale === "category" ? valueText(v) : (v as number);
}

/**
 * One line each: ECharts draws a two-line axis name's lines over each other
 * (its lineHeight is not applied to axis names), so the direction is an arrow
 * the section's text explains.
 */
export function axisName(d: ParallelDim): string {
  if (d.kind === "hyper") return d.scale === "log" ? `${d.key} (log)` : d.key;
  const direction = directionOf(d.key);
  return direction === "neither" ? shortLabel(d.key) : `${shortLabel(d.key)} ${direction === "lower" ? "↓" : "↑"}`;
}

export function parallelOption(runs: readonly RunView[], hyperAxes: readonly string[], metrics: readonly string[], labelAxes: readonly string[]): EChartsOption {
  const drawn = parallelRuns(runs, metrics);
  const dims = parallelDims(drawn, hyperAxes, metrics);
  const byVerdict = new Map<string, RunView[]>();
  for (const r of drawn) byVerdict.set(verdictOf(r), [...(byVerdict.get(verdictOf(r)) ?? []), r]);
  const order = verdictOrder(byVerdict.keys());
  const tips = new Map(
    drawn.map((r) => [
      r.runId,
      [
        `<b>${runLabel(r, labelAxes)}</b> <span style="color:#66717c">${r.runId}</span>`,
        `verdict: ${verdictText(verdictOf(r))}`,
        ...metrics.map((k) => `${label(k)}: <b>${fmt(r.final[k])}</b>`),
      ].join("<br>"),
    ]),
  );
  return {
    animation: false,
    color: order.map(verdictColour),
    tooltip: {
      trigger: "item",
      confine: true,
      formatter: (p) => tips.get((p as unknown as { name?: string }).name ?? "") ?? "",
    },
    legend: { top: 0, data: order.map(verdictText), textStyle: { fontSize: 12 } },
    // Room above for the legend and the axis names; to the right for the last axis' labels.
    parallel: { left: 56, right: 90, top: 72, bottom: 28 },
    parallelAxisDefault: {
      nameLocation: "end",
      nameGap: 14,
      nameTextStyle: { fontSize: 12, color: "#39424b" },
      axisLabel: { fontSize: 10, color: "#4a5561" },
      areaSelectStyle: { width: 16 },
    },
    parallelAxis: dims.map((d, i) =>
      d.scale === "category"
        ? { id: dimId(d), dim: i, name: axisName(d), type: "category" as const, data: categories(drawn, d) }
        : d.kind === "hyper"
          ? // Ticks at the values swept, not at round numbers: a log axis labelled only at decades left 2e-4 unnamed.
            { id: dimId(d), dim: i, name: axisName(d), type: d.scale, scale: true, axisTick: { customValues: swept(drawn, d) }, axisLabel: { customValues: swept(drawn, d), formatter: (v: number) => valueText(v) } }
          : // ECharts' own tick labels: fmt's four digits printed 216.34 and 216.36 both as "216.4" on a narrow axis.
            { id: dimId(d), dim: i, name: axisName(d), type: d.scale, scale: true },
    ),
    series: order.map((v) => ({
      type: "parallel" as const,
      name: verdictText(v),
      data: byVerdict.get(v)!.map((r) => ({ name: r.runId, value: dims.map((d) => coordinate(r, d)) })),
      lineStyle: { color: verdictColour(v), width: 1.6, opacity: 0.75 },
      itemStyle: { color: verdictColour(v) },
      emphasis: { lineStyle: { width: 3, opacity: 1 } },
      // Brushing an axis dims the lines outside the range, as in HParams.
      inactiveOpacity: 0.06,
      activeOpacity: 1,
    })),
  };
}
