/** How numbers, durations, metric names and runs read on the page. Pure: unit-tested in Node. */
import { metricLabel } from "../src/site-data.js";
import type { RunView } from "../src/site-data.js";

export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1000) return v.toFixed(0);
  if (a >= 0.001) return String(Number(v.toPrecision(4)));
  if (a >= 1e-6) return String(Number(v.toPrecision(3)));
  return v.toExponential(2);
}

export function fmtSecs(s: number | null): string {
  if (s === null) return "—";
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.round((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function label(key: string): string {
  return metricLabel(key);
}

/** A varied value as the experiment file wrote it (0.0002, not 2.00e-4: it names the run). */
export function valueText(v: unknown): string {
  return v === null || v === undefined ? "—" : String(v);
}

export function runLabel(run: RunView, axes: readonly string[]): string {
  if (axes.length === 0) return run.runId;
  const own = axes.filter((a) => a in run.varied);
  if (own.length === 0) return run.runId;
  return own.map((a) => `${a}=${valueText(run.varied[a])}`).join(" · ");
}
