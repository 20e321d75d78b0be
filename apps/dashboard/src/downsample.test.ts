import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lttbIndices } from "./downsample.js";

const series = fc
  .array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 600 })
  .map((ys) => ({ xs: ys.map((_, i) => i + 1), ys }));

describe("lttbIndices", () => {
  it("keeps every point of a series that already fits", () => {
    fc.assert(
      fc.property(series, fc.integer({ min: 3, max: 700 }), ({ xs, ys }, t) => {
        fc.pre(xs.length <= t);
        expect(lttbIndices(xs, ys, t)).toEqual(xs.map((_, i) => i));
      }),
    );
  });

  it("thins a long series to exactly the threshold, strictly increasing, ends kept", () => {
    fc.assert(
      fc.property(series, fc.integer({ min: 3, max: 200 }), ({ xs, ys }, t) => {
        fc.pre(xs.length > t);
        const idx = lttbIndices(xs, ys, t);
        expect(idx).toHaveLength(t);
        expect(idx[0]).toBe(0);
        expect(idx.at(-1)).toBe(xs.length - 1);
        for (let i = 1; i < idx.length; i++) expect(idx[i]!).toBeGreaterThan(idx[i - 1]!);
      }),
    );
  });

  it("keeps a one-epoch spike that striding would step over", () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i + 1);
    const ys = xs.map((x) => (x === 537 ? 50 : 1 + Math.sin(x / 40) * 0.1));
    const idx = lttbIndices(xs, ys, 100);
    expect(idx).toContain(536);
  });

  it("rejects a threshold below 3 and mismatched lengths", () => {
    expect(() => lttbIndices([1, 2, 3, 4], [1, 2, 3, 4], 2)).toThrow(/threshold must be an integer ≥ 3, got 2/);
    expect(() => lttbIndices([1, 2], [1], 3)).toThrow(/differ in length/);
  });
});
