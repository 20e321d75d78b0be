import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * The browser code needs the DOM's types and the root tsconfig (Node only)
 * does not include it, so `npm run typecheck` never sees it. Check it here,
 * with its own configs: the page code without Node's types, its browser test
 * with both.
 */
const CLIENT = fileURLToPath(new URL("../client/", import.meta.url));
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");

describe("dashboard browser code", () => {
  it("type-checks under client/tsconfig.json (page code, DOM only) and client/tsconfig.test.json (its browser test)", async () => {
    // Both at once: each tsc is mostly waiting on a single core.
    const results = await Promise.all(
      ["tsconfig.json", "tsconfig.test.json"].map((config) =>
        promisify(execFile)(process.execPath, [TSC, "-p", `${CLIENT}${config}`, "--noEmit"]).then(
          () => `${config}: ok`,
          (e: { stdout?: string; stderr?: string }) => `${config}: ${e.stdout ?? ""}${e.stderr ?? ""}`,
        ),
      ),
    );
    expect(results).toEqual(["tsconfig.json: ok", "tsconfig.test.json: ok"]);
  });
});
