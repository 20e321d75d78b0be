import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{libs,apps,tools,experiments}/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    setupFiles: ["./vitest.setup.ts"],
    // Training tests share 2 cores; more workers only thrash.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    typecheck: {
      enabled: true,
      include: ["{libs,apps,tools,experiments}/**/*.test-d.ts"],
      tsconfig: "./tsconfig.json",
    },
  },
});
