/**
 * Sample-based distances between two sets of classifier features, beside
 * FID-lite's Gaussian fit:
 *
 * - KID (Bińkowski et al., ICLR 2018): the unbiased estimator of MMD² with
 *   the cubic polynomial kernel k(x, y) = (x·y / d + 1)³, averaged over
 *   random subsets, with the subsets' standard deviation. Unbiased, so two
 *   samples of one distribution score about 0 (and may score below it),
 *   whatever the sample size — unlike FID-lite's small-sample bias.
 * - Density and coverage (Naeem et al., ICML 2020): balls around each real
 *   point reaching its k-th nearest real neighbour. Density counts, per
 *   fake, how many real balls contain it (divided by k: ≈ 1 for a fake set
 *   drawn like the real one); coverage is the share of real balls that hold
 *   at least one fake.
 * - Improved precision and recall (Kynkäänniemi et al., NeurIPS 2019):
 *   precision is the share of fakes inside the union of real k-NN balls,
 *   recall the share of reals inside the union of fake k-NN balls.
 *
 * Feature layout: {@link Features} is a row-major `Float32Array` with its row
 * length (`dim`) — what {@link Embedding} already holds — or `number[][]`
 * (one array per point, all of one length) for hand-written data.
 * Distances are Euclidean, in float64 from float32 dot products of the
 * features centred on the real set's mean (see `Centred` below).
 *
 * The functions are async because the products are read back from the
 * active backend, and on webgpu only an asynchronous read works in Node.
 */
import * as tf from "@tensorflow/tfjs-core";
import { fmix32, mulberry32 } from "@ganscope/data";
import { assertFiniteRows, type FeatureSet } from "./finite.js";

/** Points as a row-major matrix (`data.length / dim` rows of `dim` numbers), or one array per point. */
export type Features = { readonly data: Float32Array | Float64Array; readonly dim: number } | readonly (readonly number[])[];

interface Matrix {
  readonly data: Float32Array | Float64Array;
  readonly rows: number;
  readonly dim: number;
}

/** `f` as a row-major matrix, refusing ragged rows and (see {@link assertFiniteRows}) NaN or ±Inf. */
function asMatrix(f: Features, api: string, set: FeatureSet): Matrix {
  let m: Matrix;
  if (Array.isArray(f)) {
    const rows = f as readonly (readonly number[])[];
    const dim = rows[0]?.length ?? 0;
    const data = new Float64Array(rows.length * dim);
    rows.forEach((r, i) => {
      if (r.length !== dim) throw new RangeError(`${api}: ${set} row ${i} has ${r.length} numbers, row 0 has ${dim}`);
      data.set(r, i * dim);
    });
    m = { data, rows: rows.length, dim };
  } else {
    const g = f as { data: Float32Array | Float64Array; dim: number };
    if (!(Number.isInteger(g.dim) && g.dim > 0) || g.data.length % g.dim !== 0) {
      throw new RangeError(`${api}: ${set} set's ${g.data.length} numbers do not make rows of ${g.dim}`);
    }
    m = { data: g.data, rows: g.data.length / g.dim, dim: g.dim };
  }
  assertFiniteRows(m.data, m.dim, api, set);
  return m;
}

/**
 * A feature set moved so that the real set's mean `c` is its origin, and
 * rounded to the float32 the products are formed in. Distances do not
 * change under a common shift, but their rounding does: ‖x‖² + ‖y‖² − 2x·y
 * from float32 products of raw features loses about 2⁻²⁴‖x‖‖y‖, which at a
 * feature mean of 100 moved k-NN decisions (issue 26; two Gaussian sets of
 * 1000 in 16 dimensions read density 0.8836 / 0.8828 / 0.8808 at offsets
 * 0 / 100 / 1000, numpy 0.8836 at each). Centred, the norms are the sets'
 * spread, not their offset. KID's kernel needs the raw products; they are
 * rebuilt in float64 as x·y = x̃·ỹ + x̃·c + ỹ·c + c·c.
 */
interface Centred {
  /** Row-major `rows × dim`, x̃ = x − c in float32. */
  readonly values: Float32Array;
  readonly rows: number;
  readonly dim: number;
  /** ‖x̃‖² per row, in float64 from the float32 x̃ the products see (a point's distance to itself is then 0 up to the products' rounding, clamped at 0). */
  readonly norms: Float64Array;
  /** x̃·c per row, for the raw products. */
  readonly toCentre: Float64Array;
  /** c·c. */
  readonly centreSq: number;
}

function meanOf(m: Matrix): Float64Array {
  const mean = new Float64Array(m.dim);
  for (let i = 0; i < m.rows; i++) for (let t = 0; t < m.dim; t++) mean[t]! += m.data[i * m.dim + t]!;
  for (let t = 0; t < m.dim; t++) mean[t]! /= m.rows;
  return mean;
}

function centred(m: Matrix, c: Float64Array): Centred {
  const values = new Float32Array(m.rows * m.dim);
  const norms = new Float64Array(m.rows);
  const toCentre = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let sq = 0;
    let dc = 0;
    for (let t = 0; t < m.dim; t++) {
      const v = Math.fround(m.data[i * m.dim + t]! - c[t]!);
      values[i * m.dim + t] = v;
      sq += v * v;
      dc += v * c[t]!;
    }
    norms[i] = sq;
    toCentre[i] = dc;
  }
  let centreSq = 0;
  for (let t = 0; t < m.dim; t++) centreSq += c[t]! ** 2;
  return { values, rows: m.rows, dim: m.dim, norms, toCentre, centreSq };
}

/**
 * Dot products x̃·ỹ of every row of `a` with every row of `b` (`a.rows ×
 * b.rows`), both centred on one point, through tfjs's matMul on the active
 * backend: a 2000 × 128 × 2000 product is ~500M multiply-adds, seconds in
 * plain JavaScript on a busy core and milliseconds in TensorFlow. float32
 * products of centred features are exact enough: their rounding is 2⁻²⁴ of
 * the spread's scale, and KID sums millions of kernel values in float64,
 * which averages it away. Read with data(), not dataSync(): on webgpu a
 * synchronous read of a GPU tensor throws in Node; elsewhere the values are the same.
 */
async function dots(a: Centred, b: Centred): Promise<Float32Array> {
  const result = tf.tidy(() => {
    const ta = tf.tensor2d(a.values, [a.rows, a.dim]);
    const tb = a === b ? ta : tf.tensor2d(b.values, [b.rows, b.dim]);
    return tf.matMul(ta, tb, false, true);
  });
  try {
    // Kept in float32: the matrices are 4M entries, read many times; sums over them are float64.
    return (await result.data()) as Float32Array;
  } finally {
    result.dispose();
  }
}

/**
 * Squared distance of each row to its k-th nearest other row, from the
 * self-dot matrix. The point itself is excluded (as both papers do), so a
 * set with fewer than k + 1 points has no radius: throws.
 */
function kthNeighbourSq(g: Float32Array, norms: Float64Array, n: number, k: number): Float64Array {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (n <= k) throw new RangeError(`k = ${k} nearest neighbours need more than ${k} points, got ${n}`);
  const out = new Float64Array(n);
  const best = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    best.fill(Infinity);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = Math.max(0, norms[i]! + norms[j]! - 2 * g[i * n + j]!);
      if (d < best[k - 1]!) {
        // Insertion into the k smallest so far, kept sorted.
        let p = k - 1;
        while (p > 0 && best[p - 1]! > d) {
          best[p] = best[p - 1]!;
          p--;
        }
        best[p] = d;
      }
    }
    out[i] = best[k - 1]!;
  }
  return out;
}

/**
 * The polynomial kernel (x·y / d + 1)³ from the centred products `g` of `a`
 * with `b` (one centre), the raw product rebuilt in float64; kept in float32
 * entries, half the memory traffic of the subset sums.
 */
function cubicKernel(g: Float32Array, a: Centred, b: Centred): Float32Array {
  const out = new Float32Array(g.length);
  const dim = a.dim;
  for (let i = 0; i < a.rows; i++) {
    const row = a.toCentre[i]! + a.centreSq;
    for (let j = 0; j < b.rows; j++) {
      const v = (g[i * b.rows + j]! + row + b.toCentre[j]!) / dim + 1;
      out[i * b.rows + j] = v * v * v;
    }
  }
  return out;
}

export interface KidOptions {
  /** Random subsets averaged over; {@link KID_SUBSETS} (Bińkowski et al. and torch-fidelity use 100; 50 halves the cost of an evaluation and still estimates the spread). */
  readonly subsets?: number;
  /** Points drawn (without replacement) from each set per subset; 1000 as there, capped at half the smaller set. */
  readonly subsetSize?: number;
  /**
   * Seed of the subset draws: the same seed gives the same subsets. The real
   * and the fake subsets come from two different streams of it, so swapping
   * the sets changes the draws: KID(a, b) and KID(b, a) agree within their
   * subset noise, not bit for bit.
   */
  readonly seed?: number;
}

export interface KidResult {
  /** Mean over subsets of the unbiased MMD²; ≈ 0 (possibly negative) when both sets come from one distribution. */
  readonly mean: number;
  /** Standard deviation of the per-subset estimates (the spread of one subset's estimate, not the mean's standard error). */
  readonly std: number;
  readonly subsets: number;
  readonly subsetSize: number;
}

export interface DensityCoverage {
  readonly density: number;
  readonly coverage: number;
}

export interface PrecisionRecall {
  readonly precision: number;
  readonly recall: number;
}

/** k of density and coverage: Naeem et al.'s recommendation. */
export const DENSITY_K = 5;
/** k of improved precision and recall: Kynkäänniemi et al.'s choice. */
export const PRECISION_K = 3;
export const KID_SUBSETS = 50;
export const KID_SUBSET_SIZE = 1000;

/** Real features prepared once (self-distances, k-NN radii, kernel), for many comparisons against one reference. */
export interface FeatureReference {
  readonly rows: number;
  readonly dim: number;
  /** @internal the real set's mean: every set compared with this one is centred on it */
  readonly mean: Float64Array;
  /** @internal the real set, centred on its mean */
  readonly centred: Centred;
  /** @internal squared k-NN radius per k */
  readonly radii: ReadonlyMap<number, Float64Array>;
  /** @internal cubic kernel of the real set with itself */
  readonly kernel: Float32Array;
}

/** Prepares real features for {@link compareToReference}; radii are computed for each k in `ks`. */
export async function featureReference(real: Features, ks: readonly number[] = [DENSITY_K, PRECISION_K]): Promise<FeatureReference> {
  return referenceOf(asMatrix(real, "featureReference", "real"), ks);
}

async function referenceOf(matrix: Matrix, ks: readonly number[]): Promise<FeatureReference> {
  const mean = meanOf(matrix);
  const real = centred(matrix, mean);
  const g = await dots(real, real);
  const radii = new Map<number, Float64Array>();
  for (const k of new Set(ks)) radii.set(k, kthNeighbourSq(g, real.norms, real.rows, k));
  return { rows: matrix.rows, dim: matrix.dim, mean, centred: real, radii, kernel: cubicKernel(g, real, real) };
}

async function radiiOf(ref: FeatureReference, k: number): Promise<Float64Array> {
  const r = ref.radii.get(k);
  if (r) return r;
  // Not prepared for this k: recompute from the stored kernel-free quantities.
  const g = await dots(ref.centred, ref.centred);
  const out = kthNeighbourSq(g, ref.centred.norms, ref.rows, k);
  (ref.radii as Map<number, Float64Array>).set(k, out);
  return out;
}

/** Everything {@link compareToReference} measures. */
export interface FeatureComparison extends DensityCoverage, PrecisionRecall {
  readonly kid: KidResult;
}

export interface CompareOptions {
  readonly kid?: KidOptions;
  /** k of density and coverage; {@link DENSITY_K}. */
  readonly densityK?: number;
  /** k of precision and recall; {@link PRECISION_K}. */
  readonly precisionK?: number;
}

/** Fake features against a prepared real reference: KID, density, coverage, precision and recall from one pass of dot products. */
export async function compareToReference(ref: FeatureReference, fake: Features, opts: CompareOptions = {}): Promise<FeatureComparison> {
  const m = asMatrix(fake, "compareToReference", "fake");
  if (m.dim !== ref.dim) throw new RangeError(`compareToReference: fake rows have ${m.dim} numbers, real rows ${ref.dim}`);
  const f = centred(m, ref.mean);
  const ff = await dots(f, f);
  const fr = await dots(f, ref.centred);
  const densityK = opts.densityK ?? DENSITY_K;
  const precisionK = opts.precisionK ?? PRECISION_K;
  const dc = densityCoverageFrom(ref, await radiiOf(ref, densityK), fr, f.norms, f.rows, densityK);
  const pr = precisionRecallFrom(ref, await radiiOf(ref, precisionK), ff, fr, f.norms, f.rows, precisionK);
  const kid = kidFrom(ref.kernel, cubicKernel(ff, f, f), cubicKernel(fr, f, ref.centred), ref.rows, f.rows, opts.kid ?? {});
  return { ...dc, ...pr, kid };
}

function densityCoverageFrom(ref: FeatureReference, radii: Float64Array, fr: Float32Array, fNorms: Float64Array, m: number, k: number): DensityCoverage {
  const n = ref.rows;
  let inside = 0;
  const covered = new Uint8Array(n);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) {
      const d = fNorms[j]! + ref.centred.norms[i]! - 2 * fr[j * n + i]!;
      if (d <= radii[i]!) {
        inside++;
        covered[i] = 1;
      }
    }
  }
  let c = 0;
  for (let i = 0; i < n; i++) c += covered[i]!;
  return { density: inside / (k * m), coverage: c / n };
}

function precisionRecallFrom(ref: FeatureReference, realRadii: Float64Array, ff: Float32Array, fr: Float32Array, fNorms: Float64Array, m: number, k: number): PrecisionRecall {
  const n = ref.rows;
  const fakeRadii = kthNeighbourSq(ff, fNorms, m, k);
  let precise = 0;
  const recalled = new Uint8Array(n);
  for (let j = 0; j < m; j++) {
    let inReal = false;
    for (let i = 0; i < n; i++) {
      const d = fNorms[j]! + ref.centred.norms[i]! - 2 * fr[j * n + i]!;
      if (!inReal && d <= realRadii[i]!) inReal = true;
      if (d <= fakeRadii[j]!) recalled[i] = 1;
    }
    if (inReal) precise++;
  }
  let r = 0;
  for (let i = 0; i < n; i++) r += recalled[i]!;
  return { precision: precise / m, recall: r / n };
}

/** Draws `size` distinct indices of 0..n-1 (partial Fisher–Yates). */
function drawSubset(n: number, size: number, rand: () => number, scratch: Int32Array): Int32Array {
  for (let i = 0; i < n; i++) scratch[i] = i;
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const t = scratch[i]!;
    scratch[i] = scratch[j]!;
    scratch[j] = t;
  }
  return scratch.slice(0, size);
}

/**
 * The stream of one set's subset draws. The reals' and the fakes' must be
 * independent: seeded alike (they once were, by seed·1 000 003 + size), two
 * sets of one size draw the same rows, so subset i of the fakes always
 * pairs with the same rows of the reals. The cross term then over-weights
 * each fake's kernel with its own-index real, and KID of a fake set aligned
 * row by row with the reals (a noisy copy, a corruption of each image) no
 * longer averages to the full-sample statistic.
 */
function subsetStream(seed: number, set: FeatureSet): () => number {
  const low = seed >>> 0;
  const high = Math.floor(seed / 0x100000000) >>> 0;
  return mulberry32(fmix32(fmix32(fmix32(0x9e3779b9 ^ low) ^ high) ^ (set === "real" ? 1 : 2)));
}

/** Unbiased MMD² over random subsets, from the three kernel matrices (xx: n×n, yy: m×m, yx: m×n). */
function kidFrom(kxx: Float32Array, kyy: Float32Array, kyx: Float32Array, n: number, m: number, opts: KidOptions): KidResult {
  const subsets = opts.subsets ?? KID_SUBSETS;
  // At most half of the smaller set, so that subsets differ and their spread means something (a subset of all n points is the same every time).
  const size = Math.min(opts.subsetSize ?? KID_SUBSET_SIZE, Math.floor(Math.min(n, m) / 2));
  if (!(Number.isInteger(subsets) && subsets >= 1)) throw new RangeError(`KID: subsets must be a positive integer, got ${subsets}`);
  if (size < 2) throw new RangeError(`KID needs at least 4 points in each set, got ${n} and ${m}`);
  if (opts.seed !== undefined && !Number.isSafeInteger(opts.seed)) throw new RangeError(`KID: seed must be an integer, got ${opts.seed}`);
  const seed = opts.seed ?? 0;
  const randX = subsetStream(seed, "real");
  const randY = subsetStream(seed, "fake");
  const sx = new Int32Array(n);
  const sy = new Int32Array(m);
  const values: number[] = [];
  for (let s = 0; s < subsets; s++) {
    const ix = drawSubset(n, size, randX, sx);
    const iy = drawSubset(m, size, randY, sy);
    // Sorted, so each row is read in address order (the sums do not depend on order).
    ix.sort();
    iy.sort();
    let xx = 0;
    let yy = 0;
    let xy = 0;
    for (let a = 0; a < size; a++) {
      const ra = ix[a]! * n;
      const qa = iy[a]! * m;
      const pa = iy[a]! * n;
      for (let b = 0; b < size; b++) {
        xx += kxx[ra + ix[b]!]!;
        yy += kyy[qa + iy[b]!]!;
        xy += kyx[pa + ix[b]!]!;
      }
      // The unbiased estimator leaves out each point's kernel with itself.
      xx -= kxx[ra + ix[a]!]!;
      yy -= kyy[qa + iy[a]!]!;
    }
    values.push((xx + yy) / (size * (size - 1)) - (2 * xy) / (size * size));
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std, subsets, subsetSize: size };
}

/**
 * KID between two feature sets: mean and standard deviation of the unbiased
 * MMD² (cubic polynomial kernel) over random subsets.
 *
 * @example
 * const { mean, std } = await kernelInceptionDistance(real, fake, { subsets: 100, subsetSize: 1000 });
 */
export async function kernelInceptionDistance(real: Features, fake: Features, opts: KidOptions = {}): Promise<KidResult> {
  const x = asMatrix(real, "kernelInceptionDistance", "real");
  const y = asMatrix(fake, "kernelInceptionDistance", "fake");
  if (x.dim !== y.dim) throw new RangeError(`kernelInceptionDistance: real rows have ${x.dim} numbers, fake rows ${y.dim}`);
  const mean = meanOf(x);
  const cx = centred(x, mean);
  const cy = centred(y, mean);
  return kidFrom(cubicKernel(await dots(cx, cx), cx, cx), cubicKernel(await dots(cy, cy), cy, cy), cubicKernel(await dots(cy, cx), cy, cx), x.rows, y.rows, opts);
}

/**
 * Density and coverage of `fake` against `real` with k-NN balls around the real points.
 *
 * @example
 * const { density, coverage } = await densityCoverage(real, fake, { k: 5 });
 */
export async function densityCoverage(real: Features, fake: Features, opts: { readonly k?: number } = {}): Promise<DensityCoverage> {
  const k = opts.k ?? DENSITY_K;
  const ref = await referenceOf(asMatrix(real, "densityCoverage", "real"), [k]);
  const m = asMatrix(fake, "densityCoverage", "fake");
  if (m.dim !== ref.dim) throw new RangeError(`densityCoverage: real rows have ${ref.dim} numbers, fake rows ${m.dim}`);
  const f = centred(m, ref.mean);
  return densityCoverageFrom(ref, await radiiOf(ref, k), await dots(f, ref.centred), f.norms, f.rows, k);
}

/**
 * Improved precision (fakes inside the real manifold) and recall (reals inside the fake manifold), k-NN balls.
 *
 * @example
 * const { precision, recall } = await precisionRecall(real, fake, { k: 3 });
 */
export async function precisionRecall(real: Features, fake: Features, opts: { readonly k?: number } = {}): Promise<PrecisionRecall> {
  const k = opts.k ?? PRECISION_K;
  const ref = await referenceOf(asMatrix(real, "precisionRecall", "real"), [k]);
  const m = asMatrix(fake, "precisionRecall", "fake");
  if (m.dim !== ref.dim) throw new RangeError(`precisionRecall: real rows have ${ref.dim} numbers, fake rows ${m.dim}`);
  const f = centred(m, ref.mean);
  return precisionRecallFrom(ref, await radiiOf(ref, k), await dots(f, f), await dots(f, ref.centred), f.norms, f.rows, k);
}
