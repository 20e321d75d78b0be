import { describe, expect, it } from "vitest";
import { experiment } from "@ganscope/dsl";
import type { RunOutcome } from "@ganscope/training";
import { summaryTable } from "./progress.js";

describe("summaryTable", () => {
  const plan = experiment("table").fix({ limit: 128 }).vary("activation", ["relu", "elu"]).epochs(3).compile();
  const last = { epoch: 3, d_loss: 1.2, g_loss: 0.8, d_real: 0.6, d_fake: 0.4, d_grad_norm: 1, g_grad_norm: 1, secs: 0.5, fid_lite: 142.5, is_lite: 2.1, modes: 7 };

  it("shows the metrics hook's numbers and verdict when a run has them", () => {
    const outcome: RunOutcome = { status: "done", epochs: 3, last, secsPerEpoch: 0.5, summary: { verdict: "mode_collapse" } };
    const table = summaryTable(plan, new Map([[plan.runs[0]!.runId, outcome]]));
    expect(table).toMatch(/│ FID-lite │ IS-lite │ modes │ verdict/);
    expect(table).toContain("142.50");
    expect(table).toContain("mode_collapse");
    expect(table).toContain("not run");
  });

  it("has no metric columns when nothing was measured", () => {
    const { fid_lite: _f, is_lite: _i, modes: _m, ...bare } = last;
    const outcome: RunOutcome = { status: "done", epochs: 3, last: bare, secsPerEpoch: 0.5 };
    expect(summaryTable(plan, new Map([[plan.runs[0]!.runId, outcome]]))).not.toContain("FID-lite");
  });
});
