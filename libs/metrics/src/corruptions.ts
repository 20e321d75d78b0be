/**
 * Image corruptions for calibrating FID-lite: a good feature distance must
 * grow as real digits are blurred or shifted further. Images are
 * `count × rows × cols` pixels in [-1, 1] (background −1).
 */

/** Gaussian blur with standard deviation `sigma` pixels (separable; edges repeat the border pixel). */
export function blurImages(images: Float32Array, rows: number, cols: number, sigma: number): Float32Array {
  if (!(sigma > 0)) return images.slice();
  const radius = Math.ceil(3 * sigma);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = kernel.reduce((a, b) => a + b, 0);
  const k = kernel.map((v) => v / sum);
  const size = rows * cols;
  const out = new Float32Array(images.length);
  const tmp = new Float32Array(size);
  for (let off = 0; off < images.length; off += size) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        let acc = 0;
        for (let t = -radius; t <= radius; t++) acc += k[t + radius]! * images[off + r * cols + Math.min(cols - 1, Math.max(0, c + t))]!;
        tmp[r * cols + c] = acc;
      }
    }
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        let acc = 0;
        for (let t = -radius; t <= radius; t++) acc += k[t + radius]! * tmp[Math.min(rows - 1, Math.max(0, r + t)) * cols + c]!;
        out[off + r * cols + c] = acc;
      }
    }
  }
  return out;
}

/** Every image moved `dx` pixels right and `dy` down, filling with background. */
export function shiftImages(images: Float32Array, rows: number, cols: number, dx: number, dy: number): Float32Array {
  const size = rows * cols;
  const out = new Float32Array(images.length);
  for (let off = 0; off < images.length; off += size) shiftInto(images, off, rows, cols, dx, dy, out, off);
  return out;
}

/** Uniform noise in [-1, 1] from a seeded generator: the "generator that learned nothing". */
export function noiseImages(count: number, size: number, rng: () => number): Float32Array {
  return Float32Array.from({ length: count * size }, () => 2 * rng() - 1);
}

/** Copies one image shifted by (dx, dy) pixels, filling with the background value -1. */
function shiftInto(
  src: Float32Array,
  srcOffset: number,
  rows: number,
  cols: number,
  dx: number,
  dy: number,
  dst: Float32Array,
  dstOffset: number,
): void {
  for (let r = 0; r < rows; r++) {
    const sr = r - dy;
    for (let c = 0; c < cols; c++) {
      const sc = c - dx;
      dst[dstOffset + r * cols + c] = sr >= 0 && sr < rows && sc >= 0 && sc < cols ? src[srcOffset + sr * cols + sc]! : -1;
    }
  }
}
