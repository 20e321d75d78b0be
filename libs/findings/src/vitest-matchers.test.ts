import { DEFAULTS, experiment, type RunConfig } from "@ganscope/dsl";
import { describe, expect, it } from "vitest";
import { BUDGETS, arm, compare, decideFinding, finding, type StudyRun } from "./index.js";
import "./vitest-matchers.js";

const lr = experiment("lr").vary("dis_lr", [1e-3, 1e-5]);
const f = finding({ id: "d", title: "faster D, lower D loss", quote: "q", claims: [compare(arm(lr, { dis_lr: 1e-3 }), arm(lr, { dis_lr: 1e-5 }), "d_loss", "lower")] });
const quality = finding({ id: "q", title: "faster D, lower FID-lite", quote: "q", claims: [compare(arm(lr, { dis_lr: 1e-3 }), arm(lr, { dis_lr: 1e-5 }), "fid_lite", "lower")] });

function runs(fast: number[], slow: number[], verdict = "converged", metric = "d_loss"): StudyRun[] {
  const one = (dis_lr: number, seed: number, value: number): StudyRun => {
    const config: RunConfig = { ...DEFAULTS, dis_lr, seed };
    return { experiment: "lr", runId: `${dis_lr}-${seed}`, config, finished: true, verdict, metrics: { [metric]: value } };
  };
  return [...fast.map((v, s) => one(1e-3, s, v)), ...slow.map((v, s) => one(1e-5, s, v))];
}

describe("toHold", () => {
  it("passes on a confirmed finding", () => {
    expect(decideFinding(f, runs([0.2, 0.21, 0.19, 0.22, 0.18], [1.3, 1.31, 1.29, 1.32, 1.28]), BUDGETS.smoke)).toHold();
  });

  it("fails with what the report prints: effect, Welch interval, p raw and Holm-adjusted, n, verdict mix, MDE, budget", () => {
    const undecided = decideFinding(f, runs([0.2, 1.3, 0.7, 0.9, 0.4], [1.3, 0.2, 0.8, 0.5, 0.9]), BUDGETS.smoke);
    let message = "";
    try {
      expect(undecided).toHold();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^expected finding d to be confirmed\nfinding d \(faster D, lower D loss\) is inconclusive at smoke: 2 epochs/);
    expect(message).toMatch(/inconclusive: .* — effect -?[\d.]+, 95% Welch CI \[-?[\d.]+, [\d.]+\] \(df [\d.]+\); p = [\d.]+ two-sided \(one-sided [\d.]+ claimed, [\d.]+ reverse\), Holm-adjusted [\d.]+ of 1 test\(s\); n 5 vs 5/);
    expect(message).toMatch(/would have needed d ≥ [\d.]+ \(≈ [\d.]+ D loss\) for 80% power/);
    expect(message).toMatch(/lr\{dis_lr=0\.001\}: n 5, mean [\d.]+, IQM [\d.]+, verdicts converged 5\/5/);
    expect(undecided).not.toBeRefuted();
    expect(decideFinding(f, runs([1.3, 1.31, 1.32, 1.29, 1.3], [0.2, 0.21, 0.22, 0.19, 0.2]), BUDGETS.smoke)).toBeRefuted();
  });

  it("toBeUndecidable: a quality claim between arms that draw no digits", () => {
    const blank = decideFinding(quality, runs([200, 210, 205, 199, 201], [260, 250, 255, 270, 265], "no_digits", "fid_lite"), BUDGETS.smoke);
    expect(blank).toBeUndecidable();
    expect(() => expect(blank).toHold()).toThrow(/undecidable: .*neither arm draws digits at smoke/);
  });

  it("rejects what is not a finding result", () => {
    expect(() => expect({}).toHold()).toThrow(/expected the result of evaluateFinding/);
  });
});
