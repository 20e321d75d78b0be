import * as tf from "@tensorflow/tfjs-core";
import type { NamedTensor, NamedVariableMap } from "@tensorflow/tfjs-core/dist/tensor_types.js";
import { resourceApplyAdam, TfResourceVariable } from "./tensorflow-ops.js";
import { adamMomentsAt, adamPowerVariables, asCpuBackend, asWasmBackend, kernelAttrs } from "./tfjs-internals.js";
import { simdKernels } from "./wasm-simd.js";
import { webgpuAdam } from "./webgpu-adam.js";

/**
 * Adam as one kernel per variable instead of 14 (mul, add, square, div,
 * sqrt, … each a pass over the weights with its own allocation). It does the
 * stock AdamOptimizer's float32 operations in the stock order, so the weights
 * it produces are bit-identical: on wasm in a SIMD loop over the backend's
 * own memory (./wasm-simd.ts), on cpu in a JavaScript loop with Math.fround
 * after each operation. On tensorflow, FusedAdamOptimizer instead keeps
 * the state in TensorFlow resource variables and runs TensorFlow's own
 * ResourceApplyAdam (same formula, different rounding). On webgpu, three
 * WGSL programs a variable (./webgpu-adam.ts) instead of ~14 dispatches.
 * Other backends run the stock update.
 */
export const ADAM_KERNEL = "GanscopeAdamUpdate";

/** The kernel's attributes (a type literal, so that it is a tf.NamedAttrMap as it is). */
type AdamAttrs = {
  beta1: number;
  beta2: number;
  learningRate: number;
  epsilon: number;
};

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

const INPUTS = ["value", "grad", "m", "v", "accBeta1", "accBeta2"] as const;

function checkInputs(inputs: tf.NamedTensorInfoMap): Record<(typeof INPUTS)[number], tf.TensorInfo> {
  for (const k of INPUTS) {
    if (inputs[k]?.dtype !== "float32") throw new Error(`${ADAM_KERNEL}: input ${k} must be float32`);
  }
  return inputs as Record<(typeof INPUTS)[number], tf.TensorInfo>;
}

let registered = false;

/** Registers the kernel for the backends whose memory JavaScript can address, and for webgpu (idempotent). */
export function registerFusedAdam(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: ADAM_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = checkInputs(inputs);
      const b = asWasmBackend(backend);
      const a = kernelAttrs<AdamAttrs>(attrs);
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
      const b = asCpuBackend(backend);
      const view = (t: tf.TensorInfo) => b.data.get(t.dataId).values as Float32Array;
      const n = view(x.value).length;
      const [outW, outM, outV] = [0, 1, 2].map(() => new Float32Array(n)) as [Float32Array, Float32Array, Float32Array];
      adamLoop(view(x.value), view(x.grad), view(x.m), view(x.v), f(1 - view(x.accBeta1)[0]!), f(1 - view(x.accBeta2)[0]!), kernelAttrs<AdamAttrs>(attrs), outW, outM, outV);
      return [b.makeTensorInfo(x.value.shape, "float32", outW), b.makeTensorInfo(x.m.shape, "float32", outM), b.makeTensorInfo(x.v.shape, "float32", outV)];
    },
  });
  tf.registerKernel({
    kernelName: ADAM_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend, attrs }) => webgpuAdam(checkInputs(inputs), backend as tf.KernelBackend, kernelAttrs<AdamAttrs>(attrs)),
  });
}

/** Where a variable's Adam state lives on the tensorflow backend, and which tfjs tensors it last agreed with. */
interface TfSlot {
  w: TfResourceVariable;
  m: TfResourceVariable;
  v: TfResourceVariable;
  /** dataIds of the tfjs value/m/v when they last held what the resources hold. */
  synced: { w: tf.DataId | null; m: tf.DataId | null; v: tf.DataId | null };
}

/**
 * tf.AdamOptimizer with the fused update where the backend has it. State,
 * checkpoints (getWeights/setWeights) and results are the stock optimiser's.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  /** tensorflow backend only: per variable name, its state as resource variables. */
  private tfSlots = new Map<string, TfSlot>();
  /** Constant scalars for ResourceApplyAdam (tensorflow backend only). */
  private tfConstants: { lr: tf.Tensor; beta1: tf.Tensor; beta2: tf.Tensor; one: tf.Tensor; epsilon: tf.Tensor } | null = null;
  /** Moments whose current values are in TensorFlow resources, not yet in the tfjs variables. */
  private staleMoments = new Map<string, { m: tf.Variable; v: tf.Variable }>();

  constructor(learningRate: number, beta1: number, beta2: number, epsilon: number) {
    super(learningRate, beta1, beta2, epsilon);
    registerFusedAdam();
  }

  override applyGradients(variableGradients: NamedVariableMap | NamedTensor[]): void {
    if (tf.getBackend() === "tensorflow") {
      this.applyOnTensorflow(variableGradients);
      return;
    }
    if (this.staleMoments.size > 0) {
      // The newest moments are in TensorFlow; updating from the tfjs copies would silently rewind them.
      throw new Error(`FusedAdamOptimizer: its state lives in the tensorflow backend; call getWeights() there before switching to ${tf.getBackend()}`);
    }
    if (!tf.getKernel(ADAM_KERNEL, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const attrs: AdamAttrs = { beta1: this.beta1, beta2: this.beta2, learningRate: this.learningRate, epsilon: this.epsilon };
    const { accBeta1, accBeta2 } = adamPowerVariables(this);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        const { m, v } = adamMomentsAt(this, i, value);
        const grad = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (grad == null) return;
        const [newValue, newM, newV] = tf.engine().runKernel(ADAM_KERNEL, { value, grad, m, v, accBeta1, accBeta2 }, attrs) as tf.Tensor[];
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
      accBeta1.assign(tf.mul(accBeta1, this.beta1));
      accBeta2.assign(tf.mul(accBeta2, this.beta2));
    });
    this.incrementIterations();
  }

  /**
   * One ResourceApplyAdam per variable instead of 14 eager ops. The weights
   * are read back into the tfjs variable after every update (the next forward
   * pass needs them); the moments stay in TensorFlow until someone asks for
   * them (getWeights, i.e. checkpoints). Whatever changes a tfjs variable
   * behind our back (setWeights, assign) is noticed by its dataId and pushed
   * into the resource before the next update.
   */
  private applyOnTensorflow(variableGradients: NamedVariableMap | NamedTensor[]): void {
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const { accBeta1, accBeta2 } = adamPowerVariables(this);
    this.tfConstants ??= tf.tidy(() => ({
      lr: tf.keep(tf.scalar(this.learningRate)),
      beta1: tf.keep(tf.scalar(this.beta1)),
      beta2: tf.keep(tf.scalar(this.beta2)),
      one: tf.keep(tf.scalar(1)),
      epsilon: tf.keep(tf.scalar(this.epsilon)),
    }));
    const c = this.tfConstants;
    tf.tidy(() => {
      // ε̂ = ε·√(1 − β₂ᵗ) turns TensorFlow's formula into tf.train.adam's (see resourceApplyAdam).
      const scalars = { beta1Power: accBeta1, beta2Power: accBeta2, lr: c.lr, beta1: c.beta1, beta2: c.beta2, epsilonHat: tf.mul(c.epsilon, tf.sqrt(tf.sub(c.one, accBeta2))) };
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        const { m, v } = adamMomentsAt(this, i, value);
        const grad = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (grad == null) return;
        let slot = this.tfSlots.get(name);
        if (!slot) {
          slot = { w: new TfResourceVariable(value.shape, `${name}`), m: new TfResourceVariable(value.shape, `${name}/m`), v: new TfResourceVariable(value.shape, `${name}/v`), synced: { w: null, m: null, v: null } };
          this.tfSlots.set(name, slot);
        }
        if (slot.synced.w !== value.dataId) slot.w.assign(value);
        if (slot.synced.m !== m.dataId) slot.m.assign(m);
        if (slot.synced.v !== v.dataId) slot.v.assign(v);
        // Drop the tfjs variable's hold on the weights' buffer (it points at the
        // gradient, same shape, for a moment) so TensorFlow updates it in place
        // instead of copying it first; if anything else still holds the old
        // weights, TensorFlow copies and they keep their values.
        value.assign(grad);
        resourceApplyAdam(slot.w, slot.m, slot.v, scalars, grad);
        value.assign(slot.w.read());
        // The tfjs moments are stale now but unchanged: only a new dataId (someone assigned) makes them the truth again.
        slot.synced = { w: value.dataId, m: m.dataId, v: v.dataId };
        this.staleMoments.set(name, { m, v });
      });
      accBeta1.assign(tf.mul(accBeta1, this.beta1));
      accBeta2.assign(tf.mul(accBeta2, this.beta2));
    });
    this.incrementIterations();
  }

  /** Copies moments held in TensorFlow back into the tfjs variables that checkpoints read. */
  private syncMoments(): void {
    for (const [name, { m, v }] of this.staleMoments) {
      const slot = this.tfSlots.get(name)!;
      tf.tidy(() => {
        m.assign(slot.m.read());
        v.assign(slot.v.read());
      });
      slot.synced = { w: slot.synced.w, m: m.dataId, v: v.dataId };
    }
    this.staleMoments.clear();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    this.syncMoments();
    return super.getWeights();
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    // The tfjs variables become the truth again; their new dataIds make the next update push them.
    this.staleMoments.clear();
    await super.setWeights(weightValues);
  }

  override dispose(): void {
    for (const slot of this.tfSlots.values()) [slot.w, slot.m, slot.v].forEach((r) => r.dispose());
    this.tfSlots.clear();
    this.staleMoments.clear();
    if (this.tfConstants) tf.dispose(Object.values(this.tfConstants));
    this.tfConstants = null;
    super.dispose();
  }
}
