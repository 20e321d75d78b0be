import { experiment, type RunConfig } from "@ganscope/dsl";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUDGETS, applyBudget, arm, budgetExcludes, decideFinding, denseParams, excludedByBudget, finding, rate, seedsFor, type Budget } from "./index.js";

const sizes = experiment("sizes").vary("gen_layers", [2, 3, 5, 10, 20]).vary("dis_layers", [2, 5, 20]);

/** A budget with a large-network tier and a ceiling, both drawn. */
const tiered = fc
  .record({ large: fc.integer({ min: 5e5, max: 2e7 }), max: fc.integer({ min: 1e6, max: 4e7 }), epochs: fc.integer({ min: 1, max: 9 }) })
  .map(({ large, max, epochs }): Budget => ({ name: "t", epochs, limit: 640, seeds: [0, 1, 2], large: { params: large, seeds: [0, 1] }, maxParams: max, purpose: "test" }));

describe("budgets", () => {
  it("the baseline's networks have 0.76M dense parameters, (20, 20) 36.5M", () => {
    const [baseline] = experiment("b").fix({ gen_layers: 3, dis_layers: 2 }).compile().runs;
    const [deep] = experiment("d").fix({ gen_layers: 20, dis_layers: 20 }).compile().runs;
    expect(denseParams(baseline!.config) / 1e6).toBeCloseTo(0.76, 2);
    expect(denseParams(deep!.config) / 1e6).toBeCloseTo(36.53, 2);
  });

  it("train every config the budget allows once per its seeds, and none it leaves out", () => {
    fc.assert(
      fc.property(tiered, (budget) => {
        const plan = sizes.compile();
        const out = applyBudget(plan, budget);
        // The grid varies only the depths: they name a config (the budget changes its limit, so strataKey would not match).
        const key = (c: RunConfig): string => `${c.gen_layers},${c.dis_layers}`;
        const configs = new Map<string, number>();
        for (const r of out.runs) {
          expect(budgetExcludes(r.config, budget)).toBeUndefined();
          expect(r.config.epochs).toBe(budget.epochs);
          configs.set(key(r.config), (configs.get(key(r.config)) ?? 0) + 1);
        }
        for (const r of plan.runs) {
          const n = configs.get(key(r.config)) ?? 0;
          expect(n).toBe(budgetExcludes(r.config, budget) === undefined ? seedsFor(r.config, budget).length : 0);
        }
        expect(new Set(out.runs.map((r) => r.runId)).size).toBe(out.runs.length);
      }),
    );
  });

  it("the cpu budget gives (7, 5) two seeds and leaves (20, 20) out, naming why", () => {
    const [deep] = experiment("d").fix({ gen_layers: 7, dis_layers: 5 }).compile().runs;
    const [huge] = experiment("h").fix({ gen_layers: 20, dis_layers: 20 }).compile().runs;
    expect(seedsFor(deep!.config, BUDGETS.cpu)).toEqual([0, 1]);
    expect(budgetExcludes(huge!.config, BUDGETS.cpu)).toBe("(20, 20) has 36.5M parameters, above the cpu budget's 8.0M");
  });

  it("configs left out are counted apart, not as configs with 0 seeds: the rest of the arm still decides", () => {
    const f = finding({ id: "y", title: "t", quote: "q", claims: [rate(arm(sizes, { gen_layers: [3, 20] }), ["vanishing_gradients"], { atLeast: 0.5 })] });
    const left = excludedByBudget([f], BUDGETS.cpu).map((x) => ({ experiment: x.experiment, runId: x.spec.runId, config: x.spec.config, finished: false, metrics: {}, notTrained: x.reason }));
    const trained = applyBudget(sizes.compile(), BUDGETS.cpu)
      .runs.filter((r) => r.config.gen_layers === 3)
      .map((r) => ({ experiment: "sizes", runId: r.runId, config: r.config, finished: true, metrics: {}, verdict: "vanishing_gradients" }));
    const r = decideFinding(f, [...trained, ...left], BUDGETS.cpu);
    const c = r.claims[0]!;
    expect(c.kind === "rate" && [c.arm.strata, c.arm.minSeeds, c.arm.notTrained.length]).toEqual([2, 3, 4]); // (3, 2), (3, 5) trained; (3, 20) and the three (20, ·) left out
    // 6 of 6 runs: the exact binomial p = 1/64 < 0.025, whatever the 4 left-out configs would have said.
    expect(r.verdict).toBe("confirmed");
  });

  it("an arm whose trainable configs have no finished run yet needs seeds: it is not 'not tested' because its other configs are left out", () => {
    // A failure-mode rate (vanishing gradients), which the gate leaves decidable, so only the seeds stand in its way.
    const f = finding({ id: "z", title: "t", quote: "q", claims: [rate(arm(sizes, { gen_layers: [3, 20] }), ["vanishing_gradients"], { atMost: 0.5 })] });
    const left = excludedByBudget([f], BUDGETS.cpu).map((x) => ({ experiment: x.experiment, runId: x.spec.runId, config: x.spec.config, finished: false, metrics: {}, notTrained: x.reason }));
    const pending = applyBudget(sizes.compile(), BUDGETS.cpu)
      .runs.filter((r) => r.config.gen_layers === 3)
      .map((r) => ({ experiment: "sizes", runId: r.runId, config: r.config, finished: false, metrics: {} }));
    const r = decideFinding(f, [...pending, ...left], BUDGETS.cpu);
    expect(r.claims[0]!.verdict).toBe("inconclusive");
    expect(r.claims[0]!.reason).toMatch(/^needs runs/);
  });

  it("a claim on configs the budget leaves out is not tested, and says why", () => {
    const f = finding({ id: "x", title: "t", quote: "q", claims: [rate(arm(sizes, { gen_layers: 20 }), ["converged"], { atLeast: 0.5 })] });
    const excluded = excludedByBudget([f], BUDGETS.cpu);
    expect(excluded.map((x) => x.spec.config.dis_layers)).toEqual([2, 5, 20]);
    const runs = excluded.map((x) => ({ experiment: x.experiment, runId: x.spec.runId, config: x.spec.config, finished: false, metrics: {}, notTrained: x.reason }));
    const r = decideFinding(f, runs, BUDGETS.cpu);
    expect(r.verdict).toBe("untested");
    expect(r.claims[0]!.reason).toMatch(/^not tested at this budget: .*\(20, 2\) has 18\.5M parameters, above the cpu budget.s 8\.0M; \(20, 5\)/);
  });
});
