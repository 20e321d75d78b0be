/**
 * What a few seeds of one config span: their mean, spread and range
 * ({@link seedBand}), and the band a chart draws around the mean
 * ({@link summariseSeeds}). Descriptions, not decisions (those are
 * hypothesis-tests.ts's). The dashboard's browser bundle imports this module
 * (`@ganscope/findings/seed-summary`), so it imports nothing: the t quantile
 * is a table here, where the decisions use @stdlib's exact one.
 *
 * Values are sorted before they are summed, so a summary does not depend on
 * the order its seeds were listed in — not even in the last bit.
 */

/** The band a few seeds span. */
export interface SeedBand {
  readonly n: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1); 0 for one seed. */
  readonly sd: number;
}

/** The mean, spread and range of a non-empty list of finite numbers. */
export function seedBand(values: readonly number[]): SeedBand {
  if (values.length === 0) throw new RangeError("seedBand: no values");
  values.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`seedBand: values[${i}] must be a finite number, got ${String(v)}`);
  });
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  const mean = n === 1 ? sorted[0]! : sorted.reduce((s, v) => s + v, 0) / n;
  const sd = n > 1 ? Math.sqrt(sorted.map((v) => (v - mean) ** 2).sort((a, b) => a - b).reduce((s, v) => s + v, 0) / (n - 1)) : 0;
  return { n, min: sorted[0]!, max: sorted[n - 1]!, mean, sd };
}

/**
 * Which interval a band draws around the mean over seeds:
 * - `ci95`: the 95% confidence interval of the mean, mean ± t(0.975, n−1)·s/√n (Student's t; wide with few seeds, as it should be);
 * - `sd`: mean ± one sample standard deviation;
 * - `range`: the lowest to the highest seed.
 * One seed has no spread: every kind is its value, zero wide.
 */
export type BandKind = "ci95" | "sd" | "range";

export const BAND_KINDS: readonly BandKind[] = ["ci95", "sd", "range"];

export function isBandKind(x: string | null | undefined): x is BandKind {
  return (BAND_KINDS as readonly (string | null | undefined)[]).includes(x);
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

/** The mean of the finite `values` and its band; undefined for none. */
export function summariseSeeds(values: readonly number[], kind: BandKind): SeedStat | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return undefined;
  const { n, mean, sd, min, max } = seedBand(finite);
  if (n === 1) return { mean, lo: mean, hi: mean, n };
  if (kind === "range") return { mean, lo: min, hi: max, n };
  const half = kind === "sd" ? sd : (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { mean, lo: mean - half, hi: mean + half, n };
}
