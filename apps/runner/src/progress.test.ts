/**
 * The progress display as a terminal shows it: cli-progress drawing into a
 * stream that says it is an 80- or 120-column TTY, read back without its
 * escape codes. (cli-progress merged its own `eta` over ours and cut lines
 * at the terminal's width, so the ETA read "0", "INF" and then vanished.)
 */
import { PassThrough } from "node:stream";
import { experiment } from "@ganscope/dsl";
import { describe, expect, it } from "vitest";
import { PlanProgress } from "./progress.js";

function terminal(columns: number): { stream: NodeJS.WriteStream; screen: () => string[] } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let text = "";
  stream.on("data", (d) => (text += String(d)));
  Object.assign(stream, { isTTY: true, columns, rows: 40, cursorTo: () => true, moveCursor: () => true, clearLine: () => true, clearScreenDown: () => true });
  // eslint-disable-next-line no-control-regex
  return { stream, screen: () => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").split(/\r?\n|\r/).filter((l) => l.trim() !== "") };
}

describe("PlanProgress on a terminal", () => {
  it.each([80, 120])("fits %i columns with the step count, our ETA in units, and the epoch", async (columns) => {
    const plan = experiment("eta").vary("gen_lr", [1e-4, 2e-4]).epochs(2).compile();
    const { stream, screen } = terminal(columns);
    let now = 0;
    const progress = new PlanProgress(plan, () => 500, stream, () => now, true);
    const [a, b] = plan.runs;
    progress.onEvent({ type: "start", runId: a!.runId, fromEpoch: 0, epochs: 2, stepsPerEpoch: 500 });
    progress.onEvent({ type: "start", runId: b!.runId, fromEpoch: 0, epochs: 2, stepsPerEpoch: 500 });
    // 100 steps a second for each run over 5 s: 1,000 of the plan's 2,000 steps left at 200 a second.
    for (let t = 0; t <= 5; t++) {
      now = t;
      for (const r of [a!, b!]) progress.onEvent({ type: "progress", runId: r.runId, epoch: 1, stepsDone: t * 100, stepsTotal: 500 });
    }
    await new Promise((r) => setTimeout(r, 150));
    progress.stop();
    const lines = screen();
    const last = (label: RegExp) => lines.filter((l) => label.test(l)).at(-1) ?? "";
    for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(columns);
    expect(last(/^plan/)).toMatch(/ 50% 1000\/2000 ETA [45]s 2 runs/);
    expect(last(new RegExp(`^${a!.runId}`))).toMatch(/ 50% 500\/1000 ETA 5s epoch 1\/2/);
  });
});

describe("PlanProgress in a log (no TTY)", () => {
  it("writes a diverged run's epoch line with NaN where its losses came back from JSON as null", () => {
    const plan = experiment("nan").epochs(1).compile();
    const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
    const lines: string[] = [];
    const error = console.error;
    console.error = (...a: unknown[]) => void lines.push(a.join(" "));
    try {
      const progress = new PlanProgress(plan, () => 10, stream, () => 0, true);
      const run = plan.runs[0]!;
      progress.onEvent({ type: "start", runId: run.runId, fromEpoch: 0, epochs: 1, stepsPerEpoch: 10 });
      const record = { epoch: 1, steps: 10, d_loss: null, g_loss: null, d_real: 0.5, d_fake: Number.NaN, d_grad_norm: 0, g_grad_norm: 0, secs: 1.25 };
      progress.onEvent({ type: "epoch", runId: run.runId, record: record as unknown as never });
      progress.stop();
    } finally {
      console.error = error;
    }
    expect(lines.find((l) => l.includes("epoch 1/1"))).toMatch(/d_loss=NaN g_loss=NaN D\(x\)=0\.500 D\(G\(z\)\)=NaN 1\.3s$/);
  });
});
