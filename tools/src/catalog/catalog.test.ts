import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "@ganscope/dsl";
import { workspaceRoot } from "../workspace.js";
import { isExperiment, type RunPlan } from "@ganscope/dsl";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { buildCatalog, catalogFiles, catalogMarkdown, type StepTimeTable } from "./catalog.js";
import { denseParameters, networkParameters } from "./cost-model.js";

describe("parameter counts", () => {
  it("counts the baseline's parameters from the documented widths (G 100→256→512→784, D 784→256→1)", () => {
    expect(denseParameters([100, 256, 512, 784])).toBe(100 * 256 + 256 + 256 * 512 + 512 + 512 * 784 + 784);
    expect(networkParameters(DEFAULTS)).toEqual({ generatorParams: 559_632, discriminatorParams: 201_217 });
  });

  it("grow with depth", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 19 }), fc.integer({ min: 1, max: 19 }), (g, d) => {
        const c = { ...DEFAULTS, gen_layers: g, dis_layers: d };
        expect(networkParameters({ ...c, gen_layers: g + 1 }).generatorParams).toBeGreaterThan(networkParameters(c).generatorParams);
        expect(networkParameters({ ...c, dis_layers: d + 1 }).discriminatorParams).toBeGreaterThan(networkParameters(c).discriminatorParams);
      }),
    );
  });
});

/**
 * A step-time table as `runner step-times --json` prints it, with made-up times (measuring every
 * shape of the repo takes minutes; the measurement is tested in libs/training step-times.test.ts
 * and the runner's CLI test): 1 ms per million parameters, so deeper runs cost visibly more.
 */
async function tableFor(root: string): Promise<StepTimeTable> {
  const runs: Record<string, { secsPerStep: number; evaluations: number }> = {};
  for (const file of catalogFiles(root)) {
    const mod = (await import(pathToFileURL(path.join(root, file)).href)) as { default?: unknown };
    if (!isExperiment(mod.default)) continue;
    const plan: RunPlan = mod.default.compile();
    for (const r of plan.runs) {
      const p = networkParameters(r.config);
      runs[r.runId] = { secsPerStep: (p.generatorParams + p.discriminatorParams) / 1e9, evaluations: Math.ceil(r.config.epochs / r.config.eval_every) };
    }
  }
  return {
    command: "test",
    backend: "test (none)",
    machine: "test",
    loadavg: 1,
    cacheFile: "-",
    cached: 0,
    measured: 0,
    remeasured: 0,
    evalSecs: { secs: 2, measuredAt: "2026-01-01T00:00:00Z", loadavg: 1 },
    steps: { shape: { secsPerStep: 0.001, measuredAt: "2026-01-01T00:00:00Z", loadavg: 1 } },
    runs,
  };
}

describe("catalog of the repo's experiments", async () => {
  const times = await tableFor(workspaceRoot());
  const catalog = await buildCatalog(workspaceRoot(), times);

  it("covers the seed study: 14 experiments, 107 runs of 100 epochs", () => {
    const seed = catalog.folders["experiments/seed"]!;
    expect(seed).toMatchObject({ experiments: 14, runs: 107, epochs: 107 * 100, steps: 107 * 100 * 469 });
    // Runs the seed repeats across sections (e.g. its baseline in the activation and larger-generator sections) are trained once.
    expect(seed.uniqueRuns).toBeLessThan(seed.runs);
  });

  it("totals are the sums of the entries", () => {
    const sum = (f: (e: (typeof catalog.entries)[number]) => number) => catalog.entries.reduce((s, e) => s + f(e), 0);
    expect(catalog.totals.runs).toBe(sum((e) => e.runs));
    expect(catalog.totals.uniqueRuns).toBe(sum((e) => e.newRuns));
    expect(catalog.totals.cpuHours).toBeCloseTo(sum((e) => e.cpuHours), 9);
    expect(catalog.totals.uniqueCpuHours).toBeCloseTo(sum((e) => e.newCpuHours), 9);
  });

  it("costs a run as its steps × its measured seconds per step + its evaluations × one evaluation", () => {
    const baseline = catalog.entries.find((e) => e.experiment === "seed-baseline")!;
    const run = baseline.runList[0]!;
    expect(run.secondsPerStep).toBe(times.runs[run.runId]!.secsPerStep);
    expect(run.cpuHours).toBeCloseTo((100 * 469 * run.secondsPerStep + 20 * 2) / 3600, 9);
  });

  it("says which run has no step time", async () => {
    const { [catalog.entries[0]!.runList[0]!.runId]: _dropped, ...rest } = times.runs;
    await expect(buildCatalog(workspaceRoot(), { ...times, runs: rest })).rejects.toThrow(/run \w+ has no step time in the table from `test`; measure this file too/);
  });

  it("renders every experiment in the markdown", () => {
    const md = catalogMarkdown(catalog, 2);
    for (const e of catalog.entries) expect(md).toContain(`| ${e.experiment} |`);
    expect(md).toContain("on **test (none)**");
    expect(md).toContain("| `shape` | 0.0010 |");
  });
});

describe("catalog CLI", () => {
  it("refuses a --step-times file that is not runner step-times' JSON in one line, naming the file", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "catalog-cli-"));
    try {
      const bad = path.join(dir, "times.json");
      writeFileSync(bad, JSON.stringify({ secondsPerStep: 0.1 }));
      const r = spawnSync(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "main.ts"), "--step-times", bad, "--out", dir], { encoding: "utf8", timeout: 60_000 });
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toBe(`error: --step-times ${bad}: no "runs" and "steps" objects; expected the JSON \`runner step-times --json\` prints`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
