import * as tf from "@tensorflow/tfjs-core";
import type { NamedTensor, NamedVariableMap } from "@tensorflow/tfjs-core/dist/tensor_types.js";
import { simdKernels, type WasmMemory } from "./wasm-simd.js";

/**
 * Adam as one kernel per variable instead of 14 (mul, add, square, div,
 * sqrt, … each a pass over the weights with its own allocation). It does the
 * stock AdamOptimizer's float32 operations in the stock order, so the weights
 * it produces are bit-identical: on wasm in a SIMD loop over the backend's
 * own memory (./wasm-simd.ts), on cpu in a JavaScript loop with Math.fround
 * after each operation. Backends without the kernel (tensorflow) run the
 * stock update.
 */
export const ADAM_KERNEL = "GanscopeAdamUpdate";

interface AdamAttrs {
  beta1: number;
  beta2: number;
  learningRate: number;
  epsilon: number;
}

/** What the optimiser below uses of tf.AdamOptimizer's private state (checkpoints read the same fields). */
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  beta1: number;
  beta2: number;
  learningRate: number;
  epsilon: number;
  incrementIterations(): void;
}

const f = Math.fround;

/** out = Adam step of (w, g, m, v) given 1 - β₁ᵗ and 1 - β₂ᵗ, in float32 as tfjs's ops compute it. */
function adamLoop(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  oneMinusAccBeta1: number,
  oneMinusAccBeta2: number,
  attrs: AdamAttrs,
  outW: Float32Array,
  outM: Float32Array,
  outV: Float32Array,
): void {
  const b1 = f(attrs.beta1);
  const c1 = f(1 - attrs.beta1);
  const b2 = f(attrs.beta2);
  const c2 = f(1 - attrs.beta2);
  const eps = f(attrs.epsilon);
  const negLr = f(-attrs.learningRate);
  for (let i = 0, n = w.length; i < n; i++) {
    const gi = g[i]!;
    const mi = f(f(m[i]! * b1) + f(gi * c1));
    const vi = f(f(v[i]! * b2) + f(f(gi * gi) * c2));
    outM[i] = mi;
    outV[i] = vi;
    const mHat = f(mi / oneMinusAccBeta1);
    const vHat = f(vi / oneMinusAccBeta2);
    outW[i] = f(f(f(mHat / f(f(Math.sqrt(vHat)) + eps)) * negLr) + w[i]!);
  }
}

interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(x: tf.TensorInfo): tf.TypedArray;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
  wasm: { asm: { memory: WasmMemory } };
}
interface CpuBackend extends tf.KernelBackend {
  data: { get(dataId: tf.DataId): { values: tf.TypedArray } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.TypedArray): tf.TensorInfo;
}

const INPUTS = ["value", "grad", "m", "v", "accBeta1", "accBeta2"] as const;

function checkInputs(inputs: tf.NamedTensorInfoMap): Record<(typeof INPUTS)[number], tf.TensorInfo> {
  for (const k of INPUTS) {
    if (inputs[k]?.dtype !== "float32") throw new Error(`${ADAM_KERNEL}: input ${k} must be float32`);
  }
  return inputs as Record<(typeof INPUTS)[number], tf.TensorInfo>;
}

let registered = false;

/** Registers the kernel for the backends whose memory JavaScript can address (idempotent). */
export function registerFusedAdam(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: ADAM_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = checkInputs(inputs);
      const b = backend as WasmBackend;
      const a = attrs as unknown as AdamAttrs;
      // Allocate before taking views: a malloc may grow wasm memory and detach earlier views.
      const outs = [x.value, x.m, x.v].map((t) => b.makeOutput(t.shape, "float32"));
      const view = (t: tf.TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
      const oneMinusAccBeta1 = f(1 - view(x.accBeta1)[0]!);
      const oneMinusAccBeta2 = f(1 - view(x.accBeta2)[0]!);
      const simd = simdKernels(b.wasm.asm.memory);
      if (simd) {
        const addr = (t: tf.TensorInfo) => b.dataIdMap.get(t.dataId).memoryOffset;
        const [w, g, m, v, outW, outM, outV] = [x.value, x.grad, x.m, x.v, ...outs].map(addr) as number[];
        const n = tf.util.sizeFromShape(x.value.shape);
        simd.adam(w!, g!, m!, v!, outW!, outM!, outV!, n, a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, oneMinusAccBeta1, oneMinusAccBeta2, a.epsilon, -a.learningRate);
      } else {
        const [outW, outM, outV] = outs.map(view) as [Float32Array, Float32Array, Float32Array];
        adamLoop(view(x.value), view(x.grad), view(x.m), view(x.v), oneMinusAccBeta1, oneMinusAccBeta2, a, outW, outM, outV);
      }
      return outs;
    },
  });
  tf.registerKernel({
    kernelName: ADAM_KERNEL,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = checkInputs(inputs);
      const b = backend as CpuBackend;
      const view = (t: tf.TensorInfo) => b.data.get(t.dataId).values as Float32Array;
      const n = view(x.value).length;
      const [outW, outM, outV] = [0, 1, 2].map(() => new Float32Array(n)) as [Float32Array, Float32Array, Float32Array];
      adamLoop(view(x.value), view(x.grad), view(x.m), view(x.v), f(1 - view(x.accBeta1)[0]!), f(1 - view(x.accBeta2)[0]!), attrs as unknown as AdamAttrs, outW, outM, outV);
      return [b.makeTensorInfo(x.value.shape, "float32", outW), b.makeTensorInfo(x.m.shape, "float32", outM), b.makeTensorInfo(x.v.shape, "float32", outV)];
    },
  });
}

/**
 * tf.AdamOptimizer with the fused update where the backend has it. State,
 * checkpoints (getWeights/setWeights) and results are the stock optimiser's.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  constructor(learningRate: number, beta1: number, beta2: number, epsilon: number) {
    super(learningRate, beta1, beta2, epsilon);
    registerFusedAdam();
  }

  override applyGradients(variableGradients: NamedVariableMap | NamedTensor[]): void {
    if (!tf.getKernel(ADAM_KERNEL, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamInternals;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const attrs: AdamAttrs = { beta1: self.beta1, beta2: self.beta2, learningRate: self.learningRate, epsilon: self.epsilon };
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        // Moments are created lazily with the stock optimiser's names, so checkpoints match.
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const grad = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (grad == null) return;
        const m = self.accumulatedFirstMoment[i]!.variable;
        const v = self.accumulatedSecondMoment[i]!.variable;
        const [newValue, newM, newV] = tf
          .engine()
          .runKernel(ADAM_KERNEL, { value, grad, m, v, accBeta1: self.accBeta1, accBeta2: self.accBeta2 }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  }
}
