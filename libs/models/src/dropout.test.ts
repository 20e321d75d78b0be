import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dropoutMultiplier } from "./dropout.js";

describe("dropoutMultiplier", () => {
  it("is 0 or 1/(1-rate) everywhere, and a pure function of its seed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.double({ min: 0, max: 0.95, noNaN: true }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (n, rate, seed) => {
        const m = dropoutMultiplier(n, rate, seed);
        const scale = Math.fround(1 / (1 - rate));
        expect(m.every((v) => v === 0 || v === scale)).toBe(true);
        expect(dropoutMultiplier(n, rate, seed)).toEqual(m);
      }),
    );
  });

  it("drops the requested share of units, independently of the seed and of neighbouring units", () => {
    const n = 100_000;
    for (const [rate, seed] of [[0.3, 1], [0.3, 2], [0.6, 7], [0.9, 123456789]] as const) {
      const m = dropoutMultiplier(n, rate, seed);
      const dropped = m.filter((v) => v === 0).length / n;
      // Binomial sd at n = 1e5 is ≤ 0.0016; 0.01 is > 6 sd.
      expect(Math.abs(dropped - rate)).toBeLessThan(0.01);
      // Consecutive units are not correlated (the masks of adjacent hidden units).
      let both = 0;
      for (let i = 1; i < n; i++) if (m[i] === 0 && m[i - 1] === 0) both++;
      expect(Math.abs(both / (n - 1) - rate * rate)).toBeLessThan(0.01);
    }
    const a = dropoutMultiplier(1000, 0.5, 1);
    const b = dropoutMultiplier(1000, 0.5, 2);
    const agree = a.filter((v, i) => v === b[i]).length / 1000;
    expect(agree).toBeGreaterThan(0.4);
    expect(agree).toBeLessThan(0.6);
  });

  it("keeps everything at rate 0 and refuses rates outside [0, 1)", () => {
    expect(dropoutMultiplier(50, 0, 3).every((v) => v === 1)).toBe(true);
    expect(() => dropoutMultiplier(5, 1, 3)).toThrow(/\[0, 1\)/);
    expect(() => dropoutMultiplier(5, -0.1, 3)).toThrow(/\[0, 1\)/);
  });
});
