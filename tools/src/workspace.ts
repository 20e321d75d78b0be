import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo root: the nearest folder above this file with an nx.json. */
export function workspaceRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "nx.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no nx.json above ${from}`);
  }
}

/** Folders that never hold experiments: dependencies, build and run outputs, scratch. */
const SKIP = new Set(["node_modules", ".git", ".nx", "dist", "results", "tmp", ".venv", ".cache", "test-artifacts"]);

/** Every `*.exp.ts` under `root`, as sorted POSIX paths relative to it. */
export function findExperimentFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP.has(entry.name) && !entry.name.startsWith(".")) out.push(...findExperimentFiles(root, path.join(dir, entry.name)));
    } else if (entry.name.endsWith(".exp.ts")) {
      out.push(path.relative(root, path.join(dir, entry.name)).split(path.sep).join("/"));
    }
  }
  return out.sort();
}

/** A workspace package: its npm name, folder (relative to the root) and the @ganscope packages it uses. */
export interface WorkspacePackage {
  readonly name: string;
  readonly dir: string;
  readonly uses: readonly string[];
}

/**
 * The workspace's own packages (from the root package.json's `workspaces`),
 * each with the `@ganscope/*` packages it depends on: declared in its
 * package.json or imported anywhere in its src/ (a missing declaration must
 * not hide a dependency from Nx's cache inputs).
 */
export function workspacePackages(root: string): Map<string, WorkspacePackage> {
  const rootPkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { workspaces?: string[] };
  const dirs = (rootPkg.workspaces ?? []).flatMap((pattern) => {
    if (!pattern.endsWith("/*")) return [pattern];
    const parent = pattern.slice(0, -2);
    if (!existsSync(path.join(root, parent))) return [];
    return readdirSync(path.join(root, parent), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${parent}/${e.name}`);
  });
  const packages = new Map<string, WorkspacePackage>();
  for (const dir of dirs) {
    const file = path.join(root, dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    if (!pkg.name) continue;
    const uses = new Set(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((d) => d.startsWith("@ganscope/")));
    for (const spec of importedPackages(path.join(root, dir, "src"))) uses.add(spec);
    uses.delete(pkg.name);
    packages.set(pkg.name, { name: pkg.name, dir, uses: [...uses].sort() });
  }
  return packages;
}

/** `@ganscope/*` packages imported by non-test sources under `dir`. */
function importedPackages(dir: string): Set<string> {
  const found = new Set<string>();
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.(ts|js|mjs)$/.test(entry.name) || /\.test(-d)?\.ts$/.test(entry.name)) continue;
    const text = readFileSync(path.join(entry.parentPath, entry.name), "utf8");
    for (const m of text.matchAll(/from\s+["'](@ganscope\/[a-z0-9-]+)|import\(\s*["'](@ganscope\/[a-z0-9-]+)/g)) found.add((m[1] ?? m[2])!);
  }
  return found;
}

/** `start` and every workspace package it uses, transitively, sorted by name. */
export function packageClosure(packages: Map<string, WorkspacePackage>, start: Iterable<string>): WorkspacePackage[] {
  const seen = new Map<string, WorkspacePackage>();
  const stack = [...start];
  while (stack.length > 0) {
    const name = stack.pop()!;
    const pkg = packages.get(name);
    if (!pkg || seen.has(name)) continue;
    seen.set(name, pkg);
    stack.push(...pkg.uses);
  }
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
}
