import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EtaEstimator, formatEta } from "./eta.js";

describe("EtaEstimator", () => {
  it("has no estimate before it has measured training, and none at 0%", () => {
    const eta = new EtaEstimator();
    expect(eta.eta(1000)).toBeUndefined();
    eta.trainedSteps(10, 0);
    expect(eta.eta(1000)).toBeUndefined();
    expect(formatEta(eta.eta(1000))).toBe("…");
  });

  it("estimates from the measured rate, whatever the start-up took", () => {
    const eta = new EtaEstimator(30);
    // 20 s of start-up, then 50 steps/s.
    for (let t = 20; t <= 30; t++) eta.trainedSteps(50, t);
    expect(eta.rate()).toBeCloseTo(50);
    expect(eta.eta(500)).toBeCloseTo(10);
    expect(formatEta(eta.eta(500))).toBe("10s");
  });

  it("follows a change of speed within its window", () => {
    const eta = new EtaEstimator(10);
    for (let t = 0; t <= 30; t++) eta.trainedSteps(100, t);
    for (let t = 31; t <= 60; t++) eta.trainedSteps(10, t);
    expect(eta.rate()).toBeCloseTo(10, 0);
  });

  it("is exact for any constant rate (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 2, max: 60 }), fc.integer({ min: 0, max: 1e6 }), (perSec, secs, remaining) => {
        const eta = new EtaEstimator(30);
        for (let t = 0; t <= secs; t++) eta.trainedSteps(perSec, t);
        const got = eta.eta(remaining)!;
        return Math.abs(got - remaining / perSec) <= 1e-6 * Math.max(1, got);
      }),
    );
  });
});

describe("formatEta", () => {
  it("reads as minutes and seconds, or hours and minutes", () => {
    expect([0, 8.4, 170, 3725].map(formatEta)).toEqual(["0s", "8s", "2m50s", "1h02m"]);
    expect(formatEta(Infinity)).toBe("…");
  });
});
