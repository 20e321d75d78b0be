/**
 * README's "Verdicts" example, as a researcher pastes it into a test file:
 * it must pass on a short healthy run, and the same matcher must fail on a
 * run whose verdict is mode_collapse.
 */
import { expect, it } from "vitest";
import { judgeRun } from "@ganscope/metrics";
// --- README example starts ---
import { experiment } from "@ganscope/dsl";
import { trainedRuns } from "@ganscope/training";
import "@ganscope/metrics/vitest";

it("the baseline does not collapse in a short run", async () => {
  const [run] = await trainedRuns(experiment("readme-short").fix({ limit: 512, batch_size: 64 }).epochs(2));
  expect(run!.records).not.toCollapse();
  expect(run!.records).not.toHaveVerdict("diverged");
});
// --- README example ends ---

it("the same matcher fails on a run judged mode_collapse, saying so", async () => {
  const [run] = await trainedRuns(experiment("readme-short").fix({ limit: 512, batch_size: 64 }).epochs(2));
  // The run's training records with a last evaluation of what a collapsed generator draws: one class, every modes-based measure past its threshold, realistic.
  const last = { ...run!.records.at(-1)!, modes: 1, max_class_share: 1, kl_uniform: Math.log(10), diversity: 0.0001, confidence: 0.99, coverage: 0.05, density: 2 };
  for (let k = 0; k < 10; k++) (last as Record<string, number>)[`class_share_${k}`] = k === 1 ? 1 : 0;
  const collapsed = [...run!.records.slice(0, -1), last];
  expect(judgeRun(collapsed).verdict).toBe("mode_collapse");
  expect(() => expect(collapsed).not.toCollapse()).toThrow(/expected the samples not to collapse, but .*\n(.|\n)*verdict: mode_collapse/);
  expect(collapsed).toCollapse();
});
