/**
 * Curves over seeds: per group (or arm) its mean line and a shaded band
 * (aggregate.ts says which interval). Pure like chart-options.ts, and
 * unit-tested in Node (band-options.test.ts).
 */
import type { CustomSeriesOption, EChartsOption, LineSeriesOption } from "echarts";
import type { BandPoint } from "./aggregate.js";
import { CURVE_GRID, emptyGraphic, epochAxis } from "./chart-options.js";
import { fmt } from "./format.js";

export interface BandCurve {
  name: string;
  color: string;
  dash: string | number[];
  points: readonly BandPoint[];
}

/** What the axis tooltip receives for a mean line: its data row [epoch, mean, lo, hi, n]. */
export interface BandTooltipItem {
  marker?: string;
  seriesName?: string;
  seriesType?: string;
  value?: unknown;
}

/** "epoch 3", then per curve "name: mean [lo, hi] · n = 3"; the band's own items are skipped (the line says it all). */
export function bandTooltip(items: BandTooltipItem | BandTooltipItem[], intervalName: string): string {
  const list = (Array.isArray(items) ? items : [items]).filter((p) => p.seriesType !== "custom" && Array.isArray(p.value));
  const first = list[0]?.value as number[] | undefined;
  const head = first ? `epoch ${Math.round(Number(first[0]))} · mean, ${intervalName}` : "";
  const rows = list.map((p) => {
    const [, mean, lo, hi, n] = p.value as number[];
    return `${p.marker ?? ""}${p.seriesName ?? ""}: <b>${fmt(mean)}</b> [${fmt(lo)}, ${fmt(hi)}] · n = ${n}`;
  });
  return [head, ...rows].filter(Boolean).join("<br>");
}

interface RenderApi {
  coord: (value: number[]) => number[];
}

/** The band of one curve as quads between consecutive epochs: a zoomed or filtered axis keeps drawing what is left. */
function bandSeries(curve: BandCurve): CustomSeriesOption {
  const pts = curve.points;
  const renderItem = (params: { dataIndex: number }, api: RenderApi) => {
    const p = pts[params.dataIndex];
    if (p && pts.length === 1) {
      // One epoch has no area to shade: its band is an error bar.
      const [x, y0] = api.coord([p.epoch, p.lo]) as [number, number];
      const [, y1] = api.coord([p.epoch, p.hi]) as [number, number];
      const style = { stroke: curve.color, lineWidth: 1.5 };
      return {
        type: "group",
        silent: true,
        children: [
          { type: "line", shape: { x1: x, y1: y0, x2: x, y2: y1 }, style },
          { type: "line", shape: { x1: x - 5, y1: y0, x2: x + 5, y2: y0 }, style },
          { type: "line", shape: { x1: x - 5, y1: y1, x2: x + 5, y2: y1 }, style },
        ],
      };
    }
    const q = pts[params.dataIndex + 1];
    if (!p || !q) return null;
    return {
      type: "polygon",
      shape: { points: [api.coord([p.epoch, p.lo]), api.coord([q.epoch, q.lo]), api.coord([q.epoch, q.hi]), api.coord([p.epoch, p.hi])] },
      style: { fill: curve.color, opacity: 0.16 },
      silent: true,
    };
  };
  return {
    type: "custom",
    name: curve.name,
    data: pts.map((p) => [p.epoch, p.lo, p.hi]),
    // Both ends of the band count for the y-axis' extent.
    encode: { x: 0, y: [1, 2] },
    renderItem: renderItem as unknown as CustomSeriesOption["renderItem"],
    clip: true,
    z: 1,
    tooltip: { show: false },
  };
}

function meanSeries(curve: BandCurve): LineSeriesOption {
  return {
    type: "line",
    name: curve.name,
    data: curve.points.map((p) => [p.epoch, p.mean, p.lo, p.hi, p.n]),
    encode: { x: 0, y: 1 },
    showSymbol: curve.points.length < 12,
    symbolSize: 5,
    lineStyle: { color: curve.color, type: curve.dash as "solid", width: 2 },
    itemStyle: { color: curve.color },
    emphasis: { focus: "series" },
    z: 2,
  };
}

function dodge(c: BandCurve, dx: number): BandCurve {
  return { ...c, points: c.points.map((p) => ({ ...p, epoch: p.epoch + dx })) };
}

/** Mean ± band per curve over epochs; the legend toggles a curve's line and band together (they share its name). */
export function bandOption(curves: readonly BandCurve[], intervalName: string): EChartsOption {
  const drawn = curves.filter((c) => c.points.length > 0);
  const epochs = drawn.flatMap((c) => c.points.map((p) => p.epoch));
  // Whole epochs from the first recorded; a single recorded epoch gets room on both sides (its error bar is not drawn on the axis).
  const first = Math.floor(Math.min(...epochs));
  const last = Math.ceil(Math.max(...epochs));
  const single = epochs.length > 0 && first === last;
  const min = epochs.length ? Math.max(single ? 0 : 1, first - (single ? 1 : 0)) : 1;
  const max = epochs.length ? Math.max(last + (single ? 1 : 0), min + 1) : 2;
  return {
    animation: false,
    color: drawn.map((c) => c.color),
    tooltip: { trigger: "axis", confine: true, formatter: (p: unknown) => bandTooltip(p as BandTooltipItem[], intervalName) },
    legend: { type: "scroll", top: 0, textStyle: { fontSize: 11 }, data: drawn.map((c) => c.name) },
    grid: CURVE_GRID,
    xAxis: epochAxis({ min, max }),
    yAxis: { type: "value", scale: true },
    dataZoom: [{ type: "inside", filterMode: "none" }],
    // A single epoch draws error bars; side by side, not on top of each other.
    series: (single ? drawn.map((c, i) => dodge(c, (i - (drawn.length - 1) / 2) * Math.min(0.12, 0.6 / drawn.length))) : drawn).flatMap((c) => [bandSeries(c), meanSeries(c)]),
    ...(drawn.length === 0 ? { graphic: emptyGraphic("no epochs recorded yet") } : {}),
  };
}
