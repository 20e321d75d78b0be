import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import config from "../../../vitest.config.js";
import { workspaceRoot } from "../workspace.js";
import { projectTargets } from "./project-targets.js";

const root = workspaceRoot();
const run = promisify(execFile);
// The real Nx, without daemon, as a fresh `nx` command sees the plugins.
// Its own graph cache: another test file running nx at the same time (experiments-plugin) raced this one for the shared
// .nx/workspace-data on a fresh clone ("No cached ProjectGraph is available").
const NX_DATA = mkdtempSync(path.join(os.tmpdir(), "nx-data-"));
const nx = async (...args: string[]) =>
  (await run(process.execPath, ["node_modules/nx/dist/bin/nx.js", ...args], { cwd: root, timeout: 120_000, env: { ...process.env, NX_DAEMON: "false", NX_WORKSPACE_DATA_DIRECTORY: NX_DATA } })).stdout;
interface Graph {
  graph: { nodes: Record<string, { data: { targets: Record<string, unknown> } }>; dependencies: Record<string, { target: string }[]> };
}
/** Test files under a folder, as vitest's include globs would find them. */
function testFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" })
    .map((f) => `${dir}/${f.split(path.sep).join("/")}`)
    .filter((f) => /\.test(-d)?\.ts$/.test(f) && !f.includes("node_modules/") && !f.includes("/dist/"));
}
const lines = (s: string) => s.split("\n").map((l) => l.trim()).filter(Boolean).sort();

describe("inferred test and typecheck targets", () => {
  it("a project's test target runs its vitest project, cached on its files and its dependencies' sources", () => {
    const t = projectTargets("libs/dsl", root);
    expect(t["test"]?.options).toEqual({ command: "vitest run --project dsl --passWithNoTests" });
    expect(t["test"]?.cache).toBe(true);
    expect(t["test"]?.inputs).toEqual(expect.arrayContaining(["default", "^production", "{workspaceRoot}/vitest.setup.ts", { env: "FC_SEED" }]));
    expect(t["typecheck"]?.options).toEqual({ command: "tsc -p libs/dsl/tsconfig.json --noEmit" });
  });

  it("every Nx project has both targets and is a vitest project of the same name; no test file is outside one", async () => {
    const { graph } = JSON.parse(await nx("graph", "--print")) as Graph;
    const projects = Object.keys(graph.nodes).sort();
    for (const p of projects) expect(Object.keys(graph.nodes[p]!.data.targets), p).toEqual(expect.arrayContaining(["test", "typecheck"]));
    // experiments has no package.json: its edges come from Nx reading its imports.
    expect(graph.dependencies["experiments"]?.map((d) => d.target)).toContain("dsl");
    const names = (config.test?.projects ?? []).map((p) => (typeof p === "object" && "test" in p ? p.test?.name : undefined));
    expect([...names].sort()).toEqual(projects);
    const { stdout } = await run(process.execPath, ["node_modules/vitest/vitest.mjs", "list", "--filesOnly"], { cwd: root, timeout: 120_000 });
    const listed = lines(stdout).filter((l) => l.startsWith("["));
    const onDisk = ["libs", "apps", "tools", "experiments"].flatMap((dir) => testFiles(dir)).sort();
    expect(listed.map((l) => l.replace(/^\[[^\]]+\] /, "")).sort()).toEqual(onDisk);
  });

  it("nx affected picks the touched project and its dependents only", async () => {
    expect(lines(await nx("show", "projects", "--affected", "--files=apps/dashboard/client/app.ts"))).toEqual(["dashboard"]);
    // The dashboard is a dependent since its Findings test trains a study (test-fixtures/dashboard-study.ts imports @ganscope/findings);
    // the GPU kit bundles the runner and the libs.
    expect(lines(await nx("show", "projects", "--affected", "--files=libs/models/src/gan.ts"))).toEqual(["dashboard", "experiments", "findings", "gpu-kit", "metrics", "models", "runner", "tools", "training"]);
  });
});
