import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { findExperimentFiles, workspaceRoot } from "../workspace.js";
import { createExperimentNodes, experimentTargets, localImports } from "./experiments-plugin.js";

const root = workspaceRoot();
const files = findExperimentFiles(root);

describe("experiment targets", () => {
  const targets = experimentTargets(files, {}, root);

  it("one target per experiment file, named after the experiment", () => {
    expect(targets.map((t) => t.file)).toEqual(files);
    const names = targets.map((t) => t.targetName);
    expect(new Set(names).size).toBe(names.length);
    expect(targets.find((t) => t.file === "experiments/seed/dropout-3x3.exp.ts")?.targetName).toBe("seed-dropout-3x3");
  });

  it("inputs name the experiment's own file and no other, so editing one reruns only that one", () => {
    for (const t of targets) {
      const fileInputs = (t.target.inputs ?? []).filter((i): i is string => typeof i === "string" && i.endsWith(".exp.ts"));
      expect(fileInputs).toEqual([`{workspaceRoot}/${t.file}`]);
    }
  });

  it("inputs cover the DSL the file imports and the runner with every library it trains with, tests excluded", () => {
    const inputs = targets[0]!.target.inputs ?? [];
    for (const dir of ["libs/dsl", "libs/data", "libs/models", "libs/tracking", "apps/runner"]) {
      expect(inputs).toContain(`{workspaceRoot}/${dir}/src/**/*`);
      expect(inputs).toContain(`!{workspaceRoot}/${dir}/src/**/*.test.ts`);
    }
    expect(inputs).not.toContain("{workspaceRoot}/tools/src/**/*");
  });

  it("caches the results folder and runs the runner, forwarding extra arguments", () => {
    const t = targets.find((x) => x.targetName === "seed-baseline")!;
    expect(t.target.cache).toBe(true);
    expect(t.target.outputs).toEqual(["{workspaceRoot}/dist/experiments/seed-baseline.json"]);
    expect(t.target.options).toEqual({ command: "tsx apps/runner/src/main.ts exp --file=experiments/seed/baseline.exp.ts --receipt=dist/experiments/seed-baseline.json", forwardAllArgs: true });
  });

  it("puts every target into one experiments project", async () => {
    const nodes = await createExperimentNodes(files, undefined, { workspaceRoot: root, nxJsonConfiguration: {} });
    expect(new Set(nodes.map(([, r]) => Object.keys(r.projects ?? {}).join()))).toEqual(new Set(["experiments"]));
  });

  it("follows relative imports, so a shared base is an input of what builds on it", () => {
    // The seed files import only @ganscope/dsl; the resolver must not invent local files.
    expect(localImports(root, "experiments/seed/dropout-3x3.exp.ts")).toEqual([]);
    expect(localImports(root, "tools/src/nx/experiments-plugin.ts")).toEqual(expect.arrayContaining(["tools/src/experiment-reader.ts", "tools/src/workspace.ts", "tools/src/static-value.ts"]));
  });
});

describe("the plugin as Nx loads it (nx.json → tools/nx-plugin.js)", () => {
  // The real Nx, without daemon or graph cache, so this sees the plugin as a fresh `nx` command does.
  it("nx show project experiments lists every experiment as a cacheable target", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["node_modules/nx/dist/bin/nx.js", "show", "project", "experiments", "--json"], {
      cwd: root,
      timeout: 120_000,
      env: { ...process.env, NX_DAEMON: "false", NX_CACHE_PROJECT_GRAPH: "false", NX_NO_CLOUD: "true" },
    });
    const project = JSON.parse(stdout) as { targets: Record<string, { cache?: boolean; outputs?: string[] }> };
    expect(Object.keys(project.targets)).toEqual(expect.arrayContaining(["seed-baseline", "seed-dropout-5x5", "quickstart"]));
    expect(project.targets["seed-dropout-5x5"]).toMatchObject({ cache: true, outputs: ["{workspaceRoot}/dist/experiments/seed-dropout-5x5.json"] });
  });
});
