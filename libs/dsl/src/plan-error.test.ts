import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DSL_METHODS, PARAM_KEYS, PLAN_ISSUE_CODES, PlanError, experiment, formatIssue, issueKey, type PlanIssue } from "./index.js";

/** One builder call as a plain-JS file could make it: any key, any value. */
type Call =
  | { readonly m: "fix"; readonly values: unknown }
  | { readonly m: "vary"; readonly key: unknown; readonly values: unknown }
  | { readonly m: "seeds"; readonly values: unknown[] }
  | { readonly m: "epochs" | "dataset" | "describe" | "where" | "stopWhen" | "halving"; readonly arg: unknown };

const keyArb = fc.oneof(fc.constantFrom(...PARAM_KEYS), fc.constantFrom("dis_dropot", "genLr", "colour", ""), fc.string({ maxLength: 6 }));
const valueArb = fc.oneof(fc.double(), fc.integer({ min: -3, max: 300 }), fc.constantFrom(0, -0, 0.3, 1, 1.2, "relu", "high", null, undefined, true), fc.anything({ maxDepth: 1 }));
const callArb: fc.Arbitrary<Call> = fc.oneof(
  fc.record({ m: fc.constant("fix" as const), values: fc.oneof(fc.dictionary(keyArb, valueArb, { maxKeys: 3 }), valueArb) }),
  fc.record({ m: fc.constant("vary" as const), key: fc.oneof(keyArb, valueArb), values: fc.oneof(fc.array(valueArb, { maxLength: 4 }), valueArb) }),
  fc.record({ m: fc.constant("seeds" as const), values: fc.array(fc.oneof(fc.nat(3), valueArb), { maxLength: 4 }) }),
  fc.record({ m: fc.constantFrom("epochs" as const, "dataset" as const, "describe" as const, "where" as const, "stopWhen" as const, "halving" as const), arg: fc.oneof(valueArb, fc.constant(() => true), fc.record({ metric: valueArb, rungs: fc.array(fc.nat(30), { maxLength: 3 }), keep: valueArb })) }),
);

/** The builder as a plain-JS file sees it: nothing is checked until compile(). */
type Loose = Record<string, (...args: unknown[]) => Loose> & { compile(): unknown };

function issuesOf(name: string, calls: readonly Call[]): readonly PlanIssue[] {
  let e = experiment(name) as unknown as Loose;
  for (const c of calls) {
    if (c.m === "fix") e = e.fix!(c.values);
    else if (c.m === "vary") e = e.vary!(c.key, c.values);
    else if (c.m === "seeds") e = e.seeds!(...c.values);
    else e = e[c.m]!(c.arg);
  }
  try {
    e.compile();
    return [];
  } catch (error) {
    if (error instanceof PlanError) return error.issues;
    throw error;
  }
}

const planArb = fc.tuple(fc.oneof(fc.constant("lr"), fc.string({ maxLength: 8 })), fc.array(callArb, { maxLength: 6 }));

describe("plan issues as data", () => {
  it("every issue has a known code and a path that starts with a DSL method", () => {
    fc.assert(
      fc.property(planArb, ([name, calls]) => {
        for (const i of issuesOf(name, calls)) {
          expect(PLAN_ISSUE_CODES).toContain(i.code);
          expect(DSL_METHODS).toContain(i.path[0]);
          expect(i.path.slice(1).every((p) => typeof p === "string" || Number.isSafeInteger(p))).toBe(true);
          expect(i.expected.length).toBeGreaterThan(0);
        }
      }),
    );
  });

  it("a path [method, key, index] points at the value in that call's list", () => {
    fc.assert(
      fc.property(planArb, ([name, calls]) => {
        for (const i of issuesOf(name, calls)) {
          if (i.path.length !== 3) continue;
          const [method, key, index] = i.path;
          const lists = calls.flatMap((c) => ((c.m === "seeds" && method === "seeds" && key === "seed") || (c.m === "vary" && method === "vary" && c.key === key) ? [c.values] : []));
          expect(lists.some((values) => Array.isArray(values) && Object.is(values[index as number], i.value))).toBe(true);
        }
      }),
    );
  });

  it("the message is rendered from the data alone: the same for a copy, prefixed by experiment and method, naming the key", () => {
    fc.assert(
      fc.property(planArb, ([name, calls]) => {
        const issues = issuesOf(name, calls);
        for (const i of issues) {
          const copy: PlanIssue = { ...i, path: [...i.path] as unknown as PlanIssue["path"], params: { ...i.params } };
          const line = formatIssue(i);
          expect(formatIssue(copy)).toBe(line);
          expect(line.startsWith(`experiment(${JSON.stringify(i.experiment)})`)).toBe(true);
          if (i.path[0] !== "experiment") expect(line).toContain(`.${i.path[0]}`);
          const key = issueKey(i);
          // Named as written, or quoted where it may be misspelt (unknown keys, options).
          if (key !== undefined && key !== "") expect(line.includes(key) || line.includes(JSON.stringify(key))).toBe(true);
          expect(line).not.toContain("\n");
        }
        if (issues.length > 0) expect(new PlanError(issues).message.split("\n").slice(1)).toEqual(issues.map((i) => `  - ${formatIssue(i)}`));
      }),
    );
  });

  it("keeps the documented shape of the design's example", () => {
    const [i] = issuesOf("lr", [{ m: "vary", key: "gen_lr", values: [1e-4, 2e-4, -1] }]);
    expect(i).toEqual({ code: "invalid-value", experiment: "lr", path: ["vary", "gen_lr", 2], value: -1, expected: "a finite number > 0", params: { must: "a finite number > 0" } });
    expect(formatIssue(i!)).toBe('experiment("lr").vary: gen_lr must be a finite number > 0, got -1');
  });
});
