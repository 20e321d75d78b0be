import { DEFAULTS, experiment, type RunConfig } from "@ganscope/dsl";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countBackends, mixesBackends } from "./backend-mix.js";
import { BUDGETS, arm, compare, decideFinding, finding, renderMarkdown, type ComparisonResult, type StudyReport, type StudyRun } from "./index.js";

const act = experiment("act").vary("activation", ["relu", "elu", "gelu"]);
const elu = arm(act, { activation: "elu" });
const relu = arm(act, { activation: "relu" });
const eluBeatsRelu = finding({ id: "1", title: "elu beats relu", quote: "q", claims: [compare(elu, relu, "fid_lite", "lower")] });
const SEEDS = [0, 1, 2, 3, 4];

/** Five seeds of elu and of relu, the i-th run (elu's first) trained on backends[i] (none recorded where undefined). */
function runs(backends: readonly (string | undefined)[]): StudyRun[] {
  const all = SEEDS.flatMap((s) => (["elu", "relu"] as const).map((a) => ({ a, s })));
  return all.map(({ a, s }, i) => {
    const config: RunConfig = { ...DEFAULTS, activation: a, seed: s };
    const b = backends[i];
    return { experiment: "act", runId: `${a}-${s}`, config, finished: true, metrics: { fid_lite: (a === "elu" ? 30 : 33) + ((s * 7) % 5) }, verdict: "not_converged", ...(b ? { backend: b } : {}) };
  });
}

const report = (rs: readonly StudyRun[], backends?: Record<string, number>): StudyReport => ({
  study: "s",
  description: "d",
  budget: BUDGETS.cpu,
  budgetLine: "cpu",
  generatedAt: "2026-01-01T00:00:00Z",
  command: "c",
  runs: { planned: rs.length, finished: rs.length },
  ...(backends ? { backends } : {}),
  findings: [decideFinding(eluBeatsRelu, rs, BUDGETS.cpu)],
});

const backendName = fc.constantFrom("tensorflow", "webgpu", "wasm", "cpu");

describe("a study's backends", () => {
  it("leave the report as it was when every run shares one backend (or none is recorded)", () => {
    const before = renderMarkdown(report(runs([])), undefined);
    fc.assert(
      fc.property(backendName, (b) => {
        const rs = runs(SEEDS.flatMap(() => [b, b]));
        expect(mixesBackends(countBackends(rs))).toBe(false);
        expect(renderMarkdown(report(rs), undefined)).toBe(before);
      }),
    );
  });

  it("mark every arm of a claim whose runs were trained on more than one backend, with counts that add up to its n", () => {
    fc.assert(
      fc.property(fc.array(backendName, { minLength: 10, maxLength: 10 }), (bs) => {
        const rs = runs(bs);
        const c = decideFinding(eluBeatsRelu, rs, BUDGETS.cpu).claims[0] as ComparisonResult;
        const mixed = new Set(bs).size > 1;
        for (const [a, side] of [
          [c.a, "elu"],
          [c.b, "relu"],
        ] as const) {
          if (!mixed) expect(a.backends).toBeUndefined();
          else expect(a.backends).toEqual(countBackends(rs.filter((r) => r.config.activation === side)));
        }
      }),
    );
  });

  it("say so in report.md: one head line naming the backends and counts, and each arm's backends", () => {
    // elu's runs: 3 on tensorflow, 2 on webgpu; relu's all on tensorflow.
    const rs = runs(["tensorflow", "tensorflow", "tensorflow", "tensorflow", "tensorflow", "tensorflow", "webgpu", "tensorflow", "webgpu", "tensorflow"]);
    const md = renderMarkdown(report(rs, countBackends(rs)), undefined);
    expect(md.split("\n").filter((l) => l.startsWith("- **Backends**"))).toEqual([
      '- **Backends**: the finished runs were trained on more than one backend (tensorflow 8, webgpu 2): the same backend, config and seed train the same records bit for bit, other backends agree within a measured tolerance, not exactly (README, "Bit-identical, and across backends"); arms whose runs mix backends say so',
    ]);
    expect(md).toMatch(/\*\*act\{activation=elu\}\*\*: n = 5 .* · trained on tensorflow 3, webgpu 2/);
    expect(md).toMatch(/\*\*act\{activation=relu\}\*\*: n = 5 .* · trained on tensorflow 5/);
  });
});
