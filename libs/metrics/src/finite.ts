/**
 * One check shared by every metric over feature vectors. A NaN or ±Inf does
 * not fail loudly on its own: in a k-NN comparison it is never "≤ a radius",
 * so its row silently drops out and density, coverage, precision and recall
 * come back plausible; KID turns into NaN ± NaN; ml-matrix's eigensolver
 * throws a TypeError from deep inside. A diverged generator is the usual
 * source, and its evaluation should say so where the numbers come in.
 */

/** Which side of a comparison a feature set is, as messages name it. */
export type FeatureSet = "real" | "fake";

/**
 * Throws a RangeError naming the API, the set (when the caller knows which
 * it is), the row, the column and the value of the first non-finite number
 * in `values` (row-major, `dim` a row).
 */
export function assertFiniteRows(values: ArrayLike<number>, dim: number, api: string, set?: FeatureSet): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      throw new RangeError(`${api}: ${set ? `${set} ` : ""}row ${Math.floor(i / dim)} holds ${v} (column ${i % dim}); metrics need finite numbers`);
    }
  }
}
