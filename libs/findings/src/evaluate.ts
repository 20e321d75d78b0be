/**
 * Deciding claims from runs: per arm the metric over seeds, the effect with
 * its bootstrap interval, verdict rates with Wilson intervals, and the
 * verdict — confirmed, refuted or inconclusive, never from one seed.
 */
import type { RunConfig } from "@ganscope/dsl";
import type { Arm, Claim, Comparison, Direction, Finding, MetricKey, RateClaim, Ranking } from "./claim.js";
import { describeBudget, strataKey, type Budget } from "./budgets.js";
import { effectInterval, iqm, mean, wilsonInterval, type Observation } from "./statistics.js";

/** "untested": an arm's every config is one the budget does not train (too large for it); the reason says which. */
export type FindingVerdict = "confirmed" | "refuted" | "inconclusive" | "untested";

/** Fewer seeds than this in any stratum of an arm and nothing is decided. */
export const MIN_SEEDS = 2;

/** What the study knows of one run at a budget. */
export interface StudyRun {
  readonly experiment: string;
  readonly runId: string;
  readonly config: Readonly<RunConfig>;
  /** Trained to the budget's epochs (status done, or diverged before them). */
  readonly finished: boolean;
  /** The run's verdict at this budget's final epoch, when known. */
  readonly verdict?: string;
  /** The last value of each metric up to the budget's epochs. */
  readonly metrics: Readonly<Record<string, number>>;
  /** The run's last sample grid up to the budget's epochs. */
  readonly sample?: string;
  /** Why the budget does not train this config at all (see budgetExcludes). */
  readonly notTrained?: string;
}

export interface ArmSummary {
  readonly label: string;
  /** Runs with a value (of the metric, or a verdict). */
  readonly n: number;
  /** Configs pooled in the arm. */
  readonly strata: number;
  /** Fewest seeds with a value in any stratum. */
  readonly minSeeds: number;
  /** Runs the arm names that are unfinished or lack the value. */
  readonly missing: number;
  /** Why configs of the arm are not trained at this budget, once per config (empty when all are). */
  readonly notTrained: readonly string[];
  readonly mean?: number;
  readonly iqm?: number;
  /** Every run the arm names, with its seed and its value when it has one: what a reader (the dashboard) aggregates over seeds. */
  readonly runs: readonly { readonly experiment: string; readonly runId: string; readonly seed: number; readonly value?: number }[];
  /** The run whose value is the arm's median (lower middle for even n), with its grid. */
  readonly medianRun?: { readonly experiment: string; readonly runId: string; readonly value: number; readonly sample?: string };
}

export interface ComparisonResult {
  readonly kind: "compare";
  readonly statement: string;
  readonly metric: MetricKey;
  readonly direction: Direction;
  readonly a: ArmSummary;
  readonly b: ArmSummary;
  readonly effect?: number;
  readonly lo?: number;
  readonly hi?: number;
  readonly probabilityOfImprovement?: number;
  readonly verdict: FindingVerdict;
  readonly reason: string;
}

export interface RateResult {
  readonly kind: "rate";
  readonly statement: string;
  readonly arm: ArmSummary;
  readonly verdicts: readonly string[];
  readonly successes: number;
  readonly n: number;
  readonly rate?: number;
  readonly lo: number;
  readonly hi: number;
  readonly bound: { readonly atLeast: number } | { readonly atMost: number };
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
  readonly claims: readonly ClaimResult[];
}

function matches(run: StudyRun, a: Arm): boolean {
  return a.parts.some(
    (p) => p.experiment.definition.name === run.experiment && Object.entries(p.select).every(([k, values]) => values.includes(run.config[k as keyof RunConfig])),
  );
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

function valueOf(run: StudyRun, metric: MetricKey): number | undefined {
  if (!run.finished) return undefined;
  if (metric.startsWith("verdict:")) return run.verdict === undefined ? undefined : run.verdict === metric.slice("verdict:".length) ? 1 : 0;
  const v = run.metrics[metric];
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

function summarise(label: string, named: readonly StudyRun[], value: (r: StudyRun) => number | undefined): { summary: ArmSummary; observations: Observation[] } {
  const observations: Observation[] = [];
  const withValue: { run: StudyRun; value: number }[] = [];
  const runs: ArmSummary["runs"][number][] = [];
  const perStratum = new Map<string, number>();
  // A config the budget does not train is no stratum: it is counted apart (notTrained), not as a config with 0 seeds.
  for (const r of named) if (r.notTrained === undefined) perStratum.set(strataKey(r.config), 0);
  for (const r of named) {
    const v = value(r);
    runs.push({ experiment: r.experiment, runId: r.runId, seed: r.config.seed, ...(v !== undefined ? { value: v } : {}) });
    if (v === undefined) continue;
    const stratum = strataKey(r.config);
    observations.push({ stratum, value: v });
    withValue.push({ run: r, value: v });
    perStratum.set(stratum, (perStratum.get(stratum) ?? 0) + 1);
  }
  const values = observations.map((o) => o.value);
  const sorted = [...withValue].sort((x, y) => x.value - y.value);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  const summary: ArmSummary = {
    label,
    n: observations.length,
    strata: perStratum.size,
    minSeeds: perStratum.size === 0 ? 0 : Math.min(...perStratum.values()),
    missing: named.filter((r) => r.notTrained === undefined).length - observations.length,
    notTrained: named.flatMap((r) => (r.notTrained !== undefined ? [r.notTrained] : [])),
    runs,
    ...(values.length > 0 ? { mean: mean(values), iqm: iqm(values) } : {}),
    ...(mid ? { medianRun: { experiment: mid.run.experiment, runId: mid.run.runId, value: mid.value, ...(mid.run.sample ? { sample: mid.run.sample } : {}) } } : {}),
  };
  return { summary, observations };
}

/** An arm with no value because the budget leaves out every config it names: the claim is not tested, not undecided. */
function untested(arms: readonly ArmSummary[]): string | undefined {
  const out = arms.filter((s) => s.n === 0 && s.notTrained.length > 0);
  return out.length === 0 ? undefined : `not tested at this budget: ${out.map((s) => `${s.label}: ${s.notTrained.join("; ")}`).join(" · ")}`;
}

function needsSeeds(arms: readonly ArmSummary[]): string | undefined {
  const short = arms.filter((s) => s.n === 0 || s.minSeeds < MIN_SEEDS);
  if (short.length === 0) return undefined;
  return `needs seeds: ${short.map((s) => `${s.label} has ${s.n === 0 ? "no runs with a value" : `${s.minSeeds} seed(s) in a config`}`).join("; ")} (at least ${MIN_SEEDS} per config to decide)`;
}

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toPrecision(3));

function evaluateComparison(c: Comparison, runs: readonly StudyRun[]): ComparisonResult {
  const statement = `${c.a.label} ${c.direction} than ${c.b.label} on ${c.metric}`;
  const a = summarise(c.a.label, runsOfArm(runs, c.a), (r) => valueOf(r, c.metric));
  const b = summarise(c.b.label, runsOfArm(runs, c.b), (r) => valueOf(r, c.metric));
  const base = { kind: "compare" as const, statement, metric: c.metric, direction: c.direction, a: a.summary, b: b.summary };
  const skipped = untested([a.summary, b.summary]);
  if (skipped) return { ...base, verdict: "untested", reason: skipped };
  const short = needsSeeds([a.summary, b.summary]);
  if (short) return { ...base, verdict: "inconclusive", reason: short };
  const e = effectInterval(a.observations, b.observations, c.direction);
  // The claimed sign of mean(a) − mean(b): positive when higher is better.
  const sign = c.direction === "higher" ? 1 : -1;
  const verdict: FindingVerdict = sign * e.lo > 0 && sign * e.hi > 0 ? "confirmed" : sign * e.lo < 0 && sign * e.hi < 0 ? "refuted" : "inconclusive";
  const interval = `[${fmt(e.lo)}, ${fmt(e.hi)}]`;
  const reason =
    verdict === "confirmed"
      ? `the 95% interval ${interval} of the effect lies on the claimed side of 0`
      : verdict === "refuted"
        ? `the 95% interval ${interval} of the effect lies on the other side of 0`
        : `the 95% interval ${interval} of the effect contains 0`;
  return { ...base, effect: e.effect, lo: e.lo, hi: e.hi, probabilityOfImprovement: e.probabilityOfImprovement, verdict, reason };
}

function evaluateRate(c: RateClaim, runs: readonly StudyRun[]): RateResult {
  const bound: { atLeast: number } | { atMost: number } = c.atLeast !== undefined ? { atLeast: c.atLeast } : { atMost: c.atMost ?? 0.5 };
  const threshold = "atLeast" in bound ? bound.atLeast : bound.atMost;
  const statement = `share of ${c.arm.label} judged ${c.verdicts.join(" or ")} ${"atLeast" in bound ? ">" : "<"} ${threshold}`;
  const verdicts: readonly string[] = c.verdicts;
  const { summary } = summarise(c.arm.label, runsOfArm(runs, c.arm), (r) => (r.finished && r.verdict !== undefined ? (verdicts.includes(r.verdict) ? 1 : 0) : undefined));
  const successes = Math.round((summary.mean ?? 0) * summary.n);
  const w = wilsonInterval(successes, summary.n);
  const base = { kind: "rate" as const, statement, arm: summary, verdicts, successes, n: summary.n, ...(summary.n > 0 ? { rate: w.rate } : {}), lo: w.lo, hi: w.hi, bound };
  const skipped = untested([summary]);
  if (skipped) return { ...base, verdict: "untested", reason: skipped };
  const short = needsSeeds([summary]);
  if (short) return { ...base, verdict: "inconclusive", reason: short };
  const above = w.lo > threshold;
  const below = w.hi < threshold;
  const claimedAbove = "atLeast" in bound;
  const verdict: FindingVerdict = (claimedAbove ? above : below) ? "confirmed" : (claimedAbove ? below : above) ? "refuted" : "inconclusive";
  const interval = `[${fmt(w.lo)}, ${fmt(w.hi)}]`;
  const reason = `${successes} of ${summary.n} runs; Wilson 95% interval ${interval} ${verdict === "inconclusive" ? "contains" : verdict === "confirmed" ? "lies on the claimed side of" : "lies on the other side of"} ${threshold}`;
  return { ...base, verdict, reason };
}

/** All confirmed → confirmed; any refuted → refuted; all untested → untested; otherwise inconclusive. */
export function combineVerdicts(verdicts: readonly FindingVerdict[]): FindingVerdict {
  if (verdicts.includes("refuted")) return "refuted";
  if (verdicts.length > 0 && verdicts.every((v) => v === "untested")) return "untested";
  return verdicts.length > 0 && verdicts.every((v) => v === "confirmed") ? "confirmed" : "inconclusive";
}

function combineReason(parts: readonly { verdict: FindingVerdict }[]): string {
  const count = (v: FindingVerdict) => parts.filter((p) => p.verdict === v).length;
  const untestedPairs = count("untested") > 0 ? `, ${count("untested")} not tested at this budget` : "";
  return `${count("confirmed")} confirmed, ${count("refuted")} refuted, ${count("inconclusive")} inconclusive${untestedPairs} of ${parts.length} pairs`;
}

function evaluateRanking(c: Ranking, runs: readonly StudyRun[]): RankingResult {
  const pairs = c.pairs.map((p) => evaluateComparison(p, runs));
  const statement = `${c.axis}: ${c.tiers.map((t) => t.map(String).join(" ≈ ")).join(" > ")} on ${c.metric} (${c.direction} is better)`;
  return { kind: "rank", statement, pairs, verdict: combineVerdicts(pairs.map((p) => p.verdict)), reason: combineReason(pairs) };
}

export function evaluateClaim(c: Claim, runs: readonly StudyRun[]): ClaimResult {
  return c.kind === "compare" ? evaluateComparison(c, runs) : c.kind === "rate" ? evaluateRate(c, runs) : evaluateRanking(c, runs);
}

/** Decides a finding from the runs of its arms at a budget (runs outside its arms are ignored). */
export function decideFinding(f: Finding, runs: readonly StudyRun[], budget: Budget): FindingResult {
  const claims = f.claims.map((c) => evaluateClaim(c, runs));
  return {
    id: f.id,
    title: f.title,
    quote: f.quote,
    ...(f.assumptions ? { assumptions: f.assumptions } : {}),
    budget,
    budgetLine: describeBudget(budget),
    verdict: combineVerdicts(claims.map((c) => c.verdict)),
    claims,
  };
}
