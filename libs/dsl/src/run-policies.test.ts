import { describe, expect, it } from "vitest";
import { DEFAULT_STOP_POLICY, PlanError, experiment, formatIssue } from "./index.js";

const base = experiment("p").vary("gen_lr", [1e-4, 2e-4]).epochs(20);

/** Every message a compile() failure reports. */
function problems(compile: () => unknown): string[] {
  try {
    compile();
  } catch (e) {
    if (e instanceof PlanError) return e.issues.map(formatIssue);
    throw e;
  }
  return [];
}

describe("stopWhen", () => {
  it("defaults to stopping after 5 epochs of a saturated discriminator, collapse never", () => {
    expect(base.compile().stop).toEqual({ saturated: 5, collapsed: false });
    expect(DEFAULT_STOP_POLICY).toEqual({ saturated: 5, collapsed: false });
  });

  it("replaces the conditions it names and keeps the others; false never stops", () => {
    expect(base.stopWhen({ collapsed: 3 }).compile().stop).toEqual({ saturated: 5, collapsed: 3 });
    expect(base.stopWhen({ saturated: 3, collapsed: 2, diverged: true }).compile().stop).toEqual({ saturated: 3, collapsed: 2 });
    expect(base.stopWhen({ saturated: false }).compile().stop).toEqual({ saturated: false, collapsed: false });
    expect(base.stopWhen(false).compile().stop).toBeNull();
  });

  it("reports every bad condition at once, from callers the compiler never checked", () => {
    const loose = base as unknown as { stopWhen(p: unknown): typeof base };
    expect(problems(() => loose.stopWhen({ saturated: 0, colapsed: 3, diverged: false }).compile())).toEqual([
      'experiment("p").stopWhen: saturated must be a positive integer (consecutive epochs) or false, got 0',
      'experiment("p").stopWhen: unknown stop condition "colapsed"; known: saturated, collapsed, diverged',
      'experiment("p").stopWhen: diverged must be true (a run with non-finite weights always stops), got false',
    ]);
    expect(problems(() => loose.stopWhen("never").compile())).toEqual(['experiment("p").stopWhen: expects { saturated?, collapsed?, diverged? } or false, got "never"']);
  });
});

describe("halving", () => {
  it("is in the plan when asked for, and absent otherwise", () => {
    expect(base.compile().halving).toBeUndefined();
    expect(base.halving({ metric: "fid_lite", rungs: [5, 10, 20], keep: 1 / 3 }).compile().halving).toEqual({ metric: "fid_lite", rungs: [5, 10, 20], keep: 1 / 3 });
  });

  it("reports an unknown metric, rungs out of order or beyond epochs, and keep outside (0, 1), all at once", () => {
    const loose = base as unknown as { halving(p: unknown): typeof base };
    expect(problems(() => loose.halving({ metric: "fid", rungs: [10, 5, 40], keep: 1 }).compile())).toEqual([
      'experiment("p").halving: metric must be one of fid_lite, kid, is_lite, modes, coverage, density, precision, recall, got "fid"',
      'experiment("p").halving: rungs must be strictly increasing, got [10,5,40]',
      'experiment("p").halving: rungs must not go beyond the runs\' epochs (20), got [10,5,40]',
      'experiment("p").halving: keep must be in (0, 1), got 1',
    ]);
    expect(problems(() => loose.halving({ metric: "fid_lite", rungs: [], keep: 0.5, every: 2 }).compile())).toEqual([
      'experiment("p").halving: unknown halving option "every"; known: metric, rungs, keep',
      'experiment("p").halving: rungs must be a non-empty list of positive integer epochs, got []',
    ]);
  });

  it("needs an evaluation by the first rung", () => {
    expect(problems(() => base.fix({ eval_every: 5 }).halving({ metric: "fid_lite", rungs: [2, 10], keep: 0.5 }).compile())).toEqual([
      'experiment("p").halving: the first rung (2) comes before the first evaluation (eval_every 5): nothing to compare there',
    ]);
  });
});
