/**
 * The decision rule's error rates, measured: simulated studies through the
 * public decision code (evaluateClaim, decideFinding), K studies per case
 * from a seeded stream, each count checked against the Binomial(K, p)
 * count that a rule with error rate p exceeds with probability 1e-4 — so
 * the fixed seed is no easier than a random one, and a rule that is off by
 * a little is caught. Power floors keep a rule that never decides from
 * passing; the old percentile-bootstrap rule, run through the same harness,
 * must fail. Runs are StudyRun objects judged `converged`, so the gate lets
 * them through; the gate itself is checked as properties at the end.
 *
 * The measured rates are printed (and quoted in libs/findings/README.md).
 */
import { DEFAULTS, experiment, type RunConfig } from "@ganscope/dsl";
import fc from "fast-check";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import { describe, expect, it } from "vitest";
import {
  BUDGETS,
  MIN_SEEDS,
  arm,
  binomialLower,
  binomialQuantileOf,
  compare,
  decideFinding,
  effectInterval,
  evaluateClaim,
  finding,
  rank,
  rate,
  type Claim,
  type FindingVerdict,
  type Observation,
  type StudyRun,
} from "./index.js";

const ACTIVATIONS = ["elu", "gelu", "leaky_relu", "relu"] as const;
type Act = (typeof ACTIVATIONS)[number];
const LAYERS = [2, 3, 4] as const;
type Layers = (typeof LAYERS)[number];
const cal = experiment("cal").vary("activation", ACTIVATIONS).vary("gen_layers", LAYERS);

/** P(count > bound) ≤ 1e-4 for a rule whose true rate is p. */
const upperBound = (k: number, p: number) => binomialQuantileOf(1 - 1e-4, k, p);
/** P(count < bound) ≤ 1e-4 for a rule whose true rate is p. */
const lowerBound = (k: number, p: number) => binomialQuantileOf(1e-4, k, p) - 1;

const SEED = Number(process.env["CALIBRATION_SEED"] ?? 20_240_024);
const fresh = (salt: number): RandomGenerator => xoroshiro128plus(SEED ^ salt);

function normal(rng: RandomGenerator): number {
  // Box–Muller; 1 − u keeps the log finite.
  const u = 1 - uniformFloat64(rng);
  const v = uniformFloat64(rng);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** The null families: both arms draw from one of these. Lower is better, so "worse" is higher. */
const FAMILIES = {
  normal: (rng: RandomGenerator) => normal(rng),
  /** 20% of seeds land 6 SD worse: a run that failed to train. */
  "failing seeds": (rng: RandomGenerator) => normal(rng) + (uniformFloat64(rng) < 0.2 ? 6 : 0),
  lognormal: (rng: RandomGenerator) => Math.exp(normal(rng)),
} as const;

// Configs are made once and reused: a run's stratum is cached per config object.
const configs = new Map<string, RunConfig>();
function configOf(activation: Act, gen_layers: Layers, seed: number): RunConfig {
  const key = `${activation}|${gen_layers}|${seed}`;
  let c = configs.get(key);
  if (!c) configs.set(key, (c = Object.freeze({ ...DEFAULTS, activation, gen_layers, seed })));
  return c;
}

function run(activation: Act, gen_layers: Layers, seed: number, value: number, verdict = "converged", metric = "fid_lite"): StudyRun {
  return { experiment: "cal", runId: `${activation}-${gen_layers}-${seed}`, config: configOf(activation, gen_layers, seed), finished: true, verdict, metrics: { [metric]: value } };
}

/** Counts of each verdict over `k` studies. */
function tally(k: number, study: () => FindingVerdict): Record<FindingVerdict, number> {
  const out: Record<FindingVerdict, number> = { confirmed: 0, refuted: 0, inconclusive: 0, untested: 0, undecidable: 0 };
  for (let i = 0; i < k; i++) out[study()]++;
  return out;
}

const pct = (n: number, k: number) => `${((100 * n) / k).toFixed(2)}%`;
const fast = { display: false } as const;

const elu = arm(cal, { activation: "elu", gen_layers: 3 });
const relu = arm(cal, { activation: "relu", gen_layers: 3 });
const eluBeatsRelu = compare(elu, relu, "fid_lite", "lower");

/** Two single-config arms of `n` seeds, values from `draw` plus `shift` on arm a. */
function twoArms(rng: RandomGenerator, n: number, draw: (rng: RandomGenerator) => number, shift = 0): StudyRun[] {
  const runs: StudyRun[] = [];
  for (let s = 0; s < n; s++) runs.push(run("elu", 3, s, draw(rng) + shift), run("relu", 3, s, draw(rng)));
  return runs;
}

const K = 4000;

describe("calibration: two arms from one distribution", () => {
  const bound = upperBound(K, 0.025);
  for (const n of [5, 8]) {
    for (const [family, draw] of Object.entries(FAMILIES)) {
      it(`${family}, ${n} vs ${n} seeds: confirmed ≤ 2.5% and refuted ≤ 2.5% (bound ${bound} of ${K})`, () => {
        const rng = fresh(n * 1000 + family.length);
        const t = tally(K, () => evaluateClaim(eluBeatsRelu, twoArms(rng, n, draw), fast).verdict);
        console.log(`calibration ${family} ${n}v${n}: confirmed ${pct(t.confirmed, K)}, refuted ${pct(t.refuted, K)} of ${K} (bound ${pct(bound, K)} each)`);
        expect(t.confirmed).toBeLessThanOrEqual(bound);
        expect(t.refuted).toBeLessThanOrEqual(bound);
      });
    }
  }

  it(`pooled arms, 3 configs each with their own means and spreads, 5 seeds a config: decided ≤ 5% (bound ${upperBound(K, 0.05)} of ${K})`, () => {
    const rng = fresh(77);
    const means: Record<Layers, number> = { 2: 0, 3: 8, 4: -5 };
    const sds: Record<Layers, number> = { 2: 1, 3: 4, 4: 0.3 };
    const pooled = compare(arm(cal, { activation: "elu" }), arm(cal, { activation: "relu" }), "fid_lite", "lower");
    const t = tally(K, () => {
      const runs: StudyRun[] = [];
      for (const l of LAYERS) for (let s = 0; s < 5; s++) for (const a of ["elu", "relu"] as const) runs.push(run(a, l, s, means[l] + sds[l] * normal(rng)));
      return evaluateClaim(pooled, runs, fast).verdict;
    });
    const decided = t.confirmed + t.refuted;
    console.log(`calibration pooled 3 configs × 5 seeds: decided ${pct(decided, K)} (confirmed ${pct(t.confirmed, K)}, refuted ${pct(t.refuted, K)}) of ${K}`);
    expect(decided).toBeLessThanOrEqual(upperBound(K, 0.05));
  });
});

const finding1 = rank(cal, "activation", [["elu"], ["gelu", "leaky_relu"], ["relu"]], "fid_lite", "lower");

/** One value per (activation, seed) at gen_layers 3, `means[activation]` plus unit noise. */
function rankingRuns(rng: RandomGenerator, n: number, means: Record<Act, number>): StudyRun[] {
  const runs: StudyRun[] = [];
  for (let s = 0; s < n; s++) for (const a of ACTIVATIONS) runs.push(run(a, 3, s, means[a] + normal(rng)));
  return runs;
}

const KF = 2000;

describe("calibration: Holm within a finding", () => {
  it(`a finding-1-shaped ranking under the complete null: the finding refuted ≤ 5% (bound ${upperBound(KF, 0.05)} of ${KF})`, () => {
    const rng = fresh(101);
    const f = finding({ id: "1", title: "ranking", quote: "q", claims: [rank(cal, "activation", [["elu"], ["gelu", "leaky_relu"], ["relu"]], "fid_lite", "lower")] });
    const null4 = { elu: 0, gelu: 0, leaky_relu: 0, relu: 0 };
    for (const n of [5, 8]) {
      let anyPair = 0;
      const t = tally(KF, () => {
        const r = decideFinding(f, rankingRuns(rng, n, null4), BUDGETS.cpu, fast);
        const c = r.claims[0]!;
        if (c.kind === "rank" && c.pairs.some((p) => p.verdict === "confirmed" || p.verdict === "refuted")) anyPair++;
        return r.verdict;
      });
      console.log(`calibration ranking null ${n} seeds: finding refuted ${pct(t.refuted, KF)}, confirmed ${pct(t.confirmed, KF)}, some pair decided ${pct(anyPair, KF)} of ${KF}`);
      expect(t.refuted).toBeLessThanOrEqual(upperBound(KF, 0.05));
      expect(anyPair).toBeLessThanOrEqual(upperBound(KF, 0.05));
    }
  });

  it(`two null claims in one finding: decided ≤ 5% together (bound ${upperBound(KF, 0.05)} of ${KF})`, () => {
    const rng = fresh(202);
    const gelu = arm(cal, { activation: "gelu", gen_layers: 3 });
    const leaky = arm(cal, { activation: "leaky_relu", gen_layers: 3 });
    const f = finding({ id: "2", title: "two claims", quote: "q", claims: [eluBeatsRelu, compare(gelu, leaky, "fid_lite", "lower")] });
    const null4 = { elu: 0, gelu: 0, leaky_relu: 0, relu: 0 };
    let decided = 0;
    for (let i = 0; i < KF; i++) {
      const r = decideFinding(f, rankingRuns(rng, 5, null4), BUDGETS.cpu, fast);
      if (r.claims.some((c) => c.verdict === "confirmed" || c.verdict === "refuted")) decided++;
    }
    console.log(`calibration two null claims, 5 seeds: some claim decided ${pct(decided, KF)} of ${KF}`);
    expect(decided).toBeLessThanOrEqual(upperBound(KF, 0.05));
  });
});

describe("calibration: rate claims at the bound, exactly", () => {
  it("for every n in 4..24 and bounds 0.2, 0.5, 0.8 (at least and at most): P(confirmed) ≤ 2.5% and P(refuted) ≤ 2.5%", () => {
    const all = arm(cal, { activation: "elu" });
    let worst = { p: 0, at: "" };
    for (const p0 of [0.2, 0.5, 0.8]) {
      for (const claim of [rate(all, ["vanishing_gradients"], { atLeast: p0 }), rate(all, ["vanishing_gradients"], { atMost: p0 })]) {
        for (let n = 4; n <= 24; n++) {
          // P(decision) = Σ_k P(k of n at the bound) · [the rule decides at k], the rule run once per k.
          const prob = { confirmed: 0, refuted: 0 };
          for (let k = 0; k <= n; k++) {
            const runs = [...Array(n)].map((_, i) => run("elu", LAYERS[i % 3]!, Math.floor(i / 3), 0, i < k ? "vanishing_gradients" : "converged"));
            const v = evaluateClaim(claim, runs).verdict;
            const pk = binomialLower(k, n, p0) - binomialLower(k - 1, n, p0);
            if (v === "confirmed" || v === "refuted") prob[v] += pk;
          }
          for (const v of ["confirmed", "refuted"] as const) {
            if (prob[v] > worst.p) worst = { p: prob[v], at: `${v} at n = ${n}, ${"atLeast" in claim && claim.atLeast !== undefined ? "atLeast" : "atMost"} ${p0}` };
            expect(prob[v], `${v}, n = ${n}, bound ${p0}`).toBeLessThanOrEqual(0.025);
          }
        }
      }
    }
    console.log(`calibration rate claims at the bound, n 4..24: largest decision probability ${(100 * worst.p).toFixed(2)}% (${worst.at})`);
  });
});

describe("calibration: power floors", () => {
  const KP = 1000;
  it(`5 vs 5 seeds at a 3-SD effect: confirmed ≥ 90% (floor ${lowerBound(KP, 0.9)} of ${KP})`, () => {
    const rng = fresh(303);
    const t = tally(KP, () => evaluateClaim(eluBeatsRelu, twoArms(rng, 5, FAMILIES.normal, -3), fast).verdict);
    console.log(`power 5v5 at 3 SD: confirmed ${pct(t.confirmed, KP)}, refuted ${pct(t.refuted, KP)} of ${KP}`);
    expect(t.confirmed).toBeGreaterThanOrEqual(lowerBound(KP, 0.9));
  });

  it(`a ranking with 2-SD tier gaps at 10 seeds: the finding confirmed ≥ 85% (floor ${lowerBound(KP, 0.85)} of ${KP})`, () => {
    const rng = fresh(404);
    const f = finding({ id: "1", title: "ranking", quote: "q", claims: [finding1] });
    const tiers = { elu: 0, gelu: 2, leaky_relu: 2, relu: 4 };
    const t = tally(KP, () => decideFinding(f, rankingRuns(rng, 10, tiers), BUDGETS.cpu, fast).verdict);
    console.log(`power ranking 2-SD tiers, 10 seeds: finding confirmed ${pct(t.confirmed, KP)}, refuted ${pct(t.refuted, KP)} of ${KP}`);
    expect(t.confirmed).toBeGreaterThanOrEqual(lowerBound(KP, 0.85));
  });

  it("power at 5, 8 and 10 seeds (printed for the README)", () => {
    const rng = fresh(505);
    const KS = 500;
    const rows: string[] = [];
    for (const d of [1, 2, 3]) {
      for (const n of [5, 8, 10]) {
        const t = tally(KS, () => evaluateClaim(eluBeatsRelu, twoArms(rng, n, FAMILIES.normal, -d), fast).verdict);
        rows.push(`${d} SD ${n}v${n}: ${pct(t.confirmed, KS)}`);
        expect(t.refuted).toBeLessThanOrEqual(upperBound(KS, 0.025));
      }
    }
    console.log(`power (one comparison, normal, K = ${KS} each): ${rows.join("; ")}`);
  });
});

describe("calibration: the test has teeth", () => {
  /** The rule this library used before issue 24: a 95% stratified percentile bootstrap of the difference of means; decided when it excludes 0. */
  function oldRule(runs: readonly StudyRun[]): FindingVerdict {
    const obs = (a: Act): Observation[] => runs.filter((r) => r.config.activation === a).map((r) => ({ stratum: "x", value: r.metrics["fid_lite"]! }));
    const e = effectInterval(obs("elu"), obs("relu"), "lower");
    return e.hi < 0 ? "confirmed" : e.lo > 0 ? "refuted" : "inconclusive";
  }

  it("the old percentile-bootstrap rule, through the same harness, exceeds the bound", () => {
    const KT = 1000;
    const rng = fresh(606);
    const t = tally(KT, () => oldRule(twoArms(rng, 5, FAMILIES.normal)));
    const bound = upperBound(KT, 0.025);
    console.log(`teeth: the old bootstrap rule at 5v5, normal null: confirmed ${pct(t.confirmed, KT)}, refuted ${pct(t.refuted, KT)} of ${KT} (bound ${pct(bound, KT)} each)`);
    expect(Math.max(t.confirmed, t.refuted)).toBeGreaterThan(bound);
  });
});

describe("the gate, as properties", () => {
  const QUALITY = ["fid_lite", "kid", "density", "coverage", "precision", "recall", "is_lite", "confidence", "diversity"] as const;
  const CLASS = ["max_class_share", "modes", "kl_uniform", "collapsed"] as const;
  const value = fc.double({ min: -1e6, max: 1e6, noNaN: true });
  /** n runs, more than half judged no_digits (the rest converged), each with a value. */
  const mostlyBlank = fc.integer({ min: 5, max: 8 }).chain((n) =>
    fc.tuple(fc.array(value, { minLength: n, maxLength: n }), fc.integer({ min: Math.floor(n / 2) + 1, max: n })),
  );
  const armRuns = (a: Act, values: readonly number[], blank: number, metric: string) =>
    values.map((v, s) => run(a, 3, s, v, s < blank ? "no_digits" : "converged", metric));

  it("two mostly-no_digits arms are never decided on a quality metric, whatever their values", () => {
    fc.assert(
      fc.property(mostlyBlank, mostlyBlank, fc.constantFrom(...QUALITY), fc.constantFrom("lower" as const, "higher" as const), ([va, ba], [vb, bb], metric, dir) => {
        const r = evaluateClaim(compare(elu, relu, metric, dir), [...armRuns("elu", va, ba, metric), ...armRuns("relu", vb, bb, metric)], fast);
        expect(r.verdict).toBe("undecidable");
      }),
      { numRuns: 200 },
    );
  });

  it("class metrics are not decided when either arm is mostly no_digits", () => {
    fc.assert(
      fc.property(mostlyBlank, fc.array(value, { minLength: 5, maxLength: 8 }), fc.constantFrom(...CLASS), fc.boolean(), ([va, ba], vb, metric, blankFirst) => {
        const blank = armRuns(blankFirst ? "elu" : "relu", va, ba, metric);
        const drawn = armRuns(blankFirst ? "relu" : "elu", vb, 0, metric);
        const r = evaluateClaim(compare(elu, relu, metric, "lower"), [...blank, ...drawn], fast);
        expect(r.verdict).toBe("undecidable");
      }),
      { numRuns: 200 },
    );
  });

  it(`fewer than ${MIN_SEEDS} seeds is "needs seeds", even at an effect of 100 SD`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: MIN_SEEDS - 1 }), fc.integer({ min: 2, max: 12 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (na, nb, seed) => {
        const rng = xoroshiro128plus(seed);
        const runs = [...[...Array(na)].map((_, s) => run("elu", 3, s, normal(rng) - 100)), ...[...Array(nb)].map((_, s) => run("relu", 3, s, normal(rng)))];
        const r = evaluateClaim(eluBeatsRelu, runs, fast);
        expect(r.verdict).toBe("inconclusive");
        expect(r.kind === "compare" && r.reason).toMatch(/^needs seeds \(n < 5\)/);
      }),
      { numRuns: 100 },
    );
  });

  it("a reference that mostly draws no digits makes every claim on drawings undecidable; failure modes stay decidable", () => {
    const reference = arm(cal, { activation: "gelu", gen_layers: 2 }, "baseline");
    const refRuns = [0, 1, 2].map((s) => run("gelu", 2, s, 0, "no_digits"));
    const drawn = (metric: string) => [...armRuns("elu", [1, 2, 3, 4, 5], 0, metric), ...armRuns("relu", [11, 12, 13, 14, 15], 0, metric)];
    const claims: [Claim, string][] = [
      [compare(elu, relu, "fid_lite", "lower"), "fid_lite"],
      [compare(elu, relu, "max_class_share", "lower"), "max_class_share"],
      [compare(elu, relu, "verdict:converged", "higher"), "fid_lite"],
      [rate(elu, ["mode_collapse"], { atLeast: 0.5 }), "fid_lite"],
    ];
    for (const [c, metric] of claims) {
      const r = evaluateClaim(c, [...refRuns, ...drawn(metric)], { budget: BUDGETS.cpu, reference, display: false });
      expect(r.verdict).toBe("undecidable");
      expect(r.kind !== "rank" && r.reason).toBe("at cpu the reference baseline draws no digits (3/3 no_digits)");
    }
    const failures = [0, 1, 2, 3, 4, 5].map((s) => run("elu", 3, s, 0, "vanishing_gradients"));
    expect(evaluateClaim(rate(elu, ["vanishing_gradients"], { atLeast: 0.5 }), [...refRuns, ...failures], { budget: BUDGETS.cpu, reference }).verdict).toBe("confirmed");
  });
});
