import { describe, expect, it } from "vitest";
import { DEFAULT_HEALTH_THRESHOLDS, judgeRun, type TrainingRecord } from "./verdict.js";
import { summarizeRun } from "./summarize.js";
import "./vitest-matchers.js";

/** A balanced epoch: D undecided, losses near 2·ln 2 and ln 2. */
const epoch = (n: number, extra: Record<string, number> = {}): TrainingRecord => ({
  epoch: n,
  d_loss: 1.3,
  g_loss: 0.8,
  d_real: 0.55,
  d_fake: 0.45,
  d_grad_norm: 1,
  g_grad_norm: 1,
  ...extra,
});

const evenShares = Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`class_share_${k}`, 0.1]));
const goodEval = (fid: number) => ({ fid_lite: fid, is_lite: 8, modes: 10, kl_uniform: 0, max_class_share: 0.1, diversity: 0.9, collapsed: 0, ...evenShares });
const onesShares = Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`class_share_${k}`, k === 1 ? 0.91 : 0.01]));
const onesEval = { fid_lite: 90, is_lite: 1.3, modes: 1, kl_uniform: 1.9, max_class_share: 0.91, diversity: 0.4, collapsed: 1, ...onesShares };

describe("judgeRun", () => {
  it("converged: last FID-lite at or below the threshold, nothing else wrong", () => {
    const records = [epoch(1), epoch(2, goodEval(40)), epoch(3), epoch(4, goodEval(DEFAULT_HEALTH_THRESHOLDS.convergedFid))];
    const j = judgeRun(records);
    expect(j.verdict).toBe("converged");
    expect(j.evidence.bestFid).toEqual({ epoch: 4, value: DEFAULT_HEALTH_THRESHOLDS.convergedFid });
    expect(records).toConverge();
  });

  it("not_converged: FID-lite still above the threshold, with a no-progress note when it never improved", () => {
    const records = [epoch(1, goodEval(60)), epoch(2, goodEval(58)), epoch(3, goodEval(57))];
    const j = judgeRun(records);
    expect(j.verdict).toBe("not_converged");
    expect(j.reasons[0]).toMatch(/FID-lite 57 > 25 at epoch 3/);
    expect(j.reasons.join("\n")).toMatch(/no progress: FID-lite 60 → 58 → 57/);
    expect(records).not.toConverge();
    expect(judgeRun([epoch(1, goodEval(90)), epoch(2, goodEval(60)), epoch(3, goodEval(40))]).notes).toEqual([]);
  });

  it("diverged: any NaN or infinity, named with its epoch", () => {
    const j = judgeRun([epoch(1, goodEval(30)), epoch(2, { g_loss: NaN })]);
    expect(j.verdict).toBe("diverged");
    expect(j.reasons).toEqual(["g_loss = NaN at epoch 2"]);
    expect(judgeRun([epoch(1, { fid_lite: Infinity })]).verdict).toBe("diverged");
  });

  it("vanishing_gradients: D(G(z)) and d_loss near zero in each of the last epochs", () => {
    const saturated = (n: number, extra = {}) => epoch(n, { d_fake: 0.004, d_loss: 0.02, d_real: 0.99, ...extra });
    const records = [epoch(1), saturated(2), saturated(3), saturated(4, onesEval)];
    const j = judgeRun(records);
    expect(j.verdict).toBe("vanishing_gradients");
    expect(j.reasons[0]).toMatch(/epochs 2, 3, 4: D\(G\(z\)\) = \[0.004, 0.004, 0.004\] < 0.05 and d_loss = \[0.02, 0.02, 0.02\] < 0.1/);
    // The collapse it caused is kept as a note.
    expect(j.notes.join("\n")).toMatch(/looks collapsed/);
    expect(records).toHaveVerdict("vanishing_gradients");
    // One relapse into balance in the window is not saturation.
    expect(judgeRun([saturated(1), epoch(2), saturated(3)]).verdict).not.toBe("vanishing_gradients");
  });

  it("mode_collapse: the last evaluation crossed a threshold, with the histogram as evidence", () => {
    const records = [epoch(1, goodEval(30)), epoch(2, onesEval)];
    const j = judgeRun(records);
    expect(j.verdict).toBe("mode_collapse");
    expect(j.reasons.join("\n")).toMatch(/epoch 2: class 1 takes 91\.0% of samples/);
    expect(j.evidence.lastEval?.histogram?.[1]).toBe(0.91);
    expect(records).toCollapse();
    expect(records).toHaveVerdict("mode_collapse");
    // Thresholds are configurable at judging time.
    expect(judgeRun(records, { ...DEFAULT_HEALTH_THRESHOLDS, maxClassShare: 0.95, minModes: 1, minDiversity: 0.3 }).verdict).toBe("not_converged");
  });

  // The quickstart after 3 epochs (cal-quick in the agreement fixture): speckle filed 100% under one class.
  const speckle = { ...onesEval, fid_lite: 255.8, coverage: 0.004, density: 1.3, precision: 1, confidence: 0.735, modes: 1, max_class_share: 1, diversity: 0.061 };

  it("no_digits: drawings no closer to real digits than noise, even when the histogram reads as collapse", () => {
    const j = judgeRun([epoch(1, speckle), epoch(2, speckle), epoch(3, speckle)]);
    expect(j.verdict).toBe("no_digits");
    expect(j.reasons).toEqual([`epoch 3: drawings no closer to real digits than uniform noise: coverage 0.004 < ${DEFAULT_HEALTH_THRESHOLDS.noDigitsCoverage}`]);
    expect(j.notes.join("\n")).toMatch(/read as collapse .* but the drawings are not realistic yet \(confidence 0\.735 < 0\.9\)/);
    expect(j.evidence.lastEval).toMatchObject({ coverage: 0.004, confidence: 0.735, density: 1.3 });
    expect([epoch(1, speckle)]).toHaveVerdict("no_digits");
    expect([epoch(1, speckle)]).not.toConverge();
    let message = "";
    try {
      expect([epoch(1, speckle)]).toHaveVerdict("mode_collapse");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/verdict: no_digits/);
    expect(message).toMatch(/coverage 0\.004, confidence 0\.735/);
  });

  it("mode_collapse needs realistic drawings: the same histogram with confident, real-looking 1s is a collapse", () => {
    const realOnes = { ...speckle, confidence: 0.97 };
    expect(judgeRun([epoch(1, realOnes)]).verdict).toBe("mode_collapse");
    // Rough drawings of few kinds that reach beyond noise are a run still finding its digits.
    const roughFew = { ...onesEval, fid_lite: 205, coverage: 0.02, confidence: 0.6 };
    const j = judgeRun([epoch(1, roughFew)]);
    expect(j.verdict).toBe("not_converged");
    expect(j.notes.join("\n")).toMatch(/rough drawings of few kinds, not a collapse/);
  });

  it("records written before coverage and confidence existed keep the old reading", () => {
    expect(judgeRun([epoch(1, onesEval)]).verdict).toBe("mode_collapse");
    expect(judgeRun([epoch(1, goodEval(120))]).verdict).toBe("not_converged");
  });

  it("without evaluations it cannot converge, and says why", () => {
    expect(judgeRun([epoch(1), epoch(2)]).reasons).toEqual(["no evaluation metrics in the records (is the metrics hook attached?)"]);
    expect(judgeRun([]).verdict).toBe("not_converged");
  });
});

describe("summarizeRun", () => {
  it("reports final and best values with their epochs, and the verdict", () => {
    const s = summarizeRun([epoch(1, goodEval(50)), epoch(2, { ...goodEval(15), is_lite: 7 }), epoch(3, goodEval(18))]);
    expect(s.final).toMatchObject({ epoch: 3, fid_lite: 18, modes: 10 });
    expect(s.final?.histogram).toHaveLength(10);
    expect(s.best["fid_lite"]).toEqual({ epoch: 2, value: 15 });
    expect(s.best["is_lite"]).toEqual({ epoch: 1, value: 8 });
    expect(s.evaluations).toBe(3);
    expect(s.verdict).toBe("converged");
  });
});

describe("matchers' failure messages", () => {
  it("show the histogram, FID-lite and D outputs", () => {
    let message = "";
    try {
      expect([epoch(1, goodEval(30)), epoch(2, onesEval)]).not.toCollapse();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/expected the samples not to collapse, but .*class 1 takes 91\.0%/);
    expect(message).toMatch(/class histogram: 0:1\.0% 1:91\.0% 2:1\.0%/);
    expect(message).toMatch(/FID-lite by epoch: 1:30 2:90/);
    expect(message).toMatch(/D\(x\) \[0\.55, 0\.55\], D\(G\(z\)\) \[0\.45, 0\.45\]/);
  });

  it("reject what is not a run", () => {
    expect(() => expect(42).toConverge()).toThrow(/toConverge: expected a run's records/);
    expect(() => expect([epoch(1)]).toCollapse()).toThrow(/none carries evaluation metrics/);
  });
});
