import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { experiment, isExperiment, PARAM_KEYS, type Experiment, type RunConfig } from "@ganscope/dsl";
import { axesArb, runConfigArb } from "@ganscope/dsl/testing";
import { createReaderProject, readExperimentFile, readExperimentText, type StaticExperiment } from "./experiment-reader.js";
import { findExperimentFiles, workspaceRoot } from "./workspace.js";
import { Unreadable } from "./static-value.js";

const root = workspaceRoot();

async function importExperiment(file: string): Promise<Experiment> {
  const mod = (await import(pathToFileURL(path.resolve(root, file)).href)) as { default?: unknown };
  if (!isExperiment(mod.default)) throw new Error(`${file} does not export an experiment`);
  return mod.default;
}

/** The static reading, with unreadable values kept as markers, in `definition`'s shape. */
function asDefinition(s: StaticExperiment) {
  return { name: s.name, description: s.description, fixed: s.fixed, axes: s.axes, filters: s.filters };
}

// The contract: for every experiment in the repository, what the reader sees
// without running the file is what the builder recorded when it ran.
describe("reading every experiment in the repo", () => {
  const files = findExperimentFiles(root);
  const project = createReaderProject();

  it("finds the seed study and the quickstart", () => {
    expect(files).toContain("experiments/quickstart.exp.ts");
    expect(files.filter((f) => f.startsWith("experiments/seed/")).length).toBe(14);
  });

  it.each(files)("%s reads statically as it compiles", async (file) => {
    const read = readExperimentFile(path.join(root, file), project);
    const exp = await importExperiment(file);
    const plan = exp.compile();
    const exactIssues = read.issues.filter((i) => i.code !== "where-filter");
    expect(exactIssues, "an experiment in the repo should read exactly").toEqual([]);
    expect(asDefinition(read)).toEqual({ ...exp.definition, axes: exp.definition.axes.map((a) => ({ key: a.key, values: a.values })) });
    if (read.filters === 0) expect(read.runs).toBe(plan.runs.length);
    else {
      expect(read.runs).toBeNull();
      expect(read.gridRuns).toBeGreaterThanOrEqual(plan.runs.length);
    }
  });
});

describe("what the reader cannot read, and says so", () => {
  // Fixtures live inside the workspace (under a git-ignored tmp/) so that
  // importing them resolves @ganscope/dsl exactly as a real experiment does.
  mkdirSync(path.join(root, "tools", "tmp"), { recursive: true });
  const dir = mkdtempSync(path.join(root, "tools", "tmp", "reader-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let count = 0;
  async function both(source: string) {
    const file = path.join(dir, `f${count++}.exp.ts`);
    writeFileSync(file, source);
    return { read: readExperimentFile(file), exp: await importExperiment(file) };
  }
  const header = `import { experiment, ACTIVATIONS } from "@ganscope/dsl";\n`;

  it("a value computed at run time: the key is known, its value is not, the run count still is", async () => {
    const { read, exp } = await both(`${header}export default experiment("c").fix({ gen_layers: 2 + 1 }).vary("gen_lr", [1e-3, Math.pow(10, -4)]);\n`);
    expect(read.issues.map((i) => [i.code, i.line])).toEqual([
      ["computed-value", 2],
      ["computed-value", 2],
    ]);
    expect(read.fixed.gen_layers).toBeInstanceOf(Unreadable);
    expect(read.axes[0]?.values?.[1]).toBeInstanceOf(Unreadable);
    expect(read.runs).toBe(exp.compile().runs.length);
  });

  it("a where() filter: the grid is known, the surviving run count is not", async () => {
    const { read, exp } = await both(
      `${header}export default experiment("w").vary("gen_layers", [2, 3, 5]).vary("dis_layers", [2, 3, 5]).where((c) => c.gen_layers >= c.dis_layers);\n`,
    );
    expect(read.issues.map((i) => i.code)).toEqual(["where-filter"]);
    expect(read.runs).toBeNull();
    expect(read.gridRuns).toBe(9);
    expect(exp.compile().runs).toHaveLength(6);
  });

  it("a spread of a variable only known at run time, in fix() and in vary()", async () => {
    const { read, exp } = await both(
      `${header}const pick = (n: number) => [1e-3, 1e-4, 2e-4].slice(0, n);\nlet base = { gen_layers: 4 };\nexport default experiment("s").fix({ ...base, dis_layers: 3 }).vary("gen_lr", [...pick(2)]);\n`,
    );
    expect(read.issues.map((i) => [i.code, i.line])).toEqual([
      ["spread", 4],
      ["spread", 4],
    ]);
    expect(read.fixed).toEqual({ dis_layers: 3 });
    expect(read.axes).toEqual([{ key: "gen_lr", values: null }]);
    expect(read.runs).toBeNull();
    expect(exp.compile().runs).toHaveLength(2);
  });

  it("a computed name", async () => {
    const { read } = await both(`${header}const suffix = String(Date.now() % 1);\nexport default experiment("n-" + suffix);\n`);
    expect(read.name).toBeNull();
    expect(read.issues[0]).toMatchObject({ code: "computed-value", line: 3 });
  });

  it("follows consts, imported consts, spreads of consts and a shared base exactly", async () => {
    const { read, exp } = await both(
      `${header}const LRS = [1e-3, 2e-4] as const;\nconst deep = { gen_layers: 5, dis_layers: 5 };\nconst base = experiment("k").fix({ ...deep, dis_dropout: 0.1 });\nexport default base.vary("activation", [...ACTIVATIONS]).vary("gen_lr", LRS).seeds(1, 2).epochs(3);\n`,
    );
    expect(read.issues).toEqual([]);
    expect(asDefinition(read)).toEqual({ ...exp.definition, axes: exp.definition.axes.map((a) => ({ key: a.key, values: a.values })) });
    expect(read.runs).toBe(5 * 2 * 2);
    expect(exp.compile().runs).toHaveLength(20);
  });

  it("an unknown key and a key varied twice are reported as compile() would reject them", () => {
    const read = readExperimentText(`${header}export default experiment("u").fix({ gen_layer: 3 } as never).vary("gen_lr", [1]).vary("gen_lr" as never, [2] as never);\n`);
    expect(read.issues.map((i) => i.code)).toEqual(["unknown-key", "duplicate-axis"]);
    expect(read.fixed).toEqual({});
    expect(read.axes).toEqual([{ key: "gen_lr", values: [1] }]);
  });

  it("a default export that is not an experiment chain", () => {
    expect(readExperimentText(`export default 42;\n`).issues.map((i) => i.code)).toEqual(["not-an-experiment"]);
    expect(readExperimentText(`const x = 1;\n`).issues.map((i) => i.code)).toEqual(["not-an-experiment"]);
  });
});

describe("reading literal experiments", () => {
  const project = createReaderProject();
  // Law: for any experiment written with literal values, the static reading
  // equals the builder's definition and the run count equals compile()'s.
  it("agrees with the builder and compile() for generated sources", () => {
    fc.assert(
      fc.property(axesArb({ maxAxes: 3, maxValues: 3 }), runConfigArb(), fc.uniqueArray(fc.constantFrom(...PARAM_KEYS), { maxLength: 4 }), (axes, config, fixedKeys) => {
        // JSON is the source text; parse it back so both sides see identical values (-0 is written as 0).
        const fixed = JSON.parse(JSON.stringify(Object.fromEntries(fixedKeys.filter((k) => !axes.some((a) => a.key === k)).map((k) => [k, config[k]])))) as Partial<RunConfig>;
        const parsedAxes = axes.map((a) => ({ key: a.key, values: JSON.parse(JSON.stringify(a.values)) as unknown[] }));
        const source = `import { experiment } from "@ganscope/dsl";\nexport default experiment("p").describe("gen").fix(${JSON.stringify(fixed)})${parsedAxes.map((a) => `\n  .vary(${JSON.stringify(a.key)}, ${JSON.stringify(a.values)})`).join("")};\n`;
        // Untyped on purpose: the axes are generated, so their keys are not literal types.
        interface Untyped extends Experiment {
          fix(values: unknown): Untyped;
          vary(key: string, values: unknown): Untyped;
        }
        let built = (experiment("p").describe("gen") as unknown as Untyped).fix(fixed);
        for (const a of parsedAxes) built = built.vary(a.key, a.values);
        const read = readExperimentText(source, "prop.exp.ts", project);
        expect(read.issues).toEqual([]);
        expect(asDefinition(read)).toEqual({ ...built.definition, axes: built.definition.axes.map((a) => ({ key: a.key, values: a.values })) });
        expect(read.runs).toBe(built.compile().runs.length);
      }),
      { numRuns: 50 },
    );
  });
});
