import { DEFAULTS, experiment, type RunConfig } from "@ganscope/dsl";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUDGETS, FindingError, MIN_SEEDS, PRE_CONVERGENCE_NOTE, applyBudget, arm, compare, decideFinding, evaluateClaim, finding, rank, rate, union, type StudyRun } from "./index.js";

const act = experiment("act").vary("activation", ["relu", "elu", "gelu"]);
const base = experiment("base");

/** A finished run of `act` with the given activation, seed and metrics, judged `converged` unless said. */
function run(activation: RunConfig["activation"], seed: number, metrics: Record<string, number>, verdict = "converged"): StudyRun {
  const config: RunConfig = { ...DEFAULTS, activation, seed };
  return { experiment: "act", runId: `${activation}-${seed}`, config, finished: true, metrics, verdict };
}

const SEEDS = [0, 1, 2, 3, 4];
const elu = arm(act, { activation: "elu" });
const relu = arm(act, { activation: "relu" });
const gelu = arm(act, { activation: "gelu" });
const eluBeatsRelu = compare(elu, relu, "fid_lite", "lower");

describe("comparisons", () => {
  it("confirm a clear effect in the claimed direction, refute the reverse (Welch, two one-sided decisions)", () => {
    const runs = SEEDS.flatMap((s) => [run("elu", s, { fid_lite: 10 + s * 0.1 }), run("relu", s, { fid_lite: 50 + s * 0.1 })]);
    const r = evaluateClaim(eluBeatsRelu, runs);
    expect(r.verdict).toBe("confirmed");
    if (r.kind !== "compare") throw new Error("a comparison");
    expect(r.effect).toBeCloseTo(-40);
    expect([r.test, r.family]).toEqual(["welch", 1]);
    expect(r.pClaimed).toBeLessThan(1e-6);
    expect(r.pAdjusted).toBe(r.p);
    expect(r.lo! < r.effect! && r.effect! < r.hi!).toBe(true);
    expect(r.reason).toMatch(/^Welch t = .*one-sided p = .* in the claimed direction.*Holm-adjusted p = .* \(1 test\(s\) in the finding\) < 0\.05: the claimed direction is shown$/);
    expect(evaluateClaim(compare(relu, elu, "fid_lite", "lower"), runs).verdict).toBe("refuted");
    expect(evaluateClaim(compare(elu, relu, "fid_lite", "higher"), runs).verdict).toBe("refuted");
  });

  it(`never decide below ${MIN_SEEDS} seeds a config, however large the effect, and say what would have been needed`, () => {
    const runs = [0, 1, 2].flatMap((s) => [run("elu", s, { fid_lite: 1 + s }), run("relu", s, { fid_lite: 1000 + s })]);
    const r = evaluateClaim(eluBeatsRelu, runs);
    expect(r.verdict).toBe("inconclusive");
    expect(r.kind === "compare" && r.reason).toMatch(/^needs seeds \(n < 5\): act\{activation=elu\} has 3 seed\(s\) in a config; .*; at these n it would have needed d ≥ [\d.]+ \(≈ [\d.]+ FID-lite\) for 80% power$/);
    expect(r.kind === "compare" && r.mde?.d).toBeGreaterThan(0);
  });

  it("identical arms are never confirmed nor refuted", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: 5, maxLength: 8 }), (values) => {
        const runs = values.flatMap((v, s) => [run("elu", s, { fid_lite: v }), run("relu", s, { fid_lite: v })]);
        return evaluateClaim(eluBeatsRelu, runs).verdict === "inconclusive";
      }),
      { numRuns: 30 },
    );
  });

  it("no spread within configs: inconclusive, saying so", () => {
    const runs = SEEDS.flatMap((s) => [run("elu", s, { fid_lite: 10 }), run("relu", s, { fid_lite: 20 })]);
    const r = evaluateClaim(eluBeatsRelu, runs);
    expect(r.verdict).toBe("inconclusive");
    expect(r.kind === "compare" && r.reason).toMatch(/^no spread at all within configs/);
  });

  it("count a finished run without the value as the worst value measured, and an unfinished one as missing, saying why", () => {
    const runs = [
      ...SEEDS.map((s) => run("elu", s, { fid_lite: 10 + s })),
      run("elu", 5, {}, "diverged"),
      { ...run("elu", 6, { fid_lite: 11 }), finished: false },
      ...SEEDS.map((s) => run("relu", s, { fid_lite: 20 + s })),
    ];
    const r = evaluateClaim(eluBeatsRelu, runs);
    if (r.kind !== "compare") throw new Error("a comparison");
    expect([r.a.n, r.a.imputed, r.a.missing, r.a.missingWhy]).toEqual([6, 1, 1, { diverged: 1, unfinished: 1 }]);
    // The diverged run counts as 24, the worst FID-lite either arm measured.
    expect(r.a.runs.find((x) => x.runId === "elu-5")).toEqual({ experiment: "act", runId: "elu-5", seed: 5, value: 24, verdict: "diverged", imputed: true });
    expect(r.a.mean).toBeCloseTo((10 + 11 + 12 + 13 + 14 + 24) / 6);
    // Every run the arm names travels with it (for the dashboard's curves over seeds), a value only where it has one.
    expect(r.a.runs.find((x) => x.runId === "elu-6")).toEqual({ experiment: "act", runId: "elu-6", seed: 6 });
  });

  it("a dead run never makes its arm look better: two survivors of five do not beat five that trained", () => {
    const survivors: Record<number, number> = { 3: 9, 4: 9.5 };
    const runs = [...SEEDS.map((s) => run("elu", s, { fid_lite: 10 + s })), ...SEEDS.map((s) => run("relu", s, s in survivors ? { fid_lite: survivors[s]! } : {}, s in survivors ? "converged" : "diverged"))];
    const r = evaluateClaim(compare(relu, elu, "fid_lite", "lower"), runs);
    expect(r.kind === "compare" && [r.a.imputed, r.a.mean]).toEqual([3, (9 + 9.5 + 3 * 14) / 5]);
    expect(r.verdict).toBe("inconclusive");
  });

  it("read verdicts as 0/1 metrics, decided by Fisher's exact test", () => {
    const runs = SEEDS.flatMap((s) => [run("elu", s, {}, "converged"), run("relu", s, {}, "mode_collapse")]);
    const r = evaluateClaim(compare(elu, relu, "verdict:converged", "higher"), runs);
    expect(r.verdict).toBe("confirmed");
    // scipy.stats.fisher_exact([[5, 0], [0, 5]], alternative="greater"): 1/252.
    expect(r.kind === "compare" && [r.test, r.pClaimed]).toEqual(["fisher", expect.closeTo(1 / 252, 12)]);
  });
});

describe("rates", () => {
  it("decide by the exact binomial test against the bound", () => {
    const all = arm(act, {});
    const collapsed = SEEDS.flatMap((s) => [run("elu", s, {}, "vanishing_gradients"), run("relu", s, {}, "vanishing_gradients")]);
    expect(evaluateClaim(rate(all, ["vanishing_gradients"]), collapsed).verdict).toBe("confirmed");
    expect(evaluateClaim(rate(all, ["diverged"]), collapsed).verdict).toBe("refuted");
    // 6 of 6 is p = 1/64 < 0.025; 5 of 5 is 1/32: the exact test cannot decide it (the Wilson bound did).
    expect(evaluateClaim(rate(all, ["vanishing_gradients"]), collapsed.slice(0, 6)).verdict).toBe("confirmed");
    const five = evaluateClaim(rate(all, ["vanishing_gradients"]), collapsed.slice(0, 5));
    expect([five.verdict, five.reason]).toEqual(["inconclusive", "needs runs: 5 run(s) cannot take the exact binomial test below 0.025 either way at the bound 0.5 (at least 6 needed)"]);
    const mixed = [...collapsed.slice(0, 7), run("gelu", 1, {}, "no_digits")];
    expect(evaluateClaim(rate(all, ["vanishing_gradients"]), mixed).verdict).toBe("inconclusive");
  });
});

describe("not decidable at this budget", () => {
  const blank = (a: RunConfig["activation"], metrics: Record<string, number>) => SEEDS.map((s) => run(a, s, { fid_lite: metrics["fid_lite"]! + s }, "no_digits"));

  it("quality is not compared between two arms that draw no digits", () => {
    const r = evaluateClaim(eluBeatsRelu, [...blank("elu", { fid_lite: 200 }), ...blank("relu", { fid_lite: 260 })], { budget: BUDGETS.cpu });
    expect(r.verdict).toBe("undecidable");
    expect(r.kind === "compare" && r.reason).toBe(
      "neither arm draws digits at cpu (act{activation=elu}: 5/5 no_digits; act{activation=relu}: 5/5 no_digits): their fid_lite compares speckle",
    );
    // A training statistic is still compared.
    const dLoss = [...SEEDS.map((s) => run("elu", s, { d_loss: 1 + s / 10 }, "no_digits")), ...SEEDS.map((s) => run("relu", s, { d_loss: 2 + s / 10 }, "no_digits"))];
    expect(evaluateClaim(compare(elu, relu, "d_loss", "lower"), dLoss).verdict).toBe("confirmed");
  });

  it("nothing about drawings is decided where the study's reference draws no digits", () => {
    const reference = arm(act, { activation: "gelu" }, "baseline (3, 2)");
    const refRuns = [0, 1, 2].map((s) => run("gelu", s, { fid_lite: 250 }, "no_digits"));
    const drawn = SEEDS.flatMap((s) => [run("elu", s, { fid_lite: 10 + s }), run("relu", s, { fid_lite: 50 + s })]);
    const r = evaluateClaim(eluBeatsRelu, [...refRuns, ...drawn], { budget: BUDGETS.cpu, reference });
    expect([r.verdict, r.reason]).toEqual(["undecidable", "at cpu the reference baseline (3, 2) draws no digits (3/3 no_digits)"]);
  });

  it("a convergence claim needs a positive control that converges in half its runs", () => {
    const positiveControl = arm(act, { activation: "gelu" }, "combined (4, 4)");
    const runs = SEEDS.flatMap((s) => [run("elu", s, {}, "not_converged"), run("relu", s, {}, "not_converged"), run("gelu", s, {}, s < 2 ? "converged" : "not_converged")]);
    const c = rate(elu, ["converged"], { atMost: 0.5 });
    const r = evaluateClaim(c, runs, { positiveControl });
    expect(r.verdict).toBe("undecidable");
    expect(r.reason).toBe('the positive control does not converge in at least half its runs at this budget (combined (4, 4): converged 2/5), so "converges" cannot be told from "not yet"');
    // Without a declared control, the claim's own arms must show convergence is reachable.
    expect(evaluateClaim(c, runs).reason).toMatch(/^no arm of the claim converges in at least half its runs at this budget \(act\{activation=elu\}: converged 0\/5\)/);
    const converging = runs.map((x) => (x.config.activation === "gelu" ? { ...x, verdict: "converged" } : x));
    // With a converging control, "elu rarely converges" is decided (0 of 5 would need 6 runs: not yet; 10 runs of two configs do).
    expect(evaluateClaim(rate(union("elu or relu", elu, relu), ["converged"], { atMost: 0.5 }), converging, { positiveControl }).verdict).toBe("confirmed");
  });

  it("a decided quality claim where nothing converged says it compared learning speed", () => {
    const runs = SEEDS.flatMap((s) => [run("elu", s, { fid_lite: 100 + s }, "not_converged"), run("relu", s, { fid_lite: 150 + s }, "not_converged")]);
    const r = evaluateClaim(eluBeatsRelu, runs);
    expect(r.verdict).toBe("confirmed");
    expect(r.kind === "compare" && r.note).toBe(PRE_CONVERGENCE_NOTE);
  });
});

describe("rankings and findings", () => {
  it("a ranking holds when every cross-tier pair does, with Holm across its pairs; a finding when every claim does", () => {
    const runs = SEEDS.flatMap((s) => [run("elu", s, { fid_lite: 10 + s }), run("gelu", s, { fid_lite: 30 + s }), run("relu", s, { fid_lite: 50 + s })]);
    const r = rank(act, "activation", [["elu"], ["gelu"], ["relu"]], "fid_lite", "lower");
    expect(r.pairs).toHaveLength(3);
    const ranked = evaluateClaim(r, runs);
    expect([ranked.verdict, ranked.reason]).toEqual(["confirmed", "3 confirmed, 0 reversed, 0 inconclusive of 3 pairs"]);
    expect(ranked.kind === "rank" && ranked.pairs.every((p) => p.family === 3 && p.pAdjusted! >= p.p!)).toBe(true);
    const wrongOrder = rank(act, "activation", [["gelu"], ["elu", "relu"]], "fid_lite", "lower");
    const wrong = evaluateClaim(wrongOrder, runs);
    expect([wrong.verdict, wrong.reason]).toEqual(["refuted", "1 confirmed, 1 reversed, 0 inconclusive of 2 pairs"]);
    const f = finding({ id: "t", title: "t", quote: "q", claims: [r, rate(arm(act, {}), ["diverged"], { atLeast: 0.5 })] });
    const decided = decideFinding(f, runs, BUDGETS.smoke);
    expect([decided.verdict, decided.tests]).toEqual(["refuted", 4]);
    expect(decided.reason).toBe("1 confirmed, 1 refuted, 0 inconclusive of 2 claims; 4 test(s), Holm at 0.05 across them");
    expect(decided.budgetLine).toMatch(/^smoke: 2 epochs × 512 images × 2 seeds/);
  });

  it("Holm spans the finding: a p that decides alone may not decide beside other tests", () => {
    // elu vs relu alone: two-sided p = 0.028 < 0.05 (scipy's ttest_ind); beside two null comparisons Holm asks for 0.05/3.
    const shift = [0.3, -0.8, 1.1, -0.2, 0.6];
    const runs = SEEDS.flatMap((s) => [run("elu", s, { fid_lite: shift[s]! }), run("relu", s, { fid_lite: 1.2 + shift[(s + 2) % 5]! * 0.9 }), run("gelu", s, { fid_lite: shift[(s + 1) % 5]! })]);
    const alone = evaluateClaim(eluBeatsRelu, runs);
    expect(alone.verdict).toBe("confirmed");
    expect(alone.kind === "compare" && alone.p).toBeCloseTo(0.028142311576334553, 10);
    const f = finding({ id: "h", title: "t", quote: "q", claims: [eluBeatsRelu, compare(gelu, elu, "fid_lite", "lower"), compare(elu, gelu, "fid_lite", "higher")] });
    const together = decideFinding(f, runs, BUDGETS.cpu);
    expect(together.claims[0]!.verdict).toBe("inconclusive");
    expect(together.tests).toBe(3);
  });

  it("unions pool arms as strata (stratified Welch)", () => {
    const runs = SEEDS.flatMap((s) => [run("elu", s, { fid_lite: 10 + s }), run("gelu", s, { fid_lite: 12 + s }), run("relu", s, { fid_lite: 50 + s })]);
    const r = evaluateClaim(compare(union("elu or gelu", elu, gelu), relu, "fid_lite", "lower"), runs);
    expect(r.kind === "compare" && [r.a.n, r.a.strata, r.verdict]).toEqual([10, 2, "confirmed"]);
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
