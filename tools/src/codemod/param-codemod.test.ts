import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { readExperimentFile } from "../experiment-reader.js";
import { findExperimentFiles, workspaceRoot } from "../workspace.js";
import { runCodemod } from "./main.js";
import { unifiedDiff } from "./unified-diff.js";

const root = workspaceRoot();
mkdirSync(path.join(root, "tools", "tmp"), { recursive: true });
const scratch = mkdtempSync(path.join(root, "tools", "tmp", "codemod-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh copy of the repo's experiments/ folder: the codemod never touches the real files in a test. */
function copyOfExperiments(): string {
  const dir = mkdtempSync(path.join(scratch, "ws-"));
  cpSync(path.join(root, "experiments"), path.join(dir, "experiments"), { recursive: true, filter: (src) => !src.endsWith(".test.ts") });
  return dir;
}

function run(args: Parameters<typeof runCodemod>[0], dir: string, opts: { dryRun?: boolean; partial?: boolean } = {}, files: string[] = []) {
  let out = "";
  let err = "";
  const code = runCodemod(args, files, { root: dir, ...opts }, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(findExperimentFiles(dir).map((f) => [f, readFileSync(path.join(dir, f), "utf8")]));
}

describe("rename across the repo's experiments (on a copy)", () => {
  it("--dry-run prints a diff that patch applies to give the rewritten files, and writes nothing", () => {
    const dir = copyOfExperiments();
    const before = snapshot(dir);
    const { code, out } = run({ kind: "rename", from: "gen_lr", to: "g_lr" }, dir, { dryRun: true });
    expect(code).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    expect(out).toContain('-  .fix({ gen_layers: 3, dis_layers: 3, activation: "relu", gen_dropout: 0, dis_dropout: 0, gen_lr: 0.00002 })');
    expect(out).toContain('+  .vary("g_lr", [0.001, 0.0001, 0.00004])');

    // The same diff, applied by patch(1), must give exactly what a real run writes.
    const applied = copyOfExperiments();
    execFileSync("patch", ["-p1", "-s", "-d", applied], { input: out });
    expect(run({ kind: "rename", from: "gen_lr", to: "g_lr" }, dir).code).toBe(0);
    expect(snapshot(applied)).toEqual(snapshot(dir));
  });

  it("renaming back restores every file byte for byte, and no code use of the old key is left", () => {
    const dir = copyOfExperiments();
    const original = snapshot(dir);
    expect(run({ kind: "rename", from: "gen_lr", to: "g_lr" }, dir).code).toBe(0);
    for (const [f, text] of Object.entries(snapshot(dir))) {
      // Descriptions are prose and may still name gen_lr; everything else must not.
      const code = text.replace(/\.describe\(\s*"(?:[^"\\]|\\.)*"/g, "").replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "");
      expect(code, f).not.toContain("gen_lr");
    }
    expect(run({ kind: "rename", from: "g_lr", to: "gen_lr" }, dir).code).toBe(0);
    expect(snapshot(dir)).toEqual(original);
  });
});

describe("remove across the repo's experiments (on a copy)", () => {
  it("drops fixed values and axes; run counts shrink by exactly the removed axis", () => {
    const dir = copyOfExperiments();
    const files = findExperimentFiles(dir);
    const before = files.map((f) => readExperimentFile(path.join(dir, f)));
    expect(run({ kind: "remove", key: "gen_dropout" }, dir).code).toBe(0);
    files.forEach((f, i) => {
      const old = before[i]!;
      const now = readExperimentFile(path.join(dir, f));
      expect(now.issues).toEqual([]);
      expect(now.fixed).not.toHaveProperty("gen_dropout");
      const axis = old.axes.find((a) => a.key === "gen_dropout");
      expect(now.runs).toBe(old.runs! / (axis?.values?.length ?? 1));
    });
  });
});

describe("edge cases, on fixtures", () => {
  const header = `import { experiment } from "@ganscope/dsl";\n`;
  function fixture(source: string): { dir: string; file: string } {
    const dir = mkdtempSync(path.join(scratch, "fx-"));
    const file = path.join(dir, "x.exp.ts");
    writeFileSync(file, source);
    return { dir, file };
  }

  it("renames in filters (c.key, c[\"key\"], destructuring), shorthand properties and a const base object", () => {
    const { dir, file } = fixture(
      `${header}const gen_lr = 1e-3;
const base = { gen_layers: 3, 'gen_lr': 2e-4 };
export default experiment("e")
  .fix({ ...base, dis_layers: 3 })
  .vary("dis_lr", [1e-3, 1e-4])
  .where((c) => c.gen_lr >= c["dis_lr"] && c['gen_lr'] > 0)
  .where(function ({ gen_lr, dis_lr: d }) { return gen_lr !== d; })
  .where(({ gen_lr: g }) => g > 0);
export const shorthand = experiment("s").fix({ gen_lr });
// An unrelated object with a fix() method is not an experiment: left alone.
const other = { fix: (x: unknown) => x };
other.fix({ gen_lr: 1 });
`,
    );
    const { code } = run({ kind: "rename", from: "gen_lr", to: "g_lr" }, dir);
    expect(code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(
      `${header}const gen_lr = 1e-3;
const base = { gen_layers: 3, 'g_lr': 2e-4 };
export default experiment("e")
  .fix({ ...base, dis_layers: 3 })
  .vary("dis_lr", [1e-3, 1e-4])
  .where((c) => c.g_lr >= c["dis_lr"] && c['g_lr'] > 0)
  .where(function ({ g_lr: gen_lr, dis_lr: d }) { return gen_lr !== d; })
  .where(({ g_lr: g }) => g > 0);
export const shorthand = experiment("s").fix({ g_lr: gen_lr });
// An unrelated object with a fix() method is not an experiment: left alone.
const other = { fix: (x: unknown) => x };
other.fix({ gen_lr: 1 });
`,
    );
  });

  it("refuses, writing nothing, where it cannot be sure: a filter reading the removed key, a spread of the unknown, a computed vary key", () => {
    const source = `${header}declare const extra: Record<string, number>;
const key = "gen_lr" as const;
export default experiment("r")
  .fix({ gen_lr: 1e-3, ...extra })
  .vary(key, [1e-4])
  .where((c) => c.gen_lr > 0 && check(c));
function check(c: object) { return "gen_lr" in c; }
`;
    const { dir, file } = fixture(source);
    const { code, err } = run({ kind: "remove", key: "gen_lr" }, dir);
    expect(code).toBe(1);
    expect(readFileSync(file, "utf8")).toBe(source);
    expect(err).toContain("needs a person: x.exp.ts:5: .fix() spreads extra");
    expect(err.match(/needs a person/g)).toHaveLength(4); // the spread, the computed key, c.gen_lr, check(c)
    expect(err).toContain("nothing written");
  });

  it("--partial writes the safe edits and still reports the rest", () => {
    const { dir, file } = fixture(`${header}export default experiment("p").fix({ gen_lr: 1e-3, dis_lr: 1e-3 }).where((c) => c.gen_lr > 0);\n`);
    expect(run({ kind: "remove", key: "gen_lr" }, dir, { partial: true }).code).toBe(1);
    expect(readFileSync(file, "utf8")).toBe(`${header}export default experiment("p").fix({ dis_lr: 1e-3 }).where((c) => c.gen_lr > 0);\n`);
  });

  it("removing the only fixed key removes the fix() call; .epochs() is removed for epochs and refused for a rename", () => {
    const source = `${header}export default experiment("o")\n  .fix({ leaky_slope: 0.1 })\n  .vary("activation", ["relu"])\n  .epochs(3);\n`;
    const { dir, file } = fixture(source);
    expect(run({ kind: "remove", key: "leaky_slope" }, dir).code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(`${header}export default experiment("o")\n  .vary("activation", ["relu"])\n  .epochs(3);\n`);
    expect(run({ kind: "remove", key: "epochs" }, dir).code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(`${header}export default experiment("o")\n  .vary("activation", ["relu"]);\n`);
    const again = fixture(source);
    const renamed = run({ kind: "rename", from: "epochs", to: "n_epochs" }, again.dir);
    expect(renamed.code).toBe(1);
    expect(renamed.err).toContain("rename the builder method by hand");
  });

  it("refuses a rename onto a key the same object already sets", () => {
    const { dir } = fixture(`${header}export default experiment("c").fix({ gen_lr: 1e-3, dis_lr: 1e-3 });\n`);
    const { code, err } = run({ kind: "rename", from: "gen_lr", to: "dis_lr" }, dir);
    expect(code).toBe(1);
    expect(err).toContain('already sets "dis_lr"');
  });
});

describe("unifiedDiff", () => {
  // Law: patch(1) applied to `before` with our diff gives `after`.
  it("round-trips through patch for any line edits", () => {
    const dir = mkdtempSync(path.join(scratch, "diff-"));
    const line = fc.constantFrom("a", "b", "c", "d", "", "  x");
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), fc.array(line, { maxLength: 25 }), (a, b) => {
        const before = a.map((l) => `${l}\n`).join("");
        const after = b.map((l) => `${l}\n`).join("");
        const file = path.join(dir, "f.txt");
        writeFileSync(file, before);
        const diff = unifiedDiff(before, after, "f.txt");
        if (before === after) {
          // A property's return value is its verdict: return nothing, or fast-check reads the assertion's result as one.
          expect(diff).toBe("");
          return;
        }
        execFileSync("patch", ["-s", file], { input: diff });
        expect(readFileSync(file, "utf8")).toBe(after);
      }),
      { numRuns: 40 },
    );
  });
});
