import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ExperimentView, RunView } from "./site-data.js";
import { readStudies } from "./study-reader.js";

/** The reader on hand-made report.json files in the odd states a store can hold (the browser test reads one runner:study wrote). */
let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "study-reader-"));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function report(folder: string, body: unknown): Promise<string> {
  const file = path.join(root, folder, "report.json");
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, typeof body === "string" ? body : JSON.stringify(body));
  return file;
}

function run(runId: string, varied: RunView["varied"]): RunView {
  return { runId, varied, inPlan: true, state: "done", epochsDone: 2, epochs: 2, wallSecs: 1, final: {}, best: {}, epochs_x: [1, 2], series: {}, samples: [{ epoch: 2, src: `s/${runId}/epoch-0002.png` }] };
}

const exp: ExperimentView = {
  name: "act",
  description: "",
  axes: ["activation", "seed"],
  files: [],
  runs: [run("elu0", { activation: "elu", seed: 0 }), run("elu1", { activation: "elu", seed: 1 }), run("relu0", { activation: "relu", seed: 0 })],
  metricKeys: [],
};
const samples = (e: string, id: string) => (e === exp.name ? exp.runs.find((r) => r.runId === id)?.samples : undefined);

const armOf = (label: string, extra: Record<string, unknown>) => ({ label, n: 2, strata: 1, minSeeds: 2, missing: 0, mean: 1, iqm: 1, ...extra });

describe("readStudies", () => {
  it("reads a study report: arms' runs, the median run's grid at its site path, verdicts as words", async () => {
    await report("seed-study", {
      study: "seed-study",
      description: "d",
      budget: { name: "smoke", purpose: "CI" },
      budgetLine: "smoke: 2 epochs × 512 images × 2 seeds (0, 1)",
      findings: [
        {
          id: "1",
          title: "t",
          quote: "q",
          verdict: "confirmed",
          budgetLine: "smoke: 2 epochs × 512 images × 2 seeds (0, 1)",
          claims: [
            {
              kind: "compare",
              statement: "s",
              metric: "fid_lite",
              direction: "lower",
              // Written on another machine: the grid is found by run and file name.
              a: armOf("elu", { runs: [{ experiment: "act", runId: "elu0", seed: 0, value: 1 }, { experiment: "act", runId: "elu1", seed: 1 }], medianRun: { experiment: "act", runId: "elu0", value: 1, sample: "/elsewhere/results/act/elu0/samples/epoch-0002.png" } }),
              // Written before arms listed their runs: the median run's config over every seed stands in.
              b: armOf("relu", { medianRun: { experiment: "act", runId: "elu1", value: 2 } }),
              effect: -1,
              lo: -2,
              hi: -0.5,
              verdict: "confirmed",
              reason: "r",
            },
          ],
        },
        { id: "2", title: "deep", quote: "q", verdict: "untested", reason: "networks above 12M parameters are not trained at this budget", claims: [] },
      ],
    });
    const warnings: string[] = [];
    const [study, ...rest] = await readStudies(root, samples, [exp], warnings);
    expect(warnings).toEqual([]);
    expect(rest).toEqual([]);
    expect(study!.name).toBe("seed-study");
    expect(study!.experiments).toEqual(["act"]);
    const c = study!.findings[0]!.claims[0]!;
    if (c.kind !== "compare") throw new Error(c.kind);
    expect(c.a.runs.map((r) => [r.runId, r.value])).toEqual([["elu0", 1], ["elu1", undefined]]);
    expect(c.a.medianRun?.sample).toEqual({ epoch: 2, src: "s/elu0/epoch-0002.png" });
    expect(c.a.runsInferred).toBeUndefined();
    expect(c.b.runs.map((r) => r.runId)).toEqual(["elu0", "elu1"]);
    expect(c.b.runsInferred).toBe(true);
    expect(study!.findings[1]).toMatchObject({ verdict: "not tested", reason: "networks above 12M parameters are not trained at this budget", claims: [] });
  });

  it("reads the decision's numbers: the new verdict as words, p raw and Holm-adjusted, the MDE, verdict mixes and why runs are missing", async () => {
    const file = await report("decided", {
      study: "decided",
      budgetLine: "cpu: 8 epochs",
      reference: "baseline (3, 2)",
      positiveControl: "combined (4, 4)",
      findings: [
        {
          id: "1",
          title: "t",
          quote: "q",
          verdict: "undecidable",
          reason: "0 confirmed, 0 refuted, 0 inconclusive, 1 not decidable at this budget of 1 claim; 0 test(s), Holm at 0.05 across them",
          tests: 0,
          claims: [
            {
              kind: "compare",
              statement: "s",
              metric: "fid_lite",
              direction: "lower",
              a: armOf("elu", { judged: 3, verdicts: { no_digits: 3 }, runs: [] }),
              b: armOf("relu", { judged: 3, verdicts: { no_digits: 2, diverged: 1 }, imputed: 1, missingWhy: { diverged: 1 }, runs: [{ experiment: "act", runId: "relu0", seed: 0, value: 260, verdict: "diverged", imputed: true }] }),
              verdict: "undecidable",
              reason: "at cpu the reference baseline (3, 2) draws no digits (3/3 no_digits)",
            },
          ],
        },
        {
          id: "2",
          title: "t",
          quote: "q",
          verdict: "inconclusive",
          tests: 1,
          claims: [
            {
              kind: "compare",
              statement: "s",
              metric: "d_loss",
              direction: "lower",
              a: armOf("elu", {}),
              b: armOf("relu", {}),
              test: "welch",
              effect: -0.2,
              lo: -0.5,
              hi: 0.1,
              df: 7.6,
              p: 0.16,
              pClaimed: 0.08,
              pReverse: 0.92,
              pAdjusted: 0.16,
              family: 1,
              mde: { d: 2.02, value: 0.4, pooledSd: 0.2, alpha: 0.05, power: 0.8 },
              note: "pre-convergence: compares learning speed at this budget, not final quality",
              verdict: "inconclusive",
              reason: "r",
            },
            { kind: "compare", statement: "s", metric: "d_loss", direction: "lower", a: armOf("a", {}), b: armOf("b", { verdicts: { converged: "3" } }), mde: { d: 1 }, verdict: "inconclusive", reason: "r" },
          ],
        },
      ],
    });
    const warnings: string[] = [];
    const [study] = await readStudies(root, samples, [exp], warnings);
    expect(warnings).toEqual([`${file}: findings[1].claims[1].b.verdicts: expected { <verdict or reason>: runs }, got object`, `${file}: findings[1].claims[1].mde: expected { d, value, pooledSd, alpha, power }, got object`]);
    expect([study!.reference, study!.positiveControl]).toEqual(["baseline (3, 2)", "combined (4, 4)"]);
    const [gated, decided] = study!.findings;
    expect([gated!.verdict, gated!.tests, gated!.claims[0]!.verdict]).toEqual(["not decidable at this budget", 0, "not decidable at this budget"]);
    const g = gated!.claims[0]!;
    if (g.kind !== "compare") throw new Error(g.kind);
    expect([g.a.verdicts, g.a.judged, g.b.imputed, g.b.missingWhy, g.b.runs[0]]).toEqual([{ no_digits: 3 }, 3, 1, { diverged: 1 }, { experiment: "act", runId: "relu0", seed: 0, value: 260, verdict: "diverged", imputed: true }]);
    expect(decided!.claims[0]).toMatchObject({ test: "welch", df: 7.6, p: 0.16, pClaimed: 0.08, pReverse: 0.92, pAdjusted: 0.16, family: 1, mde: { d: 2.02, value: 0.4 }, note: expect.stringMatching(/^pre-convergence/) });
  });

  it("names the file, the key and what was expected; shows what it can", async () => {
    const broken = await report("broken", "{ not json");
    const notStudy = await report("not-a-study", { findings: "ten" });
    const odd = await report("odd", { study: "odd", budgetLine: "b", findings: [{ id: "1", title: "t", quote: "q", verdict: "refuted", claims: [{ kind: "guess" }, { kind: "rate", arm: armOf("x", {}), successes: 1, n: 2, lo: 0.1, hi: 0.9, bound: { atLeast: 0.5 }, verdict: "inconclusive" }] }] });
    await fs.mkdir(path.join(root, "an-experiment"));
    const warnings: string[] = [];
    const studies = await readStudies(root, samples, [exp], warnings);
    expect(studies.map((s) => s.name)).toEqual(["odd"]);
    expect(studies[0]!.findings[0]!.claims.map((c) => c.kind)).toEqual(["rate"]);
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^${broken}: not valid JSON .*; study not shown$`)),
      `${notStudy}: findings: expected an array of findings (a study report from runner:study), got string; study not shown`,
      `${odd}: findings[0].claims[0].kind: expected "compare", "rate" or "rank", got string`,
    ]);
    expect(await readStudies(path.join(root, "missing"), samples, [], [])).toEqual([]);
  });
});
