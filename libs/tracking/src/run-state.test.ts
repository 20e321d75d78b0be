import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { settled, type RunState } from "./run-state.js";

const states: RunState[] = ["running", "done", "failed", "stopped"];

describe("settled", () => {
  it("a done run is settled exactly for targets up to its epochs; running and failed runs never are", () => {
    fc.assert(
      fc.property(fc.constantFrom(...states), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 200 }), fc.boolean(), (state, epochsDone, target, resumeStopped) => {
        const why = settled({ state, epochsDone }, target, { resumeStopped });
        if (state === "done") expect(why !== undefined).toBe(epochsDone >= target);
        if (state === "running" || state === "failed") expect(why).toBeUndefined();
        if (state === "stopped") expect(why !== undefined).toBe(!resumeStopped);
      }),
    );
  });

  it("says why, in the words the runner prints", () => {
    expect(settled({ state: "done", epochsDone: 1 }, 1)).toBe("done to 1 epoch");
    expect(settled({ state: "done", epochsDone: 4 }, 6)).toBeUndefined();
    expect(settled({ state: "stopped", epochsDone: 3, stopReason: "saturated" }, 10)).toBe("stopped at epoch 3: saturated (--resume-stopped extends it)");
    expect(settled(undefined, 1)).toBeUndefined();
  });
});
