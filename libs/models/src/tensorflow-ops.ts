import * as tf from "@tensorflow/tfjs-core";
import { productPrecision } from "./precision.js";
import { activeNodeBackend, asNodeBackend, findNodeBackend, kernelAttrs, type NodeBackend, type OpAttr, type TfBinding } from "./tfjs-internals.js";

/**
 * Direct access to TensorFlow eager ops through tfjs-node's backend, for the
 * few places where tfjs composes many ops and TensorFlow has one kernel
 * (Adam's update, ReLU's gradient). Each tfjs op on this backend is one eager
 * call and one pass over memory, so fusing them is where its time goes.
 */

function tfDtype(b: TfBinding, dtype: tf.DataType): number {
  const codes: Record<tf.DataType, number> = { float32: b.TF_FLOAT, int32: b.TF_INT32, bool: b.TF_BOOL, complex64: b.TF_COMPLEX64, string: b.TF_STRING };
  return codes[dtype];
}
const typeAttr = (b: TfBinding, name: string, dtype: tf.DataType): OpAttr => ({ name, type: b.TF_ATTR_TYPE, value: tfDtype(b, dtype) });
const floatAttr = (b: TfBinding, name: string): OpAttr => typeAttr(b, name, "float32");
const boolAttr = (b: TfBinding, name: string, value: boolean): OpAttr => ({ name, type: b.TF_ATTR_BOOL, value });
const intAttr = (b: TfBinding, name: string, value: number): OpAttr => ({ name, type: b.TF_ATTR_INT, value });

/**
 * A float32 [K, …] tensor's K slices along axis 0. TensorFlow's Unpack shares
 * the input's buffer where the slices are aligned (they copy otherwise).
 */
function unpackRuns(be: NodeBackend, x: tf.TensorInfo): tf.Tensor[] {
  const k = x.shape[0]!;
  return be.executeMultipleOutputs("Unpack", [floatAttr(be.binding, "T"), intAttr(be.binding, "num", k), intAttr(be.binding, "axis", 0)], [x], k);
}

/** K float32 tensors of one shape stacked along a new axis 0 (a copy). */
function packRuns(be: NodeBackend, xs: readonly tf.TensorInfo[]): tf.Tensor {
  return be.executeSingleOutput("Pack", [intAttr(be.binding, "N", xs.length), floatAttr(be.binding, "T"), intAttr(be.binding, "axis", 0)], [...xs]);
}

let resourceCount = 0;

/**
 * A TensorFlow resource variable (what tf.Variable is in TensorFlow 2):
 * state that kernels such as ResourceApplyAdam update in place, which
 * tfjs's own immutable tensors cannot be.
 */
export class TfResourceVariable {
  /** The resource handle, a scalar tensor tfjs sees as a string. */
  private handle: tf.Tensor | null;

  constructor(shape: number[], label: string) {
    const be = activeNodeBackend();
    const b = be.binding;
    this.handle = tf.keep(
      be.executeSingleOutput(
        "VarHandleOp",
        [
          { name: "container", type: b.TF_ATTR_STRING, value: "" },
          // Resources live in TensorFlow's per-process manager under this name until destroyed.
          { name: "shared_name", type: b.TF_ATTR_STRING, value: `ganscope/${process.pid}/${resourceCount++}/${label}` },
          floatAttr(b, "dtype"),
          { name: "shape", type: b.TF_ATTR_SHAPE, value: shape },
        ],
        [],
      ),
    );
  }

  get resource(): tf.Tensor {
    if (!this.handle) throw new Error("TfResourceVariable used after dispose()");
    return this.handle;
  }

  /** Sets the variable's value (TensorFlow keeps or copies the buffer; `value` stays valid). */
  assign(value: tf.Tensor): void {
    const be = activeNodeBackend();
    be.executeMultipleOutputs("AssignVariableOp", [floatAttr(be.binding, "dtype"), boolAttr(be.binding, "validate_shape", false)], [this.resource, value], 0);
  }

  /**
   * The current value as a tfjs tensor. It shares the variable's buffer, so
   * the next in-place update copies it first (TensorFlow's copy-on-write):
   * the tensor read keeps its value.
   */
  read(): tf.Tensor {
    const be = activeNodeBackend();
    return be.executeSingleOutput("ReadVariableOp", [floatAttr(be.binding, "dtype")], [this.resource]);
  }

  dispose(): void {
    if (!this.handle) return;
    // Also after the active backend changed: the resource lives in TensorFlow's backend, whichever is active.
    const be = findNodeBackend();
    be?.executeMultipleOutputs("DestroyResourceOp", [boolAttr(be.binding, "ignore_lookup_error", true)], [this.handle], 0);
    this.handle.dispose();
    this.handle = null;
  }
}

/**
 * TensorFlow's ResourceApplyAdam: one kernel that updates w, m and v in place.
 * It computes  m ← m + (g − m)(1 − β₁),  v ← v + (g² − v)(1 − β₂),
 * w ← w − lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε̂); passing ε̂ = ε·√(1 − β₂ᵗ)
 * makes that the same formula as tf.train.adam's (and PyTorch's)
 * w ← w − lr · m̂ / (√v̂ + ε), rounded differently.
 */
export function resourceApplyAdam(
  w: TfResourceVariable,
  m: TfResourceVariable,
  v: TfResourceVariable,
  scalars: { beta1Power: tf.Tensor; beta2Power: tf.Tensor; lr: tf.Tensor; beta1: tf.Tensor; beta2: tf.Tensor; epsilonHat: tf.Tensor },
  grad: tf.Tensor,
): void {
  const be = activeNodeBackend();
  const b = be.binding;
  const s = scalars;
  be.executeMultipleOutputs(
    "ResourceApplyAdam",
    [floatAttr(b, "T"), boolAttr(b, "use_locking", false), boolAttr(b, "use_nesterov", false)],
    [w.resource, m.resource, v.resource, s.beta1Power, s.beta2Power, s.lr, s.beta1, s.beta2, s.epsilonHat, grad],
    0,
  );
}

/** Gradient kernels this module adds, run by the gradient overrides in {@link useTensorflowKernels}. */
const RELU_GRAD = "GanscopeReluGrad";
const LEAKY_RELU_GRAD = "GanscopeLeakyReluGrad";
/** ½·Σx² of a tensor in one pass (TensorFlow's L2Loss), for gradient norms. */
const HALF_SUM_SQUARES = "GanscopeHalfSumSquares";
/** ½·Σx² of each [k] slice of a stacked tensor: [K]. */
const HALF_SUM_SQUARES_PER_RUN = "GanscopeHalfSumSquaresPerRun";

/**
 * Σ over tensors of Σx², as a scalar (for a global gradient norm): on
 * tensorflow one L2Loss kernel per tensor instead of Square then Sum (two
 * eager calls and two passes over every gradient, each step).
 */
export function sumOfSquares(xs: readonly tf.Tensor[]): tf.Scalar {
  if (tf.getBackend() === "tensorflow" && xs.every((x) => x.dtype === "float32")) {
    // L2Loss is ½·Σx²; doubling is exact in floating point.
    return tf.mul(tf.addN(xs.map((x) => tf.engine().runKernel(HALF_SUM_SQUARES, { x }) as tf.Scalar)), 2);
  }
  return tf.addN(xs.map((x) => tf.sum(tf.square(x)))) as tf.Scalar;
}

/**
 * Per run of a fused group: Σ over stacked tensors [K, …] of each run's
 * Σx², as [K]. On tensorflow each run's slice gets the L2Loss call the run
 * alone makes on its own gradient ({@link sumOfSquares}), so a fused run's
 * gradient norm has the same bits as the run's alone; it also reads each
 * gradient once, where Square then Sum writes a squared copy of it first
 * (21.8 ms of a K = 8 group step under the tf-ops profiler, bench/README.md). Elsewhere Square and Sum
 * over each run's axes, as sumOfSquares does there.
 */
export function sumOfSquaresPerRun(xs: readonly tf.Tensor[]): tf.Tensor1D {
  if (tf.getBackend() === "tensorflow" && xs.every((x) => x.dtype === "float32")) {
    return tf.mul(tf.addN(xs.map((x) => tf.engine().runKernel(HALF_SUM_SQUARES_PER_RUN, { x }) as tf.Tensor1D)), 2);
  }
  return tf.addN(xs.map((x) => tf.sum(tf.square(x), x.shape.slice(1).map((_, a) => a + 1)))) as tf.Tensor1D;
}

/** int32 shape/axis tensors by value, kept for the life of the process (see cachedInt32). */
const int32Cache = new Map<string, tf.Tensor1D>();
const INT32_CACHE_LIMIT = 4096;

/**
 * tfjs-node's Reshape and Sum build a fresh int32 tensor for the target
 * shape / axes on every call (a JavaScript tensor, then a TensorFlow handle);
 * a training step asks for the same few dozen over and over.
 */
function cachedInt32(values: readonly number[]): tf.Tensor1D {
  const key = values.join(",");
  let t = int32Cache.get(key);
  if (!t) {
    t = tf.keep(tf.tensor1d(values as number[], "int32"));
    if (int32Cache.size < INT32_CACHE_LIMIT) int32Cache.set(key, t);
  }
  return t;
}

/** TF_BFLOAT16 in tensorflow/c/tf_datatype.h; the binding exports no constant for it. */
const TF_BFLOAT16 = 14;

/**
 * A product in bfloat16, returned as float32: both operands rounded to
 * bfloat16 (to nearest even), multiplied by oneDNN's bf16 kernel (float32
 * accumulation) and the product rounded to bfloat16 — TensorFlow has no
 * bf16 × bf16 → float32 product (BatchMatMulV3 with Tout=float finds no
 * kernel). 1.1 → 0.8 ms for a [128×784]·[784×512] product on a Zen 4 with
 * avx512_bf16, casts included; TF_SET_ONEDNN_FPMATH_MODE does nothing there
 * (bench/README.md, "bf16 on an AMD EPYC"). tfjs has no bfloat16 dtype, so
 * the bf16 handles stay ids on the binding and are deleted here.
 * The product is BatchMatMulV2 even for two matrices: in bfloat16 a fused
 * K = 5 group of the seed's baseline took 13.8 CPU ms a run-step with it
 * against 19.4 with MatMul (bench/precision-probe.ts, same session); a
 * fused group calls it per run on the same 2-D slices, so each run's
 * products are the very calls it makes alone.
 */
function bf16Product(be: NodeBackend, a: tf.TensorInfo, bIn: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const b = be.binding;
  const cast = (id: number, from: number, to: number) =>
    b.executeOp("Cast", [{ name: "SrcT", type: b.TF_ATTR_TYPE, value: from }, { name: "DstT", type: b.TF_ATTR_TYPE, value: to }, boolAttr(b, "Truncate", false)], [id], 1)[0]!;
  const flags = [boolAttr(b, "adj_x", transposeA), boolAttr(b, "adj_y", transposeB)];
  const [ia, ib] = be.getInputTensorIds([a, bIn]);
  const ca = cast(ia!, b.TF_FLOAT, TF_BFLOAT16).id;
  const cb = cast(ib!, b.TF_FLOAT, TF_BFLOAT16).id;
  try {
    const product = b.executeOp("BatchMatMulV2", [{ name: "T", type: b.TF_ATTR_TYPE, value: TF_BFLOAT16 }, ...flags], [ca, cb], 1)[0]!.id;
    try {
      return be.createOutputTensor(cast(product, TF_BFLOAT16, b.TF_FLOAT));
    } finally {
      b.deleteTensor(product);
    }
  } finally {
    b.deleteTensor(ca);
    b.deleteTensor(cb);
  }
}

/** Batched products with more members than this stay one BatchMatMulV2 (the split pays one call per member). */
const MAX_SPLIT_BATCH = 64;

let kernelsInstalled = false;

/**
 * Kernel and gradient overrides for the tensorflow backend, registered when
 * it is activated:
 * - Relu and LeakyRelu gradients use TensorFlow's ReluGrad / LeakyReluGrad.
 *   tfjs builds ReLU's gradient as dy · step(x), and tfjs-node's Step is
 *   seven ops (isNaN, greater, ones, fill, where, select, …): 8% of a
 *   training step. On every other backend the overrides compute exactly the
 *   stock formulas.
 * - Products of two matrices use MatMul rather than BatchMatMulV2; inside
 *   a bf16 run's step (withPrecision) every product is a bfloat16 one.
 * - Reshape to the same shape shares the tensor; other Reshapes and Sums
 *   reuse their int32 shape/axis operands (cachedInt32).
 * - L2Loss for {@link sumOfSquares}.
 */
export function useTensorflowKernels(): void {
  if (kernelsInstalled) return;
  kernelsInstalled = true;
  tf.registerKernel({
    kernelName: HALF_SUM_SQUARES,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend }) => {
      const be = asNodeBackend(backend);
      return be.executeSingleOutput("L2Loss", [floatAttr(be.binding, "T")], [inputs.x!]);
    },
  });
  tf.registerKernel({
    kernelName: HALF_SUM_SQUARES_PER_RUN,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend }) => {
      const be = asNodeBackend(backend);
      const slices = unpackRuns(be, inputs.x!);
      const halves = slices.map((s) => be.executeSingleOutput("L2Loss", [floatAttr(be.binding, "T")], [s]));
      const out = packRuns(be, halves);
      tf.dispose([...slices, ...halves]);
      return out;
    },
  });
  // tfjs-node registered its own BatchMatMul, Reshape and Sum; ours replace them.
  tf.unregisterKernel(tf.BatchMatMul, "tensorflow");
  tf.unregisterKernel(tf.Reshape, "tensorflow");
  tf.unregisterKernel(tf.Sum, "tensorflow");
  tf.registerKernel({
    kernelName: tf.BatchMatMul,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = asNodeBackend(backend);
      const b = be.binding;
      const { a, b: bIn } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = kernelAttrs<tf.BatchMatMulAttrs>(attrs);
      const bf16 = productPrecision() === "bf16" && a.dtype === "float32";
      // Plain matrices: MatMul, 7.1–7.7 instead of 9.5–10.6 ms of a training step with BatchMatMulV2 (bench/README.md).
      if (a.shape.length === 2 && bIn.shape.length === 2) {
        if (bf16) return bf16Product(be, a, bIn, transposeA, transposeB);
        return be.executeSingleOutput("MatMul", [typeAttr(b, "T", a.dtype), boolAttr(b, "transpose_a", transposeA), boolAttr(b, "transpose_b", transposeB)], [a, bIn]);
      }
      const k = a.shape[0]!;
      if (a.shape.length === 3 && bIn.shape.length === 3 && bIn.shape[0] === k && k > 1 && k <= MAX_SPLIT_BATCH && a.dtype === "float32") {
        // A fused group's products (gan-group.ts: K runs' [batch, in] by
        // [in, out]) as K MatMuls on slices: each run's product is then the
        // very kernel call the run alone makes, the same bits at every size,
        // and the bench model's 9 product shapes at K = 8 took 59.8 ms against
        // 64.0 with BatchMatMulV2 (bench/matmul-shapes.ts, bench/README.md).
        // Unpacking shares the operands' buffers; packing copies the K products.
        const as = unpackRuns(be, a);
        const bs = unpackRuns(be, bIn);
        const attrs = [floatAttr(b, "T"), boolAttr(b, "transpose_a", transposeA), boolAttr(b, "transpose_b", transposeB)];
        const products = as.map((x, i) => (bf16 ? bf16Product(be, x, bs[i]!, transposeA, transposeB) : be.executeSingleOutput("MatMul", attrs, [x, bs[i]!])));
        const out = packRuns(be, products);
        tf.dispose([...as, ...bs, ...products]);
        return out;
      }
      // Other batched and broadcasting products as tfjs-node does them.
      if (bf16) return bf16Product(be, a, bIn, transposeA, transposeB);
      return be.executeSingleOutput("BatchMatMulV2", [typeAttr(b, "T", a.dtype), boolAttr(b, "adj_x", transposeA), boolAttr(b, "adj_y", transposeB)], [a, bIn]);
    },
  });
  tf.registerKernel({
    kernelName: tf.Reshape,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = asNodeBackend(backend);
      const x = inputs.x!;
      const shape = kernelAttrs<tf.ReshapeAttrs>(attrs).shape;
      // tfjs's gradients reshape to the shape a tensor already has (Add's, for
      // both operands); that needs no new TensorFlow handle, as Identity does not.
      if (shape.length === x.shape.length && shape.every((d, i) => d === x.shape[i])) {
        be.incRef(x.dataId);
        return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
      }
      return be.executeSingleOutput(
        "Reshape",
        [typeAttr(be.binding, "T", x.dtype), typeAttr(be.binding, "Tshape", "int32")],
        [x, cachedInt32(shape)],
      );
    },
  });
  tf.registerKernel({
    kernelName: tf.Sum,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = asNodeBackend(backend);
      const x = inputs.x!;
      const { axis, keepDims } = kernelAttrs<tf.SumAttrs>(attrs);
      return be.executeSingleOutput(
        "Sum",
        [boolAttr(be.binding, "keep_dims", keepDims), typeAttr(be.binding, "T", x.dtype), typeAttr(be.binding, "Tidx", "int32")],
        [x, cachedInt32(tf.util.parseAxisParam(axis, x.shape))],
      );
    },
  });
  tf.registerKernel({
    kernelName: RELU_GRAD,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend }) => {
      const be = asNodeBackend(backend);
      return be.executeSingleOutput("ReluGrad", [floatAttr(be.binding, "T")], [inputs.dy!, inputs.x!]);
    },
  });
  tf.registerKernel({
    kernelName: LEAKY_RELU_GRAD,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = asNodeBackend(backend);
      const alpha = kernelAttrs<tf.LeakyReluAttrs>(attrs).alpha;
      return be.executeSingleOutput(
        "LeakyReluGrad",
        [floatAttr(be.binding, "T"), { name: "alpha", type: be.binding.TF_ATTR_FLOAT, value: alpha }],
        [inputs.dy!, inputs.x!],
      );
    },
  });
  const onTensorflow = () => tf.getBackend() === "tensorflow";
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const x = saved[0]!;
      return {
        x: () =>
          onTensorflow() && x.dtype === "float32"
            ? (tf.engine().runKernel(RELU_GRAD, { dy: dy as tf.Tensor, x }) as tf.Tensor)
            : tf.mul(dy as tf.Tensor, tf.cast(tf.step(x), "float32")),
      };
    },
  });
  tf.registerGradient({
    kernelName: tf.LeakyRelu,
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0]!;
      const alpha = kernelAttrs<tf.LeakyReluAttrs>(attrs).alpha;
      return {
        x: () =>
          onTensorflow() && x.dtype === "float32"
            ? (tf.engine().runKernel(LEAKY_RELU_GRAD, { dy: dy as tf.Tensor, x }, { alpha }) as tf.Tensor)
            : tf.where(tf.greater(x, 0), dy as tf.Tensor, tf.mul(dy as tf.Tensor, alpha)),
      };
    },
  });
}
