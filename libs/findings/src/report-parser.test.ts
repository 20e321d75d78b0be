import { DEFAULTS, experiment, type RunConfig } from "@ganscope/dsl";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUDGETS, arm, compare, decideFinding, finding, formatReportIssue, parseStudyReport, rank, rate, type StudyReport, type StudyRun } from "./index.js";

/** A report as runner:study writes it: decided over real claims, then through JSON as report.json holds it. */
function writtenReport(): StudyReport {
  const act = experiment("act").vary("activation", ["relu", "elu", "gelu"]);
  const [elu, relu, gelu] = (["elu", "relu", "gelu"] as const).map((a) => arm(act, { activation: a }));
  const run = (activation: RunConfig["activation"], seed: number, metrics: Record<string, number>, verdict: string): StudyRun => ({
    experiment: "act",
    runId: `${activation}-${seed}`,
    config: { ...DEFAULTS, activation, seed },
    finished: true,
    metrics,
    verdict,
  });
  const seeds = [0, 1, 2, 3, 4];
  const runs = [
    ...seeds.map((s) => run("elu", s, { fid_lite: 30 + s, d_loss: 1 + s / 10 }, "not_converged")),
    ...seeds.map((s) => run("relu", s, s === 4 ? {} : { fid_lite: 40 + s, d_loss: 1.2 + s / 10 }, s === 4 ? "diverged" : "not_converged")),
    ...seeds.map((s) => run("gelu", s, { fid_lite: 35 + s, d_loss: 1.1 }, "converged")),
  ];
  const f = finding({ id: "1", title: "elu beats relu", quote: "q", claims: [compare(elu!, relu!, "fid_lite", "lower"), rate(elu!, ["diverged"], { atMost: 0.5 }), rank(act, "activation", [["elu"], ["gelu"], ["relu"]], "fid_lite", "lower")] });
  return {
    study: "s",
    description: "d",
    budget: BUDGETS.cpu,
    budgetLine: "cpu: 8 epochs",
    generatedAt: "2026-01-01T00:00:00Z",
    command: "c",
    runs: { planned: 15, finished: 15 },
    findings: [decideFinding(f, runs, BUDGETS.cpu, { positiveControl: gelu! })],
  };
}

describe("parseStudyReport", () => {
  it("reads a report the findings lib wrote with no issue, keeping its verdicts, numbers and runs", () => {
    const written = JSON.parse(JSON.stringify(writtenReport())) as StudyReport;
    const { report, issues } = parseStudyReport(written);
    expect(issues.map(formatReportIssue)).toEqual([]);
    expect(report!.study).toBe("s");
    expect(report!.budget).toEqual({ name: BUDGETS.cpu.name, purpose: BUDGETS.cpu.purpose });
    const [f] = report!.findings;
    const w = written.findings[0]!;
    expect(f!.verdict).toBe(w.verdict);
    expect(f!.claims.map((c) => [c.kind, c.verdict])).toEqual(w.claims.map((c) => [c.kind, c.verdict]));
    const c = f!.claims[0]!;
    const wc = w.claims[0]!;
    if (c.kind !== "compare" || wc.kind !== "compare") throw new Error("not a comparison");
    expect([c.effect, c.lo, c.hi, c.p, c.pAdjusted]).toEqual([wc.effect, wc.lo, wc.hi, wc.p, wc.pAdjusted]);
    expect(c.a.runs).toEqual(wc.a.runs);
    expect(c.b.missingWhy).toEqual({ diverged: 1 });
  });

  it("names the key's path, what was expected and what was there; keeps what it can read", () => {
    const { report, issues } = parseStudyReport({
      study: "odd",
      findings: [
        { id: "1", title: "t", quote: "q", verdict: "refuted", claims: [{ kind: "guess" }, { kind: "rate", arm: { label: "x", n: "2" }, successes: 1, n: 2, lo: 0.1, hi: 0.9, bound: {}, verdict: "inconclusive" }] },
        "not a finding",
        { id: 2, title: "t", verdict: "", claims: [{ kind: "compare", metric: "fid_lite", direction: "sideways", a: null, b: { label: "b", n: 1, verdicts: { converged: "3" } }, mde: { d: 1 }, verdict: "confirmed" }] },
      ],
    });
    expect(issues.map(formatReportIssue)).toEqual([
      "budgetLine: expected the budget the report was measured at, got nothing",
      `findings[0].claims[0].kind: expected "compare", "rate" or "rank", got string`,
      "findings[0].claims[1].bound: expected { atLeast: number } or { atMost: number }, got object",
      "findings[0].claims[1].arm.n: expected a number, got string",
      "findings[1]: expected a finding { id, title, quote, verdict, claims }, got string",
      "findings[2].claims[0].direction: expected \"lower\" or \"higher\", got string",
      "findings[2].claims[0].a: expected an arm { label, n, runs, … }, got null",
      "findings[2].claims[0].b.verdicts: expected { <verdict or reason>: runs }, got object",
      "findings[2].claims[0].mde: expected { d, value, pooledSd, alpha, power }, got object",
      "findings[2].verdict: expected confirmed | refuted | inconclusive | untested | undecidable, got string",
    ]);
    expect(issues[1]).toEqual({ path: ["findings", 0, "claims", 0, "kind"], expected: `"compare", "rate" or "rank"`, got: "string" });
    expect(report!.budgetLine).toBe("unknown budget");
    expect(report!.findings.map((f) => [f.id, f.verdict, f.claims.map((c) => c.kind)])).toEqual([
      ["1", "refuted", ["rate"]],
      ["2", "inconclusive", ["compare"]],
    ]);
  });

  it("is no report without a findings array, and says so", () => {
    expect(parseStudyReport({ findings: "ten" })).toEqual({ report: undefined, issues: [{ path: ["findings"], expected: "an array of findings (a study report from runner:study)", got: "string" }] });
    expect(parseStudyReport([1, 2]).issues.map(formatReportIssue)).toEqual(["findings: expected an array of findings (a study report from runner:study), got an array"]);
  });

  it("never throws on any JSON, and every issue points into the report", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ findings: fc.array(fc.jsonValue()), budgetLine: fc.jsonValue() })), (json) => {
        const { report, issues } = parseStudyReport(json);
        expect(report !== undefined || issues.length === 1).toBe(true);
        for (const i of issues) expect(formatReportIssue(i)).toMatch(/^(findings|budgetLine)\b.*: expected .+, got /);
      }),
    );
  });
});
