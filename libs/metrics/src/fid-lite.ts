/**
 * FID-lite: the Fréchet distance between Gaussians fitted to classifier
 * features of two image sets,
 *
 *   d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½).
 *
 * All arithmetic is float64. The trace term is computed through the
 * symmetric matrix Σ₁^½ Σ₂ Σ₁^½, which has the same eigenvalues as Σ₁Σ₂
 * but, being symmetric positive semi-definite, has a stable eigensolver
 * (ml-matrix's Jacobi/QL symmetric EVD) and real, non-negative eigenvalues:
 * Tr((Σ₁Σ₂)^½) = Σᵢ √λᵢ(Σ₁^½ Σ₂ Σ₁^½).
 */
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { assertFiniteRows, type FeatureSet } from "./finite.js";

/** Mean and covariance of a set of feature vectors. */
export interface GaussianStats {
  readonly dim: number;
  /** Number of vectors the statistics were estimated from. */
  readonly count: number;
  readonly mean: Float64Array;
  /** `dim × dim`, row-major, unbiased (divided by count − 1). */
  readonly cov: Float64Array;
}

/**
 * Mean and unbiased covariance of `count` vectors of length `dim`, given
 * row-major. Two passes (mean first, then centred products) so that large
 * means do not swamp the covariance in rounding. A NaN or ±Inf is refused
 * with its row; `set` names which set the features are in that message.
 *
 * @example
 * const stats = gaussianStats(embedding.features, embedding.count, embedding.featureDim, "fake");
 */
export function gaussianStats(features: ArrayLike<number>, count: number, dim: number, set?: FeatureSet): GaussianStats {
  if (!Number.isInteger(count) || !Number.isInteger(dim) || dim < 1) {
    throw new RangeError(`gaussianStats: count and dim must be integers, dim ≥ 1; got count=${count}, dim=${dim}`);
  }
  if (count < 2) throw new RangeError(`gaussianStats: need at least 2 vectors to estimate a covariance, got ${count}`);
  if (features.length !== count * dim) {
    throw new RangeError(`gaussianStats: ${count} vectors of length ${dim} need ${count * dim} numbers, got ${features.length}`);
  }
  assertFiniteRows(features, dim, "gaussianStats", set);
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mean[j]! += features[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= count;
  const cov = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) row[j] = features[i * dim + j]! - mean[j]!;
    for (let a = 0; a < dim; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      const base = a * dim;
      // Upper triangle only; mirrored below.
      for (let b = a; b < dim; b++) cov[base + b]! += ra * row[b]!;
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b]! / (count - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  return { dim, count, mean, cov };
}

function toMatrix(values: Float64Array, dim: number): Matrix {
  const m = new Matrix(dim, dim);
  for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) m.set(a, b, values[a * dim + b]!);
  return m;
}

/** Eigenvalues of a symmetric matrix, after symmetrising away rounding asymmetry. */
function symmetricEigen(m: Matrix): EigenvalueDecomposition {
  const sym = Matrix.add(m, m.transpose()).mul(0.5);
  return new EigenvalueDecomposition(sym, { assumeSymmetric: true });
}

/**
 * Principal square root of a symmetric positive semi-definite matrix.
 * Eigenvalues below zero can only be rounding (a covariance is PSD), so
 * they are set to zero before the root.
 */
function psdSqrt(m: Matrix): Matrix {
  const evd = symmetricEigen(m);
  const v = evd.eigenvectorMatrix;
  const roots = evd.realEigenvalues.map((l) => Math.sqrt(Math.max(0, l)));
  const scaled = v.clone();
  for (let r = 0; r < scaled.rows; r++) for (let c = 0; c < scaled.columns; c++) scaled.set(r, c, v.get(r, c) * roots[c]!);
  return scaled.mmul(v.transpose());
}

/** The pieces of a Fréchet distance, for evidence and tests. */
export interface FrechetParts {
  /** ‖μ₁ − μ₂‖². */
  readonly meanTerm: number;
  /** Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½). */
  readonly covTerm: number;
  /** meanTerm + covTerm. */
  readonly distance: number;
}

/**
 * Fréchet distance between two Gaussians, split into its mean and
 * covariance terms. Mathematically ≥ 0; in floating point the result can be
 * negative by rounding (≈1e-12 × the traces) when the two are equal.
 */
export function frechetParts(a: GaussianStats, b: GaussianStats): FrechetParts {
  if (a.dim !== b.dim) throw new RangeError(`frechetDistance: feature dimensions differ (${a.dim} vs ${b.dim})`);
  const dim = a.dim;
  // Statistics built by hand (or from overflowing features) reach here without gaussianStats' check; ml-matrix would throw a TypeError.
  for (const [name, s] of [["first", a], ["second", b]] as const) {
    const bad = [...s.mean, ...s.cov].findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const where = bad < dim ? `mean[${bad}]` : `cov[${Math.floor((bad - dim) / dim)}, ${(bad - dim) % dim}]`;
      throw new RangeError(`frechetDistance: the ${name} Gaussian's ${where} is ${bad < dim ? s.mean[bad] : s.cov[bad - dim]}; statistics must be finite`);
    }
  }
  let meanTerm = 0;
  for (let j = 0; j < dim; j++) meanTerm += (a.mean[j]! - b.mean[j]!) ** 2;
  let traces = 0;
  for (let j = 0; j < dim; j++) traces += a.cov[j * dim + j]! + b.cov[j * dim + j]!;
  const sa = psdSqrt(toMatrix(a.cov, dim));
  const inner = sa.mmul(toMatrix(b.cov, dim)).mmul(sa);
  const crossTrace = symmetricEigen(inner).realEigenvalues.reduce((s, l) => s + Math.sqrt(Math.max(0, l)), 0);
  const covTerm = traces - 2 * crossTrace;
  return { meanTerm, covTerm, distance: meanTerm + covTerm };
}

/** Fréchet distance between two Gaussians (see {@link frechetParts}). */
export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  return frechetParts(a, b).distance;
}

/**
 * FID-lite between real and generated feature vectors (row-major, `dim`
 * per row; the distance is symmetric, the names only label messages). Each
 * set must hold more vectors than `dim`: with fewer, the covariance is
 * rank-deficient by construction and the distance mostly measures the
 * sample size. A NaN or ±Inf is refused with its set, row and value.
 */
export function fidLite(real: ArrayLike<number>, fake: ArrayLike<number>, dim: number): number {
  const sets = [["real", real, real.length / dim], ["fake", fake, fake.length / dim]] as const;
  for (const [name, , count] of sets) {
    if (!(count > dim)) {
      throw new RangeError(`fidLite: the ${name} set has ${count} vectors of dimension ${dim}; FID-lite needs more vectors than dimensions`);
    }
  }
  for (const [name, values] of sets) assertFiniteRows(values, dim, "fidLite", name);
  return frechetDistance(gaussianStats(real, sets[0][2], dim), gaussianStats(fake, sets[1][2], dim));
}
