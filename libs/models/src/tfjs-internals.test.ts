/**
 * The door into tfjs's private API holds what it claims on the installed
 * tfjs: a field renamed by an upgrade fails here first, by name.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "./backend.js";
import { adamHyperparameters, adamMomentsAt, adamPowerVariables, exportAdamState, importAdamState, normalSeed, setAdamLearningRate } from "./tfjs-internals.js";

beforeAll(async () => {
  await selectBackend("cpu");
});

/** A variable and a stock Adam that has taken `steps` updates of it with a fixed gradient. */
function trained(steps: number, name: string): { x: tf.Variable; opt: tf.AdamOptimizer } {
  const x = tf.variable(tf.tensor1d([0.5, -1, 2]), true, name);
  const opt = tf.train.adam(0.01, 0.8, 0.9, 1e-8);
  for (let i = 0; i < steps; i++) tf.tidy(() => opt.applyGradients([{ name, tensor: tf.tensor1d([0.1, -0.2, 0.3 * (i + 1)]) }]));
  return { x, opt };
}

describe("tfjs-internals: Adam", () => {
  it("reads the hyperparameters, the running β powers, the update count and the live moments", async () => {
    const { x, opt } = trained(3, "door/a");
    expect(adamHyperparameters(opt)).toEqual({ learningRate: 0.01, beta1: 0.8, beta2: 0.9, epsilon: 1e-8 });
    const s = await exportAdamState(opt);
    const f = Math.fround;
    // β^(t+1) as the float32 running product tfjs keeps (t = 3 updates).
    expect(s.accBeta1).toBe(f(f(f(f(0.8) * f(0.8)) * f(0.8)) * f(0.8)));
    expect(s.accBeta2).toBe(f(f(f(f(0.9) * f(0.9)) * f(0.9)) * f(0.9)));
    expect(s.iterations).toBe(3);
    const weights = await opt.getWeights();
    expect(weights.map((w) => w.name)).toEqual(["iter", "door/a/m", "door/a/v"]);
    expect(s.m[0]!.dataSync()).toEqual(weights[1]!.tensor.dataSync());
    expect(s.v[0]!.dataSync()).toEqual(weights[2]!.tensor.dataSync());
    weights[0]!.tensor.dispose();
    opt.dispose();
    x.dispose();
  });

  it("a fresh optimiser given another's state updates exactly as that one does", async () => {
    const { x, opt } = trained(4, "door/b");
    const s = await exportAdamState(opt);
    const y = tf.variable(x.clone(), true, "door/b2");
    const fresh = tf.train.adam(0.01, 0.8, 0.9, 1e-8);
    importAdamState(fresh, { accBeta1: s.accBeta1, accBeta2: s.accBeta2, iterations: s.iterations, moments: { variables: [y], m: s.m, v: s.v } });
    expect(fresh.iterations).toBe(4);
    const g = tf.tensor1d([0.7, 0.01, -0.4]);
    opt.applyGradients([{ name: "door/b", tensor: g }]);
    fresh.applyGradients([{ name: "door/b2", tensor: g }]);
    expect(y.dataSync()).toEqual(x.dataSync());
    // Importing again assigns into the moment variables it made, leaking none.
    const before = tf.memory().numTensors;
    const again = await exportAdamState(opt);
    importAdamState(fresh, { accBeta1: again.accBeta1, accBeta2: again.accBeta2, moments: { variables: [y], m: again.m, v: again.v } });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([g, x, y]);
    opt.dispose();
    fresh.dispose();
  });

  it("the rate a schedule sets is the rate the next update uses; moments are made under the stock names", async () => {
    const a = tf.variable(tf.tensor1d([1, 1]), true, "door/c");
    const b = tf.variable(tf.tensor1d([1, 1]), true, "door/d");
    const slow = tf.train.adam(0.5);
    const fast = tf.train.adam(0.001);
    setAdamLearningRate(fast, 0.5);
    expect(adamHyperparameters(fast).learningRate).toBe(0.5);
    const g = tf.tensor1d([1, -1]);
    slow.applyGradients([{ name: "door/c", tensor: g }]);
    fast.applyGradients([{ name: "door/d", tensor: g }]);
    expect(b.dataSync()).toEqual(a.dataSync());

    const fresh = tf.train.adam(0.1);
    const { m, v } = adamMomentsAt(fresh, 0, a);
    expect([Array.from(m.dataSync()), Array.from(v.dataSync())]).toEqual([[0, 0], [0, 0]]);
    expect(adamMomentsAt(fresh, 0, a).m).toBe(m);
    const weights = await fresh.getWeights();
    expect(weights.map((w) => w.name)).toEqual(["iter", "door/c/m", "door/c/v"]);
    weights[0]!.tensor.dispose();
    expect(adamPowerVariables(fresh).accBeta1.dataSync()[0]).toBe(Math.fround(0.9));
    tf.dispose([a, b, g]);
    [slow, fast, fresh].forEach((o) => o.dispose());
  });
});

describe("tfjs-internals: seeds", () => {
  it("seed 0 draws the same noise every time, and not seed 1's", () => {
    const draw = (seed: number) => tf.tidy(() => Array.from(tf.randomNormal([64], 0, 1, "float32", normalSeed(seed)).dataSync()));
    expect(draw(0)).toEqual(draw(0));
    expect(draw(0)).not.toEqual(draw(1));
    expect(normalSeed(7)).toBe(7);
  });
});
