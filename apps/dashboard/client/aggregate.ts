/**
 * Runs over seeds: groups of runs that differ only in their seed, and each
 * group's mean with an interval, per epoch and per final value. Pure (no
 * DOM): unit-tested in Node with fast-check laws (aggregate.test.ts).
 *
 * Values are sorted before they are summed, so a group's numbers do not
 * depend on the order its seeds were listed in — not even in the last bit.
 */
import type { RunView } from "../src/site-data.js";
import { pairs } from "./chart-options.js";

/** The axis that names a run's seed (the study's budgets add it to every plan). */
export const SEED_AXIS = "seed";

/**
 * Which interval a band draws around the mean over seeds:
 * - `ci95`: the 95% confidence interval of the mean, mean ± t(0.975, n−1)·s/√n (Student's t; wide with few seeds, as it should be);
 * - `sd`: mean ± one sample standard deviation;
 * - `range`: the lowest to the highest seed.
 * One seed has no spread: every kind is its value, zero wide.
 */
export type BandKind = "ci95" | "sd" | "range";

export const BAND_KINDS: readonly BandKind[] = ["ci95", "sd", "range"];

export const BAND_LABELS: Readonly<Record<BandKind, string>> = {
  ci95: "95% CI of the mean (Student's t)",
  sd: "± 1 standard deviation",
  range: "min–max over seeds",
};

export function isBandKind(x: string | null | undefined): x is BandKind {
  return x === "ci95" || x === "sd" || x === "range";
}

/** t(0.975, df) for df = 1…30 (the usual table). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Student's t 0.975 quantile: the table up to 30 degrees of freedom, then the Cornish–Fisher expansion around z = 1.96 (off by < 0.001 there). */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) return NaN;
  if (df <= 30) return T975[Math.floor(df) - 1]!;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

export interface SeedStat {
  mean: number;
  lo: number;
  hi: number;
  /** Seeds with a value. */
  n: number;
}

/** The mean of `values` and its band; undefined for no values. */
export function summariseSeeds(values: readonly number[], kind: BandKind): SeedStat | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  const n = finite.length;
  if (n === 0) return undefined;
  const sorted = [...finite].sort((a, b) => a - b);
  if (n === 1) return { mean: sorted[0]!, lo: sorted[0]!, hi: sorted[0]!, n };
  const mean = sorted.reduce((s, v) => s + v, 0) / n;
  if (kind === "range") return { mean, lo: sorted[0]!, hi: sorted[n - 1]!, n };
  const sd = Math.sqrt(sorted.map((v) => (v - mean) ** 2).sort((a, b) => a - b).reduce((s, v) => s + v, 0) / (n - 1));
  const half = kind === "sd" ? sd : (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { mean, lo: mean - half, hi: mean + half, n };
}

/** A run's varied values less its seed, as a stable key: runs with equal keys differ only in seed. */
export function seedGroupKey(run: Pick<RunView, "varied">): string {
  return JSON.stringify(
    Object.keys(run.varied)
      .filter((k) => k !== SEED_AXIS)
      .sort()
      .map((k) => [k, run.varied[k] ?? null]),
  );
}

export interface RunGroup {
  key: string;
  /** The shared varied values (no seed). */
  varied: RunView["varied"];
  runs: RunView[];
  /** The seeds of its runs, ascending (null where a run names none). */
  seeds: (string | number | boolean | null)[];
}

/** Runs that differ only in seed, collapsed: groups in the order their first run appears. */
export function groupBySeeds(runs: readonly RunView[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const r of runs) {
    const key = seedGroupKey(r);
    let g = groups.get(key);
    if (!g) {
      const { [SEED_AXIS]: _seed, ...varied } = r.varied;
      g = { key, varied, runs: [], seeds: [] };
      groups.set(key, g);
    }
    g.runs.push(r);
  }
  for (const g of groups.values()) {
    g.seeds = g.runs.map((r) => r.varied[SEED_AXIS] ?? null).sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b))));
  }
  return [...groups.values()];
}

export interface BandPoint extends SeedStat {
  epoch: number;
}

/**
 * A record key over epochs, over a group's runs: per epoch the mean of the
 * runs that recorded it and its band, with n (a run stopped early, or not yet
 * there, leaves the later epochs to the others; n says so).
 */
export function bandOverSeeds(runs: readonly RunView[], key: string, kind: BandKind): BandPoint[] {
  const byEpoch = new Map<number, number[]>();
  for (const r of runs) {
    for (const [x, y] of pairs(r, key)) {
      let list = byEpoch.get(x);
      if (!list) byEpoch.set(x, (list = []));
      list.push(y);
    }
  }
  return [...byEpoch.entries()]
    .sort((a, b) => a[0] - b[0])
    .flatMap(([epoch, values]) => {
      const s = summariseSeeds(values, kind);
      return s ? [{ epoch, ...s }] : [];
    });
}

/** A group's final (or best) value of a key, over its runs. */
export function groupValue(group: Pick<RunGroup, "runs">, kind: BandKind, value: (r: RunView) => number | undefined): SeedStat | undefined {
  return summariseSeeds(group.runs.map(value).filter((v): v is number => v !== undefined), kind);
}

function meanOf(runs: readonly RunView[], pick: (r: RunView) => Record<string, number>): Record<string, number> {
  const keys = new Set(runs.flatMap((r) => Object.keys(pick(r))));
  const out: Record<string, number> = {};
  for (const k of keys) {
    const s = summariseSeeds(runs.map((r) => pick(r)[k]).filter((v): v is number => v !== undefined), "range");
    if (s) out[k] = s.mean;
  }
  return out;
}

/**
 * A group as one run for the charts that take runs (colours, the digit
 * histogram): its shared varied values, its key as id, and the mean over its
 * seeds of every final and best value.
 */
export function groupedRun(group: RunGroup): RunView {
  const first = group.runs[0]!;
  return { ...first, runId: group.key, varied: group.varied, final: meanOf(group.runs, (r) => r.final), best: meanOf(group.runs, (r) => r.best) };
}
