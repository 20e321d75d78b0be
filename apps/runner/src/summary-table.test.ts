import { describe, expect, it } from "vitest";
import { experiment } from "@ganscope/dsl";
import type { RunOutcome } from "@ganscope/tracking";
import { summaryTable, terminalIsAsciiOnly } from "./progress.js";

describe("summaryTable", () => {
  const plan = experiment("table").fix({ limit: 128 }).vary("activation", ["relu", "elu"]).epochs(3).compile();
  const last = { epoch: 3, d_loss: 1.2, g_loss: 0.8, d_real: 0.6, d_fake: 0.4, d_grad_norm: 1, g_grad_norm: 1, secs: 0.5, steps: 4, fid_lite: 142.5, kid: 4.2, density: 0.812, coverage: 0.031, is_lite: 2.1, modes: 7 };

  it("shows the metrics hook's numbers and verdict when a run has them", () => {
    const outcome: RunOutcome = { status: "done", epochs: 3, last, secsPerEpoch: 0.5, summary: { verdict: "mode_collapse" } };
    const table = summaryTable(plan, new Map([[plan.runs[0]!.runId, outcome]]));
    expect(table).toMatch(/│ FID-lite │ KID +│ density │ coverage │ IS-lite │ modes │ verdict/);
    expect(table).toContain("142.50");
    expect(table).toMatch(/4\.200 +│ 0\.812 +│ 0\.031/);
    expect(table).toContain("mode_collapse");
    expect(table).toContain("not run");
  });

  it("shows a diverged run's statistics as NaN where they came back from a worker as JSON nulls (and '-' where there are none)", () => {
    // A worker's outcome crosses IPC as JSON: its NaN losses arrive as null.
    const diverged = JSON.parse(JSON.stringify({ status: "diverged", epoch: 2, last: { ...last, epoch: 2, d_loss: Number.NaN, g_loss: Number.NaN, is_lite: undefined, modes: Number.NaN } })) as RunOutcome;
    const table = summaryTable(plan, new Map([[plan.runs[0]!.runId, diverged]]));
    const row = table.split("\n").find((l) => l.includes(plan.runs[0]!.runId))!;
    expect(row).toMatch(/│ diverged at epoch 2 +│ 2\/3 +│ NaN +│ NaN +│ 0\.600 /);
    expect(row).toMatch(/│ 0\.031 +│ - +│ NaN /);
  });

  it("has no metric columns when nothing was measured", () => {
    const { fid_lite: _f, kid: _k, density: _d, coverage: _c, is_lite: _i, modes: _m, ...bare } = last;
    const outcome: RunOutcome = { status: "done", epochs: 3, last: bare, secsPerEpoch: 0.5 };
    expect(summaryTable(plan, new Map([[plan.runs[0]!.runId, outcome]]))).not.toContain("FID-lite");
  });
});

describe("summaryTable on a terminal and for skipped runs", () => {
  const plan = experiment("table").fix({ limit: 128 }).vary("activation", ["relu", "elu"]).vary("gen_dropout", [0, 0.3]).epochs(3).compile();
  const last = { epoch: 3, d_loss: 1.2, g_loss: 0.8, d_real: 0.6, d_fake: 0.4, d_grad_norm: 1, g_grad_norm: 1, secs: 9.9, steps: 4, fid_lite: 142.5, is_lite: 2.1, modes: 7 };
  const outcomes = new Map<string, RunOutcome>(plan.runs.map((r) => [r.runId, { status: "skipped", reason: "already done", last }]));

  it("a skipped run shows the verdict and s/epoch its summary.json recorded", () => {
    const summaries = new Map(plan.runs.map((r) => [r.runId, { verdict: "converged", secsPerEpoch: 0.5 }]));
    const table = summaryTable(plan, outcomes, { summaries });
    expect(table).toContain("converged");
    expect(table).toContain(" 0.5 ");
    expect(table).not.toContain(" 9.9 ");
  });

  it("fits the terminal's width by leaving out the least telling columns, and says which", () => {
    const wide = summaryTable(plan, outcomes);
    const widthOf = (t: string) => Math.max(...t.split("\n").map((l) => [...l].length));
    expect(widthOf(wide)).toBeGreaterThan(100);
    for (const width of [80, 100, 120]) {
      const fitted = summaryTable(plan, outcomes, { width });
      const [table, note] = [fitted.split("\n").slice(0, -1).join("\n"), fitted.split("\n").at(-1)!];
      expect(widthOf(table), String(width)).toBeLessThanOrEqual(width);
      expect(note).toMatch(new RegExp(`^\\(left out to fit ${width} columns: D\\(x\\)`));
      expect(table).toContain("FID-lite");
    }
    expect(summaryTable(plan, outcomes, { width: 400 })).toBe(wide);
  });
});

describe("summaryTable on Nx's terminal", () => {
  const plan = experiment("table").fix({ limit: 128 }).vary("activation", ["relu", "elu", "gelu"]).vary("gen_dropout", [0, 0.3]).epochs(3).compile();
  const last = { epoch: 3, d_loss: 1.2, g_loss: 0.8, d_real: 0.6, d_fake: 0.4, d_grad_norm: 1, g_grad_norm: 1, secs: 9.9, steps: 4, fid_lite: 142.5, is_lite: 2.1, modes: 7 };
  const outcomes = new Map<string, RunOutcome>(plan.runs.map((r) => [r.runId, { status: "done", epochs: 3, last, secsPerEpoch: 1, summary: { verdict: "converged" } }]));

  it("draws the same table in ASCII: one byte per character, so no chunk boundary can cut one", () => {
    for (const width of [undefined, 120, 60]) {
      const box = summaryTable(plan, outcomes, width === undefined ? {} : { width });
      const ascii = summaryTable(plan, outcomes, { ascii: true, ...(width === undefined ? {} : { width }) });
      expect(/[^\x00-\x7f]/.test(ascii), ascii).toBe(false);
      expect(Buffer.byteLength(ascii)).toBe(ascii.length);
      // Character for character the same layout: only the frame's characters differ.
      expect(ascii.split("\n").map((l) => l.length)).toEqual(box.split("\n").map((l) => [...l].length));
      expect(ascii).toBe(box.replace(/─/g, "-").replace(/│/g, "|").replace(/[┼┌┐└┘├┤┬┴]/g, "+"));
    }
    expect(/[^\x00-\x7f]/.test(summaryTable(plan, outcomes))).toBe(true);
  });

  it("is ASCII only on a terminal that Nx runs (its pseudo terminal), or when GANSCOPE_ASCII says so", () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    const nx = { NX_TASK_TARGET_PROJECT: "runner", NX_TASK_TARGET_TARGET: "exp" };
    expect(terminalIsAsciiOnly(tty, nx)).toBe(true);
    // Piped (CI, a test under `nx run-many`), Nx decodes the stream whole: nothing to protect.
    expect(terminalIsAsciiOnly(pipe, nx)).toBe(false);
    expect(terminalIsAsciiOnly(tty, {})).toBe(false);
    expect(terminalIsAsciiOnly(tty, { ...nx, GANSCOPE_ASCII: "0" })).toBe(false);
    expect(terminalIsAsciiOnly(pipe, { GANSCOPE_ASCII: "1" })).toBe(true);
  });
});
