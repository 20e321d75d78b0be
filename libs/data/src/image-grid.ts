/**
 * Sample grids: k images in [-1, 1] tiled into one PNG for the run store and
 * the dashboard.
 */
import { PNG } from "pngjs";

export interface GridOptions {
  /** Height of one image in pixels (28 for MNIST). */
  rows: number;
  /** Width of one image in pixels (28 for MNIST). */
  cols: number;
  /** Images per grid row; the grid has ceil(k / gridCols) rows, the last one filled with background. */
  gridCols: number;
  /** Background pixels around and between images. Default 2. */
  padding?: number;
  /** Gray level 0..255 of the padding and empty cells. Default 128, distinct from both MNIST's black background and white ink. */
  background?: number;
}

export interface GridSize {
  readonly width: number;
  readonly height: number;
}

/** Red, which no gray pixel can be: marks NaN outputs of a diverged generator instead of hiding them. */
const NAN_RGB = [255, 0, 0] as const;

/** Width and height in pixels of the grid {@link encodeGridPng} draws for `count` images. */
export function gridSize(count: number, options: GridOptions): GridSize {
  checkInteger("count", count, 0);
  const { rows, cols, gridCols, padding } = resolve(options);
  const gridRows = Math.ceil(count / gridCols);
  return { width: gridCols * cols + (gridCols + 1) * padding, height: gridRows * rows + (gridRows + 1) * padding };
}

/**
 * Tiles `k` images (`k × rows × cols` values in [-1, 1], row-major, image
 * after image, as a generator outputs them) into an RGB PNG, row by row.
 * A value x becomes gray level round((x + 1) · 127.5), clamped to 0..255 —
 * the clamp is display only, a generator's tanh output never needs it.
 * NaN pixels are drawn red so a diverged run is visible on sight.
 *
 * @example
 * const png = encodeGridPng(samples, { rows: 28, cols: 28, gridCols: 8 });
 * writeFileSync("samples.png", png);
 */
export function encodeGridPng(images: Float32Array, options: GridOptions): Buffer {
  const { rows, cols, gridCols, padding, background } = resolve(options);
  const pixels = rows * cols;
  const count = images.length / pixels;
  if (images.length === 0 || !Number.isInteger(count)) {
    throw new RangeError(
      `encodeGridPng: images must hold a positive whole number of ${rows}×${cols} images (${pixels} values each), got ${images.length} values`,
    );
  }
  const { width, height } = gridSize(count, options);
  const png = new PNG({ width, height });
  const rgba = png.data;
  for (let p = 0; p < width * height; p++) {
    rgba[4 * p] = background;
    rgba[4 * p + 1] = background;
    rgba[4 * p + 2] = background;
    rgba[4 * p + 3] = 255;
  }
  for (let k = 0; k < count; k++) {
    const left = padding + (k % gridCols) * (cols + padding);
    const top = padding + Math.floor(k / gridCols) * (rows + padding);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const x = images[k * pixels + r * cols + c] ?? Number.NaN;
        const at = 4 * ((top + r) * width + left + c);
        if (Number.isNaN(x)) {
          rgba[at] = NAN_RGB[0];
          rgba[at + 1] = NAN_RGB[1];
          rgba[at + 2] = NAN_RGB[2];
        } else {
          const gray = Math.min(255, Math.max(0, Math.round((x + 1) * 127.5)));
          rgba[at] = gray;
          rgba[at + 1] = gray;
          rgba[at + 2] = gray;
        }
      }
    }
  }
  return PNG.sync.write(png, { colorType: 2 });
}

function resolve(options: GridOptions): Required<GridOptions> {
  const { rows, cols, gridCols, padding = 2, background = 128 } = options;
  checkInteger("rows", rows, 1);
  checkInteger("cols", cols, 1);
  checkInteger("gridCols", gridCols, 1);
  checkInteger("padding", padding, 0);
  checkInteger("background", background, 0, 255);
  return { rows, cols, gridCols, padding, background };
}

function checkInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw new RangeError(`encodeGridPng/gridSize: ${name} must be ${range}, got ${value}`);
  }
}
