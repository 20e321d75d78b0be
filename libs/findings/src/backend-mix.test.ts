import { DEFAULTS, experiment, type RunConfig } from "@ganscope/dsl";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countBackends, mixesBackends } from "./backend-mix.js";
import { BUDGETS, arm, compare, decideFinding, finding, type ComparisonResult, type StudyRun } from "./index.js";

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

const backendName = fc.constantFrom("tensorflow", "webgpu", "wasm", "cpu");

describe("a study's backends", () => {
  it("mark every arm of a claim whose runs were trained on more than one backend, with counts that add up to its n", () => {
    fc.assert(
      fc.property(fc.array(backendName, { minLength: 10, maxLength: 10 }), (bs) => {
        const rs = runs(bs);
        const mixed = new Set(bs).size > 1;
        expect(mixesBackends(countBackends(rs))).toBe(mixed);
        const c = decideFinding(eluBeatsRelu, rs, BUDGETS.cpu).claims[0] as ComparisonResult;
        for (const [a, side] of [
          [c.a, "elu"],
          [c.b, "relu"],
        ] as const) {
          if (!mixed) expect(a.backends).toBeUndefined();
          else {
            expect(a.backends).toEqual(countBackends(rs.filter((r) => r.config.activation === side)));
            expect(Object.values(a.backends!).reduce((x, y) => x + y, 0)).toBe(a.n);
          }
        }
      }),
    );
  });
});
