/**
 * Do one implementation's seeds fall where another's do? The band check of
 * the PyTorch cross-check (bench/crosscheck.ts): per epoch, the reference's
 * seeds span a band (min–max, and mean ± 2 sd); each candidate seed's value is
 * in it or not. With 3 reference seeds even a perfect twin of the reference
 * lands outside the min–max band half the time, so every coverage comes with
 * what an exchangeable twin would score (the "null" rates below), and a
 * verdict reads the two side by side rather than demanding 100%.
 */
import { studentTUpper } from "./distributions.js";
import { seedBand, type SeedBand } from "./seed-summary.js";

export const inMinMax = (b: SeedBand, v: number): boolean => v >= b.min && v <= b.max;
export const inTwoSd = (b: SeedBand, v: number): boolean => Math.abs(v - b.mean) <= 2 * b.sd;

/** P(|T| ≤ c) for Student's t with ν degrees of freedom (from @stdlib's t CDF, as the decisions use). */
export function studentTCentral(c: number, nu: number): number {
  if (!(nu > 0)) throw new RangeError(`studentTCentral: ν must be > 0, got ${nu}`);
  if (!Number.isFinite(c)) throw new RangeError(`studentTCentral: c must be a finite number, got ${c}`);
  if (c <= 0) return 0;
  return 1 - 2 * studentTUpper(c, nu);
}

function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/**
 * What a candidate exchangeable with the reference (same distribution, independent seeds) would score:
 * - `minMax`: P(one new draw in the min–max of n) = (n − 1)/(n + 1), for any continuous distribution;
 * - `twoSd`: P(|new − mean| ≤ 2 sd) = P(|t_{n−1}| ≤ 2/√(1 + 1/n)), for normal draws;
 * - `separated`: P(all m candidates above, or all below, all n references) = 2 / C(n + m, n).
 */
export function exchangeableRates(n: number, m: number): { minMax: number; twoSd: number; separated: number } {
  if (!(Number.isInteger(n) && n >= 2 && Number.isInteger(m) && m >= 1)) throw new RangeError(`exchangeableRates: need n ≥ 2 reference and m ≥ 1 candidate seeds, got ${n}, ${m}`);
  return { minMax: (n - 1) / (n + 1), twoSd: studentTCentral(2 / Math.sqrt(1 + 1 / n), n - 1), separated: 2 / choose(n + m, n) };
}

/** One epoch of the check: the reference's band, the candidate's values and which of them it holds. */
export interface EpochBand {
  readonly epoch: number;
  readonly reference: SeedBand;
  readonly candidate: readonly number[];
  readonly inMinMax: readonly boolean[];
  readonly inTwoSd: readonly boolean[];
  /** Every candidate above every reference value, or every one below. */
  readonly separated: boolean;
}

export type BandVerdict = "agrees" | "differs" | "partly";

export interface BandAgreement {
  readonly epochs: readonly EpochBand[];
  /** Shares of (epoch, candidate seed) cells inside each band, and of epochs where the two sets do not overlap at all. */
  readonly coverage: { readonly minMax: number; readonly twoSd: number; readonly separated: number };
  /** The same shares for a candidate exchangeable with the reference. */
  readonly expected: { readonly minMax: number; readonly twoSd: number; readonly separated: number };
  readonly verdict: BandVerdict;
}

/**
 * The rule, stated once: **agrees** when the two seed sets are separated at
 * no more than a quarter of the epochs and at least half the candidate's
 * values are inside mean ± 2 sd; **differs** when they are separated at half
 * of the epochs or more; **partly** otherwise. (Exchangeable twins: separated
 * at 10% of epochs and ~77% inside ± 2 sd, for 3 + 3 seeds.) Epochs of one run
 * are not independent draws, so these are descriptions, not tests.
 */
export function bandVerdict(coverage: BandAgreement["coverage"]): BandVerdict {
  if (coverage.separated >= 0.5) return "differs";
  if (coverage.separated <= 0.25 && coverage.twoSd >= 0.5) return "agrees";
  return "partly";
}

/**
 * Per epoch, whether each candidate seed's value lies in the band the reference's seeds span.
 * `reference[s][e]` is reference seed s at epoch e + 1 (likewise `candidate`); every series has the same length.
 */
export function bandAgreement(reference: readonly (readonly number[])[], candidate: readonly (readonly number[])[]): BandAgreement {
  const epochs = reference[0]?.length ?? 0;
  if (reference.length < 2 || candidate.length < 1) throw new RangeError(`bandAgreement: need ≥ 2 reference and ≥ 1 candidate seeds, got ${reference.length} and ${candidate.length}`);
  for (const s of [...reference, ...candidate]) if (s.length !== epochs) throw new RangeError(`bandAgreement: every seed needs ${epochs} epochs, one has ${s.length}`);
  const rows: EpochBand[] = [];
  for (let e = 0; e < epochs; e++) {
    const ref = reference.map((s) => s[e]!);
    const cand = candidate.map((s) => s[e]!);
    const band = seedBand(ref);
    const separated = cand.every((v) => v > band.max) || cand.every((v) => v < band.min);
    rows.push({ epoch: e + 1, reference: band, candidate: cand, inMinMax: cand.map((v) => inMinMax(band, v)), inTwoSd: cand.map((v) => inTwoSd(band, v)), separated });
  }
  const cells = epochs * candidate.length;
  const share = (f: (r: EpochBand) => readonly boolean[]) => (cells === 0 ? NaN : rows.reduce((s, r) => s + f(r).filter(Boolean).length, 0) / cells);
  const coverage = { minMax: share((r) => r.inMinMax), twoSd: share((r) => r.inTwoSd), separated: epochs === 0 ? NaN : rows.filter((r) => r.separated).length / epochs };
  return { epochs: rows, coverage, expected: exchangeableRates(reference.length, candidate.length), verdict: bandVerdict(coverage) };
}
