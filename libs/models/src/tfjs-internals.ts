import * as tf from "@tensorflow/tfjs-core";
import type { WasmMemory } from "./wasm-simd.js";

/**
 * The one door into TensorFlow.js's private API (as of tfjs 4.22). Exact
 * resumes and bit-identical fused groups need state tfjs keeps private (Adam's
 * running β powers, its moment variables), fast kernels need the backends'
 * own memory, and tfjs's public types do not describe either. Every cast from
 * tfjs's public types into what its objects hold at run time is here, named
 * for the field it reaches; the rest of ganscope calls these functions. A
 * tfjs upgrade that renames a field breaks here (and in the tests of
 * fused-adam, gan-group and checkpoint), nowhere else.
 */

// ── Adam ─────────────────────────────────────────────────────────────────────

/** tf.AdamOptimizer's fields (adam_optimizer.js; `private` or `protected` in its typings). */
interface AdamFields {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: MomentSlot[];
  accumulatedSecondMoment: MomentSlot[];
  iterations_: number;
}
/** A moment variable under the name getWeights/setWeights give it (`<variable>/m`, `<variable>/v`). */
interface MomentSlot {
  originalName: string;
  variable: tf.Variable;
}
const adamFields = (opt: tf.AdamOptimizer): AdamFields => opt as unknown as AdamFields;

export interface AdamHyperparameters {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export function adamHyperparameters(opt: tf.AdamOptimizer): AdamHyperparameters {
  const s = adamFields(opt);
  return { learningRate: s.learningRate, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon };
}

/** tfjs reads the rate on every update, so a schedule may change it between updates. */
export function setAdamLearningRate(opt: tf.AdamOptimizer, learningRate: number): void {
  adamFields(opt).learningRate = learningRate;
}

/**
 * An Adam optimiser's state, including what getWeights/setWeights leave out
 * or get wrong: setWeights recomputes β₁ᵗ⁺¹ and β₂ᵗ⁺¹ as pow(β, t+1), which
 * differs in float32 from the running product training keeps, so a run
 * restored through it alone drifts by ~1e-7.
 */
export interface AdamState {
  /** Running β₁ᵗ⁺¹ and β₂ᵗ⁺¹, float32 values read back as numbers (they convert back exactly). */
  accBeta1: number;
  accBeta2: number;
  /** Updates applied so far. */
  iterations: number;
  /** The live first and second moment variables in the trained variables' order (do not dispose); empty before the first update. */
  m: readonly tf.Variable[];
  v: readonly tf.Variable[];
}

/**
 * The optimiser's state. getWeights goes first: FusedAdamOptimizer on the
 * tensorflow backend keeps its newest moments in TensorFlow until asked.
 */
export async function exportAdamState(opt: tf.AdamOptimizer): Promise<AdamState> {
  const weights = await opt.getWeights();
  weights[0]?.tensor.dispose(); // the iteration count, a fresh scalar; the rest are the live moments
  const s = adamFields(opt);
  return {
    // Read asynchronously: on webgpu a synchronous read of a GPU-resident tensor throws in Node.
    accBeta1: (await s.accBeta1.data())[0]!,
    accBeta2: (await s.accBeta2.data())[0]!,
    iterations: opt.iterations,
    m: s.accumulatedFirstMoment.map((x) => x.variable),
    v: s.accumulatedSecondMoment.map((x) => x.variable),
  };
}

/** What {@link importAdamState} sets; what is left out stays as it is. */
export interface AdamStateUpdate {
  accBeta1: number;
  accBeta2: number;
  iterations?: number;
  /**
   * Moments for `variables` (the trained variables, in order): assigned into
   * the optimiser's moment variables where it has one per variable, else
   * copied into new ones under the stock names. The caller keeps its tensors.
   */
  moments?: { variables: readonly tf.Variable[]; m: readonly tf.Tensor[]; v: readonly tf.Tensor[] };
}

export function importAdamState(opt: tf.AdamOptimizer, state: AdamStateUpdate): void {
  const s = adamFields(opt);
  const mo = state.moments;
  if (mo) {
    if (s.accumulatedFirstMoment.length === mo.variables.length) {
      // Assigning (rather than new variables) keeps the ones the optimiser holds: replacing them would leak them.
      s.accumulatedFirstMoment.forEach((x, i) => x.variable.assign(mo.m[i]!));
      s.accumulatedSecondMoment.forEach((x, i) => x.variable.assign(mo.v[i]!));
    } else {
      tf.dispose([...s.accumulatedFirstMoment, ...s.accumulatedSecondMoment].map((x) => x.variable));
      const slots = (ts: readonly tf.Tensor[], suffix: string) =>
        mo.variables.map((x, i) => ({ originalName: `${x.name}/${suffix}`, variable: tf.tidy(() => tf.clone(ts[i]!).variable(false)) }));
      s.accumulatedFirstMoment = slots(mo.m, "m");
      s.accumulatedSecondMoment = slots(mo.v, "v");
    }
  }
  if (state.iterations !== undefined) s.iterations_ = state.iterations;
  tf.tidy(() => {
    s.accBeta1.assign(tf.scalar(state.accBeta1));
    s.accBeta2.assign(tf.scalar(state.accBeta2));
  });
}

/** The live β-power variables, for an optimiser that runs Adam's update itself (FusedAdamOptimizer). */
export function adamPowerVariables(opt: tf.AdamOptimizer): { accBeta1: tf.Variable; accBeta2: tf.Variable } {
  const s = adamFields(opt);
  return { accBeta1: s.accBeta1, accBeta2: s.accBeta2 };
}

/**
 * The i-th trained variable's moment variables, created as the stock
 * optimiser creates them (zeros, named `<variable>/m` and `/v`, so that
 * checkpoints match) where missing.
 */
export function adamMomentsAt(opt: tf.AdamOptimizer, i: number, variable: tf.Variable): { m: tf.Variable; v: tf.Variable } {
  const s = adamFields(opt);
  s.accumulatedFirstMoment[i] ??= { originalName: `${variable.name}/m`, variable: tf.tidy(() => tf.zerosLike(variable).variable(false)) };
  s.accumulatedSecondMoment[i] ??= { originalName: `${variable.name}/v`, variable: tf.tidy(() => tf.zerosLike(variable).variable(false)) };
  return { m: s.accumulatedFirstMoment[i].variable, v: s.accumulatedSecondMoment[i].variable };
}

// ── Random numbers ───────────────────────────────────────────────────────────

/**
 * A seed for tf.randomNormal that means what it says. tfjs's Gaussian sampler
 * reads its seed as `seed ? seed : Math.random()` and seeds alea with its
 * string, so seed 0 — the default config's first step — drew fresh noise on
 * every run. The string "0" is truthy and reaches alea as alea("0"), what
 * seed 0 means; every other seed is passed through unchanged.
 */
export function normalSeed(seed: number): number {
  return seed === 0 ? ("0" as unknown as number) : seed;
}

// ── Kernels ──────────────────────────────────────────────────────────────────

/** A kernel's attributes arrive as tfjs's untyped NamedAttrMap; the op that ran it (its public attrs type) says what they are. */
export function kernelAttrs<A extends object>(attrs: tf.NamedAttrMap | undefined): A {
  return attrs as unknown as A;
}

/** What we use of tfjs-backend-wasm's BackendWasm (not in tfjs-core's types). */
export interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(x: tf.TensorInfo): tf.TypedArray;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
  wasm: { asm: { memory: WasmMemory } };
}
/** The backend a kernel registered for "wasm" is handed (kernel functions see it untyped). */
export const asWasmBackend = (backend: unknown): WasmBackend => backend as WasmBackend;

/** What we use of tfjs-backend-cpu's MathBackendCPU (not in tfjs-core's types). */
export interface CpuBackend extends tf.KernelBackend {
  data: { get(dataId: tf.DataId): { values: tf.TypedArray } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.TypedArray): tf.TensorInfo;
}
/** The backend a kernel registered for "cpu" is handed. */
export const asCpuBackend = (backend: unknown): CpuBackend => backend as CpuBackend;

/** A uniform a WebGPU program declares itself (after tfjs's own: shapes, strides, size). */
export type WebgpuUniform = { type: "float32" | "int32"; data: number[] };

/** What we use of tfjs-backend-webgpu's WebGPUBackend: the device it made (to destroy it) and running a program of ours. */
export interface WebgpuBackend extends tf.KernelBackend {
  device: GPUDevice;
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: WebgpuUniform[]): tf.TensorInfo;
}

export const asWebgpuBackend = (backend: unknown): WebgpuBackend => backend as WebgpuBackend;

/** What we use of tfjs-node's TensorFlow binding: its version and its enum codes for dtypes and op attributes. */
export interface TfBinding {
  TF_Version: string;
  TF_FLOAT: number;
  TF_INT32: number;
  TF_BOOL: number;
  TF_COMPLEX64: number;
  TF_STRING: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_STRING: number;
  TF_ATTR_SHAPE: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_INT: number;
  /** An eager op on tensor ids, returning ids: for tensors tfjs has no dtype for (bfloat16). */
  executeOp(name: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): TfOutput[];
  deleteTensor(id: number): void;
}
export type OpAttr = { name: string; type: number; value: unknown };
/** An eager op's output as the binding returns it: TensorFlow's handle id, shape and dtype code. */
export type TfOutput = { id: number; shape: number[]; dtype: number };

/** What we use of tfjs-node's NodeJSKernelBackend: TensorFlow eager ops by name. */
export interface NodeBackend extends tf.KernelBackend {
  binding: TfBinding;
  /** Whether TensorFlow placed ops on a GPU (a CUDA build that found one). */
  isUsingGpuDevice?: boolean;
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[], numOutputs: number): tf.Tensor[];
  /** The binding's ids of tfjs tensors (uploading any not yet on TensorFlow). */
  getInputTensorIds(inputs: tf.TensorInfo[]): number[];
  /** A tfjs tensor owning a binding output (float32, int32, bool, string, complex64). */
  createOutputTensor(output: TfOutput): tf.Tensor;
}

/** The backend a kernel registered for "tensorflow" is handed. */
export function asNodeBackend(backend: unknown): NodeBackend {
  return backend as NodeBackend;
}

/** The active backend, which must be tensorflow. */
export function activeNodeBackend(): NodeBackend {
  if (tf.getBackend() !== "tensorflow") throw new Error(`TensorFlow ops need the tensorflow backend, not ${tf.getBackend()}`);
  return asNodeBackend(tf.backend());
}

/** The tensorflow backend if it was ever registered, whichever backend is active. */
export function findNodeBackend(): NodeBackend | null {
  const be = tf.findBackend("tensorflow");
  return be ? asNodeBackend(be) : null;
}
