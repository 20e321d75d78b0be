import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { isExperiment, type Experiment } from "@ganscope/dsl";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

/** Every `*.exp.ts` under experiments/, relative to the repo root, sorted. */
function experimentFiles(dir = here): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? experimentFiles(path.join(dir, e.name)) : e.name.endsWith(".exp.ts") ? [path.join(dir, e.name)] : []))
    .map((f) => path.relative(root, f))
    .sort();
}

async function load(file: string): Promise<Experiment> {
  const mod = (await import(pathToFileURL(path.join(root, file)).href)) as { default?: unknown };
  if (!isExperiment(mod.default)) throw new Error(`${file}: default export is not an experiment`);
  return mod.default;
}

/**
 * Runs per seed section, counted from the seed report by hand (axis lengths
 * multiplied), so that a typo in an axis shows up here rather than as a
 * silently smaller study.
 */
const SEED_RUNS: Record<string, number> = {
  "experiments/seed/baseline.exp.ts": 1,
  "experiments/seed/activations.exp.ts": 5,
  "experiments/seed/activations-large.exp.ts": 5,
  "experiments/seed/even-sizes.exp.ts": 4 * 4,
  "experiments/seed/larger-discriminator.exp.ts": 3,
  "experiments/seed/larger-generator.exp.ts": 4,
  "experiments/seed/dropout-3x3.exp.ts": 4 * 4,
  "experiments/seed/dropout-5x5.exp.ts": 4 * 4,
  "experiments/seed/dropout-2x5.exp.ts": 3 * 3,
  "experiments/seed/dropout-5x2.exp.ts": 3 * 3,
  "experiments/seed/same-lr.exp.ts": 4 * 4,
  "experiments/seed/greater-dis-lr.exp.ts": 3,
  "experiments/seed/greater-gen-lr.exp.ts": 3,
  "experiments/seed/combined.exp.ts": 1,
};

const files = experimentFiles();

describe("every experiment file", () => {
  it("finds the seed's fourteen sections", () => {
    expect(files.filter((f) => f.startsWith("experiments/seed/"))).toEqual(Object.keys(SEED_RUNS).sort());
  });

  it.each(files)("%s compiles", async (file) => {
    const plan = (await load(file)).compile();
    expect(plan.runs.length).toBeGreaterThan(0);
    // The name is a folder under results/ and an Nx target name: keep it to a safe, portable alphabet.
    expect(plan.experiment).toMatch(/^[a-z0-9][a-z0-9-]*$/);
  });

  it("have unique names, since each owns results/<name>/", async () => {
    const names = await Promise.all(files.map(async (f) => (await load(f)).definition.name));
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("seed experiments", () => {
  it.each(Object.entries(SEED_RUNS))("%s has the seed's %i runs", async (file, runs) => {
    expect((await load(file)).compile().runs).toHaveLength(runs);
  });

  it("every seed description quotes the seed report", async () => {
    for (const file of Object.keys(SEED_RUNS)) {
      if (file.endsWith("baseline.exp.ts")) continue; // the baseline makes no claim; it is the reference
      expect((await load(file)).definition.description, file).toMatch(/“.+”/);
    }
  });

  it("all train 100 epochs at the seed's baseline settings except what the section varies", async () => {
    for (const file of Object.keys(SEED_RUNS)) {
      for (const run of (await load(file)).compile().runs) {
        expect(run.config.epochs, file).toBe(100);
        expect(run.config.dataset, file).toBe("mnist");
      }
    }
  });

  it("the (5, 5) dropout section trains (5, 5), not the (3, 3) its configuration line repeats", async () => {
    const runs = (await load("experiments/seed/dropout-5x5.exp.ts")).compile().runs;
    expect(new Set(runs.map((r) => `${r.config.gen_layers},${r.config.dis_layers}`))).toEqual(new Set(["5,5"]));
  });

  it("shares runs between sections by id (e.g. the baseline is the larger-generator section's (3, 2))", async () => {
    const baseline = (await load("experiments/seed/baseline.exp.ts")).compile().runs[0]!;
    const larger = (await load("experiments/seed/larger-generator.exp.ts")).compile().runs;
    expect(larger.map((r) => r.runId)).toContain(baseline.runId);
  });
});

describe("the runner's --dry-run", () => {
  // A real child process through the CLI users type: it loads the file the
  // way the runner does (tsx, not vitest's loader) and prints the plan.
  it("prints the plan of seed-dropout-3x3 without training", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "apps/runner/src/main.ts", "exp", "--file=experiments/seed/dropout-3x3.exp.ts", "--dry-run"],
      { cwd: root, timeout: 60_000 },
    );
    expect(stdout).toContain('experiment "seed-dropout-3x3": 16 runs');
    // 16 runs × 100 epochs × ceil(60000 / 128) = 469 steps per epoch.
    expect(stdout).toContain(`total: ${16 * 100 * 469} training steps`);
  });
});
