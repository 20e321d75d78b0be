/**
 * The tests that decide claims, each giving the two one-sided p-values of
 * its statistic, so a claim is read as two one-sided decisions (the claimed
 * direction and its reverse), and Holm's step-down adjustment across the
 * tests of one finding. Distributions come from @stdlib (distributions.ts).
 *
 * - Welch's t on a difference of means (Welch 1947), stratified by config
 *   for arms that pool several (Welch–Satterthwaite degrees of freedom).
 *   Colas, Sigaud & Oudeyer (2018, 2019) measured it holding its error rate
 *   at few seeds where the percentile bootstrap does not.
 * - Fisher's exact test on a 2×2 table of runs (a verdict's share in two arms).
 * - The exact binomial test of a share against a bound.
 * - Holm (1979), "A simple sequentially rejective multiple test procedure".
 */
import { studentTCdf, studentTQuantile, studentTUpper, binomialLower, binomialUpper, hypergeometricLower, hypergeometricUpper } from "./distributions.js";
import { requireFinite, requireFiniteValue, type Observation } from "./statistics.js";

/** The two one-sided p-values of a test: P(a statistic this large | no effect) in each direction. */
export interface OneSidedPValues {
  /** Evidence that a's value is higher than b's (or the share above the bound). */
  readonly pHigher: number;
  /** Evidence that it is lower. */
  readonly pLower: number;
}

/** Per config (stratum): runs, mean and sample variance. */
export interface StratumMoments {
  readonly stratum: string;
  readonly n: number;
  readonly mean: number;
  /** Sample variance (n − 1); exactly 0 when every value is the same. */
  readonly variance: number;
}

/** The configs of one arm with their moments, in first-seen order. */
export function strataMoments(api: string, obs: readonly Observation[]): StratumMoments[] {
  requireFinite(api, "values", obs.map((o) => o.value));
  const groups = new Map<string, number[]>();
  for (const o of obs) {
    const g = groups.get(o.stratum) ?? [];
    g.push(o.value);
    groups.set(o.stratum, g);
  }
  return [...groups.entries()].map(([stratum, values]) => {
    const n = values.length;
    const m = values.reduce((s, v) => s + v, 0) / n;
    // Equal values have no spread: the float sum/n of equal values can differ from them in the last bit, and that must not read as a variance.
    const same = values.every((v) => v === values[0]);
    const variance = same || n < 2 ? 0 : values.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1);
    return { stratum, n, mean: m, variance };
  });
}

export interface WelchTest extends OneSidedPValues {
  readonly test: "welch";
  /** Σ w_s ȳ_s (a) − Σ w_s ȳ_s (b), w_s = n_s / N within each arm: the difference of the arms' means. */
  readonly effect: number;
  readonly se: number;
  /** Welch–Satterthwaite degrees of freedom. */
  readonly df: number;
  readonly t: number;
  /** effect ± t(1 − (1 − confidence)/2, df) · se. */
  readonly lo: number;
  readonly hi: number;
}

/** No config of either arm has any spread: the runs cannot say how large a difference chance makes. */
export interface NoSpread {
  readonly test: "welch";
  readonly effect: number;
  readonly se: 0;
  readonly noSpread: true;
}

/**
 * Welch's t on the difference of two arms' means, stratified by config:
 * effect = Σ w_s ȳ_s (a) − Σ w_s ȳ_s (b) with w_s = n_s/N within its arm,
 * SE² = Σ w_s² s_s²/n_s over both arms' configs,
 * df = SE⁴ / Σ (w_s² s_s²/n_s)² / (n_s − 1). With one config per arm it is
 * Welch's two-sample t. Each config needs ≥ 2 runs (a RangeError otherwise).
 *
 * Why stratified: Welch over all runs of a pooled arm puts the configs'
 * differences into the error term (too wide), and one SD pooled over configs
 * is liberal when configs differ in spread.
 *
 * @example
 * stratifiedWelch([{ stratum: "x", value: 1 }, …], [{ stratum: "y", value: 3 }, …]).pLower
 */
export function stratifiedWelch(a: readonly Observation[], b: readonly Observation[], confidence = 0.95): WelchTest | NoSpread {
  requireFiniteValue("stratifiedWelch", "confidence", confidence);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`stratifiedWelch: confidence must be in (0, 1), got ${confidence}`);
  const sa = strataMoments("stratifiedWelch (a)", a);
  const sb = strataMoments("stratifiedWelch (b)", b);
  if (sa.length === 0 || sb.length === 0) throw new RangeError("stratifiedWelch: each arm needs at least one observation");
  for (const s of [...sa, ...sb]) if (s.n < 2) throw new RangeError(`stratifiedWelch: config ${s.stratum} has ${s.n} run(s); the test needs ≥ 2 per config`);
  const weighted = (strata: readonly StratumMoments[]) => {
    const total = strata.reduce((sum, s) => sum + s.n, 0);
    return strata.map((s) => ({ ...s, w: s.n / total }));
  };
  const wa = weighted(sa);
  const wb = weighted(sb);
  const effect = wa.reduce((s, x) => s + x.w * x.mean, 0) - wb.reduce((s, x) => s + x.w * x.mean, 0);
  const terms = [...wa, ...wb].map((x) => ({ v: (x.w * x.w * x.variance) / x.n, dfs: x.n - 1 }));
  const se2 = terms.reduce((s, x) => s + x.v, 0);
  if (se2 === 0) return { test: "welch", effect, se: 0, noSpread: true };
  // SE⁴ / Σ v²/(n − 1), written with v/SE² so that a tiny spread cannot underflow to 0/0.
  const df = 1 / terms.reduce((s, x) => s + (x.v / se2) ** 2 / x.dfs, 0);
  const se = Math.sqrt(se2);
  const t = effect / se;
  const q = studentTQuantile(1 - (1 - confidence) / 2, df);
  return { test: "welch", effect, se, df, t, lo: effect - q * se, hi: effect + q * se, pHigher: studentTUpper(t, df), pLower: studentTCdf(t, df) };
}

/** Successes among n runs. */
export interface Count {
  readonly successes: number;
  readonly n: number;
}

function requireCount(api: string, name: string, c: Count): void {
  requireFiniteValue(api, `${name}.successes`, c.successes);
  requireFiniteValue(api, `${name}.n`, c.n);
  if (!Number.isInteger(c.successes) || !Number.isInteger(c.n) || c.n < 0 || c.successes < 0 || c.successes > c.n) {
    throw new RangeError(`${api}: ${name} needs integers 0 ≤ successes ≤ n, got ${c.successes} of ${c.n}`);
  }
}

export interface FisherTest extends OneSidedPValues {
  readonly test: "fisher";
  /** rate(a) − rate(b). */
  readonly effect: number;
}

/**
 * Fisher's exact test on the 2×2 table of runs (a's and b's successes and
 * failures), conditional on the margins: under no difference a's successes
 * are hypergeometric. pHigher = P(X ≥ x_a), pLower = P(X ≤ x_a).
 *
 * @example
 * fisherExact({ successes: 5, n: 5 }, { successes: 0, n: 5 }).pHigher   // 1/252
 */
export function fisherExact(a: Count, b: Count): FisherTest {
  requireCount("fisherExact", "a", a);
  requireCount("fisherExact", "b", b);
  if (a.n === 0 || b.n === 0) throw new RangeError(`fisherExact: each arm needs at least one run, got ${a.n} and ${b.n}`);
  const population = a.n + b.n;
  const successes = a.successes + b.successes;
  return {
    test: "fisher",
    effect: a.successes / a.n - b.successes / b.n,
    pHigher: hypergeometricUpper(a.successes, population, successes, a.n),
    pLower: hypergeometricLower(a.successes, population, successes, a.n),
  };
}

export interface BinomialTest extends OneSidedPValues {
  readonly test: "binomial";
  readonly rate: number;
}

/**
 * The exact binomial test of a share against `p0`: pHigher = P(X ≥ k),
 * pLower = P(X ≤ k) for X ~ Binomial(n, p0).
 *
 * @example
 * binomialTest(6, 6, 0.5).pHigher   // 1/64
 */
export function binomialTest(successes: number, n: number, p0: number): BinomialTest {
  requireCount("binomialTest", "count", { successes, n });
  requireFiniteValue("binomialTest", "p0", p0);
  if (n === 0) throw new RangeError("binomialTest: needs at least one run");
  if (!(p0 >= 0 && p0 <= 1)) throw new RangeError(`binomialTest: p0 must be in [0, 1], got ${p0}`);
  return { test: "binomial", rate: successes / n, pHigher: binomialUpper(successes, n, p0), pLower: binomialLower(successes, n, p0) };
}

/**
 * The two-sided p of two one-sided decisions: 2 · min(pHigher, pLower),
 * at most 1. Rejecting it at α is deciding the direction with the smaller
 * one-sided p at α/2.
 */
export function twoSided(p: OneSidedPValues): number {
  requireFiniteValue("twoSided", "pHigher", p.pHigher);
  requireFiniteValue("twoSided", "pLower", p.pLower);
  return Math.min(1, 2 * Math.min(p.pHigher, p.pLower));
}

/**
 * Holm's step-down adjusted p-values (Holm 1979): sorted ascending,
 * p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j)), returned in the input
 * order. Rejecting every p̃ < α keeps the family-wise error ≤ α for any
 * dependence between the tests.
 *
 * @example
 * holmAdjust([0.01, 0.04, 0.03])   // [0.03, 0.06, 0.06]
 */
export function holmAdjust(ps: readonly number[]): number[] {
  requireFinite("holmAdjust", "ps", ps);
  for (const p of ps) if (p < 0 || p > 1) throw new RangeError(`holmAdjust: p-values must be in [0, 1], got ${p}`);
  const m = ps.length;
  const order = ps.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p || x.i - y.i);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, j) => {
    running = Math.max(running, Math.min(1, (m - j) * p));
    out[i] = running;
  });
  return out;
}

export interface MinimumDetectable {
  /** In pooled within-config SDs (Cohen's d). */
  readonly d: number;
  /** In the metric's units: d × the pooled SD. */
  readonly value: number;
  readonly pooledSd: number;
  /** Two-sided level it was computed at (0.05 / the tests in the finding: Holm's first step). */
  readonly alpha: number;
  readonly power: number;
}

/**
 * The smallest true difference of means that the stratified Welch test
 * would decide with probability `power` at level `alpha` (two-sided), for
 * these arms' configs and runs and their pooled within-config SD:
 * (t(1 − α/2, ν) + t(power, ν)) · σ · √(Σ w_s²/n_s), with ν = N − configs
 * (the pooled SD's degrees of freedom). The usual normal-approximation
 * planning formula with t quantiles; undefined without spread.
 */
export function minimumDetectableEffect(a: readonly Observation[], b: readonly Observation[], alpha = 0.05, power = 0.8): MinimumDetectable | undefined {
  requireFiniteValue("minimumDetectableEffect", "alpha", alpha);
  requireFiniteValue("minimumDetectableEffect", "power", power);
  if (!(alpha > 0 && alpha < 1 && power > 0 && power < 1)) throw new RangeError(`minimumDetectableEffect: alpha and power must be in (0, 1), got ${alpha} and ${power}`);
  const sa = strataMoments("minimumDetectableEffect (a)", a);
  const sb = strataMoments("minimumDetectableEffect (b)", b);
  const all = [...sa, ...sb].filter((s) => s.n >= 2);
  const dfs = all.reduce((s, x) => s + x.n - 1, 0);
  if (sa.length === 0 || sb.length === 0 || dfs === 0) return undefined;
  const pooledSd = Math.sqrt(all.reduce((s, x) => s + (x.n - 1) * x.variance, 0) / dfs);
  if (!(pooledSd > 0)) return undefined;
  const design = (strata: readonly StratumMoments[]) => {
    const total = strata.reduce((s, x) => s + x.n, 0);
    return strata.reduce((s, x) => s + (x.n / total) ** 2 / x.n, 0);
  };
  const unit = Math.sqrt(design(sa) + design(sb));
  const d = (studentTQuantile(1 - alpha / 2, dfs) + studentTQuantile(power, dfs)) * unit;
  return { d, value: d * pooledSd, pooledSd, alpha, power };
}

/**
 * The exact binomial test's reach at n runs: the smallest one-sided p each
 * direction can give (all successes, or none), so a rate claim knows before
 * testing whether its runs could ever decide it.
 */
export function binomialReach(n: number, p0: number): OneSidedPValues {
  requireCount("binomialReach", "runs", { successes: 0, n });
  requireFiniteValue("binomialReach", "p0", p0);
  return { pHigher: binomialUpper(n, n, p0), pLower: binomialLower(0, n, p0) };
}

/**
 * The true share at which the exact binomial test decides a claim "above
 * p0" (or "below") with probability `power` at one-sided level `alpha`,
 * for n runs; undefined when no share reaches it.
 */
export function detectableRate(n: number, p0: number, above: boolean, alpha: number, power = 0.8): number | undefined {
  requireCount("detectableRate", "runs", { successes: 0, n });
  for (const [name, v] of [["p0", p0], ["alpha", alpha], ["power", power]] as const) requireFiniteValue("detectableRate", name, v);
  if (n === 0) return undefined;
  // The fewest successes (or most, below) at which the one-sided p drops under alpha.
  let k: number | undefined;
  if (above) {
    for (let x = 0; x <= n; x++) if (binomialUpper(x, n, p0) < alpha) { k = x; break; }
  } else {
    for (let x = n; x >= 0; x--) if (binomialLower(x, n, p0) < alpha) { k = x; break; }
  }
  if (k === undefined) return undefined;
  const reaches = (p: number) => (above ? binomialUpper(k!, n, p) : binomialLower(k!, n, p)) >= power;
  // Bisection: the decision probability is monotone in the true share.
  let lo = above ? p0 : 0;
  let hi = above ? 1 : p0;
  if (!reaches(above ? hi : lo)) return undefined;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (reaches(mid) === above) hi = mid;
    else lo = mid;
  }
  return above ? hi : lo;
}
