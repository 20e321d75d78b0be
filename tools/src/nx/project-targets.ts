/**
 * Nx target inference for every project of the workspace (each folder with a
 * project.json): a `test` target that runs the project's own vitest project
 * (vitest.config.ts declares one per Nx project, by the same name) and, where
 * the project has a tsconfig.json, a `typecheck` target. Both are cached on
 * what decides their result — the project's files, the production sources of
 * the projects it depends on, the shared configs and the tools' versions — so
 * `nx affected -t test` reruns exactly the projects a change can break.
 *
 * Nx's own @nx/vitest and @nx/js plugins would infer the same, but they are
 * published only up to Nx 23 while the workspace runs Nx 24, and @nx/vitest
 * wants one vitest config per project instead of one root config with projects.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { CreateNodesContext, CreateNodesResult, CreateNodesResultArray, TargetConfiguration } from "@nx/devkit";

export interface ProjectTargetsOptions {
  /** Name of the inferred test target (default `test`). */
  readonly testTargetName?: string;
  /** Name of the inferred typecheck target (default `typecheck`). */
  readonly typecheckTargetName?: string;
}

/** The glob Nx matches; exported so the entry file and tests agree on it. */
export const PROJECT_GLOB = "**/project.json";

/** Root files every test run reads. */
const TEST_CONFIG = ["{workspaceRoot}/vitest.config.ts", "{workspaceRoot}/vitest.setup.ts", "{workspaceRoot}/tsconfig.json"];

/** The test and typecheck targets of one project, from its project.json's folder. */
export function projectTargets(projectRoot: string, workspaceRoot: string, options: ProjectTargetsOptions = {}): Record<string, TargetConfiguration> {
  const manifest = JSON.parse(readFileSync(path.join(workspaceRoot, projectRoot, "project.json"), "utf8")) as { name?: string };
  const name = manifest.name ?? path.basename(projectRoot);
  const targets: Record<string, TargetConfiguration> = {
    [options.testTargetName ?? "test"]: {
      executor: "nx:run-commands",
      options: { command: `vitest run --project ${name} --passWithNoTests` },
      cache: true,
      // Each vitest run already uses both cores (vitest.config.ts maxWorkers), and
      // tests start their own MLflow and Redis servers: one test task at a time.
      parallelism: false,
      inputs: [
        "default",
        "^production",
        ...TEST_CONFIG,
        // A varied fast-check seed is part of what a cached result means.
        { env: "FC_SEED" },
        { externalDependencies: ["vitest", "fast-check"] },
      ],
      outputs: [],
      metadata: { description: `Run ${name}'s tests (vitest project "${name}")`, technologies: ["vitest"] },
    },
  };
  if (existsSync(path.join(workspaceRoot, projectRoot, "tsconfig.json"))) {
    targets[options.typecheckTargetName ?? "typecheck"] = {
      executor: "nx:run-commands",
      options: { command: `tsc -p ${projectRoot}/tsconfig.json --noEmit` },
      cache: true,
      // Types flow from the sources of the projects it imports.
      inputs: ["default", "^production", { externalDependencies: ["typescript"] }],
      outputs: [],
      metadata: { description: `Typecheck ${name} with ${projectRoot}/tsconfig.json`, technologies: ["typescript"] },
    };
  }
  return targets;
}

/** Nx's `createNodes` function: every project.json gets its inferred targets. */
export async function createProjectTargetNodes(
  files: readonly string[],
  options: ProjectTargetsOptions | undefined,
  context: CreateNodesContext,
): Promise<CreateNodesResultArray> {
  return files
    .filter((file) => !file.split("/").some((part) => part === "node_modules"))
    .map((file): readonly [string, CreateNodesResult] => {
      const root = path.posix.dirname(file);
      return [file, { projects: { [root]: { targets: projectTargets(root, context.workspaceRoot, options ?? {}) } } }];
    });
}
