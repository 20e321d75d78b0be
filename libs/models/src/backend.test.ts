import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { selectBackend } from "./backend.js";

describe("selectBackend", () => {
  it("picks the fastest backend present and says why faster ones were skipped", async () => {
    const info = await selectBackend();
    expect(tf.getBackend()).toBe(info.name);
    if (info.name !== "tensorflow") expect(info.skipped.join(" ")).toMatch(/tensorflow/);
  });

  it("fails loudly when an unavailable backend is asked for by name", async () => {
    const pkg = "@tensorflow/tfjs-node"; // optional: absent on machines without libtensorflow
    const native = await import(pkg).then(() => true, () => false);
    if (!native) await expect(selectBackend("tensorflow")).rejects.toThrow(/not available/);
    // @ts-expect-error - a typo in --backend must not silently fall back
    await expect(selectBackend("wsam")).rejects.toThrow(/must be one of/);
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
});
