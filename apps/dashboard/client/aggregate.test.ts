import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RunView } from "../src/site-data.js";
import { BAND_KINDS, type BandKind } from "@ganscope/findings/seed-summary";
import { bandOverSeeds, groupBySeeds, groupValue, seedGroupKey } from "./aggregate.js";

function run(runId: string, varied: RunView["varied"], d_loss: (number | null)[]): RunView {
  return {
    runId,
    varied,
    inPlan: true,
    state: "done",
    epochsDone: d_loss.length,
    epochs: d_loss.length,
    wallSecs: 1,
    final: d_loss.at(-1) === null || d_loss.at(-1) === undefined ? {} : { d_loss: d_loss.at(-1)! },
    best: {},
    epochs_x: d_loss.map((_, i) => i + 1),
    series: { d_loss: { y: d_loss } },
    samples: [],
  };
}

const kind = fc.constantFrom<BandKind>(...BAND_KINDS);
const value = fc.double({ min: -1e6, max: 1e6, noNaN: true });
/** Curves of 1–6 epochs with gaps (null: an epoch not evaluated). */
const curve = fc.array(fc.option(value, { nil: null, freq: 4 }), { minLength: 1, maxLength: 6 });

describe("groups over seeds", () => {
  it("collapse runs that differ only in seed, keeping the other values apart", () => {
    const runs = [
      run("a0", { lr: 1, seed: 0 }, [1]),
      run("b0", { lr: 2, seed: 0 }, [2]),
      run("a1", { lr: 1, seed: 1 }, [3]),
      run("c", { lr: 3 }, [4]),
    ];
    const groups = groupBySeeds(runs);
    expect(groups.map((g) => [g.varied, g.runs.map((r) => r.runId), g.seeds])).toEqual([
      [{ lr: 1 }, ["a0", "a1"], [0, 1]],
      [{ lr: 2 }, ["b0"], [0]],
      [{ lr: 3 }, ["c"], [null]],
    ]);
    expect(seedGroupKey({ varied: { b: 1, a: 2, seed: 4 } })).toBe(seedGroupKey({ varied: { seed: 9, a: 2, b: 1 } }));
    expect(groupValue(groups[0]!, "range", (r) => r.final["d_loss"])).toEqual({ mean: 2, lo: 1, hi: 3, n: 2 });
  });

  it("a group of one run is that run's curve, zero wide", () => {
    fc.assert(
      fc.property(curve, kind, (ys, k) => {
        const r = run("r", { seed: 0 }, ys);
        const band = bandOverSeeds([r], "d_loss", k);
        const own = ys.flatMap((y, i) => (y === null ? [] : [{ epoch: i + 1, mean: y, lo: y, hi: y, n: 1 }]));
        expect(band).toEqual(own);
      }),
    );
  });

  it("a group's curve does not depend on the order of its seeds", () => {
    fc.assert(
      fc.property(fc.array(curve, { minLength: 1, maxLength: 5 }), kind, (curves, k) => {
        const runs = curves.map((ys, s) => run(`r${s}`, { lr: 1, seed: s }, ys));
        const reversed = [...runs].reverse();
        const rotated = [...runs.slice(1), runs[0]!];
        const band = bandOverSeeds(runs, "d_loss", k);
        expect(bandOverSeeds(reversed, "d_loss", k)).toEqual(band);
        expect(bandOverSeeds(rotated, "d_loss", k)).toEqual(band);
        expect(groupBySeeds(reversed).map((g) => g.seeds)).toEqual(groupBySeeds(runs).map((g) => g.seeds));
        // n per epoch counts the seeds that recorded it.
        for (const p of band) expect(p.n).toBe(curves.filter((ys) => ys[p.epoch - 1] !== null && ys[p.epoch - 1] !== undefined).length);
      }),
    );
  });
});
