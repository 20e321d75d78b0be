/**
 * The distributions the decisions need, from @stdlib (its t, binomial and
 * hypergeometric CDFs and quantiles, each its own small package), wrapped
 * once so the rest of the library states the tail it means. Checked against
 * scipy's values in distributions.test.ts.
 */
import binomialCdf from "@stdlib/stats-base-dists-binomial-cdf";
import binomialQuantile from "@stdlib/stats-base-dists-binomial-quantile";
import hypergeometricCdf from "@stdlib/stats-base-dists-hypergeometric-cdf";
import tCdf from "@stdlib/stats-base-dists-t-cdf";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  return tCdf(t, df);
}

/** P(T ≥ t), computed on the lower tail so that small upper tails keep their digits. */
export function studentTUpper(t: number, df: number): number {
  return tCdf(-t, df);
}

/** The p-quantile of Student's t with `df` degrees of freedom. */
export function studentTQuantile(p: number, df: number): number {
  return tQuantile(p, df);
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialLower(k: number, n: number, p: number): number {
  return k < 0 ? 0 : binomialCdf(k, n, p);
}

/** P(X ≥ k) for X ~ Binomial(n, p), as the lower tail of the failures (n − X ~ Binomial(n, 1 − p)), so a small tail keeps its digits. */
export function binomialUpper(k: number, n: number, p: number): number {
  return k <= 0 ? 1 : k > n ? 0 : binomialCdf(n - k, n, 1 - p);
}

/** The smallest k with P(X ≤ k) ≥ q for X ~ Binomial(n, p). */
export function binomialQuantileOf(q: number, n: number, p: number): number {
  return binomialQuantile(q, n, p);
}

/** P(X ≤ k) for X the successes among `draws` drawn without replacement from `population` holding `successes`. */
export function hypergeometricLower(k: number, population: number, successes: number, draws: number): number {
  return k < 0 ? 0 : hypergeometricCdf(k, population, successes, draws);
}

/** P(X ≥ k), likewise, as the lower tail of the failures drawn (draws − X), so a small tail keeps its digits. */
export function hypergeometricUpper(k: number, population: number, successes: number, draws: number): number {
  return k <= 0 ? 1 : k > Math.min(draws, successes) ? 0 : hypergeometricCdf(draws - k, population, population - successes, draws);
}
