import { DEFAULTS, experiment, type RunConfig } from "@ganscope/dsl";
import { describe, expect, it } from "vitest";
import { BUDGETS, arm, compare, decideFinding, finding, type StudyRun } from "./index.js";
import "./vitest-matchers.js";

const lr = experiment("lr").vary("dis_lr", [1e-3, 1e-5]);
const f = finding({ id: "d", title: "faster D, lower D loss", quote: "q", claims: [compare(arm(lr, { dis_lr: 1e-3 }), arm(lr, { dis_lr: 1e-5 }), "d_loss", "lower")] });

function runs(fast: number[], slow: number[]): StudyRun[] {
  const one = (dis_lr: number, seed: number, d_loss: number): StudyRun => {
    const config: RunConfig = { ...DEFAULTS, dis_lr, seed };
    return { experiment: "lr", runId: `${dis_lr}-${seed}`, config, finished: true, metrics: { d_loss } };
  };
  return [...fast.map((v, s) => one(1e-3, s, v)), ...slow.map((v, s) => one(1e-5, s, v))];
}

describe("toHold", () => {
  it("passes on a confirmed finding", () => {
    expect(decideFinding(f, runs([0.2, 0.21, 0.19], [1.3, 1.31, 1.29]), BUDGETS.smoke)).toHold();
  });

  it("fails with the effect, the interval, n and the budget in its message", () => {
    const undecided = decideFinding(f, runs([0.2, 1.3], [1.3, 0.2]), BUDGETS.smoke);
    expect(() => expect(undecided).toHold()).toThrow(/finding d \(faster D, lower D loss\) is inconclusive at smoke: 2 epochs[^\n]*\n {2}inconclusive: .* effect 0, 95% CI \[-?[\d.]+, [\d.]+\], n 2 vs 2;/);
    expect(undecided).not.toBeRefuted();
    expect(decideFinding(f, runs([1.3, 1.31], [0.2, 0.21]), BUDGETS.smoke)).toBeRefuted();
  });

  it("rejects what is not a finding result", () => {
    expect(() => expect({}).toHold()).toThrow(/expected the result of evaluateFinding/);
  });
});
