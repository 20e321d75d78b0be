/**
 * Largest-Triangle-Three-Buckets (Steinarsson, 2013): keeps the points that
 * shape a curve (peaks, collapses, spikes) when thinning a long series, which
 * plain striding would step over. Returns indices into the input so several
 * arrays can be thinned alike.
 *
 * Laws (see downsample.test.ts): identity when `xs.length <= threshold`;
 * otherwise exactly `threshold` strictly increasing indices, first and last
 * included.
 */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): number[] {
  const n = xs.length;
  if (ys.length !== n) throw new Error(`lttbIndices: xs and ys differ in length (${n} vs ${ys.length})`);
  if (!Number.isInteger(threshold) || threshold < 3) throw new Error(`lttbIndices: threshold must be an integer ≥ 3, got ${threshold}`);
  if (n <= threshold) return Array.from({ length: n }, (_, i) => i);

  const out = [0];
  // Buckets between the fixed first and last points.
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // Average of the next bucket: the third corner of the triangle.
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += xs[j]!;
      avgY += ys[j]!;
    }
    const span = Math.max(1, nextEnd - nextStart);
    avgX /= span;
    avgY /= span;

    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = xs[a]!;
    const ay = ys[a]!;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * (ys[j]! - ay) - (ax - xs[j]!) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out.push(best);
    a = best;
  }
  out.push(n - 1);
  return out;
}
