import fc from "fast-check";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { encodeGridPng, gridSize } from "./image-grid.js";

/** Decodes a PNG into width, height and one gray level per pixel (the red channel), plus whether every pixel is gray. */
function decodeGray(png: Buffer): { width: number; height: number; gray: Uint8Array; allGray: boolean } {
  const { width, height, data } = PNG.sync.read(png);
  const gray = new Uint8Array(width * height);
  let allGray = true;
  for (let p = 0; p < width * height; p++) {
    const r = data[4 * p] ?? 0;
    gray[p] = r;
    allGray &&= data[4 * p + 1] === r && data[4 * p + 2] === r && data[4 * p + 3] === 255;
  }
  return { width, height, gray, allGray };
}

const gridCase = fc
  .record({
    rows: fc.integer({ min: 1, max: 6 }),
    cols: fc.integer({ min: 1, max: 6 }),
    count: fc.integer({ min: 1, max: 10 }),
    gridCols: fc.integer({ min: 1, max: 5 }),
    padding: fc.integer({ min: 0, max: 3 }),
    background: fc.integer({ min: 0, max: 255 }),
  })
  .chain((c) =>
    fc.record({ c: fc.constant(c), bytes: fc.uint8Array({ minLength: c.count * c.rows * c.cols, maxLength: c.count * c.rows * c.cols }) }),
  );

describe("encodeGridPng", () => {
  it("draws each image in its cell and background elsewhere; dataset pixels come back as the bytes they were", () => {
    fc.assert(
      fc.property(gridCase, ({ c, bytes }) => {
        // The dataset's own scaling, x / 127.5 - 1 in float32, must invert exactly.
        const images = Float32Array.from(bytes, (x) => x / 127.5 - 1);
        const png = encodeGridPng(images, c);
        const { width, height, gray, allGray } = decodeGray(png);
        const gridRows = Math.ceil(c.count / c.gridCols);
        expect(width).toBe(c.gridCols * c.cols + (c.gridCols + 1) * c.padding);
        expect(height).toBe(gridRows * c.rows + (gridRows + 1) * c.padding);
        expect(gridSize(c.count, c)).toEqual({ width, height });
        expect(allGray).toBe(true);

        const expected = new Uint8Array(width * height).fill(c.background);
        for (let k = 0; k < c.count; k++) {
          const left = c.padding + (k % c.gridCols) * (c.cols + c.padding);
          const top = c.padding + Math.floor(k / c.gridCols) * (c.rows + c.padding);
          for (let r = 0; r < c.rows; r++) {
            for (let col = 0; col < c.cols; col++) {
              expected[(top + r) * width + left + col] = bytes[(k * c.rows + r) * c.cols + col] ?? 0;
            }
          }
        }
        expect(Buffer.from(gray).equals(Buffer.from(expected))).toBe(true);
      }),
    );
  });

  it("tiles 64 MNIST-sized images 8 to a row with 2-pixel gray padding by default", () => {
    const images = new Float32Array(64 * 28 * 28).fill(1);
    const { width, height, gray } = decodeGray(encodeGridPng(images, { rows: 28, cols: 28, gridCols: 8 }));
    expect([width, height]).toEqual([8 * 28 + 9 * 2, 8 * 28 + 9 * 2]);
    expect(gray[0]).toBe(128);
    expect(gray[2 * width + 2]).toBe(255);
  });

  it("clamps out-of-range values for display and draws NaN red", () => {
    const images = Float32Array.of(-3, 3, 0, Number.NaN);
    const { data } = PNG.sync.read(encodeGridPng(images, { rows: 2, cols: 2, gridCols: 1, padding: 0 }));
    expect(Array.from(data)).toEqual([0, 0, 0, 255, 255, 255, 255, 255, 128, 128, 128, 255, 255, 0, 0, 255]);
  });

  it("rejects images that do not fill whole tiles, and bad options", () => {
    expect(() => encodeGridPng(new Float32Array(5), { rows: 2, cols: 2, gridCols: 1 })).toThrow(
      "encodeGridPng: images must hold a positive whole number of 2×2 images (4 values each), got 5 values",
    );
    expect(() => encodeGridPng(new Float32Array(0), { rows: 2, cols: 2, gridCols: 1 })).toThrow("got 0 values");
    expect(() => encodeGridPng(new Float32Array(4), { rows: 2, cols: 2, gridCols: 0 })).toThrow("gridCols must be an integer ≥ 1, got 0");
    expect(() => encodeGridPng(new Float32Array(4), { rows: 2, cols: 2, gridCols: 1, background: 256 })).toThrow(
      "background must be an integer in [0, 255], got 256",
    );
  });
});
