/**
 * Runs over seeds: groups of runs that differ only in their seed, and each
 * group's mean with an interval, per epoch and per final value. The numbers
 * are @ganscope/findings' (seed-summary.ts: mean and band, independent of
 * the seeds' order to the last bit); this file groups the runs. Pure (no
 * DOM): unit-tested in Node with fast-check laws (aggregate.test.ts).
 */
import { summariseSeeds, type BandKind, type SeedStat } from "@ganscope/findings/seed-summary";
import type { RunView } from "../src/site-data.js";
import { pairs } from "./chart-options.js";

/** The axis that names a run's seed (the study's budgets add it to every plan). */
export const SEED_AXIS = "seed";

/** What each band kind draws, as the page names it. */
export const BAND_LABELS: Readonly<Record<BandKind, string>> = {
  ci95: "95% CI of the mean (Student's t)",
  sd: "± 1 standard deviation",
  range: "min–max over seeds",
};

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
