/**
 * A finding re-tested end to end at the smoke budget, in CI time: the study
 * trains its runs through the runner's scheduler (real worker processes, real
 * digits, 2 epochs × 512 images × 2 seeds), then the finding is decided from
 * the run store. The claim is one that must hold after a few steps if the
 * discriminator's learning rate reaches the discriminator's optimiser: a
 * discriminator at lr 1e-3 ends with a lower loss than one at 1e-5.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { experiment } from "@ganscope/dsl";
import { BUDGETS, arm, compare, evaluateFinding, finding, rate, study } from "@ganscope/findings";
import "@ganscope/findings/vitest";
import { trainStudy } from "@ganscope/runner";

const results = mkdtempSync(path.join(os.tmpdir(), "findings-regression-"));
afterAll(() => rmSync(results, { recursive: true, force: true }));

// Small widths: the budget sets the schedule, the experiment the networks; CI trains these in seconds.
const lr = experiment("regression-dis-lr")
  .fix({ gen_width: 64, dis_width: 64, max_width: 128 })
  .vary("dis_lr", [1e-3, 1e-5]);

const fasterD = finding({
  id: "dis-lr",
  title: "a faster discriminator lowers its own loss",
  quote: "(not from the seed) dis_lr reaches the discriminator's optimiser",
  claims: [compare(arm(lr, { dis_lr: 1e-3 }), arm(lr, { dis_lr: 1e-5 }), "d_loss", "lower")],
});
const neverConverges = finding({
  id: "smoke-converged",
  title: "nothing converges in 8 steps",
  quote: "(not from the seed)",
  claims: [rate(arm(lr, {}), ["converged"], { atLeast: 0.5 })],
});

describe("findings at the smoke budget", () => {
  it("trains what the finding reads, then decides it from the store", async () => {
    const s = study("regression", "smoke regression", [fasterD, neverConverges]);
    const { failed } = await trainStudy(s, BUDGETS.smoke, { file: "experiments/regression/findings.test.ts", budget: "smoke", results, concurrency: 2, stepsPerEpoch: () => 4, log: () => {} });
    expect(failed).toBe(0);
    const result = await evaluateFinding(fasterD, { resultsDir: results, budget: BUDGETS.smoke });
    expect(result).toHold();
    const claim = result.claims[0]!;
    expect(claim.kind === "compare" && [claim.a.n, claim.b.n]).toEqual([2, 2]);
    // 4 runs at 8 steps: the share that converged is 0 of 4, Wilson [0, 0.49] — refuted, not "inconclusive".
    expect(await evaluateFinding(neverConverges, { resultsDir: results, budget: BUDGETS.smoke })).toBeRefuted();
  });
});
