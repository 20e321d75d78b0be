import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyOverrides, loadExperiment } from "./load-experiment.js";

// Experiment files live inside the repo so that `@ganscope/dsl` resolves from them.
const dir = mkdtempSync(path.join(process.cwd(), "tmp-exp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  return file;
}

describe("loadExperiment", () => {
  it("compiles the default export into a plan", async () => {
    const file = write("ok.exp.ts", `import { experiment } from "@ganscope/dsl";\nexport default experiment("ok").vary("gen_layers", [2, 3]).epochs(1);\n`);
    const plan = await loadExperiment(file);
    expect(plan.experiment).toBe("ok");
    expect(plan.runs).toHaveLength(2);
  });

  it("names the file when it does not exist", async () => {
    await expect(loadExperiment("experiments/nope.exp.ts")).rejects.toThrow("experiments/nope.exp.ts: no such experiment file");
  });

  it("names the file and what was expected when there is no default export", async () => {
    const file = write("nodefault.exp.ts", `export const x = 1;\n`);
    await expect(loadExperiment(file)).rejects.toThrow(/nodefault\.exp\.ts: has no default export; expected `export default experiment/);
  });

  it("rejects a default export that is not an experiment", async () => {
    const file = write("notexp.exp.ts", `export default { name: "x" };\n`);
    await expect(loadExperiment(file)).rejects.toThrow(/notexp\.exp\.ts: default export is not an experiment/);
  });

  it("reports every problem of an unchecked file at once, with file, key, value and what is allowed", async () => {
    // Plain JS shapes the compiler never saw: a typo, a bad activation, an out-of-range dropout.
    const file = write(
      "bad.exp.ts",
      `import { experiment } from "@ganscope/dsl";\nconst e: any = experiment("bad");\nexport default e.fix({ dis_dropot: 0.3 }).vary("activation", ["tanh"]).vary("dis_dropout", [0.2, 1.2]);\n`,
    );
    const err = await loadExperiment(file).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/bad\.exp\.ts/);
    expect(err?.message).toMatch(/dis_dropot.*did you mean dis_dropout/);
    expect(err?.message).toMatch(/activation.*tanh/);
    expect(err?.message).toMatch(/dis_dropout must be in \[0, 1\), got 1\.2/);
  });

  it("reports a syntax error with the file name", async () => {
    const file = write("syntax.exp.ts", `export default experiment(\n`);
    await expect(loadExperiment(file)).rejects.toThrow(/syntax\.exp\.ts: could not load/);
  });
});

describe("applyOverrides", () => {
  it("changes epochs and limit on every run and gives them new run ids", async () => {
    const file = write("ov.exp.ts", `import { experiment } from "@ganscope/dsl";\nexport default experiment("ov").vary("gen_lr", [1e-3, 1e-4]);\n`);
    const plan = await loadExperiment(file);
    const quick = applyOverrides(plan, { epochs: 1, limit: 100 }, file);
    expect(quick.runs.map((r) => [r.config.epochs, r.config.limit])).toEqual([[1, 100], [1, 100]]);
    quick.runs.forEach((r, i) => expect(r.runId).not.toBe(plan.runs[i]!.runId));
    expect(applyOverrides(plan, {}, file)).toBe(plan);
  });

  it("validates overrides like any other value", async () => {
    const file = write("ov2.exp.ts", `import { experiment } from "@ganscope/dsl";\nexport default experiment("ov2");\n`);
    const plan = await loadExperiment(file);
    expect(() => applyOverrides(plan, { epochs: 0 }, file)).toThrow(/ov2\.exp\.ts: [\s\S]*epochs must be a positive integer, got 0/);
  });
});
