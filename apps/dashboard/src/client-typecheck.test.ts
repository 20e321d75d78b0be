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
  it.each(["tsconfig.json", "tsconfig.test.json"])("type-checks under client/%s", async (config) => {
    const result = await promisify(execFile)(process.execPath, [TSC, "-p", `${CLIENT}${config}`, "--noEmit"]).then(
      () => ({ ok: true, out: "" }),
      (e: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${e.stdout ?? ""}${e.stderr ?? ""}` }),
    );
    expect(result.out).toBe("");
    expect(result.ok).toBe(true);
  });
});
