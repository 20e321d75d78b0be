import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bandAgreement, bandVerdict, exchangeableRates, studentTCentral } from "./band.js";
import { seedBand } from "./seed-summary.js";

/** mulberry32 + Box–Muller: seeded standard normals, so the Monte Carlo check below is the same every run. */
function normals(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

const series = (seeds: number, epochs: number) => fc.array(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: epochs, maxLength: epochs }), { minLength: seeds, maxLength: seeds });

describe("studentTCentral", () => {
  it("matches the closed forms for ν = 1 (Cauchy) and ν = 2, and the normal for large ν", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 20, noNaN: true }), (c) => {
        expect(studentTCentral(c, 1)).toBeCloseTo((2 / Math.PI) * Math.atan(c), 5);
        expect(studentTCentral(c, 2)).toBeCloseTo(c / Math.sqrt(2 + c * c), 5);
      }),
      { numRuns: 50 },
    );
    expect(studentTCentral(1.959963984540054, 1e6)).toBeCloseTo(0.95, 4);
  });

  it("grows with c and with ν", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 8, noNaN: true }), fc.integer({ min: 1, max: 30 }), (c, nu) => {
        expect(studentTCentral(c * 1.1, nu)).toBeGreaterThan(studentTCentral(c, nu));
        expect(studentTCentral(c, nu + 1)).toBeGreaterThan(studentTCentral(c, nu));
      }),
      { numRuns: 50 },
    );
  });
});

describe("exchangeableRates", () => {
  it("for 3 + 3 seeds: min–max 1/2, ± 2 sd 0.775, separated 1/10", () => {
    const r = exchangeableRates(3, 3);
    expect(r.minMax).toBe(0.5);
    expect(r.twoSd).toBeCloseTo(Math.sqrt(3) / Math.sqrt(5), 6);
    expect(r.separated).toBeCloseTo(0.1, 12);
  });

  it("is what exchangeable normal seeds score (Monte Carlo over 20,000 independent epochs, seeded)", () => {
    const draw = normals(2024);
    const epochs = 20_000;
    const ref = Array.from({ length: 3 }, () => Array.from({ length: epochs }, draw));
    const cand = Array.from({ length: 3 }, () => Array.from({ length: epochs }, draw));
    const { coverage, expected } = bandAgreement(ref, cand);
    // Binomial sd of a share over 60,000 cells is ≤ 0.002; epochs: ≤ 0.0035 over 20,000.
    expect(Math.abs(coverage.minMax - expected.minMax)).toBeLessThan(0.01);
    expect(Math.abs(coverage.twoSd - expected.twoSd)).toBeLessThan(0.01);
    expect(Math.abs(coverage.separated - expected.separated)).toBeLessThan(0.015);
  });
});

describe("bandAgreement", () => {
  it("a reference compared with itself is inside its own min–max band everywhere and never separated", () => {
    fc.assert(
      fc.property(series(3, 4), (ref) => {
        const a = bandAgreement(ref, ref);
        expect(a.coverage.minMax).toBe(1);
        expect(a.coverage.separated).toBe(0);
      }),
    );
  });

  it("separation does not depend on which side is the reference", () => {
    fc.assert(
      fc.property(series(3, 3), series(3, 3), (a, b) => {
        expect(bandAgreement(a, b).epochs.map((e) => e.separated)).toEqual(bandAgreement(b, a).epochs.map((e) => e.separated));
      }),
    );
  });

  it("a candidate shifted beyond the reference's range is separated at every epoch and differs", () => {
    fc.assert(
      fc.property(series(3, 5), series(2, 5), (ref, cand) => {
        const shifted = cand.map((s) => s.map((v) => v + 5000));
        const a = bandAgreement(ref, shifted);
        expect(a.coverage).toEqual({ minMax: 0, twoSd: expect.any(Number), separated: 1 });
        expect(a.verdict).toBe("differs");
      }),
    );
  });

  it("keeps each epoch's band and candidate values", () => {
    const a = bandAgreement(
      [
        [1, 10],
        [3, 12],
      ],
      [[2, 20]],
    );
    expect(a.epochs[0]).toMatchObject({ epoch: 1, reference: { min: 1, max: 3, mean: 2 }, candidate: [2], inMinMax: [true], separated: false });
    expect(a.epochs[1]).toMatchObject({ epoch: 2, inMinMax: [false], separated: true });
    expect(seedBand([1, 3]).sd).toBeCloseTo(Math.SQRT2, 12);
  });

  it("says which series is short", () => {
    expect(() => bandAgreement([[1, 2], [3]], [[1, 2]])).toThrow(/every seed needs 2 epochs, one has 1/);
    expect(() => bandAgreement([[1]], [[1]])).toThrow(/≥ 2 reference/);
  });
});

describe("bandVerdict", () => {
  it("follows its stated rule", () => {
    expect(bandVerdict({ minMax: 0.5, twoSd: 0.8, separated: 0.1 })).toBe("agrees");
    expect(bandVerdict({ minMax: 0.1, twoSd: 0.3, separated: 0.2 })).toBe("partly");
    expect(bandVerdict({ minMax: 0, twoSd: 0.9, separated: 0.5 })).toBe("differs");
  });
});
