import { DEFAULTS, experiment, type RunConfig } from "@ganscope/dsl";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUDGETS, FindingError, applyBudget, arm, compare, decideFinding, evaluateClaim, finding, rank, rate, union, type StudyRun } from "./index.js";

const act = experiment("act").vary("activation", ["relu", "elu", "gelu"]);
const base = experiment("base");

/** A finished run of `act` with the given activation, seed and metrics. */
function run(activation: RunConfig["activation"], seed: number, metrics: Record<string, number>, verdict?: string): StudyRun {
  const config: RunConfig = { ...DEFAULTS, activation, seed };
  return { experiment: "act", runId: `${activation}-${seed}`, config, finished: true, metrics, ...(verdict ? { verdict } : {}) };
}

const elu = arm(act, { activation: "elu" });
const relu = arm(act, { activation: "relu" });
const eluBeatsRelu = compare(elu, relu, "fid_lite", "lower");

describe("comparisons", () => {
  it("confirm a clear effect in the claimed direction, refute the reverse", () => {
    const runs = [0, 1, 2].flatMap((s) => [run("elu", s, { fid_lite: 10 + s * 0.1 }), run("relu", s, { fid_lite: 50 + s * 0.1 })]);
    const r = evaluateClaim(eluBeatsRelu, runs);
    expect(r.verdict).toBe("confirmed");
    expect(r.kind === "compare" && r.effect).toBeCloseTo(-40);
    expect(evaluateClaim(compare(relu, elu, "fid_lite", "lower"), runs).verdict).toBe("refuted");
    expect(evaluateClaim(compare(elu, relu, "fid_lite", "higher"), runs).verdict).toBe("refuted");
  });

  it("never decide from one seed, however large the effect", () => {
    const r = evaluateClaim(eluBeatsRelu, [run("elu", 0, { fid_lite: 1 }), run("relu", 0, { fid_lite: 1000 })]);
    expect(r.verdict).toBe("inconclusive");
    expect(r.kind === "compare" && r.reason).toMatch(/needs seeds/);
  });

  it("identical arms are never confirmed nor refuted", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: 2, maxLength: 6 }), (values) => {
        const runs = values.flatMap((v, s) => [run("elu", s, { fid_lite: v }), run("relu", s, { fid_lite: v })]);
        return evaluateClaim(eluBeatsRelu, runs).verdict === "inconclusive";
      }),
      { numRuns: 30 },
    );
  });

  it("report unfinished runs and runs without the metric as missing, not as values", () => {
    const runs = [run("elu", 0, { fid_lite: 10 }), run("elu", 1, {}), { ...run("elu", 2, { fid_lite: 11 }), finished: false }, run("relu", 0, { fid_lite: 20 }), run("relu", 1, { fid_lite: 21 })];
    const r = evaluateClaim(eluBeatsRelu, runs);
    expect(r.kind === "compare" && [r.a.n, r.a.missing]).toEqual([1, 2]);
    expect(r.verdict).toBe("inconclusive");
    // Every run the arm names travels with it (for the dashboard's curves over seeds), a value only where it has one.
    expect(r.kind === "compare" && r.a.runs).toEqual([
      { experiment: "act", runId: "elu-0", seed: 0, value: 10 },
      { experiment: "act", runId: "elu-1", seed: 1 },
      { experiment: "act", runId: "elu-2", seed: 2 },
    ]);
  });

  it("read verdicts as 0/1 metrics", () => {
    const runs = [0, 1, 2].flatMap((s) => [run("elu", s, {}, "converged"), run("relu", s, {}, "mode_collapse")]);
    expect(evaluateClaim(compare(elu, relu, "verdict:converged", "higher"), runs).verdict).toBe("confirmed");
  });
});

describe("rates", () => {
  it("decide from the Wilson interval against the bound", () => {
    const all = arm(act, {});
    const collapsed = [0, 1, 2, 3, 4, 5].flatMap((s) => [run("elu", s, {}, "vanishing_gradients"), run("relu", s, {}, "vanishing_gradients")]);
    expect(evaluateClaim(rate(all, ["vanishing_gradients"]), collapsed).verdict).toBe("confirmed");
    expect(evaluateClaim(rate(all, ["converged"]), collapsed).verdict).toBe("refuted");
    // 4 of 4 is Wilson [0.51, 1]: just above one half; 3 of 4 is [0.30, 0.95]: undecided.
    expect(evaluateClaim(rate(all, ["vanishing_gradients"]), collapsed.slice(0, 4)).verdict).toBe("confirmed");
    const mixed = [...collapsed.slice(0, 3), run("relu", 1, {}, "converged")];
    expect(evaluateClaim(rate(all, ["vanishing_gradients"]), mixed).verdict).toBe("inconclusive");
  });
});

describe("rankings and findings", () => {
  it("a ranking holds when every cross-tier pair does; a finding when every claim does", () => {
    const runs = [0, 1, 2].flatMap((s) => [run("elu", s, { fid_lite: 10 + s }), run("gelu", s, { fid_lite: 30 + s }), run("relu", s, { fid_lite: 50 + s })]);
    const r = rank(act, "activation", [["elu"], ["gelu"], ["relu"]], "fid_lite", "lower");
    expect(r.pairs).toHaveLength(3);
    expect(evaluateClaim(r, runs).verdict).toBe("confirmed");
    const wrongOrder = rank(act, "activation", [["gelu"], ["elu", "relu"]], "fid_lite", "lower");
    expect(evaluateClaim(wrongOrder, runs).verdict).toBe("refuted");
    const f = finding({ id: "t", title: "t", quote: "q", claims: [r, rate(arm(act, {}), ["converged"])] });
    const decided = decideFinding(f, runs, BUDGETS.smoke);
    expect(decided.verdict).toBe("inconclusive");
    expect(decided.budgetLine).toMatch(/^smoke: 2 epochs × 512 images × 2 seeds/);
  });

  it("unions pool arms as strata", () => {
    const runs = [0, 1].flatMap((s) => [run("elu", s, { fid_lite: 10 }), run("gelu", s, { fid_lite: 12 }), run("relu", s, { fid_lite: 50 })]);
    const r = evaluateClaim(compare(union("elu or gelu", elu, arm(act, { activation: "gelu" })), relu, "fid_lite", "lower"), runs);
    expect(r.kind === "compare" && [r.a.n, r.a.strata, r.verdict]).toEqual([4, 2, "confirmed"]);
  });
});

describe("arms at runtime", () => {
  it("name the experiment and the key for what the compiler would have caught", () => {
    expect(() => arm(act as never, { activation: "tanh" } as never)).toThrow(new FindingError(`arm of "act": activation = tanh is not on its axis [relu, elu, gelu]`));
    expect(() => arm(base as never, { gen_layers: 3 } as never)).toThrow(/"base": gen_layers is not a varied key \(varied: none\)/);
  });
});

describe("applyBudget", () => {
  it("sets epochs and limit, trains each config once per budget seed, and keeps ids a function of the config", () => {
    const plan = applyBudget(act.seeds(7).compile(), BUDGETS.smoke);
    expect(plan.runs).toHaveLength(6);
    expect(new Set(plan.runs.map((r) => r.runId)).size).toBe(6);
    expect(plan.runs.every((r) => r.config.epochs === 2 && r.config.limit === 512)).toBe(true);
    expect(plan.runs.map((r) => r.config.seed)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(applyBudget(act.compile(), BUDGETS.smoke).runs.map((r) => r.runId)).toEqual(plan.runs.map((r) => r.runId));
  });
});
