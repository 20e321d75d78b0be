import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { workerPools } from "./scheduler.js";

describe("workerPools", () => {
  it("never has more worker processes alive at once than --concurrency, and gives every queue with work a worker", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.nat(20), fc.nat(200), (concurrency, gpuGroups, cpuRuns) => {
        const p = workerPools(concurrency, gpuGroups, cpuRuns);
        const aliveAtOnce = p.oneAfterTheOther ? Math.max(p.cpu, p.gpu) : p.cpu + p.gpu;
        expect(aliveAtOnce).toBeLessThanOrEqual(concurrency);
        expect(p.gpu > 0).toBe(gpuGroups > 0);
        expect(p.cpu > 0).toBe(cpuRuns > 0);
        expect(p.cpu).toBeLessThanOrEqual(cpuRuns);
        expect(p.gpu).toBeLessThanOrEqual(gpuGroups);
      }),
    );
  });

  it("runs the pools side by side whenever the budget has room for both, using all of it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 200 }), (concurrency, gpuGroups, cpuRuns) => {
        const p = workerPools(concurrency, gpuGroups, cpuRuns);
        expect(p.oneAfterTheOther).toBe(false);
        expect(p.cpu).toBe(Math.min(concurrency - 1, cpuRuns));
      }),
    );
  });

  it("with --concurrency 1 and runs on both backends, one pool after the other", () => {
    expect(workerPools(1, 1, 3)).toEqual({ cpu: 1, gpu: 1, oneAfterTheOther: true });
  });
});
