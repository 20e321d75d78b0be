/**
 * "Not decidable at this budget": which claims a budget's runs can decide at
 * all, read from the runs' verdicts before any test and never from the
 * values compared. Generators that draw no digits each draw their own
 * reproducible speckle, so even a calibrated test "decides" their quality
 * differences; only a gate removes them.
 */
import type { Verdict } from "@ganscope/metrics";
import { NO_DIGIT_VERDICTS, VERDICT_CLASS, metricClass, verdictOfMetric } from "./metric-classes.js";

/** The verdicts of an arm's finished runs. */
export interface VerdictMix {
  readonly label: string;
  /** Finished runs with a verdict. */
  readonly judged: number;
  /** Verdict → runs. */
  readonly counts: Readonly<Record<string, number>>;
}

export function verdictMix(label: string, verdicts: readonly (string | undefined)[]): VerdictMix {
  const counts: Record<string, number> = {};
  let judged = 0;
  for (const v of verdicts) {
    if (v === undefined) continue;
    counts[v] = (counts[v] ?? 0) + 1;
    judged++;
  }
  return { label, judged, counts };
}

function share(mix: VerdictMix, verdicts: readonly string[]): number {
  return mix.judged === 0 ? 0 : verdicts.reduce((s, v) => s + (mix.counts[v] ?? 0), 0) / mix.judged;
}

/** More than half of the arm's judged runs have one of `verdicts`. */
export function mostly(mix: VerdictMix, verdicts: readonly string[]): boolean {
  return share(mix, verdicts) > 0.5;
}

/** "no_digits 3/3", or the most frequent verdicts first: "no_digits 2/3, diverged 1/3". */
export function describeMix(mix: VerdictMix, only?: readonly string[]): string {
  const entries = Object.entries(mix.counts)
    .filter(([v]) => only === undefined || only.includes(v))
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  return entries.length === 0 ? "no run judged" : entries.map(([v, n]) => `${v} ${n}/${mix.judged}`).join(", ");
}

/** "3/3 no_digits": the counts that made an arm draw no digits. */
function noDigitsCount(mix: VerdictMix): string {
  return NO_DIGIT_VERDICTS.filter((v) => (mix.counts[v] ?? 0) > 0)
    .map((v) => `${mix.counts[v]}/${mix.judged} ${v}`)
    .join(", ");
}

export interface GateContext {
  /** Named in the reasons: "at cpu …". */
  readonly budgetName?: string;
  /** The study's reference config's verdicts, when it declares one. */
  readonly reference?: VerdictMix;
  /** The study's positive control's verdicts, when it declares one. */
  readonly positiveControl?: VerdictMix;
}

/** What a claim needs from the drawings: nothing (a training statistic, a failure mode), digits in some arm, or digits in every arm. */
type Needs = "nothing" | "quality" | "class" | "digits-verdict";

function needsOfMetric(metric: string): Needs {
  const cls = metricClass(metric);
  if (cls === "quality") return "quality";
  if (cls === "class") return "class";
  const v = verdictOfMetric(metric);
  return v !== undefined && VERDICT_CLASS[v] === "digits" ? "digits-verdict" : "nothing";
}

function budgetWords(ctx: GateContext): string {
  return ctx.budgetName ? `at ${ctx.budgetName}` : "at this budget";
}

/** The reference draws no digits: nothing about drawings can be decided at this budget. */
function referenceBlank(ctx: GateContext): string | undefined {
  const ref = ctx.reference;
  if (!ref || !mostly(ref, NO_DIGIT_VERDICTS)) return undefined;
  return `${budgetWords(ctx)} the reference ${ref.label} draws no digits (${noDigitsCount(ref)})`;
}

/** A claim that something converges (or does not) needs a config that converges at this budget. */
function convergenceUnreachable(controls: readonly VerdictMix[], ctx: GateContext): string | undefined {
  const ok = controls.some((c) => c.judged > 0 && (c.counts["converged"] ?? 0) * 2 >= c.judged);
  if (ok) return undefined;
  const which = ctx.positiveControl ? "the positive control does not converge" : "no arm of the claim converges";
  const mixes = controls.map((c) => `${c.label}: converged ${c.counts["converged"] ?? 0}/${c.judged}`).join("; ");
  return `${which} in at least half its runs ${budgetWords(ctx)} (${mixes}), so "converges" cannot be told from "not yet"`;
}

/**
 * Why a comparison of `metric` between arms with these verdicts is not
 * decidable at this budget, or undefined when it is:
 * - the reference mostly draws no digits and the metric reads drawings
 *   (quality, classes, converged / mode_collapse / not_converged);
 * - a quality metric where both arms mostly draw no digits (no_digits,
 *   vanishing_gradients, diverged);
 * - a class metric where either arm does;
 * - `verdict:converged` with no positive control converging in half its runs.
 */
export function gateComparison(metric: string, a: VerdictMix, b: VerdictMix, ctx: GateContext): string | undefined {
  const needs = needsOfMetric(metric);
  if (needs === "nothing") return undefined;
  const blank = referenceBlank(ctx);
  if (blank) return blank;
  if (needs === "quality" && mostly(a, NO_DIGIT_VERDICTS) && mostly(b, NO_DIGIT_VERDICTS)) {
    return `neither arm draws digits ${budgetWords(ctx)} (${a.label}: ${noDigitsCount(a)}; ${b.label}: ${noDigitsCount(b)}): their ${metric} compares speckle`;
  }
  if (needs === "class") {
    const blankArms = [a, b].filter((m) => mostly(m, NO_DIGIT_VERDICTS));
    if (blankArms.length > 0) return `${blankArms.map((m) => `${m.label} draws no digits (${noDigitsCount(m)})`).join("; ")} ${budgetWords(ctx)}: the classes of its drawings are not digits' classes`;
  }
  if (verdictOfMetric(metric) === "converged") return convergenceUnreachable(ctx.positiveControl ? [ctx.positiveControl] : [a, b], ctx);
  return undefined;
}

/** The same for a rate claim over `verdicts`: digit verdicts need a reference that draws digits, `converged` a control that converges. */
export function gateRate(verdicts: readonly Verdict[], arm: VerdictMix, ctx: GateContext): string | undefined {
  if (!verdicts.some((v) => VERDICT_CLASS[v] === "digits")) return undefined;
  const blank = referenceBlank(ctx);
  if (blank) return blank;
  if (verdicts.includes("converged")) return convergenceUnreachable(ctx.positiveControl ? [ctx.positiveControl] : [arm], ctx);
  return undefined;
}

/** A quality comparison decided where no run of either arm converged: it measured learning speed, not final quality. */
export const PRE_CONVERGENCE_NOTE = "pre-convergence: compares learning speed at this budget, not final quality";

export function preConvergence(metric: string, a: VerdictMix, b: VerdictMix): boolean {
  return metricClass(metric) === "quality" && (a.counts["converged"] ?? 0) === 0 && (b.counts["converged"] ?? 0) === 0;
}
