import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HalvingPolicy } from "@ganscope/dsl";
import type { TrainingRecord } from "@ganscope/metrics";
import { halvingDecision, rungValue, stopDecision } from "./stopping.js";

/** An epoch record with a balanced GAN's losses unless told otherwise. */
const rec = (epoch: number, extra: Partial<Record<string, number>> = {}): TrainingRecord => ({
  epoch,
  d_loss: 1.3,
  g_loss: 0.8,
  d_real: 0.6,
  d_fake: 0.4,
  d_grad_norm: 1,
  g_grad_norm: 1,
  ...extra,
});
const saturated = (epoch: number) => rec(epoch, { d_loss: 0.01, d_fake: 0.002 });
/** An evaluated record whose samples are all one class. */
const collapsedEval = (epoch: number) => rec(epoch, { fid_lite: 150, diversity: 0.01, ...Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`class_share_${k}`, k === 1 ? 1 : 0])) });
const healthyEval = (epoch: number) => rec(epoch, { fid_lite: 40, diversity: 0.9, ...Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`class_share_${k}`, 0.1])) });

describe("stopDecision", () => {
  const policy = { saturated: 3, collapsed: 2 } as const;

  it("stops after k consecutive saturated epochs, not k − 1, and not when one in between recovers", () => {
    expect(stopDecision(policy, [rec(1), saturated(2), saturated(3)])).toBeUndefined();
    expect(stopDecision(policy, [saturated(1), saturated(2), rec(3), saturated(4), saturated(5)])).toBeUndefined();
    const stop = stopDecision(policy, [rec(1), saturated(2), saturated(3), saturated(4)]);
    expect(stop).toMatchObject({ by: "saturated", epoch: 4, evidence: { epochs: [2, 3, 4] } });
    expect(stop!.reason).toContain("3 consecutive epochs (2–4)");
  });

  it("stops after k consecutive collapsed evaluations, counting evaluations only", () => {
    expect(stopDecision(policy, [collapsedEval(2), rec(3), healthyEval(4), rec(5), collapsedEval(6)])).toBeUndefined();
    expect(stopDecision(policy, [healthyEval(2), rec(3), collapsedEval(4), rec(5), collapsedEval(6)])).toMatchObject({ by: "collapsed", epoch: 6, evidence: { epochs: [4, 6] } });
  });

  it("never stops with conditions turned off or no policy", () => {
    const dead = [saturated(1), saturated(2), saturated(3), collapsedEval(4), collapsedEval(5)];
    expect(stopDecision({ saturated: false, collapsed: false }, dead)).toBeUndefined();
    expect(stopDecision(null, dead)).toBeUndefined();
  });

  it("law: a session with no saturated epoch is never stopped for saturation", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ d_loss: fc.double({ min: 0.1, max: 5, noNaN: true }), d_fake: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 30 }), fc.integer({ min: 1, max: 10 }), (losses, k) => {
        const session = losses.map((l, i) => rec(i + 1, l));
        expect(stopDecision({ saturated: k, collapsed: false }, session)).toBeUndefined();
      }),
    );
  });
});

describe("successive halving", () => {
  const policy: HalvingPolicy = { metric: "fid_lite", rungs: [2, 4], keep: 1 / 3 };
  const curve = (values: (number | undefined)[]) => values.map((v, i) => rec(i + 1, v === undefined ? {} : { fid_lite: v }));

  it("judges a run on its best value up to the rung, not the value at it", () => {
    expect(rungValue(curve([90, 120, 60]), "fid_lite", 2)).toBe(90);
    expect(rungValue(curve([1, 2, 9]), "modes", 3)).toBeNaN();
    expect(rungValue([rec(1, { modes: 4 }), rec(2, { modes: 7 }), rec(3, { modes: 5 })], "modes", 3)).toBe(7);
  });

  it("the first run at a rung goes on; a later, worse one stops; ties and the final epoch go on", () => {
    const peers = new Map([["a", curve([100, 80, 70, 60])]]);
    expect(halvingDecision(policy, 2, 10, curve([100, 90]), new Map())).toBeUndefined();
    const stop = halvingDecision(policy, 2, 10, curve([100, 90]), peers);
    expect(stop).toMatchObject({ by: "halving", epoch: 2, evidence: { rank: 2, runs: 2, kept: 1 } });
    expect(halvingDecision(policy, 2, 10, curve([100, 80]), peers)).toBeUndefined();
    expect(halvingDecision(policy, 3, 10, curve([100, 90, 95]), peers)).toBeUndefined(); // not a rung
    expect(halvingDecision({ ...policy, rungs: [2] }, 2, 2, curve([100, 90]), peers)).toBeUndefined(); // the run ends there anyway
  });

  it("a run without a finite value ranks last, and peers that have not reached the rung do not count", () => {
    const peers = new Map([["a", curve([100, 80])], ["b", curve([50])]]);
    expect(halvingDecision(policy, 2, 10, curve([NaN, NaN]), peers)).toMatchObject({ evidence: { runs: 2, value: null } });
    expect(halvingDecision(policy, 2, 10, curve([70, 75]), peers)).toBeUndefined();
  });

  it("law: the best run at a rung always goes on, and the stopped runs never exceed n − ⌈keep·n⌉", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: 0, max: 300, noNaN: true }), fc.constant(NaN)), { minLength: 1, maxLength: 12 }), fc.double({ min: 0.05, max: 0.95, noNaN: true }), (values, keep) => {
        const p: HalvingPolicy = { metric: "fid_lite", rungs: [1], keep };
        const all = values.map((v, i) => [`r${i}`, [rec(1, { fid_lite: v })]] as const);
        // Everyone has arrived: each run's decision against all the others.
        const stopped = all.filter(([id, own]) => halvingDecision(p, 1, 5, own, new Map(all.filter(([other]) => other !== id))) !== undefined);
        expect(stopped.length).toBeLessThanOrEqual(values.length - Math.ceil(keep * values.length));
        const finite = values.filter((v) => Number.isFinite(v));
        if (finite.length > 0) {
          const best = values.indexOf(Math.min(...finite));
          expect(stopped.map(([id]) => id)).not.toContain(`r${best}`);
        }
      }),
    );
  });
});
