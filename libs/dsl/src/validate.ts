/**
 * Runtime validation. The types already reject most mistakes, but the runner
 * also loads plain JS, `as any` and JSON overrides that no compiler checked,
 * so every rule is enforced here again — reporting all problems at once and
 * never clamping a value into range behind the user's back.
 */
import {
  ACTIVATIONS,
  BUILTIN_DATASETS,
  INTEGER_KEYS,
  OPTIONAL_PARAM_KEYS,
  PARAM_KEYS,
  PRECISIONS,
  type ParamKey,
} from "./hyperparameters.js";
import type { RecordedExperiment } from "./experiment-definition.js";
import { formatValue, issue, type IssueContext, type PlanIssue } from "./plan-error.js";
import { SCHEDULE_KEYS, canonicalJson } from "./run-id.js";
import { validateStopPolicy } from "./run-policies.js";

export type { IssueContext };

interface Rule {
  /** What is accepted, phrased to follow "must be". */
  readonly expected: string;
  /** Shorter phrasing for a number that is merely out of range (the spec's `must be in [0, 1)`). */
  readonly range?: string;
  /** Phrasing for a value above a ceiling, when the rule has one. */
  readonly tooLarge?: (value: unknown) => string | undefined;
  readonly ok: (value: unknown) => boolean;
}

const isNumber = (v: unknown): v is number => typeof v === "number";

/** A positive integer with a ceiling; the ceilings (see UPPER_BOUNDS) keep a typo from allocating the machine away. */
const boundedInteger = (max: number): Rule => ({
  expected: "a positive integer",
  // Below 1 or fractional reads as the type error it is; only a too-large integer gets the ceiling.
  tooLarge: (v) => Number.isSafeInteger(v) && (v as number) > max ? `at most ${max} (a larger value cannot fit in memory or time on one machine)` : undefined,
  ok: (v) => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= max,
});

/**
 * Ceilings of the integer hyperparameters, each far above anything this
 * project studies and below what cannot fit: a batch beyond 65536 exceeds
 * every split (MNIST's largest has 60000); 32 layers, widths of 8192 and a
 * latent of 4096 are ~10× the seed's largest networks (a 8192×8192 float32
 * layer with Adam's moments alone takes 1 GiB); 100000 epochs and cadences
 * are years of training at the seed's budget.
 */
const UPPER_BOUNDS: Readonly<Record<(typeof INTEGER_KEYS)[number], number>> = {
  gen_layers: 32,
  dis_layers: 32,
  epochs: 100_000,
  batch_size: 65_536,
  latent_dim: 4096,
  gen_width: 8192,
  dis_width: 8192,
  max_width: 8192,
  sample_every: 100_000,
  eval_every: 100_000,
};
const nonNegativeInteger: Rule = { expected: "a non-negative integer", ok: (v) => Number.isSafeInteger(v) && (v as number) >= 0 };
// Dropout of 1 drops everything and Adam's β = 1 never forgets, so both ranges are half-open.
const halfOpenUnit: Rule = { expected: "a number in [0, 1)", range: "in [0, 1)", ok: (v) => isNumber(v) && v >= 0 && v < 1 };
const learningRate: Rule = { expected: "a finite number > 0", ok: (v) => isNumber(v) && Number.isFinite(v) && v > 0 };

const DATASET_EXPECTED = `${BUILTIN_DATASETS.map((d) => JSON.stringify(d)).join(", ")} or "idx:<path>"`;

/**
 * One rule per key. Typed as a mapped type over `ParamKey` so that adding a
 * hyperparameter without a rule fails to compile.
 */
const RULES: { readonly [K in ParamKey]: Rule } = {
  ...(Object.fromEntries(INTEGER_KEYS.map((k) => [k, boundedInteger(UPPER_BOUNDS[k])])) as Record<(typeof INTEGER_KEYS)[number], Rule>),
  activation: {
    expected: `one of ${ACTIVATIONS.map((a) => JSON.stringify(a)).join(", ")}`,
    ok: (v) => (ACTIVATIONS as readonly unknown[]).includes(v),
  },
  gen_dropout: halfOpenUnit,
  dis_dropout: halfOpenUnit,
  gen_lr: learningRate,
  dis_lr: learningRate,
  seed: nonNegativeInteger,
  limit: { expected: "a non-negative integer (0 = the whole training split)", ok: nonNegativeInteger.ok },
  // A slope of 1 or more is no longer a *leaky* ReLU (1 is linear), so it is a typo, not a choice.
  leaky_slope: halfOpenUnit,
  beta1: halfOpenUnit,
  beta2: halfOpenUnit,
  precision: {
    expected: `one of ${PRECISIONS.map((p) => JSON.stringify(p)).join(", ")}`,
    // Optional: undefined is the default (fp32), as a key left out is.
    ok: (v) => v === undefined || (PRECISIONS as readonly unknown[]).includes(v),
  },
  dataset: {
    expected: DATASET_EXPECTED,
    ok: (v) =>
      (BUILTIN_DATASETS as readonly unknown[]).includes(v) || (typeof v === "string" && v.startsWith("idx:") && v.length > 4),
  },
};

const KNOWN_KEYS: ReadonlySet<string> = new Set([...PARAM_KEYS, ...OPTIONAL_PARAM_KEYS]);

export function isParamKey(key: unknown): key is ParamKey {
  return typeof key === "string" && KNOWN_KEYS.has(key);
}

/** The issue for an unknown key, with the closest known key as a hint. */
function unknownKeyIssue(at: IssueContext, key: unknown, value: unknown): PlanIssue {
  const hint = typeof key === "string" ? closestKey(key) : undefined;
  // A key that is not a string (plain JS) is shown as written, and its path names it that way too.
  const shown = typeof key === "string" ? JSON.stringify(key) : formatValue(key);
  return issue(at, "unknown-key", [typeof key === "string" ? key : shown], value, "a known hyperparameter", { shown, ...(hint !== undefined ? { hint } : {}) });
}

/** Checks one value of a known key; `index` is its place in a `.vary` list. */
function valueIssue(at: IssueContext, key: ParamKey, value: unknown, index?: number): PlanIssue | undefined {
  const rule = RULES[key];
  if (rule.ok(value)) return undefined;
  const must = rule.tooLarge?.(value) ?? (isNumber(value) && rule.range !== undefined ? rule.range : rule.expected);
  return issue(at, "invalid-value", index === undefined ? [key] : [key, index], value, rule.expected, { must });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Validates a config, or part of one, from any source: a resolved config read
 * back from disk, or the runner's overrides. Returns every issue (empty when
 * valid) rather than throwing, so callers can merge issues from several
 * sources into one {@link PlanError}.
 *
 * @param options.partial - accept missing keys (overrides); by default every key must be present.
 * @example
 * const issues = validateConfig({ epochs: 0 }, { experiment: "lr", method: "command line" }, { partial: true });
 * // [{ code: "invalid-value", path: ["command line", "epochs"], value: 0, … }]; formatIssue(issues[0]):
 * // 'experiment("lr").command line: epochs must be a positive integer, got 0'
 * if (issues.length > 0) throw new PlanError(issues);
 */
export function validateConfig(config: unknown, context: IssueContext, options: { readonly partial?: boolean } = {}): PlanIssue[] {
  if (!isPlainObject(config)) {
    return [issue(context, "not-an-object", [], config, "an object of hyperparameters")];
  }
  const issues: PlanIssue[] = [];
  for (const [key, value] of Object.entries(config)) {
    const problem = isParamKey(key) ? valueIssue(context, key, value) : unknownKeyIssue(context, key, value);
    if (problem !== undefined) issues.push(problem);
  }
  if (options.partial !== true) {
    for (const key of PARAM_KEYS) {
      if (!Object.hasOwn(config, key)) {
        issues.push(issue(context, "missing-key", [key], undefined, RULES[key].expected));
      }
    }
  }
  return issues;
}

/**
 * Experiment names become folders under `results/`, so they must not be able
 * to climb out of it or clash with hidden files.
 */
// 100 characters: folder names longer than 255 bytes fail with ENAMETOOLONG, and a name is also an MLflow experiment's.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const NAME_EXPECTED = "a non-empty name of at most 100 letters, digits, '.', '_' or '-' (it names a folder under results/)";

/**
 * Replays the builder's recorded steps in call order and reports every
 * problem: bad names, unknown keys, bad values, empty or duplicated axes, and
 * keys that are both fixed and varied or varied twice.
 * @internal used by the plan compiler
 */
export function validateExperiment(recorded: RecordedExperiment): PlanIssue[] {
  const experiment = typeof recorded.name === "string" ? recorded.name : formatValue(recorded.name);
  const issues: PlanIssue[] = [];
  const push = (problem: PlanIssue | undefined) => {
    if (problem !== undefined) issues.push(problem);
  };

  if (typeof recorded.name !== "string" || !NAME_PATTERN.test(recorded.name)) {
    push(issue({ experiment, method: "experiment" }, "invalid-name", [], recorded.name, NAME_EXPECTED));
  }

  // Which method fixed or varied each key, for messages that say where the clash is.
  const fixedBy = new Map<string, string>();
  const variedBy = new Map<string, string>();

  for (const step of recorded.steps) {
    const at: IssueContext = { experiment, method: step.method as IssueContext["method"] };
    switch (step.kind) {
      case "fix": {
        if (!isPlainObject(step.values)) {
          push(issue(at, "not-an-object", [], step.values, "an object of hyperparameters"));
          break;
        }
        for (const [key, value] of Object.entries(step.values)) {
          if (!isParamKey(key)) push(unknownKeyIssue(at, key, value));
          else if (variedBy.has(key)) {
            push(issue(at, "fixed-and-varied", [key], value, "a key that is not varied", { by: variedBy.get(key)! }));
          } else {
            push(valueIssue(at, key, value));
            fixedBy.set(key, step.method);
          }
        }
        break;
      }
      case "vary": {
        const { key, values } = step;
        if (!isParamKey(key)) {
          push(unknownKeyIssue(at, key, values));
          break;
        }
        if (fixedBy.has(key)) {
          push(issue(at, "varied-and-fixed", [key], values, "a key that is not fixed", { by: fixedBy.get(key)! }));
          break;
        }
        if (variedBy.has(key)) {
          push(issue(at, "duplicate-axis", [key], values, "one axis per key", { by: variedBy.get(key)! }));
          break;
        }
        variedBy.set(key, step.method);
        if ((SCHEDULE_KEYS as readonly string[]).includes(key)) {
          push(issue(at, "schedule-varied", [key], values, "a hyperparameter that decides the run"));
          break;
        }
        if (!Array.isArray(values)) {
          push(issue(at, "not-a-list", [key], values, "a list of values"));
          break;
        }
        if (values.length === 0) {
          push(issue(at, "empty-axis", [key], values, "at least one value"));
          break;
        }
        const seen = new Set<string>();
        for (const [index, value] of (values as unknown[]).entries()) {
          const problem = valueIssue(at, key, value, index);
          if (problem !== undefined) {
            push(problem);
            continue;
          }
          // Compare canonical forms, so that 0 and -0 (one run id) count as the same value.
          const canonical = canonicalJson(value);
          if (seen.has(canonical)) {
            push(issue(at, "duplicate-value", [key, index], value, "distinct values"));
          }
          seen.add(canonical);
        }
        break;
      }
      case "where":
        if (typeof step.predicate !== "function") {
          push(issue(at, "not-a-function", [], step.predicate, "a function (config) => boolean"));
        }
        break;
      case "describe":
        if (typeof step.text !== "string") {
          push(issue(at, "not-a-string", [], step.text, "a string"));
        }
        break;
      case "stopWhen":
        issues.push(...validateStopPolicy(step.policy, at));
        break;
      case "halving":
        // Rungs are checked against the runs' epochs once the grid is resolved (plan compiler).
        break;
    }
  }
  return issues;
}

/**
 * The known key nearest to a misspelt one, if it is near enough to be a typo:
 * case-insensitive edit distance of at most a third of its length (minimum 2),
 * so `dis_dropot` → `dis_dropout` and `genLr` → `gen_lr`, but `colour` → nothing.
 */
export function closestKey(key: string): ParamKey | undefined {
  const wanted = key.toLowerCase();
  let best: ParamKey | undefined;
  let bestDistance = Math.max(2, Math.floor(wanted.length / 3)) + 1;
  for (const known of [...PARAM_KEYS, ...OPTIONAL_PARAM_KEYS]) {
    const d = editDistance(wanted, known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
