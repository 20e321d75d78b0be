/**
 * A finding re-tested end to end at the smoke budget's schedule, in CI time:
 * the study trains its runs as `runner study` does (@ganscope/training's
 * trainStudy: the local scheduler's real worker processes, real digits,
 * 2 epochs × 512 images, over the 5 seeds a compared config needs to decide
 * anything), then the findings are decided from the run store. The decided
 * claim is one that must hold after a few steps if
 * the discriminator's learning rate reaches the discriminator's optimiser: a
 * discriminator at lr 1e-3 ends with a lower loss than one at 1e-5. The
 * others are what 8 steps cannot decide: whether anything converges (no
 * run does), and which arm draws better digits (neither draws any).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { experiment } from "@ganscope/dsl";
import { BUDGETS, MIN_SEEDS, arm, compare, evaluateFinding, finding, rate, study, type Budget } from "@ganscope/findings";
import "@ganscope/findings/vitest";
import { trainStudy } from "@ganscope/training";

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
/** The smoke budget's 8 steps a run, over the seeds a comparison needs. */
const smoke5: Budget = { ...BUDGETS.smoke, name: "smoke-5", seeds: [0, 1, 2, 3, 4], purpose: "the smoke schedule over 5 seeds, so a comparison can decide" };
const neverConverges = finding({
  id: "smoke-converged",
  title: "nothing converges in 8 steps",
  quote: "(not from the seed)",
  claims: [rate(arm(lr, {}), ["converged"], { atLeast: 0.5 })],
});
const quality = finding({
  id: "smoke-quality",
  title: "a faster discriminator draws better digits",
  quote: "(not from the seed)",
  claims: [compare(arm(lr, { dis_lr: 1e-3 }), arm(lr, { dis_lr: 1e-5 }), "fid_lite", "lower")],
});

describe("findings at the smoke budget", () => {
  it("trains what the findings read, then decides them from the store", async () => {
    const s = study("regression", "smoke regression", [fasterD, neverConverges, quality]);
    const { failed } = await trainStudy(s, smoke5, { file: "experiments/regression/findings.test.ts", results, concurrency: 2, log: () => {} });
    expect(failed).toBe(0);
    const result = await evaluateFinding(fasterD, { resultsDir: results, budget: smoke5 });
    expect(result).toHold();
    const claim = result.claims[0]!;
    expect(claim.kind === "compare" && [claim.a.n, claim.b.n]).toEqual([MIN_SEEDS, MIN_SEEDS]);
    // No run converges in 8 steps, and no arm of the claim does: "converges" cannot be told from "not yet" (the old rule refuted it).
    const converged = await evaluateFinding(neverConverges, { resultsDir: results, budget: smoke5 });
    expect(converged).toBeUndecidable();
    expect(converged.claims[0]!.reason).toMatch(/^no arm of the claim converges in at least half its runs at smoke-5/);
    // Grey noise in both arms: their FID-lite compares speckle, not digits.
    const drawn = await evaluateFinding(quality, { resultsDir: results, budget: smoke5 });
    expect(drawn).toBeUndecidable();
    expect(drawn.claims[0]!.reason).toMatch(/^neither arm draws digits at smoke-5/);
  });
});
