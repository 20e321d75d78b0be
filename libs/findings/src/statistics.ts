/**
 * Estimators over seeds, after rliable (Agarwal et al., "Deep Reinforcement
 * Learning at the Edge of the Statistical Precipice", NeurIPS 2021): means,
 * IQM, stratified-bootstrap intervals, the probability of improvement and
 * Wilson intervals. They describe; they do not decide (the decisions are
 * the exact and Welch tests of hypothesis-tests.ts). See ../README.md.
 */
import { mean as ssMean, quantileSorted } from "simple-statistics";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

/** One run's value of the metric, tagged with its stratum (its config less the seed). */
export interface Observation {
  readonly stratum: string;
  readonly value: number;
}

/**
 * Bootstrap resamples: 2,000, fewer than rliable's 50,000 (get_interval_estimates' reps), because these
 * intervals are shown beside a decision, never used to make one (Welch, Fisher and the binomial test decide).
 */
export const BOOTSTRAP_RESAMPLES = 2000;
/** Seed of the bootstrap's PRNG, so that a report regenerated from the same runs is the same report. */
export const BOOTSTRAP_SEED = 20_211_206;

/**
 * Refuses a value that is not a finite number, naming the function, the
 * argument and the value: a NaN that slips into a mean or an interval comes
 * out as a plausible number (a PoI of 0.667, a half-finite interval).
 */
export function requireFinite(api: string, name: string, values: readonly number[]): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`${api}: ${name}[${i}] must be a finite number, got ${String(v)}`);
  }
}

/** One argument's {@link requireFinite}. */
export function requireFiniteValue(api: string, name: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new RangeError(`${api}: ${name} must be a finite number, got ${String(value)}`);
}

function requireObservations(api: string, name: string, obs: readonly Observation[]): void {
  requireFinite(api, name, obs.map((o) => o.value));
}

/** Mean of a non-empty list of finite numbers. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("mean: no values");
  requireFinite("mean", "values", values);
  return ssMean([...values]);
}

/**
 * Interquartile mean: the mean of the middle 50%, cutting ⌊n/4⌋ values from
 * each end as scipy.stats.trim_mean(x, 0.25) does (what rliable calls IQM).
 * With 2 or 3 seeds nothing is cut and it equals the mean; it is reported so
 * that larger budgets get the robust estimate for free.
 */
export function iqm(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("iqm: no values");
  requireFinite("iqm", "values", values);
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(sorted.length / 4);
  return ssMean(sorted.slice(cut, sorted.length - cut));
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median: no values");
  requireFinite("median", "values", values);
  return quantileSorted([...values].sort((a, b) => a - b), 0.5);
}

function groupByStratum(obs: readonly Observation[]): number[][] {
  const groups = new Map<string, number[]>();
  for (const o of obs) {
    const g = groups.get(o.stratum) ?? [];
    g.push(o.value);
    groups.set(o.stratum, g);
  }
  return [...groups.values()];
}

export interface EffectEstimate {
  /** mean(a) − mean(b). */
  readonly effect: number;
  /** 95% stratified percentile-bootstrap interval of the effect: for display (it under-covers at few seeds; decisions use Welch's t). */
  readonly lo: number;
  readonly hi: number;
  /** P(a run of `a` is better than a run of `b`), ties counted half, in the given direction. */
  readonly probabilityOfImprovement: number;
}

/**
 * The difference of means of two arms with a 95% stratified bootstrap
 * interval: each resample draws, within every stratum of each arm, as many
 * runs as the stratum has, with replacement (rliable's
 * StratifiedBootstrap, where its tasks are our configs). Seeded: the same
 * observations give the same interval.
 */
export function effectInterval(
  a: readonly Observation[],
  b: readonly Observation[],
  direction: "higher" | "lower",
  options: { resamples?: number; seed?: number; confidence?: number } = {},
): EffectEstimate {
  if (a.length === 0 || b.length === 0) throw new RangeError("effectInterval: each arm needs at least one observation");
  requireObservations("effectInterval", "a", a);
  requireObservations("effectInterval", "b", b);
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const alpha = 1 - (options.confidence ?? 0.95);
  const rng = xoroshiro128plus(options.seed ?? BOOTSTRAP_SEED);
  const ga = groupByStratum(a);
  const gb = groupByStratum(b);
  const resampleMean = (groups: number[][]): number => {
    let sum = 0;
    let n = 0;
    for (const g of groups) {
      for (let i = 0; i < g.length; i++) sum += g[uniformInt(rng, 0, g.length - 1)]!;
      n += g.length;
    }
    return sum / n;
  };
  const effects = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) effects[r] = resampleMean(ga) - resampleMean(gb);
  effects.sort();
  const sorted = Array.from(effects);
  const effect = mean(a.map((o) => o.value)) - mean(b.map((o) => o.value));
  return {
    effect,
    lo: quantileSorted(sorted, alpha / 2),
    hi: quantileSorted(sorted, 1 - alpha / 2),
    probabilityOfImprovement: probabilityOfImprovement(
      a.map((o) => o.value),
      b.map((o) => o.value),
      direction,
    ),
  };
}

/**
 * P(X > Y) for X from `a` and Y from `b` (or X < Y when lower is better),
 * ties counted half: the Mann–Whitney U statistic over nm, rliable's
 * "probability of improvement".
 */
export function probabilityOfImprovement(a: readonly number[], b: readonly number[], direction: "higher" | "lower"): number {
  if (a.length === 0 || b.length === 0) throw new RangeError("probabilityOfImprovement: each arm needs at least one value");
  requireFinite("probabilityOfImprovement", "a", a);
  requireFinite("probabilityOfImprovement", "b", b);
  let wins = 0;
  for (const x of a) {
    for (const y of b) {
      const better = direction === "higher" ? x > y : x < y;
      wins += better ? 1 : x === y ? 0.5 : 0;
    }
  }
  return wins / (a.length * b.length);
}

export interface RateEstimate {
  readonly successes: number;
  readonly n: number;
  readonly rate: number;
  /** 95% Wilson score interval. */
  readonly lo: number;
  readonly hi: number;
}

/**
 * A proportion with its Wilson score interval (Wilson 1927), which unlike the
 * normal approximation stays inside [0, 1] (Brown, Cai & DasGupta 2001
 * recommend it for small n). Displayed beside a rate claim; the claim is
 * decided by the exact binomial test, which the Wilson bound over-decides
 * (6.25% at n = 4 where 2.5% is meant).
 */
export function wilsonInterval(successes: number, n: number, z = 1.959963984540054): RateEstimate {
  requireFiniteValue("wilsonInterval", "successes", successes);
  requireFiniteValue("wilsonInterval", "n", n);
  requireFiniteValue("wilsonInterval", "z", z);
  if (!Number.isInteger(successes) || !Number.isInteger(n) || n < 0 || successes < 0 || successes > n) {
    throw new RangeError(`wilsonInterval: need integers 0 ≤ successes ≤ n, got ${successes} of ${n}`);
  }
  if (n === 0) return { successes, n, rate: NaN, lo: 0, hi: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { successes, n, rate: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}
