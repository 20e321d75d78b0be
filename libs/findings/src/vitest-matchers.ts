/**
 * vitest matchers for findings. Importing this module registers them:
 *
 * ```ts
 * import "@ganscope/findings/vitest";
 * expect(await evaluateFinding(f, { budget: BUDGETS.smoke })).toHold();       // confirmed
 * expect(await evaluateFinding(f, { budget: BUDGETS.smoke })).not.toBeRefuted();
 * ```
 *
 * Messages print each claim's effect, interval, n and why it was decided.
 */
import { expect } from "vitest";
import type { ClaimResult, FindingResult } from "./evaluate.js";
import { claimHeadline } from "./report.js";

interface CustomMatchers<R = unknown> {
  /** The finding is confirmed: every claim's interval excludes no-effect on the claimed side. */
  toHold(): R;
  /** The finding is refuted: some claim's interval excludes no-effect on the other side. */
  toBeRefuted(): R;
}

declare module "vitest" {
  // The type parameter must match vitest's own declaration to merge.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends CustomMatchers<T> {}
}

function isFindingResult(x: unknown): x is FindingResult {
  return typeof x === "object" && x !== null && "verdict" in x && "claims" in x && "budgetLine" in x;
}

function claimLines(c: ClaimResult, indent = "  "): string[] {
  const h = claimHeadline(c);
  const head = `${indent}${c.verdict}: ${c.statement} — effect ${h.effect}, 95% CI ${h.interval}, n ${h.n}; ${c.reason}`;
  if (c.kind === "rank") return [head, ...c.pairs.flatMap((p) => claimLines(p, `${indent}  `))];
  if (c.kind === "compare") {
    return [head, ...[c.a, c.b].map((a) => `${indent}  ${a.label}: n ${a.n}, mean ${a.mean ?? "–"}, IQM ${a.iqm ?? "–"}${a.missing ? `, ${a.missing} missing` : ""}`)];
  }
  return [head];
}

export function describeFindingResult(r: FindingResult): string {
  return [`finding ${r.id} (${r.title}) is ${r.verdict} at ${r.budgetLine}`, ...r.claims.flatMap((c) => claimLines(c))].join("\n");
}

function matcher(target: "confirmed" | "refuted", name: string) {
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

expect.extend({ toHold: matcher("confirmed", "toHold"), toBeRefuted: matcher("refuted", "toBeRefuted") });
