import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RunView } from "../src/site-data.js";
import { NO_VERDICT, applyRunQuery, filterParams, isFiltering, readRunQuery, roundedRange, verdictOrder, writeRunQuery, type RunQuery } from "./run-filter.js";

function run(runId: string, verdict: string | undefined, final: Record<string, number>): RunView {
  return {
    runId,
    varied: {},
    inPlan: true,
    state: verdict ? "done" : "pending",
    epochsDone: 0,
    epochs: null,
    wallSecs: null,
    final,
    best: {},
    epochs_x: [],
    series: {},
    samples: [],
    ...(verdict ? { verdict: { label: verdict } } : {}),
  };
}

const runs = [
  run("a", "converged", { fid_lite: 12, coverage: 0.8 }),
  run("b", "not_converged", { fid_lite: 110, coverage: 0.1 }),
  run("c", "mode_collapse", { fid_lite: 150, coverage: 0.05 }),
  run("d", undefined, {}),
];
const ids = (q: RunQuery) => applyRunQuery(runs, q).map((r) => r.runId);

const KEYS = ["fid_lite", "kid", "coverage"];
// -0 is written "0" and filters as 0 does; `+ 0` makes it 0 so the round trip compares equal.
const bound = fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((v) => v + 0), { nil: undefined });
const queryArb: fc.Arbitrary<RunQuery> = fc.record({
  verdicts: fc.uniqueArray(fc.constantFrom("converged", "not_converged", "mode_collapse", NO_VERDICT)),
  ranges: fc
    .uniqueArray(fc.record({ key: fc.constantFrom(...KEYS), min: bound, max: bound }), { selector: (r) => r.key })
    .map((rs) => rs.filter((r) => r.min !== undefined || r.max !== undefined).map((r) => ({ key: r.key, ...(r.min !== undefined ? { min: r.min } : {}), ...(r.max !== undefined ? { max: r.max } : {}) }))),
});
const normal = (q: RunQuery): RunQuery => ({ verdicts: [...q.verdicts].sort(), ranges: [...q.ranges].sort((a, b) => a.key.localeCompare(b.key)) });

describe("run filter", () => {
  it("reads back what it wrote, through the URL's text, and keeps the view's other toggles", () => {
    fc.assert(
      fc.property(queryArb, (q) => {
        const written = writeRunQuery(new URLSearchParams("seeds=grouped&band=sd"), q);
        const back = new URLSearchParams(written.toString());
        expect(readRunQuery(back)).toEqual(normal(q));
        expect([back.get("seeds"), back.get("band")]).toEqual(["grouped", "sd"]);
      }),
    );
  });

  it("a condition never lets more runs through; no condition lets all through", () => {
    expect(ids({ verdicts: [], ranges: [] })).toEqual(["a", "b", "c", "d"]);
    fc.assert(
      fc.property(queryArb, queryArb, (q, extra) => {
        const more = { verdicts: q.verdicts, ranges: [...q.ranges, ...extra.ranges.filter((r) => !q.ranges.some((x) => x.key === r.key))] };
        expect(ids(more).every((id) => ids(q).includes(id))).toBe(true);
      }),
    );
  });

  it("verdicts pick their runs; a run without a verdict is 'none'", () => {
    expect(ids({ verdicts: ["converged", "mode_collapse"], ranges: [] })).toEqual(["a", "c"]);
    expect(ids({ verdicts: [NO_VERDICT], ranges: [] })).toEqual(["d"]);
    expect(verdictOrder(["none", "weird", "not_converged", "converged"])).toEqual(["converged", "not_converged", "weird", "none"]);
  });

  it("ranges are closed, either end may be open, and a run without the metric fails them", () => {
    expect(ids({ verdicts: [], ranges: [{ key: "fid_lite", max: 110 }] })).toEqual(["a", "b"]);
    expect(ids({ verdicts: [], ranges: [{ key: "fid_lite", min: 110, max: 150 }] })).toEqual(["b", "c"]);
    expect(ids({ verdicts: ["not_converged"], ranges: [{ key: "coverage", min: 0.05 }] })).toEqual(["b"]);
  });

  it("reads the link's text: `final.<key>=<min>..<max>`, bad or empty bounds ignored", () => {
    const q = readRunQuery(new URLSearchParams("verdict=not_converged,converged&final.fid_lite=..50&final.coverage=0.1..&final.kid=..&final.modes=x..y"));
    expect(q).toEqual({ verdicts: ["converged", "not_converged"], ranges: [{ key: "coverage", min: 0.1 }, { key: "fid_lite", max: 50 }] });
    expect(isFiltering(readRunQuery(new URLSearchParams("seeds=grouped")))).toBe(false);
    expect(filterParams(new URLSearchParams("seeds=grouped&verdict=converged")).toString()).toBe("verdict=converged");
  });

  it("a brushed stretch becomes a range rounded outwards: what the brush held stays inside", () => {
    expect(roundedRange(1.875, 58.125)).toEqual({ min: 1.8, max: 58.2 });
    fc.assert(
      fc.property(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.double({ min: 1e-6, max: 1e4, noNaN: true }), (lo, width) => {
        const hi = lo + width;
        const r = roundedRange(lo, hi);
        expect(r.min).toBeLessThanOrEqual(lo);
        expect(r.max).toBeGreaterThanOrEqual(hi);
        // Outwards by a step or two of a hundredth of the width, each end.
        expect(lo - r.min).toBeLessThanOrEqual(width / 50);
        expect(r.max - hi).toBeLessThanOrEqual(width / 50);
      }),
    );
  });
});
