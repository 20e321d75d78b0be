import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "./backend.js";
import { FusedAdamOptimizer } from "./fused-adam.js";
import { sumOfSquares, sumOfSquaresPerRun, TfResourceVariable } from "./tensorflow-ops.js";
import { backendsHere, expectClose } from "./testing.js";

const native = (await backendsHere()).includes("tensorflow");

const float = fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true });
let unique = 0;
// FusedAdamOptimizer against tf.train.adam step by step: fused-adam.test.ts; here, its TensorFlow-only state handling.

/** Weights and moments after Adam steps with `make()`'s optimiser; `meddle` may change things between steps. */
async function train(
  make: () => tf.AdamOptimizer,
  init: number[],
  grads: number[][],
  meddle?: (step: number, v: tf.Variable, opt: tf.AdamOptimizer) => Promise<void>,
): Promise<number[][]> {
  const v = tf.variable(tf.tensor1d(init), true, `tf-ops-test/${unique++}`);
  const opt = make();
  for (const [i, g] of grads.entries()) {
    tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.tensor1d(g) }]));
    await meddle?.(i, v, opt);
  }
  const weights = await opt.getWeights();
  const out = [Array.from(await v.data()), ...(await Promise.all(weights.slice(1).map(async (w) => Array.from(await w.tensor.data()))))];
  tf.dispose([v, weights[0]!.tensor]);
  opt.dispose();
  return out;
}

function seededGrads(seed: number, steps: number, n: number): number[][] {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4 - 2;
  return Array.from({ length: steps }, () => Array.from({ length: n }, next));
}

describe.runIf(native)("TensorFlow ops on the tensorflow backend", () => {
  beforeAll(async () => {
    await selectBackend("tensorflow");
  });

  it("takes up weights and moments changed behind its back (assign, setWeights) before the next update", async () => {
    const grads = seededGrads(3, 5, 8);
    const init = grads[0]!.map((g) => g * 3);
    // Between steps 1 and 2 the weights are reset and the optimiser's state is replaced, as loading a checkpoint does.
    const meddle = async (step: number, v: tf.Variable, opt: tf.AdamOptimizer) => {
      if (step !== 1) return;
      v.assign(tf.tensor1d(init.map((x) => -x)));
      const w = await opt.getWeights();
      await opt.setWeights(w.map((x, i) => ({ name: x.name, tensor: i === 0 ? x.tensor : tf.mul(x.tensor, 0.5) })));
    };
    const stock = await train(() => tf.train.adam(0.01, 0.5, 0.999, 1e-8), init, grads, meddle);
    const fused = await train(() => new FusedAdamOptimizer(0.01, 0.5, 0.999, 1e-8), init, grads, meddle);
    stock.forEach((s, i) => expectClose(fused[i]!, s, 1e-5));
  });

  it("updates in place without changing tensors that still hold the old weights", async () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]), true, `tf-ops-test/${unique++}`);
    const opt = new FusedAdamOptimizer(0.1, 0.5, 0.999, 1e-8);
    const step = () => tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.ones([3]) }]));
    step();
    const before = Array.from(v.dataSync());
    const held = tf.clone(v); // shares the variable's buffer
    step();
    step();
    expect(Array.from(held.dataSync())).toEqual(before);
    expect(Array.from(v.dataSync())).not.toEqual(before);
    const tensors = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([held, v]);
    opt.dispose();
  });

  it("refuses to update on another backend while its newest moments are in TensorFlow, and carries on after getWeights", async () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]), true, `tf-ops-test/${unique++}`);
    const opt = new FusedAdamOptimizer(0.1, 0.5, 0.999, 1e-8);
    const step = () => tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.ones([3]) }]));
    step();
    await selectBackend("wasm");
    expect(step).toThrow(/getWeights/);
    await selectBackend("tensorflow");
    tf.dispose((await opt.getWeights())[0]!.tensor);
    await selectBackend("wasm");
    step();
    await selectBackend("tensorflow");
    step(); // the moments wasm wrote are pushed back into TensorFlow
    const stock = tf.train.adam(0.1, 0.5, 0.999, 1e-8);
    const w = tf.variable(tf.tensor1d([1, 2, 3]), true, `tf-ops-test/${unique++}`);
    for (let i = 0; i < 3; i++) tf.tidy(() => stock.applyGradients([{ name: w.name, tensor: tf.ones([3]) }]));
    expectClose(Array.from(v.dataSync()), Array.from(w.dataSync()), 1e-5);
    opt.dispose();
    stock.dispose();
    tf.dispose([v, w]);
  });

  it("keeps a resource variable's value across reads and assigns", () => {
    const r = new TfResourceVariable([2, 2], "test");
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    r.assign(a);
    const read = r.read();
    expect(Array.from(read.dataSync())).toEqual([1, 2, 3, 4]);
    r.assign(tf.tensor2d([5, 6, 7, 8], [2, 2]));
    expect(Array.from(read.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(r.read().dataSync())).toEqual([5, 6, 7, 8]);
    r.dispose();
    expect(() => r.read()).toThrow(/after dispose/);
  });

  it("computes ReLU and leaky ReLU gradients as the stock formulas do", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(float, { minLength: 1, maxLength: 50 }), fc.constantFrom(0.01, 0.2), async (xs, alpha) => {
        const x = tf.tensor1d(xs);
        const dy = tf.tensor1d(xs.map((_, i) => (i % 7) - 3.5));
        const [relu] = tf.grads((t: tf.Tensor) => tf.mul(tf.relu(t), dy))([x]);
        const [leaky] = tf.grads((t: tf.Tensor) => tf.mul(tf.leakyRelu(t, alpha), dy))([x]);
        // The stock gradients, on the same backend (TensorFlow flushes subnormals to zero in both).
        const stockRelu = tf.mul(dy, tf.cast(tf.step(x), "float32"));
        const stockLeaky = tf.where(tf.greater(x, 0), dy, tf.mul(dy, alpha));
        // + 0 turns −0 into 0: ReluGrad writes 0 where dy·0 gives −0.
        expect(Array.from(relu!.dataSync(), (v) => v + 0)).toEqual(Array.from(stockRelu.dataSync(), (v) => v + 0));
        expect(Array.from(leaky!.dataSync())).toEqual(Array.from(stockLeaky.dataSync()));
        tf.dispose([stockRelu, stockLeaky]);
        tf.dispose([x, dy, relu!, leaky!]);
      }),
      { numRuns: 30 },
    );
  });

  it("reshapes and sums as the cpu backend does, reusing shape operands", async () => {
    const dims = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(dims, fc.boolean(), fc.nat(), async (shape, keepDims, pick) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: n }, (_, i) => (i % 5) - 2);
        const axis = pick % shape.length;
        const out: number[][] = [];
        for (const backend of ["cpu", "tensorflow"] as const) {
          await selectBackend(backend);
          const x = tf.tensor(values, shape);
          const r = tf.tidy(() => [tf.reshape(x, [n]), tf.reshape(x, [-1, shape.at(-1)!]), tf.sum(x, axis, keepDims), tf.sum(x), tf.reshape(x, shape)]);
          expect(r[2]!.shape).toEqual(keepDims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis));
          // A same-shape reshape shares x's data: it must outlive x.
          x.dispose();
          out.push(r.flatMap((t) => Array.from(t.dataSync())));
          tf.dispose(r);
        }
        expect(out[1]).toEqual(out[0]);
      }),
      { numRuns: 40 },
    );
    // Once a shape's operand is cached, reshaping to it again allocates nothing that outlives the op.
    await selectBackend("tensorflow");
    const reshape = () => tf.tidy(() => tf.sum(tf.reshape(tf.ones([6]), [2, 3]), 1));
    reshape().dispose();
    const before = tf.memory().numTensors;
    reshape().dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("sums squares with L2Loss as Square + Sum does", () => {
    const xs = [tf.tensor1d([1, -2, 3]), tf.tensor2d([0.5, 0.25, -4, 2], [2, 2])];
    const got = sumOfSquares(xs);
    expect(got.dataSync()[0]).toBeCloseTo(1 + 4 + 9 + 0.25 + 0.0625 + 16 + 4, 5);
    tf.dispose([...xs, got]);
  });
});

describe.runIf(native)("A fused group's kernels on the tensorflow backend", () => {
  beforeAll(async () => {
    await selectBackend("tensorflow");
  });
  const dim = fc.integer({ min: 1, max: 40 });

  it("multiplies each of K stacked pairs with the kernel a pair alone gets: the same bits, transposes included", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 6 }), dim, dim, dim, fc.boolean(), fc.boolean(), fc.nat(), async (k, m, n, p, ta, tb, seed) => {
        const a = tf.randomNormal(ta ? [k, n, m] : [k, m, n], 0, 1, "float32", seed) as tf.Tensor3D;
        const b = tf.randomNormal(tb ? [k, p, n] : [k, n, p], 0, 1, "float32", seed + 1) as tf.Tensor3D;
        const got = tf.matMul(a, b, ta, tb);
        expect(got.shape).toEqual([k, m, p]);
        const as = tf.unstack(a) as tf.Tensor2D[];
        const bs = tf.unstack(b) as tf.Tensor2D[];
        const want = as.map((x, i) => tf.matMul(x, bs[i]!, ta, tb));
        expect(Array.from(await got.data())).toEqual(want.flatMap((w) => Array.from(w.dataSync())));
        tf.dispose([a, b, got, ...as, ...bs, ...want]);
      }),
      { numRuns: 40 },
    );
  });

  it("sums each run's squares with the L2Loss a run alone gets: the same bits as sumOfSquares of each slice", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.array(fc.tuple(dim, dim), { minLength: 1, maxLength: 4 }), fc.nat(), async (k, shapes, seed) => {
        const xs = shapes.map(([r, c], i) => tf.randomNormal([k, r, c], 0, 1, "float32", seed + i));
        const got = await sumOfSquaresPerRun(xs).data();
        for (let run = 0; run < k; run++) {
          const slices = xs.map((x) => tf.squeeze(tf.slice(x, run, 1), [0]));
          expect(got[run]).toBe(sumOfSquares(slices).dataSync()[0]);
          tf.dispose(slices);
        }
        tf.dispose(xs);
      }),
      { numRuns: 30 },
    );
  });
});

describe("sumOfSquares on other backends", () => {
  it("is Square then Sum, exactly", async () => {
    await selectBackend("wasm");
    const xs = [tf.tensor1d([1, -2, 3]), tf.tensor1d([0.1, 0.2])];
    const got = sumOfSquares(xs).dataSync()[0];
    const want = tf.addN(xs.map((x) => tf.sum(tf.square(x)))).dataSync()[0];
    expect(got).toBe(want);
  });
});
