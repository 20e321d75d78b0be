/**
 * Which runs a view shows, by verdict and by ranges of final metrics, kept in
 * the hash's query (`?verdict=converged,not_converged&final.fid_lite=..50`)
 * like the other toggles, so a link reproduces the view. Pure: unit-tested in
 * Node (run-filter.test.ts).
 */
import { KNOWN_VERDICTS, type RunView } from "../src/site-data.js";

/** The verdict filter's word for a run the metrics lib has not judged (pending, running, failed, or evaluated never). */
export const NO_VERDICT = "none";

/** A closed range on a run's final value of `key`; an open end is absent. */
export interface MetricRange {
  key: string;
  min?: number;
  max?: number;
}

export interface RunQuery {
  /** Verdicts shown ({@link NO_VERDICT} for runs without one); empty shows every verdict. */
  verdicts: string[];
  /** Every range must hold; a run without the metric fails it (nothing to compare). */
  ranges: MetricRange[];
}

const VERDICT_PARAM = "verdict";
/** `final.<key>=<min>..<max>`: the prefix names what is compared (the final value), as the tables' columns do. */
const RANGE_PREFIX = "final.";

export function verdictOf(run: RunView): string {
  return run.verdict?.label ?? NO_VERDICT;
}

/** Verdicts in the order the page lists them: the known ones as the badges do, then any other, then runs without a verdict. */
export function verdictOrder(labels: Iterable<string>): string[] {
  const present = new Set(labels);
  const known = KNOWN_VERDICTS.filter((v) => present.has(v));
  const other = [...present].filter((v) => v !== NO_VERDICT && !KNOWN_VERDICTS.includes(v)).sort();
  return [...known, ...other, ...(present.has(NO_VERDICT) ? [NO_VERDICT] : [])];
}

export function verdictText(v: string): string {
  return v === NO_VERDICT ? "no verdict" : v.replace(/_/g, " ");
}

function bound(text: string): number | undefined {
  if (text.trim() === "") return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}

export function readRunQuery(query: URLSearchParams): RunQuery {
  const verdicts = (query.get(VERDICT_PARAM) ?? "").split(",").filter(Boolean);
  const ranges: MetricRange[] = [];
  for (const [name, value] of query) {
    if (!name.startsWith(RANGE_PREFIX) || name.length === RANGE_PREFIX.length) continue;
    const [lo = "", hi = ""] = value.split("..", 2);
    const range: MetricRange = { key: name.slice(RANGE_PREFIX.length) };
    const min = bound(lo);
    const max = bound(hi);
    if (min !== undefined) range.min = min;
    if (max !== undefined) range.max = max;
    // A range with neither end (a hand-edited link) filters nothing; dropping it keeps "N of N runs" honest.
    if (min !== undefined || max !== undefined) ranges.push(range);
  }
  return { verdicts: [...new Set(verdicts)].sort(), ranges: ranges.sort((a, b) => a.key.localeCompare(b.key)) };
}

/** The query with `q` in place of whatever filter it held; every other toggle (seeds, band) kept. */
export function writeRunQuery(query: URLSearchParams, q: RunQuery): URLSearchParams {
  const out = new URLSearchParams();
  for (const [name, value] of query) if (name !== VERDICT_PARAM && !name.startsWith(RANGE_PREFIX)) out.append(name, value);
  if (q.verdicts.length > 0) out.set(VERDICT_PARAM, [...new Set(q.verdicts)].sort().join(","));
  for (const r of [...q.ranges].sort((a, b) => a.key.localeCompare(b.key))) {
    if (r.min === undefined && r.max === undefined) continue;
    out.set(`${RANGE_PREFIX}${r.key}`, `${r.min ?? ""}..${r.max ?? ""}`);
  }
  return out;
}

/** Only the filter's part of a query: what a link to another view carries along. */
export function filterParams(query: URLSearchParams): URLSearchParams {
  return writeRunQuery(new URLSearchParams(), readRunQuery(query));
}

export function isFiltering(q: RunQuery): boolean {
  return q.verdicts.length > 0 || q.ranges.length > 0;
}

export function matchesRunQuery(run: RunView, q: RunQuery): boolean {
  if (q.verdicts.length > 0 && !q.verdicts.includes(verdictOf(run))) return false;
  return q.ranges.every((r) => {
    const v = run.final[r.key];
    if (v === undefined || !Number.isFinite(v)) return false;
    return (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max);
  });
}

export function applyRunQuery<R extends RunView>(runs: readonly R[], q: RunQuery): R[] {
  return runs.filter((r) => matchesRunQuery(r, q));
}

/**
 * A brushed stretch of an axis as a range to type into the filter: three
 * significant digits of its width, rounded outwards so every run the brush
 * held stays inside ([1.875, 58.125] → [1.8, 58.2]).
 */
export function roundedRange(lo: number, hi: number): { min: number; max: number } {
  const width = Math.abs(hi - lo);
  if (!(width > 0)) return { min: lo, max: hi };
  const step = 10 ** (Math.floor(Math.log10(width)) - 2);
  // 15 digits drop float noise (0.30000000000000004); a step more where noise landed inside the stretch.
  const clean = (v: number) => Number(v.toPrecision(15));
  let min = clean(Math.floor(lo / step) * step);
  if (min > lo) min = clean(min - step);
  let max = clean(Math.ceil(hi / step) * step);
  if (max < hi) max = clean(max + step);
  return { min, max };
}
