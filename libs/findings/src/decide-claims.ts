/**
 * Deciding claims from runs. Per claim, in this order: not tested (the
 * budget trains none of an arm's configs); not decidable at this budget
 * (the runs' verdicts say the budget learned nothing the claim is about,
 * gate.ts); needs seeds (fewer than MIN_SEEDS per config); then a test —
 * stratified Welch on a metric, Fisher's exact on a verdict's share, the
 * exact binomial for a rate — read as two one-sided decisions, with Holm
 * across every test of the finding. Means, IQM, bootstrap intervals and the
 * probability of improvement travel with the result for display only.
 */
import { metricLabel, type FindingVerdict, type RunConfig } from "@ganscope/dsl";
import type { Verdict } from "@ganscope/metrics";
import type { Arm, Claim, Comparison, Direction, Finding, MetricKey, RateClaim, Ranking } from "./claim.js";
import { withBackendMix } from "./backend-mix.js";
import { describeBudget, strataKey, type Budget } from "./budgets.js";
import { PRE_CONVERGENCE_NOTE, describeMix, gateComparison, gateRate, preConvergence, verdictMix, type GateContext, type VerdictMix } from "./gate.js";
import {
  binomialReach,
  binomialTest,
  detectableRate,
  fisherExact,
  holmAdjust,
  minimumDetectableEffect,
  stratifiedWelch,
  twoSided,
  type MinimumDetectable,
  type OneSidedPValues,
} from "./hypothesis-tests.js";
import { effectInterval, iqm, mean, probabilityOfImprovement, wilsonInterval, type Observation } from "./statistics.js";

/**
 * A finding's verdict: its names, and what each means, are data in dsl's
 * verdict-names.ts (FINDING_VERDICT_SCHEMA), which the dashboard reads too.
 * "untested": an arm's every config is one the budget does not train (too large for it); the reason says which.
 * "undecidable": not decidable at this budget — the runs' verdicts say it learned nothing the claim is about (gate.ts).
 */
export type { FindingVerdict };

/**
 * Fewer runs than this in any config of a compared arm and nothing is
 * decided, whatever the effect: at 3 seeds an exact permutation test cannot
 * reach 5% at all (its smallest two-sided p is 2/20) and Welch finds a 2-SD
 * effect 36% of the time. Rate claims count runs instead (see evaluateRate).
 */
export const MIN_SEEDS = 5;

/** Family-wise error rate of each finding: Holm across its tests, each direction at half of its Holm threshold. */
export const FAMILY_ALPHA = 0.05;

/** The power the minimum detectable effect is quoted at. */
export const MDE_POWER = 0.8;

/** What the study tells the decision beyond the runs: the budget (for the reasons) and the arms its gate reads. */
export interface DecisionContext {
  readonly budget?: Budget;
  /** The study's reference config: where it mostly draws no digits, no claim on drawings is decidable. */
  readonly reference?: Arm;
  /** A config expected to converge: claims on `converged` are decidable only where it does, in at least half its runs. */
  readonly positiveControl?: Arm;
  /**
   * Compute the display-only estimates (the bootstrap interval of each
   * effect; default true). Simulations that count decisions turn it off:
   * the bootstrap is most of a decision's cost and decides nothing.
   */
  readonly display?: boolean;
}

/** What the study knows of one run at a budget. */
export interface StudyRun {
  readonly experiment: string;
  readonly runId: string;
  readonly config: Readonly<RunConfig>;
  /** Trained to the budget's epochs (status done, or diverged or stopped before them). */
  readonly finished: boolean;
  /** The run's verdict at this budget's final epoch, when known. */
  readonly verdict?: string;
  /** The last value of each metric up to the budget's epochs. */
  readonly metrics: Readonly<Record<string, number>>;
  /** The run's last sample grid up to the budget's epochs. */
  readonly sample?: string;
  /** Why the budget does not train this config at all (see budgetExcludes). */
  readonly notTrained?: string;
  /** Seconds of training up to the budget's epochs (its share of a fused group's time), when its summary says. */
  readonly trainSecs?: number;
  /** The backend it trained on (config.json's backend line), when recorded. */
  readonly backend?: string;
}

export interface ArmSummary {
  readonly label: string;
  /** Runs in the test: with a value, or counted as worst (`imputed`). */
  readonly n: number;
  /** Configs pooled in the arm. */
  readonly strata: number;
  /** Fewest runs in the test in any config. */
  readonly minSeeds: number;
  /** Runs the arm names that are not in the test (unfinished at this budget); `missingWhy` says why. */
  readonly missing: number;
  /**
   * Finished runs without the value (a diverged run has no FID-lite; the stop
   * policy may end one before its evaluation), counted in the test at the
   * worst value either arm measured, so a dead run never leaves its arm looking better.
   */
  readonly imputed: number;
  /** Why runs lack a measured value: their verdict (`diverged`, …; these are imputed) or `unfinished`. */
  readonly missingWhy: Readonly<Record<string, number>>;
  /** Why configs of the arm are not trained at this budget, once per config (empty when all are). */
  readonly notTrained: readonly string[];
  /** Finished runs with a verdict. */
  readonly judged: number;
  /** The verdict mix of the arm's finished runs: verdict → runs (`no_digits 3/3`). */
  readonly verdicts: Readonly<Record<string, number>>;
  readonly mean?: number;
  readonly iqm?: number;
  /** Every run the arm names, with its seed, its verdict and its value when it has one: what a reader (the dashboard) aggregates over seeds. */
  readonly runs: readonly { readonly experiment: string; readonly runId: string; readonly seed: number; readonly value?: number; readonly verdict?: string; readonly imputed?: true }[];
  /** The run whose value is the arm's median (lower middle for even n), with its grid. */
  readonly medianRun?: { readonly experiment: string; readonly runId: string; readonly value: number; readonly sample?: string };
  /** The backends its runs in the test trained on, with counts: only where the claim's runs were trained on more than one (backend-mix.ts). */
  readonly backends?: Readonly<Record<string, number>>;
}

/** The p-values of a decided or tested claim: raw one-sided in each direction, two-sided, and Holm-adjusted within the finding. */
export interface TestedFields {
  /** One-sided p in the claimed direction. */
  readonly pClaimed?: number;
  /** One-sided p in the reverse direction. */
  readonly pReverse?: number;
  /** 2 · min(pClaimed, pReverse), at most 1. */
  readonly p?: number;
  /** `p` adjusted by Holm across the finding's tests; decided when below FAMILY_ALPHA. */
  readonly pAdjusted?: number;
  /** Tests in the finding's Holm family (those that reached a p-value). */
  readonly family?: number;
}

export interface ComparisonResult extends TestedFields {
  readonly kind: "compare";
  readonly statement: string;
  readonly metric: MetricKey;
  readonly direction: Direction;
  readonly a: ArmSummary;
  readonly b: ArmSummary;
  /** welch for a metric, fisher for a `verdict:<name>` share. */
  readonly test?: "welch" | "fisher";
  /** mean(a) − mean(b) (stratified; a difference of shares for a verdict). */
  readonly effect?: number;
  /** 95% interval of the effect: Welch's t interval (Newcombe's score interval for a difference of shares). */
  readonly lo?: number;
  readonly hi?: number;
  readonly se?: number;
  /** Welch–Satterthwaite degrees of freedom. */
  readonly df?: number;
  /** For display: the 95% stratified percentile bootstrap of the effect (it under-covers at few seeds). */
  readonly bootstrapLo?: number;
  readonly bootstrapHi?: number;
  readonly probabilityOfImprovement?: number;
  /** The smallest true effect the test would decide with 80% power at these n, in pooled SDs (d) and the metric's units. */
  readonly mde?: MinimumDetectable;
  readonly verdict: FindingVerdict;
  readonly reason: string;
  /** A caveat that holds even when decided (pre-convergence). */
  readonly note?: string;
}

export interface RateResult extends TestedFields {
  readonly kind: "rate";
  readonly statement: string;
  readonly arm: ArmSummary;
  readonly verdicts: readonly string[];
  readonly successes: number;
  readonly n: number;
  readonly rate?: number;
  /** 95% Wilson interval, for display (the exact binomial test decides). */
  readonly lo: number;
  readonly hi: number;
  readonly bound: { readonly atLeast: number } | { readonly atMost: number };
  readonly test?: "binomial";
  /** The true share at which the exact test would decide the claim with 80% power at this n. */
  readonly detectableRate?: number;
  readonly verdict: FindingVerdict;
  readonly reason: string;
}

export interface RankingResult {
  readonly kind: "rank";
  readonly statement: string;
  readonly pairs: readonly ComparisonResult[];
  readonly verdict: FindingVerdict;
  readonly reason: string;
}

export type ClaimResult = ComparisonResult | RateResult | RankingResult;

export interface FindingResult {
  readonly id: string;
  readonly title: string;
  readonly quote: string;
  readonly assumptions?: string;
  readonly budget: Budget;
  /** The budget as the line every report row states. */
  readonly budgetLine: string;
  readonly verdict: FindingVerdict;
  /** The mix of its claims' verdicts and the Holm family they were decided in. */
  readonly reason: string;
  /** Tests that reached a p-value; Holm keeps the chance that any of them decides wrongly ≤ FAMILY_ALPHA. */
  readonly tests: number;
  readonly claims: readonly ClaimResult[];
}

/** An experiment's name, once per experiment: `definition` is rebuilt on every read. */
const experimentNames = new WeakMap<object, string>();
function nameOf(e: Arm["parts"][number]["experiment"]): string {
  let name = experimentNames.get(e);
  if (name === undefined) experimentNames.set(e, (name = e.definition.name));
  return name;
}

function matches(run: StudyRun, a: Arm): boolean {
  return a.parts.some((p) => nameOf(p.experiment) === run.experiment && Object.entries(p.select).every(([k, values]) => values.includes(run.config[k as keyof RunConfig])));
}

/** The runs an arm names, once each (a run shared by two experiments is one run). */
export function runsOfArm(runs: readonly StudyRun[], a: Arm): StudyRun[] {
  const seen = new Set<string>();
  return runs.filter((r) => {
    if (!matches(r, a) || seen.has(r.runId)) return false;
    seen.add(r.runId);
    return true;
  });
}

function mixOf(label: string, runs: readonly StudyRun[]): VerdictMix {
  return verdictMix(
    label,
    runs.map((r) => (r.finished && r.notTrained === undefined ? r.verdict : undefined)),
  );
}

/** A run's value of the metric: a number, or why it has none. */
type Reading = { value: number } | { why: string; finished: boolean };

function readingOf(run: StudyRun, metric: MetricKey): Reading {
  if (!run.finished) return { why: "unfinished", finished: false };
  if (metric.startsWith("verdict:")) {
    return run.verdict === undefined ? { why: "not judged", finished: false } : { value: run.verdict === metric.slice("verdict:".length) ? 1 : 0 };
  }
  const v = run.metrics[metric];
  return v !== undefined && Number.isFinite(v) ? { value: v } : { why: run.verdict ?? "no value", finished: true };
}

interface Summarised {
  readonly summary: ArmSummary;
  readonly observations: Observation[];
}

function summarise(label: string, named: readonly StudyRun[], readings: readonly Reading[], worst: number | undefined): Summarised {
  const observations: Observation[] = [];
  const measured: { run: StudyRun; value: number }[] = [];
  const runs: ArmSummary["runs"][number][] = [];
  const perStratum = new Map<string, number>();
  const missingWhy: Record<string, number> = {};
  let imputed = 0;
  // A config the budget does not train is no stratum: it is counted apart (notTrained), not as a config with 0 seeds.
  for (const r of named) if (r.notTrained === undefined) perStratum.set(strataKey(r.config), 0);
  named.forEach((r, i) => {
    if (r.notTrained !== undefined) {
      runs.push({ experiment: r.experiment, runId: r.runId, seed: r.config.seed });
      return;
    }
    const reading = readings[i]!;
    const verdict = r.finished && r.verdict !== undefined ? { verdict: r.verdict } : {};
    let value: number | undefined;
    if ("value" in reading) {
      value = reading.value;
      measured.push({ run: r, value });
      runs.push({ experiment: r.experiment, runId: r.runId, seed: r.config.seed, value, ...verdict });
    } else {
      missingWhy[reading.why] = (missingWhy[reading.why] ?? 0) + 1;
      if (reading.finished && worst !== undefined) {
        value = worst;
        imputed++;
        runs.push({ experiment: r.experiment, runId: r.runId, seed: r.config.seed, value, ...verdict, imputed: true });
      } else {
        runs.push({ experiment: r.experiment, runId: r.runId, seed: r.config.seed, ...verdict });
      }
    }
    if (value === undefined) return;
    const stratum = strataKey(r.config);
    observations.push({ stratum, value });
    perStratum.set(stratum, (perStratum.get(stratum) ?? 0) + 1);
  });
  const values = observations.map((o) => o.value);
  const sorted = [...measured].sort((x, y) => x.value - y.value);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  const mix = mixOf(label, named);
  const trained = named.filter((r) => r.notTrained === undefined).length;
  const summary: ArmSummary = {
    label,
    n: observations.length,
    strata: perStratum.size,
    minSeeds: perStratum.size === 0 ? 0 : Math.min(...perStratum.values()),
    missing: trained - observations.length,
    imputed,
    missingWhy,
    notTrained: named.flatMap((r) => (r.notTrained !== undefined ? [r.notTrained] : [])),
    judged: mix.judged,
    verdicts: mix.counts,
    runs,
    ...(values.length > 0 ? { mean: mean(values), iqm: iqm(values) } : {}),
    ...(mid ? { medianRun: { experiment: mid.run.experiment, runId: mid.run.runId, value: mid.value, ...(mid.run.sample ? { sample: mid.run.sample } : {}) } } : {}),
  };
  return { summary, observations };
}

const mixOfSummary = (s: ArmSummary): VerdictMix => ({ label: s.label, judged: s.judged, counts: s.verdicts });

/** An arm with no value because the budget leaves out every config it names: the claim is not tested, not undecided. */
function untested(arms: readonly ArmSummary[]): string | undefined {
  // Only an arm whose every config the budget leaves out (strata counts the configs it does train): an arm still being trained "needs seeds".
  const out = arms.filter((s) => s.strata === 0 && s.notTrained.length > 0);
  return out.length === 0 ? undefined : `not tested at this budget: ${out.map((s) => `${s.label}: ${s.notTrained.join("; ")}`).join(" · ")}`;
}

function needsSeeds(arms: readonly ArmSummary[]): string | undefined {
  const short = arms.filter((s) => s.n === 0 || s.minSeeds < MIN_SEEDS);
  if (short.length === 0) return undefined;
  return `needs seeds (n < ${MIN_SEEDS}): ${short.map((s) => `${s.label} has ${s.n === 0 ? "no runs with a value" : `${s.minSeeds} seed(s) in a config`}`).join("; ")}; at least ${MIN_SEEDS} per config to decide`;
}

/** Numbers in reasons. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : a === 0 ? "0" : x.toPrecision(2);
}

/** p-values: two significant digits, small ones in e-notation. */
export function fmtP(p: number): string {
  return p >= 0.001 ? p.toPrecision(2) : p === 0 ? "0" : p.toExponential(1);
}

/** Newcombe's hybrid score interval (method 10) of a difference of two shares, from their Wilson intervals: for display. */
function newcombe(a: { successes: number; n: number }, b: { successes: number; n: number }): { lo: number; hi: number } {
  const wa = wilsonInterval(a.successes, a.n);
  const wb = wilsonInterval(b.successes, b.n);
  const d = wa.rate - wb.rate;
  return { lo: d - Math.hypot(wa.rate - wa.lo, wb.hi - wb.rate), hi: d + Math.hypot(wa.hi - wa.rate, wb.rate - wb.lo) };
}

/** The observations a comparison leaf was measured on, kept aside to quote its minimum detectable effect once the finding's family size is known. */
const observationsOf = new WeakMap<ComparisonResult, { a: Observation[]; b: Observation[] }>();

interface Controls {
  readonly gate: GateContext;
  readonly display: boolean;
}

function controlsOf(runs: readonly StudyRun[], ctx: DecisionContext): Controls {
  return {
    display: ctx.display ?? true,
    gate: {
      ...(ctx.budget ? { budgetName: ctx.budget.name } : {}),
      ...(ctx.reference ? { reference: mixOf(ctx.reference.label, runsOfArm(runs, ctx.reference)) } : {}),
      ...(ctx.positiveControl ? { positiveControl: mixOf(ctx.positiveControl.label, runsOfArm(runs, ctx.positiveControl)) } : {}),
    },
  };
}

/** The two one-sided p-values as claimed and reverse, with the two-sided p. */
function oriented(p: OneSidedPValues, claimedHigher: boolean): Required<Pick<TestedFields, "pClaimed" | "pReverse" | "p">> {
  return { pClaimed: claimedHigher ? p.pHigher : p.pLower, pReverse: claimedHigher ? p.pLower : p.pHigher, p: twoSided(p) };
}

function measureComparison(c: Comparison, runs: readonly StudyRun[], controls: Controls): ComparisonResult {
  const statement = `${c.a.label} ${c.direction} than ${c.b.label} on ${c.metric}`;
  const namedA = runsOfArm(runs, c.a);
  const namedB = runsOfArm(runs, c.b);
  const readA = namedA.map((r) => readingOf(r, c.metric));
  const readB = namedB.map((r) => readingOf(r, c.metric));
  // A finished run without the value counts as the worst value either arm measured, in the claim's sense of worse.
  const measuredValues = [...readA, ...readB].flatMap((x) => ("value" in x ? [x.value] : []));
  const worst = measuredValues.length === 0 ? undefined : c.direction === "lower" ? Math.max(...measuredValues) : Math.min(...measuredValues);
  const a = summarise(c.a.label, namedA, readA, worst);
  const b = summarise(c.b.label, namedB, readB, worst);
  const base = { kind: "compare" as const, statement, metric: c.metric, direction: c.direction, a: a.summary, b: b.summary };
  const skipped = untested([a.summary, b.summary]);
  if (skipped) return { ...base, verdict: "untested", reason: skipped };
  const gated = gateComparison(c.metric, mixOfSummary(a.summary), mixOfSummary(b.summary), controls.gate);
  if (gated) return { ...base, verdict: "undecidable", reason: gated };
  const display = a.observations.length > 0 && b.observations.length > 0 ? { probabilityOfImprovement: probabilityOfImprovement(a.observations.map((o) => o.value), b.observations.map((o) => o.value), c.direction) } : {};
  const short = needsSeeds([a.summary, b.summary]);
  const claimedHigher = c.direction === "higher";
  let result: ComparisonResult;
  if (c.metric.startsWith("verdict:")) {
    const ca = { successes: a.observations.filter((o) => o.value === 1).length, n: a.observations.length };
    const cb = { successes: b.observations.filter((o) => o.value === 1).length, n: b.observations.length };
    const interval = ca.n > 0 && cb.n > 0 ? { effect: ca.successes / ca.n - cb.successes / cb.n, ...newcombe(ca, cb) } : {};
    if (short) return { ...base, test: "fisher", ...interval, ...display, verdict: "inconclusive", reason: short };
    const f = fisherExact(ca, cb);
    result = { ...base, test: "fisher", ...interval, ...display, ...oriented(f, claimedHigher), verdict: "inconclusive", reason: "" };
  } else {
    const canWelch = a.observations.length > 0 && b.observations.length > 0 && a.summary.minSeeds >= 2 && b.summary.minSeeds >= 2;
    const w = canWelch ? stratifiedWelch(a.observations, b.observations) : undefined;
    const boot = canWelch && controls.display ? effectInterval(a.observations, b.observations, c.direction) : undefined;
    const shown = {
      ...(w ? { effect: w.effect } : a.summary.mean !== undefined && b.summary.mean !== undefined ? { effect: a.summary.mean - b.summary.mean } : {}),
      ...(w && !("noSpread" in w) ? { lo: w.lo, hi: w.hi, se: w.se, df: w.df } : {}),
      ...(boot ? { bootstrapLo: boot.lo, bootstrapHi: boot.hi } : {}),
      ...display,
    };
    if (short) result = { ...base, test: "welch", ...shown, verdict: "inconclusive", reason: short };
    else if (!w || "noSpread" in w) result = { ...base, test: "welch", ...shown, verdict: "inconclusive", reason: "no spread at all within configs: every run of each config has the same value, so the runs cannot say how large a difference chance makes" };
    else result = { ...base, test: "welch", ...shown, ...oriented(w, claimedHigher), verdict: "inconclusive", reason: "" };
    if (canWelch) observationsOf.set(result, { a: a.observations, b: b.observations });
  }
  return result;
}

function measureRate(c: RateClaim, runs: readonly StudyRun[], controls: Controls): RateResult {
  const bound: { atLeast: number } | { atMost: number } = c.atLeast !== undefined ? { atLeast: c.atLeast } : { atMost: c.atMost ?? 0.5 };
  const threshold = "atLeast" in bound ? bound.atLeast : bound.atMost;
  const above = "atLeast" in bound;
  const statement = `share of ${c.arm.label} judged ${c.verdicts.join(" or ")} ${above ? ">" : "<"} ${threshold}`;
  const verdicts: readonly string[] = c.verdicts;
  const named = runsOfArm(runs, c.arm);
  const readings: Reading[] = named.map((r) => (!r.finished ? { why: "unfinished", finished: false } : r.verdict === undefined ? { why: "not judged", finished: false } : { value: verdicts.includes(r.verdict) ? 1 : 0 }));
  const { summary } = summarise(c.arm.label, named, readings, undefined);
  const successes = summary.runs.filter((r) => r.value === 1).length;
  const w = wilsonInterval(successes, summary.n);
  const base = { kind: "rate" as const, statement, arm: summary, verdicts, successes, n: summary.n, ...(summary.n > 0 ? { rate: w.rate } : {}), lo: w.lo, hi: w.hi, bound };
  const skipped = untested([summary]);
  if (skipped) return { ...base, verdict: "untested", reason: skipped };
  const gated = gateRate(c.verdicts as readonly Verdict[], mixOfSummary(summary), controls.gate);
  if (gated) return { ...base, verdict: "undecidable", reason: gated };
  // Runs are pooled over configs (a pooled binomial is conservative when configs differ), so the seeds per config do not matter: only whether n runs can reach the test's level at all.
  const reach = summary.n === 0 ? undefined : binomialReach(summary.n, threshold);
  if (!reach || Math.min(reach.pHigher, reach.pLower) >= FAMILY_ALPHA / 2) {
    let needed = Math.max(1, summary.n);
    while (Math.min(binomialReach(needed, threshold).pHigher, binomialReach(needed, threshold).pLower) >= FAMILY_ALPHA / 2 && needed < 10_000) needed++;
    return { ...base, test: "binomial", verdict: "inconclusive", reason: `needs runs: ${summary.n} run(s) cannot take the exact binomial test below ${FAMILY_ALPHA / 2} either way at the bound ${threshold} (at least ${needed} needed)` };
  }
  return { ...base, test: "binomial", ...oriented(binomialTest(successes, summary.n, threshold), above), verdict: "inconclusive", reason: "" };
}

function measureRanking(c: Ranking, runs: readonly StudyRun[], controls: Controls): RankingResult {
  const pairs = c.pairs.map((p) => measureComparison(p, runs, controls));
  const statement = `${c.axis}: ${c.tiers.map((t) => t.map(String).join(" ≈ ")).join(" > ")} on ${c.metric} (${c.direction} is better)`;
  return { kind: "rank", statement, pairs, verdict: "inconclusive", reason: "" };
}

function measure(c: Claim, runs: readonly StudyRun[], controls: Controls): ClaimResult {
  return c.kind === "compare" ? measureComparison(c, runs, controls) : c.kind === "rate" ? measureRate(c, runs, controls) : measureRanking(c, runs, controls);
}

/**
 * Any refuted → refuted; all confirmed → confirmed; all not tested → not
 * tested; otherwise, when every part is confirmed, not tested or not
 * decidable at this budget (and one is not decidable) → not decidable at
 * this budget; else inconclusive.
 */
export function combineVerdicts(verdicts: readonly FindingVerdict[]): FindingVerdict {
  if (verdicts.includes("refuted")) return "refuted";
  if (verdicts.length === 0) return "inconclusive";
  if (verdicts.every((v) => v === "untested")) return "untested";
  if (verdicts.every((v) => v === "confirmed")) return "confirmed";
  if (verdicts.includes("undecidable") && verdicts.every((v) => v === "confirmed" || v === "untested" || v === "undecidable")) return "undecidable";
  return "inconclusive";
}

/** "1 confirmed, 1 reversed, 3 inconclusive of 5 pairs". */
function mixReason(parts: readonly { verdict: FindingVerdict }[], what: string, refutedWord: string): string {
  const count = (v: FindingVerdict) => parts.filter((p) => p.verdict === v).length;
  const extra = [
    count("undecidable") > 0 ? `${count("undecidable")} not decidable at this budget` : "",
    count("untested") > 0 ? `${count("untested")} not tested at this budget` : "",
  ].filter(Boolean);
  return [`${count("confirmed")} confirmed`, `${count("refuted")} ${refutedWord}`, `${count("inconclusive")} inconclusive`, ...extra].join(", ") + ` of ${parts.length} ${what}`;
}

type Leaf = ComparisonResult | RateResult;

function leavesOf(r: ClaimResult): Leaf[] {
  return r.kind === "rank" ? [...r.pairs] : [r];
}

function mdeOf(leaf: ComparisonResult, alpha: number): { mde?: MinimumDetectable } {
  const obs = observationsOf.get(leaf);
  if (!obs) return {};
  const m = minimumDetectableEffect(obs.a, obs.b, alpha, MDE_POWER);
  return m ? { mde: m } : {};
}

function mdeWords(leaf: ComparisonResult): string {
  if (!leaf.mde) return "";
  return `; at these n it would have needed d ≥ ${fmt(leaf.mde.d)} (≈ ${fmt(leaf.mde.value)} ${metricLabel(leaf.metric)}) for 80% power`;
}

/** One tested leaf decided with its Holm-adjusted p, or an untested leaf given its MDE. */
function settleLeaf(leaf: Leaf, pAdjusted: number | undefined, family: number): Leaf {
  const alpha = FAMILY_ALPHA / Math.max(1, family);
  if (leaf.kind === "rate") {
    const above = "atLeast" in leaf.bound;
    const threshold = above ? (leaf.bound as { atLeast: number }).atLeast : (leaf.bound as { atMost: number }).atMost;
    const detect = leaf.n > 0 && leaf.test === "binomial" ? detectableRate(leaf.n, threshold, above, alpha / 2, MDE_POWER) : undefined;
    const withDetect = detect !== undefined ? { detectableRate: detect } : {};
    if (pAdjusted === undefined || leaf.pClaimed === undefined || leaf.pReverse === undefined) return { ...leaf, ...withDetect };
    const decided = pAdjusted < FAMILY_ALPHA;
    const verdict: FindingVerdict = !decided ? "inconclusive" : leaf.pClaimed < leaf.pReverse ? "confirmed" : "refuted";
    const head = `${leaf.successes} of ${leaf.n} runs; exact binomial test against ${threshold}: one-sided p = ${fmtP(leaf.pClaimed)} in the claimed direction, ${fmtP(leaf.pReverse)} reverse; Holm-adjusted p = ${fmtP(pAdjusted)} (${family} test(s) in the finding)`;
    const tail =
      verdict === "confirmed"
        ? ` < ${FAMILY_ALPHA}: the share is on the claimed side of ${threshold}`
        : verdict === "refuted"
          ? ` < ${FAMILY_ALPHA}: the share is on the other side of ${threshold}`
          : ` ≥ ${FAMILY_ALPHA}${detect !== undefined ? `; at ${leaf.n} runs a true share ${above ? "≥" : "≤"} ${fmt(detect)} would be decided with 80% power` : ""}`;
    return { ...leaf, ...withDetect, pAdjusted, family, verdict, reason: head + tail };
  }
  const withMde = { ...leaf, ...mdeOf(leaf, alpha) };
  if (pAdjusted === undefined || leaf.pClaimed === undefined || leaf.pReverse === undefined) {
    return leaf.verdict === "inconclusive" ? { ...withMde, reason: leaf.reason + mdeWords(withMde) } : withMde;
  }
  const decided = pAdjusted < FAMILY_ALPHA;
  const verdict: FindingVerdict = !decided ? "inconclusive" : leaf.pClaimed < leaf.pReverse ? "confirmed" : "refuted";
  const stat = leaf.test === "fisher" ? `Fisher's exact test on ${leaf.a.n} vs ${leaf.b.n} runs` : `Welch t = ${fmt(leaf.effect! / leaf.se!)}, df ${fmt(leaf.df!)}`;
  const head = `${stat}: one-sided p = ${fmtP(leaf.pClaimed)} in the claimed direction, ${fmtP(leaf.pReverse)} reverse; Holm-adjusted p = ${fmtP(pAdjusted)} (${family} test(s) in the finding)`;
  const tail = verdict === "confirmed" ? ` < ${FAMILY_ALPHA}: the claimed direction is shown` : verdict === "refuted" ? ` < ${FAMILY_ALPHA}: the reverse is shown` : ` ≥ ${FAMILY_ALPHA}${mdeWords(withMde)}`;
  const note = verdict !== "inconclusive" && preConvergence(leaf.metric, mixOfSummary(leaf.a), mixOfSummary(leaf.b)) ? { note: PRE_CONVERGENCE_NOTE } : {};
  return { ...withMde, pAdjusted, family, verdict, reason: head + tail, ...note };
}

/** Holm across every test of `measured` (one finding's claims), then each claim's verdict from its tests. */
function settle(measured: readonly ClaimResult[]): { claims: ClaimResult[]; tests: number } {
  const leaves = measured.flatMap(leavesOf);
  const tested = leaves.filter((l) => l.p !== undefined);
  const adjusted = holmAdjust(tested.map((l) => l.p!));
  const adjustedOf = new Map<Leaf, number>(tested.map((l, i) => [l, adjusted[i]!]));
  const family = tested.length;
  const claims = measured.map((r): ClaimResult => {
    if (r.kind !== "rank") return settleLeaf(r, adjustedOf.get(r), family);
    const pairs = r.pairs.map((p) => settleLeaf(p, adjustedOf.get(p), family) as ComparisonResult);
    return { ...r, pairs, verdict: combineVerdicts(pairs.map((p) => p.verdict)), reason: mixReason(pairs, "pairs", "reversed") };
  });
  return { claims, tests: family };
}

/**
 * Decides one claim from runs, alone (its own Holm family: a ranking's
 * pairs; a comparison or a rate is one test). `context` names the budget
 * and the study's reference and positive control, which the gate reads.
 *
 * @example
 * evaluateClaim(compare(arm(act, { activation: "elu" }), arm(act, { activation: "relu" }), "fid_lite", "lower"), runs).verdict
 */
export function evaluateClaim(c: Claim, runs: readonly StudyRun[], context: DecisionContext = {}): ClaimResult {
  return settle([measure(c, runs, controlsOf(runs, context))]).claims[0]!;
}

/**
 * Decides a finding from the runs of its arms at a budget (runs outside its
 * arms are ignored, bar the study's reference and positive control): Holm
 * across every test its claims make, so the chance that it decides anything
 * wrongly is at most FAMILY_ALPHA.
 */
export function decideFinding(f: Finding, runs: readonly StudyRun[], budget: Budget, controls: Omit<DecisionContext, "budget"> = {}): FindingResult {
  const ctx = controlsOf(runs, { ...controls, budget });
  const settled = settle(f.claims.map((c) => measure(c, runs, ctx)));
  const { tests } = settled;
  const claims = settled.claims.map((c) => withBackendMix(c, runs));
  return {
    id: f.id,
    title: f.title,
    quote: f.quote,
    ...(f.assumptions ? { assumptions: f.assumptions } : {}),
    budget,
    budgetLine: describeBudget(budget),
    verdict: combineVerdicts(claims.map((c) => c.verdict)),
    reason: `${mixReason(claims, claims.length === 1 ? "claim" : "claims", "refuted")}; ${tests} test(s), Holm at ${FAMILY_ALPHA} across them`,
    tests,
    claims,
  };
}

/** How the arms of a claim read in reports: `no_digits 3/3`. */
export function verdictMixLine(a: ArmSummary): string {
  return describeMix(mixOfSummary(a));
}
