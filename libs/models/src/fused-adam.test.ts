import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { releaseBackend, selectBackend, type BackendName } from "./backend.js";
import { FusedAdamOptimizer } from "./fused-adam.js";
import { backendsHere, expectClose, useSoftwareWebgpu } from "./testing.js";

/** Runs `steps` Adam updates of two variables with the given optimiser; returns weights and moments. */
async function train(make: () => tf.AdamOptimizer, init: number[][], grads: number[][][]): Promise<number[][]> {
  const vars = init.map((w, i) => tf.variable(tf.tensor1d(w), true, `fused-adam-test/${Math.random()}/${i}`));
  const opt = make();
  for (const step of grads) {
    tf.tidy(() => opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tf.tensor1d(step[i]!) }))));
  }
  const weights = await opt.getWeights();
  const out = await Promise.all([...vars, ...weights.slice(1).map((w) => w.tensor)].map(async (t) => Array.from(await t.data())));
  tf.dispose([...vars, weights[0]!.tensor]);
  opt.dispose();
  return out;
}

const float = fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true });

const native = (await backendsHere()).includes("tensorflow");
// webgpu on Mesa's lavapipe (fails, naming scripts/setup-vulkan.sh, where it is missing).
useSoftwareWebgpu();
afterAll(() => releaseBackend());

describe("FusedAdamOptimizer", () => {
  // wasm and cpu run tf.train.adam's float32 operations in its order; tensorflow runs
  // TensorFlow's ResourceApplyAdam, the same formula rounded differently.
  const cases: [BackendName, string][] = [
    ["cpu", "bit-identically to"],
    ["wasm", "bit-identically to"],
    ...(native ? [["tensorflow", "up to rounding (1e-5) as"] as [BackendName, string]] : []),
    ["webgpu", "bit-identically to"],
  ];
  it.each(cases)("on %s updates weights and moments %s tf.train.adam", async (backend) => {
    await selectBackend(backend);
    await fc.assert(
      fc.asyncProperty(
        fc.array(float, { minLength: 1, maxLength: 37 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(1e-3, 2e-4, 0.1),
        fc.constantFrom(0.5, 0.9),
        fc.constantFrom(0.999, 0.99),
        fc.integer({ min: 0, max: 1000 }),
        async (w0, steps, lr, b1, b2, gSeed) => {
          const init = [w0, w0.map((x) => -x / 3)];
          // Gradients from a seeded generator so shrinking keeps them reproducible.
          let s = gSeed;
          const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4 - 2;
          const grads = Array.from({ length: steps }, () => init.map((w) => w.map(() => next())));
          const stock = await train(() => tf.train.adam(lr, b1, b2, 1e-8), init, grads);
          const fused = await train(() => new FusedAdamOptimizer(lr, b1, b2, 1e-8), init, grads);
          if (backend === "tensorflow") stock.forEach((x, i) => expectClose(fused[i]!, x, 1e-5));
          else expect(fused).toEqual(stock);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("leaks no tensors per update", async () => {
    await selectBackend("wasm");
    const v = tf.variable(tf.ones([3]), true, "fused-adam-test/leak");
    const opt = new FusedAdamOptimizer(0.1, 0.5, 0.999, 1e-8);
    const step = () => tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.ones([3]) }]));
    step(); // creates the moments
    const before = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    v.dispose();
  });
});
