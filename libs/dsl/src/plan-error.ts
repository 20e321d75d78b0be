/**
 * One problem found in an experiment, tagged with where it came from so that a
 * message can name the experiment, the builder method, the key and the value.
 */
export interface PlanIssue {
  /** The experiment's name as given to `experiment(name)`. */
  readonly experiment: string;
  /** The builder method (or, for the runner, the source) that supplied the value: `fix`, `vary`, `seeds`, `where`… */
  readonly method: string;
  /** The hyperparameter concerned, as written (possibly misspelt); `null` when the issue is not about one key. */
  readonly key: string | null;
  /** The offending value, as given. */
  readonly value: unknown;
  /** What would have been accepted, e.g. `in [0, 1)`. */
  readonly expected: string;
  /** The full line, e.g. `experiment("lr").vary: dis_dropout must be in [0, 1), got 1.2`. */
  readonly message: string;
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
    super(`invalid experiment (${n} ${n === 1 ? "problem" : "problems"}):\n${issues.map((i) => `  - ${i.message}`).join("\n")}`);
    this.issues = Object.freeze([...issues]);
  }
}

/** Builds an issue whose message is prefixed with its path. */
export function issue(
  at: { readonly experiment: string; readonly method: string },
  key: string | null,
  value: unknown,
  expected: string,
  detail: string,
): PlanIssue {
  return Object.freeze({
    experiment: at.experiment,
    method: at.method,
    key,
    value,
    expected,
    message: `${issuePath(at.experiment, at.method)}: ${detail}`,
  });
}

function issuePath(experiment: string, method: string): string {
  const head = `experiment(${JSON.stringify(experiment)})`;
  return method === "experiment" ? head : `${head}.${method}`;
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
