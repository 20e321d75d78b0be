import { DEFAULTS, experiment, type RunConfig } from "@ganscope/dsl";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { countBackends } from "./backend-mix.js";
import { BUDGETS, arm, compare, decideFinding, finding, rate, renderMarkdown, type FindingResult, type StudyReport, type StudyRun } from "./index.js";

const act = experiment("act").vary("activation", ["relu", "elu", "gelu"]);
const elu = arm(act, { activation: "elu" });
const relu = arm(act, { activation: "relu" });

function run(activation: RunConfig["activation"], seed: number, metrics: Record<string, number>, verdict: string, backend?: string): StudyRun {
  return { experiment: "act", runId: `${activation}-${seed}`, config: { ...DEFAULTS, activation, seed }, finished: true, metrics, verdict, ...(backend ? { backend } : {}) };
}

/** A report of these findings at the cpu budget, every run finished. */
function reportOf(findings: FindingResult[], runs: number, extra: Partial<StudyReport> = {}): StudyReport {
  return { study: "s", description: "d", budget: BUDGETS.cpu, budgetLine: "cpu", generatedAt: "2026-01-01T00:00:00Z", command: "c", runs: { planned: runs, finished: runs }, findings, ...extra };
}

describe("report.md", () => {
  it("each claim line gives the effect with its Welch interval, p raw and Holm-adjusted, n, each arm's verdict mix and the MDE; the new verdict has its badge", () => {
    const seeds = [0, 1, 2, 3, 4];
    const runs = [
      ...seeds.map((s) => run("elu", s, { fid_lite: 30 + [0.3, -1.1, 0.8, 2.1, -0.4][s]!, d_loss: 1 + s / 10 }, "not_converged")),
      ...seeds.map((s) => run("relu", s, s === 4 ? {} : { fid_lite: 31 + [1.2, -0.7, 0.1, 0.9, 0][s]!, d_loss: 1.2 + s / 10 }, s === 4 ? "diverged" : "not_converged")),
      ...[0, 1, 2].map((s) => run("gelu", s, { fid_lite: 250 }, "no_digits")),
    ];
    const decided = finding({ id: "1", title: "elu beats relu", quote: "q", claims: [compare(elu, relu, "fid_lite", "lower"), rate(elu, ["diverged"], { atMost: 0.5 })] });
    const gated = finding({ id: "2", title: "elu converges", quote: "q", claims: [rate(elu, ["converged"], { atLeast: 0.5 })] });
    const controls = { positiveControl: arm(act, { activation: "gelu" }, "combined") };
    const report = reportOf([decideFinding(decided, runs, BUDGETS.cpu, controls), decideFinding(gated, runs, BUDGETS.cpu, controls)], 13, { positiveControl: "combined" });
    const md = renderMarkdown(report, undefined);
    const line = md.split("\n").find((l) => l.includes("act{activation=elu} lower than act{activation=relu} on fid_lite:"))!;
    expect(line).toMatch(/^- ❔ inconclusive — .*: effect -?[\d.]+, 95% Welch CI \[-?[\d.]+, -?[\d.]+\] \(df [\d.]+\); p = [\d.]+ two-sided \(one-sided [\d.]+ claimed, [\d.]+ reverse\), Holm-adjusted [\d.]+ of 1 test\(s\); n 5 vs 5;/);
    expect(line).toMatch(/would have needed d ≥ [\d.]+ \(≈ [\d.]+ FID-lite\) for 80% power/);
    expect(md).toMatch(/\*\*act\{activation=relu\}\*\*: n = 5 .* · verdicts not_converged 4\/5, diverged 1\/5 · 1 run\(s\) without the value counted as worst \(diverged 1\)/);
    expect(md).toMatch(/## 2\. elu converges — ⛔ not decidable at this budget/);
    expect(md).toContain('the positive control does not converge in at least half its runs at cpu (combined: converged 0/3), so "converges" cannot be told from "not yet"');
    expect(md).toContain("with 2 findings at most 0.10 false findings are expected");
    // The summary row: p and its Holm adjustment per claim ("–" for the rate claim that 5 runs cannot test).
    expect(md).toMatch(/\| 1 \| elu beats relu \| ❔ inconclusive \| .* \| [\d.]+ \(Holm [\d.]+\); – \| 5 vs 5; 5 \| cpu \|/);
  });
});

describe("report.md of a study's backends", () => {
  const eluBeatsRelu = finding({ id: "1", title: "elu beats relu", quote: "q", claims: [compare(elu, relu, "fid_lite", "lower")] });
  /** Five seeds of elu and of relu, elu's seed s trained on backends[2s], relu's on backends[2s + 1]. */
  const runs = (backends: readonly (string | undefined)[]) =>
    [0, 1, 2, 3, 4].flatMap((s) => (["elu", "relu"] as const).map((a, i) => run(a, s, { fid_lite: (a === "elu" ? 30 : 33) + ((s * 7) % 5) }, "not_converged", backends[2 * s + i])));

  it("is unchanged when every run shares one backend (or none is recorded)", () => {
    const before = renderMarkdown(reportOf([decideFinding(eluBeatsRelu, runs([]), BUDGETS.cpu)], 10), undefined);
    fc.assert(
      fc.property(fc.constantFrom("tensorflow", "webgpu", "wasm", "cpu"), (b) => {
        const rs = runs(Array(10).fill(b));
        expect(renderMarkdown(reportOf([decideFinding(eluBeatsRelu, rs, BUDGETS.cpu)], 10), undefined)).toBe(before);
      }),
    );
  });

  it("says so where they mix: one head line naming the backends and counts, and each arm's backends", () => {
    // elu's runs: 3 on tensorflow, 2 on webgpu; relu's all on tensorflow.
    const rs = runs(["tensorflow", "tensorflow", "tensorflow", "tensorflow", "tensorflow", "tensorflow", "webgpu", "tensorflow", "webgpu", "tensorflow"]);
    const md = renderMarkdown(reportOf([decideFinding(eluBeatsRelu, rs, BUDGETS.cpu)], 10, { backends: countBackends(rs) }), undefined);
    expect(md.split("\n").filter((l) => l.startsWith("- **Backends**"))).toEqual([
      '- **Backends**: the finished runs were trained on more than one backend (tensorflow 8, webgpu 2): the same backend, config and seed train the same records bit for bit, other backends agree within a measured tolerance, not exactly (README, "Bit-identical, and across backends"); arms whose runs mix backends say so',
    ]);
    expect(md).toMatch(/\*\*act\{activation=elu\}\*\*: n = 5 .* · trained on tensorflow 3, webgpu 2/);
    expect(md).toMatch(/\*\*act\{activation=relu\}\*\*: n = 5 .* · trained on tensorflow 5/);
  });
});
