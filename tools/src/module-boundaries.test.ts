/**
 * Module boundaries, as the README's Layout table lays them out (it follows
 * the project's design map, kept outside this repository): what each package's source
 * (tests excluded) may import. The DSL stays free of tfjs so experiment files
 * load instantly; the dashboard reads stores and reports through tracking and
 * findings (their light entries: `@ganscope/tracking/run-state`,
 * `@ganscope/findings/report-parser`, `@ganscope/findings/seed-summary`) and
 * the DSL's schemas; no package reaches into another's folder by relative
 * path.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Package folder → the workspace packages and heavy externals its sources may import. */
const RULES: Record<string, { ganscope: string[]; tfjs: boolean }> = {
  "libs/dsl": { ganscope: [], tfjs: false },
  "libs/data": { ganscope: ["dsl"], tfjs: false },
  // Tracking and the dashboard read the record schema from the DSL (it loads nothing).
  "libs/tracking": { ganscope: ["dsl"], tfjs: false },
  "libs/queue": { ganscope: ["dsl", "tracking"], tfjs: false },
  // Models writes checkpoints with the run store's durable write (atomic-file); tracking loads no tfjs.
  "libs/models": { ganscope: ["dsl", "data", "tracking"], tfjs: true },
  "libs/metrics": { ganscope: ["dsl", "data", "models", "tracking"], tfjs: true },
  // Training trains what a study's findings read (train-study.ts): findings' plans, which load no tfjs.
  "libs/training": { ganscope: ["dsl", "data", "models", "metrics", "tracking", "findings"], tfjs: true },
  // Findings imports no tfjs itself, but study-runs.ts judges runs with metrics' judgeRun, so its index loads tfjs; its report parser and seed summary (light entries) do not.
  "libs/findings": { ganscope: ["dsl", "tracking", "metrics"], tfjs: false },
  "apps/runner": { ganscope: ["dsl", "data", "models", "metrics", "tracking", "training", "findings", "queue"], tfjs: true },
  // The dashboard reads the store through tracking and study reports through findings' parser (DESIGN: "tracking and findings"); its browser bundle draws its bands over seeds with findings' seed-summary.ts (it imports nothing).
  "apps/dashboard": { ganscope: ["tracking", "dsl", "findings"], tfjs: false },
  tools: { ganscope: ["dsl", "data"], tfjs: false },
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === "node_modules" ? [] : sources(file);
    return /\.ts$/.test(name) && !/\.test(-d)?\.ts$/.test(name) ? [file] : [];
  });
}

/** Every module specifier a file imports: static, side-effect, re-export and dynamic with a literal. */
export function importsOf(text: string): string[] {
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;
  return [...text.matchAll(re)].map((m) => m[1]!);
}

describe("module boundaries", () => {
  it("finds static, side-effect and dynamic imports", () => {
    expect(importsOf(`import a from "x";\nimport "y";\nexport { b } from "z";\nawait import("w");`)).toEqual(["x", "y", "z", "w"]);
  });

  for (const [pkg, rule] of Object.entries(RULES)) {
    it(`${pkg} imports only what it may`, () => {
      const problems: string[] = [];
      const dirs = ["src", "client"].map((d) => path.join(ROOT, pkg, d)).filter((d) => {
        try {
          return statSync(d).isDirectory();
        } catch {
          return false;
        }
      });
      const manifest = JSON.parse(readFileSync(path.join(ROOT, pkg, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
      const declared = new Set([...Object.keys(manifest["dependencies"] ?? {}), ...Object.keys(manifest["devDependencies"] ?? {})]);
      for (const file of dirs.flatMap(sources)) {
        const rel = path.relative(ROOT, file);
        for (const spec of importsOf(readFileSync(file, "utf8"))) {
          const own = /^@ganscope\/([^/]+)/.exec(spec)?.[1];
          if (own !== undefined && own !== path.basename(pkg) && !rule.ganscope.includes(own)) problems.push(`${rel}: imports ${spec}`);
          if (own !== undefined && own !== path.basename(pkg) && !declared.has(`@ganscope/${own}`)) problems.push(`${rel}: imports ${spec}, not declared in ${pkg}/package.json`);
          if (spec.startsWith("@tensorflow/") && !rule.tfjs) problems.push(`${rel}: imports ${spec}`);
          if (spec.startsWith(".") && !path.resolve(path.dirname(file), spec).startsWith(path.join(ROOT, pkg) + path.sep)) {
            problems.push(`${rel}: reaches outside its package with ${spec}`);
          }
        }
      }
      expect(problems).toEqual([]);
    });
  }
});
