/**
 * Claims over an experiment's runs, typed against its axes: an arm names
 * runs by the values of varied keys, so a key that is not varied, or a value
 * that is not on its axis, fails to compile (and, for files the compiler
 * never saw, fails at load with a line naming the experiment and key).
 */
import type { AxisValues, EvaluationKey, Experiment, ParamKey, StepStatKey } from "@ganscope/dsl";
import type { Verdict } from "@ganscope/metrics";

/** A type whose name reads as the compile error (as the DSL's `DslTypeError`). */
export interface FindingsTypeError<Message extends string> {
  readonly "@ganscope/findings error": Message;
}

/** The varied keys of an experiment and the literal values on each axis. */
export type AxesOf<E> = E extends { readonly axesType?: infer A } ? (A extends AxisValues ? A : never) : never;

/** Keys an arm may select on: the varied ones, less the seed (arms pool over seeds). */
export type SelectableKey<A> = Exclude<keyof A, "seed"> & ParamKey;

/** Per varied key, one value of its axis or a non-empty list of them. */
export type Selection<A> = { readonly [K in SelectableKey<A>]?: A[K] | readonly [A[K], ...A[K][]] };

/** Runs a metric is read from; the last evaluation of the run (its final epoch at the budget). */
export type MetricKey = EvaluationKey | StepStatKey | `verdict:${Verdict}`;

/** Which way is better on a metric. */
export type Direction = "higher" | "lower";

/** The runs of one experiment whose varied keys take the selected values. */
export interface ArmPart {
  readonly experiment: Experiment;
  /** Key → allowed values (a run matches when each of its values is allowed). */
  readonly select: Readonly<Record<string, readonly unknown[]>>;
}

/** A set of runs compared as one: one or several parts, each part a stratum per config, pooled over seeds. */
export interface Arm {
  readonly label: string;
  readonly parts: readonly ArmPart[];
}

export class FindingError extends Error {
  override readonly name = "FindingError";
}

function formatValue(v: unknown): string {
  return typeof v === "string" ? v : String(v);
}

function defaultLabel(exp: Experiment, select: Readonly<Record<string, readonly unknown[]>>): string {
  const keys = Object.keys(select);
  const inner = keys.map((k) => `${k}=${select[k]!.map(formatValue).join("|")}`).join(", ");
  return keys.length === 0 ? exp.definition.name : `${exp.definition.name}{${inner}}`;
}

/**
 * The runs of `experiment` whose varied keys take the given values, pooled
 * over seeds. A key not varied, or a value not on its axis, fails to compile.
 *
 * @example
 * arm(activations, { activation: "elu" })
 * arm(sameLr, { gen_lr: [1e-4, 2e-4] })   // two values: two strata of one arm
 */
export function arm<E extends Experiment, const S extends Selection<AxesOf<E>>>(
  experiment: E,
  select: S & Record<Exclude<keyof S, SelectableKey<AxesOf<E>>>, FindingsTypeError<"not a varied key of this experiment (seeds are pooled, never selected)">>,
  label?: string,
): Arm {
  const def = experiment.definition;
  const normalised: Record<string, readonly unknown[]> = {};
  for (const [key, raw] of Object.entries(select as Record<string, unknown>)) {
    const values = Array.isArray(raw) ? (raw as unknown[]) : [raw];
    const axis = def.axes.find((a) => a.key === key);
    if (!axis || key === "seed") {
      const varied = def.axes.map((a) => a.key).filter((k) => k !== "seed");
      throw new FindingError(`arm of "${def.name}": ${key} is not a varied key (varied: ${varied.length > 0 ? varied.join(", ") : "none"})`);
    }
    if (values.length === 0) throw new FindingError(`arm of "${def.name}": ${key} needs at least one value`);
    for (const v of values) {
      if (!(axis.values as readonly unknown[]).includes(v)) {
        throw new FindingError(`arm of "${def.name}": ${key} = ${formatValue(v)} is not on its axis [${axis.values.map(formatValue).join(", ")}]`);
      }
    }
    normalised[key] = Object.freeze([...values]);
  }
  return Object.freeze({ label: label ?? defaultLabel(experiment, normalised), parts: Object.freeze([Object.freeze({ experiment, select: Object.freeze(normalised) })]) });
}

/** One arm made of several (e.g. the diagonal of a grid, or runs of two experiments). */
export function union(label: string, ...arms: readonly [Arm, ...Arm[]]): Arm {
  return Object.freeze({ label, parts: Object.freeze(arms.flatMap((a) => a.parts)) });
}

/** "`a` is `direction` than `b` on `metric`": effect = mean(a) − mean(b). */
export interface Comparison {
  readonly kind: "compare";
  readonly a: Arm;
  readonly b: Arm;
  readonly metric: MetricKey;
  readonly direction: Direction;
}

/** "The share of `arm`'s runs judged one of `verdicts` is above `atLeast`" (or below `atMost`). */
export interface RateClaim {
  readonly kind: "rate";
  readonly arm: Arm;
  readonly verdicts: readonly [Verdict, ...Verdict[]];
  readonly atLeast?: number;
  readonly atMost?: number;
}

/** An ordering of an axis' values, best tier first: every value beats every value of every later tier. */
export interface Ranking {
  readonly kind: "rank";
  readonly axis: string;
  readonly tiers: readonly (readonly unknown[])[];
  readonly pairs: readonly Comparison[];
  readonly metric: MetricKey;
  readonly direction: Direction;
}

export type Claim = Comparison | RateClaim | Ranking;

/**
 * `a` beats `b` on `metric` in `direction` ("lower" for FID-lite).
 *
 * @example
 * compare(arm(act, { activation: "elu" }), arm(act, { activation: "relu" }), "fid_lite", "lower")
 */
export function compare(a: Arm, b: Arm, metric: MetricKey, direction: Direction): Comparison {
  return Object.freeze({ kind: "compare", a, b, metric, direction });
}

/**
 * The rate of `verdicts` among `arm`'s runs exceeds `atLeast` (default 0.5: "most runs").
 *
 * @example
 * rate(arm(large, {}), ["vanishing_gradients"], { atLeast: 0.5 })
 */
export function rate(a: Arm, verdicts: readonly [Verdict, ...Verdict[]], bound: { atLeast: number } | { atMost: number } = { atLeast: 0.5 }): RateClaim {
  const t = "atLeast" in bound ? bound.atLeast : bound.atMost;
  if (!(t >= 0 && t <= 1)) throw new FindingError(`rate over ${a.label}: the bound must be in [0, 1], got ${t}`);
  return Object.freeze({ kind: "rate", arm: a, verdicts, ...bound });
}

/**
 * A ranking of an axis' values, best first; values in one tier are not
 * ordered among themselves. Checked as every cross-tier pair.
 *
 * @example
 * rank(act, "activation", [["elu"], ["gelu", "leaky_relu"], ["relu"]], "fid_lite", "lower")
 */
export function rank<E extends Experiment, K extends SelectableKey<AxesOf<E>>, const T extends readonly [readonly AxesOf<E>[K][], readonly AxesOf<E>[K][], ...(readonly AxesOf<E>[K][])[]]>(
  experiment: E,
  axis: K,
  tiers: T,
  metric: MetricKey,
  direction: Direction,
): Ranking {
  const one = (v: unknown): Arm => arm(experiment as Experiment, { [axis]: v } as never);
  const pairs: Comparison[] = [];
  tiers.forEach((better, i) => {
    for (const worse of tiers.slice(i + 1)) for (const x of better) for (const y of worse) pairs.push(compare(one(x), one(y), metric, direction));
  });
  return Object.freeze({ kind: "rank", axis, tiers, pairs: Object.freeze(pairs), metric, direction });
}

/** A statement of the seed report, quoted, and the claims that test it. */
export interface Finding {
  /** Short id, e.g. "1-activations". */
  readonly id: string;
  readonly title: string;
  /** The seed report's words, verbatim. */
  readonly quote: string;
  /** All must hold for the finding to be confirmed; one refuted refutes it. Their tests share one Holm family. */
  readonly claims: readonly [Claim, ...Claim[]];
  /** What the claims assume that the seed leaves open (widths, the metric standing for "quality", …). */
  readonly assumptions?: string;
}

export function finding(f: Finding): Finding {
  return Object.freeze(f);
}

/** What a study declares about its budget's reach, before any run: the arms its gate reads (see gate.ts). */
export interface StudyControls {
  /**
   * The reference config (the seed's baseline): where it mostly draws no
   * digits at a budget, no claim on drawings (quality, classes, convergence,
   * collapse) is decidable at that budget.
   */
  readonly reference?: Arm;
  /**
   * A config expected to converge (the seed's combined (4, 4) ELU, dropout
   * 0.3): a claim that something converges, or does not, is decidable only
   * where this converges in at least half its runs.
   */
  readonly positiveControl?: Arm;
}

/** A named set of findings; its experiments are those the arms name (the reference and positive control included). */
export interface Study extends StudyControls {
  readonly name: string;
  readonly description: string;
  readonly findings: readonly Finding[];
  /** Every experiment an arm names, once, in first-mention order. */
  readonly experiments: readonly Experiment[];
}

const STUDY_BRAND = Symbol.for("@ganscope/findings/study");

export function armsOf(c: Claim): Arm[] {
  return c.kind === "compare" ? [c.a, c.b] : c.kind === "rate" ? [c.arm] : c.pairs.flatMap(armsOf);
}

/** The arms a study's gate reads (its reference and positive control), which it trains with its findings' arms. */
export function controlArms(options: StudyControls): Arm[] {
  return [options.reference, options.positiveControl].filter((a): a is Arm => a !== undefined);
}

/**
 * A named set of findings, with the arms that say what its budget can decide.
 *
 * @example
 * study("seed-study", "…", findings, { reference: arm(baseline, {}), positiveControl: arm(combined, {}) })
 */
export function study(name: string, description: string, findings: readonly Finding[], options: StudyControls = {}): Study {
  const experiments: Experiment[] = [];
  const ids = new Set<string>();
  const add = (a: Arm) => {
    for (const p of a.parts) if (!experiments.includes(p.experiment)) experiments.push(p.experiment);
  };
  for (const f of findings) {
    if (ids.has(f.id)) throw new FindingError(`study "${name}": two findings with id "${f.id}"`);
    ids.add(f.id);
    for (const a of f.claims.flatMap(armsOf)) add(a);
  }
  for (const a of controlArms(options)) add(a);
  const s: Study = {
    name,
    description,
    findings: Object.freeze([...findings]),
    experiments: Object.freeze(experiments),
    ...(options.reference ? { reference: options.reference } : {}),
    ...(options.positiveControl ? { positiveControl: options.positiveControl } : {}),
  };
  Object.defineProperty(s, STUDY_BRAND, { value: true });
  return Object.freeze(s);
}

export function isStudy(value: unknown): value is Study {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[STUDY_BRAND] === true;
}
