import * as tf from "@tensorflow/tfjs-core";
import { asWasmBackend, kernelAttrs } from "./tfjs-internals.js";

let patched = false;

/**
 * Kernel overrides for tfjs-backend-wasm 4.22, registered under the stock
 * kernel names so every caller (ops, gradients, fused ops, tf.layers) gets
 * them. Each computes exactly what the stock kernel does, only faster.
 */
export function patchWasmKernels(): void {
  if (patched) return;
  patched = true;
  patchTransposedMatMul();
  shareIdentity();
}

/**
 * The stock BatchMatMul sends every call with transposeA/transposeB — which
 * every matmul gradient is — to a scalar loop instead of XNNPACK, ~6× slower
 * for our MLPs. We transpose explicitly and call the fast path. Transposing
 * is memory-bound and wasm's Transpose kernel is slow (~7 ns/element), so of
 * the two equal forms
 *   A·Bᵀ = (B·Aᵀ)ᵀ      and      Aᵀ·B = (Bᵀ·A)ᵀ
 * we pick the one that moves fewer elements: for a gradient dX = dY·Wᵀ that
 * is two batch-sized transposes instead of one of the whole weight matrix.
 * Only for plain 2-D products (rank 2, no fused bias/activation); the rest
 * transpose the named operand.
 */
function patchTransposedMatMul(): void {
  const transpose = tf.getKernel("Transpose", "wasm");
  if (!transpose) return;
  for (const kernelName of ["BatchMatMul", "_FusedMatMul"]) {
    const original = tf.getKernel(kernelName, "wasm");
    if (!original) continue;
    const fused = kernelName === "_FusedMatMul";
    const kernelFunc: tf.KernelFunc = (args) => {
      const attrs = kernelAttrs<Partial<tf.BatchMatMulAttrs>>(args.attrs);
      if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
      const backend = asWasmBackend(args.backend);
      const temps: tf.TensorInfo[] = [];
      const transposed = (x: tf.TensorInfo): tf.TensorInfo => {
        const rank = x.shape.length;
        const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
        return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
      };
      const temp = (x: tf.TensorInfo): tf.TensorInfo => (temps.push(x), x);
      const t = (x: tf.TensorInfo): tf.TensorInfo => temp(transposed(x));
      const run = (inputs: Record<string, tf.TensorInfo>): tf.TensorInfo =>
        original.kernelFunc({ inputs, backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } }) as tf.TensorInfo;
      const inputs = { ...args.inputs } as Record<string, tf.TensorInfo>;
      const a = inputs["a"]!;
      const b = inputs["b"]!;
      const plain2d = !fused && a.shape.length === 2 && b.shape.length === 2 && attrs.transposeA !== attrs.transposeB;
      const size = (x: tf.TensorInfo) => x.shape[0]! * x.shape[1]!;
      // Elements of the product: rows of op(A) × columns of op(B).
      const outSize = (attrs.transposeA ? a.shape[1]! : a.shape[0]!) * (attrs.transposeB ? b.shape[0]! : b.shape[1]!);
      let out: tf.TensorInfo;
      if (plain2d && attrs.transposeB && size(a) + outSize < size(b)) {
        out = transposed(temp(run({ a: b, b: t(a) }))); // A·Bᵀ = (B·Aᵀ)ᵀ
      } else if (plain2d && attrs.transposeA && size(b) + outSize < size(a)) {
        out = transposed(temp(run({ a: t(b), b: a }))); // Aᵀ·B = (Bᵀ·A)ᵀ
      } else {
        if (attrs.transposeA) inputs["a"] = t(a);
        if (attrs.transposeB) inputs["b"] = t(b);
        out = run(inputs);
      }
      for (const x of temps) backend.disposeData(x.dataId);
      return out;
    };
    tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ ...original, kernelFunc });
  }
}

/**
 * The stock wasm Identity copies its input. The engine clones every tensor a
 * gradient needs (inputs and outputs of each op under variableGrads), which
 * for a matmul includes the whole weight matrix: ~70 copies per GAN step.
 * Tensors are immutable, so — as the cpu backend does — the clone can share
 * the data and count one more reference.
 */
function shareIdentity(): void {
  const original = tf.getKernel("Identity", "wasm");
  if (!original) return;
  const kernelFunc: tf.KernelFunc = ({ inputs, backend }) => {
    const x = inputs["x"] as tf.TensorInfo;
    if (x.dtype === "string") return original.kernelFunc({ inputs, backend, attrs: {} });
    asWasmBackend(backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({ ...original, kernelFunc });
}
