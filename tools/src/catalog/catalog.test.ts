import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "@ganscope/dsl";
import { workspaceRoot } from "../workspace.js";
import { buildCatalog, catalogMarkdown, type Calibration } from "./catalog.js";
import { denseParameters, secondsPerStep, stepCost } from "./cost-model.js";

const calibration: Calibration = {
  command: "test",
  measuredAt: "2026-01-01T00:00:00Z",
  backend: "test",
  machine: "test",
  config: { gen_layers: 3, dis_layers: 2, batch_size: 128 },
  steps: 100,
  seconds: 50,
};

describe("cost model", () => {
  it("counts the baseline's parameters from the documented widths (G 100→256→512→784, D 784→256→1)", () => {
    expect(denseParameters([100, 256, 512, 784])).toBe(100 * 256 + 256 + 256 * 512 + 512 + 512 * 784 + 784);
    expect(stepCost(DEFAULTS)).toMatchObject({ generatorParams: 559_632, discriminatorParams: 201_217 });
  });

  it("reproduces the measurement for the measured config, and grows with depth and batch", () => {
    const measured = { config: DEFAULTS, secondsPerStep: 0.5 };
    expect(secondsPerStep(DEFAULTS, measured)).toBe(0.5);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 19 }), fc.integer({ min: 1, max: 19 }), fc.integer({ min: 1, max: 512 }), (g, d, b) => {
        const c = { ...DEFAULTS, gen_layers: g, dis_layers: d, batch_size: b };
        expect(secondsPerStep({ ...c, gen_layers: g + 1 }, measured)).toBeGreaterThan(secondsPerStep(c, measured));
        expect(secondsPerStep({ ...c, dis_layers: d + 1 }, measured)).toBeGreaterThan(secondsPerStep(c, measured));
        expect(secondsPerStep({ ...c, batch_size: b + 1 }, measured)).toBeGreaterThan(secondsPerStep(c, measured));
      }),
    );
  });
});

describe("catalog of the repo's experiments", async () => {
  const catalog = await buildCatalog(workspaceRoot(), calibration);

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

  it("costs the baseline run at exactly the measured seconds per step", () => {
    const baseline = catalog.entries.find((e) => e.experiment === "seed-baseline")!;
    expect(baseline.cpuHours).toBeCloseTo((100 * 469 * 0.5) / 3600, 9);
  });

  it("renders every experiment in the markdown", () => {
    const md = catalogMarkdown(catalog, 2);
    for (const e of catalog.entries) expect(md).toContain(`| ${e.experiment} |`);
  });
});
