import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TFJS_NODE_ENV, selectBackend } from "./backend.js";
import { backendsHere } from "./testing.js";

// wasm's transposed products are rewritten (wasm-kernels.ts); tensorflow's go to MatMul (tensorflow-ops.ts).
const others = (await backendsHere()).filter((b) => b !== "cpu");

describe("selectBackend", () => {
  it("picks the fastest backend present and says why faster ones were skipped", async () => {
    const native = (await backendsHere()).includes("tensorflow");
    const info = await selectBackend();
    expect(tf.getBackend()).toBe(info.name);
    expect(info.name).toBe(native ? "tensorflow" : "wasm");
    if (!native) expect(info.skipped.join(" ")).toMatch(/tensorflow/);
  });

  it("refuses an unknown backend name instead of falling back", async () => {
    // @ts-expect-error - a typo in --backend must not silently fall back
    await expect(selectBackend("wsam")).rejects.toThrow(/must be one of/);
  });

  it(`falls back past a ${TFJS_NODE_ENV} folder that does not load, naming it`, async () => {
    const saved = process.env[TFJS_NODE_ENV];
    process.env[TFJS_NODE_ENV] = "/nonexistent/tfjs-node";
    try {
      const info = await selectBackend();
      expect(info.name).not.toBe("tensorflow");
      expect(info.skipped.join(" ")).toMatch(/\/nonexistent\/tfjs-node: not installed/);
      await expect(selectBackend("tensorflow")).rejects.toThrow(/nonexistent/);
    } finally {
      if (saved === undefined) delete process.env[TFJS_NODE_ENV];
      else process.env[TFJS_NODE_ENV] = saved;
    }
  });

  it("computes transposed matmuls on wasm exactly as the reference cpu backend", async () => {
    const a = [1, 2, 3, 4, 5, 6];
    const b = [0.5, -1, 2, 3, 0, 1];
    const results: number[][] = [];
    for (const name of ["cpu", "wasm"] as const) {
      await selectBackend(name);
      const A = tf.tensor2d(a, [2, 3]);
      const B = tf.tensor2d(b, [2, 3]);
      const out = tf.tidy(() =>
        tf.concat([tf.matMul(A, B, false, true).flatten(), tf.matMul(A, B, true, false).flatten(), tf.matMul(B, A, true, false).flatten()]),
      );
      results.push(Array.from(out.dataSync()));
      tf.dispose([A, B, out]);
    }
    expect(results[1]).toEqual(results[0]);
  });

  it.each(others)("matches the cpu backend on %s for every transpose combination and shape", async (other) => {
    // Small integers keep every sum exact, so any accumulation order gives the same floats.
    const dims = fc.integer({ min: 1, max: 9 });
    await fc.assert(
      fc.asyncProperty(dims, dims, dims, fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 10_000 }), async (m, k, n, ta, tb, seed) => {
        const values = (len: number) => Array.from({ length: len }, (_, i) => ((seed + i * 7919) % 17) - 8);
        const out: number[][] = [];
        for (const name of ["cpu", other] as const) {
          await selectBackend(name);
          const A = tf.tensor2d(values(m * k), ta ? [k, m] : [m, k]);
          const B = tf.tensor2d(values(k * n).reverse(), tb ? [n, k] : [k, n]);
          const C = tf.matMul(A, B, ta, tb);
          expect(C.shape).toEqual([m, n]);
          // x + 0 maps -0 to +0: a product like 0 × −8 is −0, and whether it stays so depends on the order a backend adds in.
          out.push(Array.from(C.dataSync(), (x) => x + 0));
          tf.dispose([A, B, C]);
        }
        expect(out[1]).toEqual(out[0]);
      }),
      { numRuns: 60 },
    );
  });
});
