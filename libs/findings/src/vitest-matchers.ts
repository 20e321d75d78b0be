/**
 * vitest matchers for findings. Importing this module registers them:
 *
 * ```ts
 * import "@ganscope/findings/vitest";
 * expect(await evaluateFinding(f, { budget: BUDGETS.smoke })).toHold();       // confirmed
 * expect(await evaluateFinding(f, { budget: BUDGETS.smoke })).not.toBeRefuted();
 * ```
 *
 * Messages print what the report prints: each claim's effect with its
 * Welch interval, raw and Holm-adjusted p, n per arm, each arm's verdict
 * mix, the minimum detectable effect, and why it was decided.
 */
import { expect } from "vitest";
import type { ClaimResult, FindingResult } from "./decide-claims.js";
import { verdictMixLine } from "./decide-claims.js";
import { comparisonNumbers, missingLine, rateNumbers } from "./report.js";

interface CustomMatchers<R = unknown> {
  /** The finding is confirmed: every claim's test shows the claimed direction (Holm across the finding). */
  toHold(): R;
  /** The finding is refuted: some claim's test shows the reverse direction (Holm across the finding). */
  toBeRefuted(): R;
  /** The finding is not decidable at this budget: its runs' verdicts say the budget learned nothing it is about. */
  toBeUndecidable(): R;
}

declare module "vitest" {
  // The type parameter must match vitest's own declaration to merge.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends CustomMatchers<T> {}
}

function isFindingResult(x: unknown): x is FindingResult {
  return typeof x === "object" && x !== null && "verdict" in x && "claims" in x && "budgetLine" in x;
}

function armWords(a: { label: string; n: number; mean?: number; iqm?: number } & Parameters<typeof verdictMixLine>[0]): string {
  const missing = missingLine(a);
  return `${a.label}: n ${a.n}, mean ${a.mean ?? "–"}, IQM ${a.iqm ?? "–"}, verdicts ${verdictMixLine(a)}${missing ? `, ${missing}` : ""}`;
}

function claimLines(c: ClaimResult, indent = "  "): string[] {
  if (c.kind === "rank") return [`${indent}${c.verdict}: ranking ${c.statement}; ${c.reason}`, ...c.pairs.flatMap((p) => claimLines(p, `${indent}  `))];
  if (c.kind === "compare") {
    return [`${indent}${c.verdict}: ${c.statement} — ${comparisonNumbers(c)}; ${c.reason}${c.note ? ` (${c.note})` : ""}`, ...[c.a, c.b].map((a) => `${indent}  ${armWords(a)}`)];
  }
  return [`${indent}${c.verdict}: ${c.statement} — ${rateNumbers(c)}; ${c.reason}`, `${indent}  ${armWords(c.arm)}`];
}

export function describeFindingResult(r: FindingResult): string {
  return [`finding ${r.id} (${r.title}) is ${r.verdict} at ${r.budgetLine} (${r.reason})`, ...r.claims.flatMap((c) => claimLines(c))].join("\n");
}

function matcher(target: "confirmed" | "refuted" | "undecidable", name: string) {
  return function (this: { isNot: boolean }, received: unknown) {
    if (!isFindingResult(received)) {
      return { pass: false, message: () => `${name}: expected the result of evaluateFinding(…), got ${typeof received}` };
    }
    const pass = received.verdict === target;
    return {
      pass,
      message: () => `expected finding ${received.id} ${this.isNot ? "not " : ""}to be ${target}\n${describeFindingResult(received)}`,
    };
  };
}

expect.extend({ toHold: matcher("confirmed", "toHold"), toBeRefuted: matcher("refuted", "toBeRefuted"), toBeUndecidable: matcher("undecidable", "toBeUndecidable") });
