/**
 * Problems found in an experiment, as data (Zod's way): each issue has a
 * stable `code`, a `path` from the builder method that supplied the value
 * down to the key and the value's place in a list (`["vary", "gen_lr", 2]`),
 * the value and what was expected, and the few `params` its message needs.
 * The message is built when printed ({@link formatIssue}), so a tool can
 * match on codes and paths instead of parsing sentences.
 */
import { PARAM_KEYS } from "./hyperparameters.js";

/** Builder methods of the DSL, the first element of every issue's path (`compile` for the plan as a whole). */
export const DSL_METHODS = ["experiment", "fix", "vary", "seeds", "epochs", "dataset", "describe", "where", "stopWhen", "halving", "compile"] as const;
export type DslMethod = (typeof DSL_METHODS)[number];
/** Where values can come from besides the builder: the runner's command-line overrides. */
export const OTHER_SOURCES = ["command line"] as const;
export type IssueSource = DslMethod | (typeof OTHER_SOURCES)[number];

/** Stable issue codes, kebab-case like tools' static-reader codes (`unknown-key`, `duplicate-axis` mean the same there). */
export const PLAN_ISSUE_CODES = [
  /** The experiment's name cannot name a folder. */
  "invalid-name",
  /** A value given where an object of hyperparameters (or a policy object) was expected. */
  "not-an-object",
  /** A key that is not a hyperparameter (params.hint: the closest known key, if near enough). */
  "unknown-key",
  /** A value outside its key's rule (params.must: the phrase after "must be"). */
  "invalid-value",
  /** A key a full config lacks. */
  "missing-key",
  /** `.fix` of a key that an earlier call varied (params.by: that method). */
  "fixed-and-varied",
  /** `.vary` of a key that an earlier call fixed (params.by). */
  "varied-and-fixed",
  /** A key varied by two calls (params.by: the first). */
  "duplicate-axis",
  /** `.vary` of a schedule key (epochs, sample_every, eval_every). */
  "schedule-varied",
  /** `.vary` with something that is not a list. */
  "not-a-list",
  /** `.vary` with an empty list. */
  "empty-axis",
  /** A value listed twice on an axis. */
  "duplicate-value",
  /** `.where` with something that is not a function. */
  "not-a-function",
  /** `.describe` with something that is not a string. */
  "not-a-string",
  /** An option a policy does not have (params.what, params.known). */
  "unknown-option",
  /** Halving rungs past the runs' epochs (params.epochs). */
  "rungs-beyond-epochs",
  /** A first halving rung before the first evaluation (params.rung, params.evalEvery). */
  "rung-before-evaluation",
  /** More runs than a plan may have (params.runs, params.max). */
  "too-many-runs",
  /** A `.where` filter threw (params.reason); value: the grid point. */
  "filter-threw",
  /** The filters keep no run (params.runs: the grid's size). */
  "filters-empty",
] as const;
export type PlanIssueCode = (typeof PLAN_ISSUE_CODES)[number];

/** A path from the method down: `[method]`, `[method, key]` or `[method, key, index]`. */
export type IssuePath = readonly [IssueSource, ...(string | number)[]];

/** One problem found in an experiment. */
export interface PlanIssue {
  readonly code: PlanIssueCode;
  /** The experiment's name as given to `experiment(name)`. */
  readonly experiment: string;
  /** Method, then key (as written, possibly misspelt), then the value's index in a `.vary` list. */
  readonly path: IssuePath;
  /** The offending value, as given. */
  readonly value: unknown;
  /** What would have been accepted, e.g. `a number in [0, 1)`. */
  readonly expected: string;
  /** What the message needs besides path, value and expected (see each code). */
  readonly params: Readonly<Record<string, string | number>>;
  /** How the source is qualified in the message, e.g. "with the command line's overrides". */
  readonly via?: string;
}

/**
 * Thrown by `compile()` (and usable by the runner) when an experiment is
 * invalid. It carries every issue, not just the first, so that one edit can
 * fix them all.
 */
export class PlanError extends Error {
  override readonly name = "PlanError";
  readonly issues: readonly PlanIssue[];

  constructor(issues: readonly PlanIssue[]) {
    const n = issues.length;
    super(`invalid experiment (${n} ${n === 1 ? "problem" : "problems"}):\n${issues.map((i) => `  - ${formatIssue(i)}`).join("\n")}`);
    this.issues = Object.freeze([...issues]);
  }
}

/** Where validated values came from: the experiment and the method (or source) that supplied them. */
export interface IssueContext {
  readonly experiment: string;
  readonly method: IssueSource;
  /** Qualifies the source in messages, e.g. "with the command line's overrides". */
  readonly via?: string;
}

/** Builds an issue: data only, the message is {@link formatIssue}'s. */
export function issue(
  at: IssueContext,
  code: PlanIssueCode,
  where: readonly (string | number)[],
  value: unknown,
  expected: string,
  params: Readonly<Record<string, string | number>> = {},
): PlanIssue {
  return Object.freeze({
    code,
    experiment: at.experiment,
    path: Object.freeze([at.method, ...where]) as IssuePath,
    value,
    expected,
    params: Object.freeze({ ...params }),
    ...(at.via !== undefined ? { via: at.via } : {}),
  });
}

/** The key an issue is about (its path's second element), or undefined. */
export function issueKey(i: PlanIssue): string | undefined {
  const k = i.path[1];
  return typeof k === "string" ? k : undefined;
}

const param = (i: PlanIssue, name: string): string => String(i.params[name] ?? "");

/** The sentence after the prefix, per code: a pure function of the issue's data. */
const DETAILS: { readonly [C in PlanIssueCode]: (i: PlanIssue, key: string) => string } = {
  "invalid-name": (i) => `the name must be ${i.expected}, got ${formatValue(i.value)}`,
  "not-an-object": (i) => `expects ${param(i, "shape") || i.expected}, got ${formatValue(i.value)}`,
  "unknown-key": (i, key) => {
    const shown = param(i, "shown") || JSON.stringify(key);
    const hint = param(i, "hint");
    return hint ? `unknown hyperparameter ${shown} (did you mean ${hint}?)` : `unknown hyperparameter ${shown}; known: ${PARAM_KEYS.join(", ")}`;
  },
  "invalid-value": (i, key) => `${key} must be ${param(i, "must") || i.expected}, got ${formatValue(i.value)}`,
  "missing-key": (i, key) => `${key} is missing (must be ${i.expected})`,
  "fixed-and-varied": (i, key) => `${key} is already varied by .${param(i, "by")}(); a key is either fixed or varied`,
  "varied-and-fixed": (i, key) => `${key} is already fixed by .${param(i, "by")}(); a key is either fixed or varied`,
  "duplicate-axis": (i, key) => `${key} is already varied by .${param(i, "by")}(); give all its values in one call`,
  "schedule-varied": (_, key) => `${key} is a schedule, not part of a run: one run trained to the largest value holds every smaller value's records (keyed by epoch); fix it instead`,
  "not-a-list": (i, key) => `${key} needs a list of values, got ${formatValue(i.value)}`,
  "empty-axis": (_, key) => `${key} needs at least one value, got []`,
  "duplicate-value": (i, key) => `${key} lists ${formatValue(i.value)} more than once; each value gives one run`,
  "not-a-function": (i) => `expects ${i.expected}, got ${formatValue(i.value)}`,
  "not-a-string": (i) => `expects ${i.expected}, got ${formatValue(i.value)}`,
  "unknown-option": (i, key) => `unknown ${param(i, "what")} ${JSON.stringify(key)}; known: ${param(i, "known")}`,
  "rungs-beyond-epochs": (i) => `rungs must not go beyond the runs' epochs (${param(i, "epochs")}), got ${formatValue(i.value)}`,
  "rung-before-evaluation": (i) => `the first rung (${param(i, "rung")}) comes before the first evaluation (eval_every ${param(i, "evalEvery")}): nothing to compare there`,
  "too-many-runs": (i) => `the axes give ${param(i, "runs")} runs, more than the ${param(i, "max")} allowed; split the experiment`,
  "filter-threw": (i) => `a filter threw on ${formatValue(i.value)}: ${param(i, "reason")}`,
  "filters-empty": (i) => `the filters remove all ${param(i, "runs")} runs of the grid; the plan would be empty`,
};

/**
 * The issue as one line, e.g. `experiment("lr").vary: dis_dropout must be in
 * [0, 1), got 1.2`: the experiment and method, then the code's sentence.
 */
export function formatIssue(i: PlanIssue): string {
  const head = `experiment(${JSON.stringify(i.experiment)})`;
  const method = i.path[0];
  const prefix = method === "experiment" ? head : `${head}.${method}${i.via !== undefined ? ` (${i.via})` : ""}`;
  return `${prefix}: ${DETAILS[i.code](i, issueKey(i) ?? "")}`;
}

/**
 * Shows a value the way a user wrote it: strings quoted (so `"0.3"` and `0.3`
 * look different), and the values JSON hides (`-0`, `NaN`, `undefined`) kept visible.
 */
export function formatValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "bigint":
      return `${value}n`;
    case "undefined":
      return "undefined";
    case "function":
      return "a function";
    case "symbol":
      return value.toString();
    case "boolean":
      return String(value);
    case "object": {
      if (value === null) return "null";
      let text: string;
      try {
        text = JSON.stringify(value) ?? String(value);
      } catch {
        text = Object.prototype.toString.call(value);
      }
      return text.length > 60 ? `${text.slice(0, 57)}...` : text;
    }
  }
}
