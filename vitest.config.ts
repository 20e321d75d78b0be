import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * One vitest project per Nx project (every folder with a project.json), named
 * as Nx names it, so `vitest run --project dsl` is the `dsl:test` target that
 * tools/src/nx/project-targets.ts infers, and a bare `vitest run` (the
 * README's `npm test`) still runs every file of every project.
 */
function nxProjects(): { name: string; root: string; typeTests: boolean }[] {
  const roots = ["libs", "apps"].flatMap((parent) =>
    existsSync(parent) ? readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${parent}/${e.name}`) : [],
  );
  roots.push("tools", "experiments");
  return roots
    .filter((root) => existsSync(path.join(root, "project.json")))
    .map((root) => ({
      root,
      name: (JSON.parse(readFileSync(path.join(root, "project.json"), "utf8")) as { name: string }).name,
      typeTests: readdirSync(root, { recursive: true, encoding: "utf8" }).some((f) => f.endsWith(".test-d.ts") && !f.includes("node_modules")),
    }));
}

export default defineConfig({
  test: {
    exclude: ["**/node_modules/**", "**/dist/**"],
    setupFiles: ["./vitest.setup.ts"],
    // Training tests share 2 cores; more workers only thrash.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    typecheck: { tsconfig: "./tsconfig.json" },
    projects: nxProjects().map(({ name, root, typeTests }) => ({
      extends: true,
      test: {
        name,
        include: [`${root}/**/*.test.ts`],
        // Only where type tests exist: each enabled project starts its own tsc.
        typecheck: { enabled: typeTests, include: [`${root}/**/*.test-d.ts`] },
      },
    })),
  },
});
