import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";

/** Compute backends in the order ganscope prefers them (fastest first). */
export const BACKENDS = ["tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** The tfjs backend name that is active. */
  name: BackendName;
  /** Which package provides it, with its version. */
  provider: string;
  /** Why faster backends were passed over, for the run's config.json. */
  skipped: string[];
}

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/**
 * Loads the native TensorFlow binding if one of its optional packages is
 * installed and its libtensorflow is present. Both are optional: on machines
 * where libtensorflow cannot be downloaded the import throws and we move on.
 */
async function tryNative(): Promise<{ provider: string } | { error: string }> {
  const errors: string[] = [];
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      await import(pkg);
      if (tf.findBackend("tensorflow")) return { provider: `${pkg}@${versionOf(pkg)}` };
      errors.push(`${pkg}: loaded but registered no backend`);
    } catch (e) {
      const msg = (e as Error).message.split("\n")[0] ?? "";
      errors.push(`${pkg}: ${/Cannot find (module|package)/.test(msg) ? "not installed" : msg}`);
    }
  }
  return { error: errors.join("; ") };
}

async function activate(name: BackendName): Promise<void> {
  if (name === "wasm") await import("@tensorflow/tfjs-backend-wasm");
  if (name === "cpu") await import("@tensorflow/tfjs-backend-cpu");
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend "${name}" failed to initialise`);
  await tf.ready();
  if (name === "wasm") patchWasmTransposedMatMul();
}

/**
 * Activates the fastest backend present, or exactly `preferred` when given
 * (failing loudly rather than silently running something slower).
 */
export async function selectBackend(preferred?: BackendName): Promise<BackendInfo> {
  if (preferred !== undefined && !BACKENDS.includes(preferred)) {
    throw new Error(`--backend must be one of ${BACKENDS.join(", ")}, got "${String(preferred)}"`);
  }
  const skipped: string[] = [];
  const order = preferred ? [preferred] : BACKENDS;
  for (const name of order) {
    if (name === "tensorflow") {
      const native = await tryNative();
      if ("error" in native) {
        if (preferred) throw new Error(`--backend tensorflow is not available here: ${native.error}`);
        skipped.push(`tensorflow (${native.error})`);
        continue;
      }
      await activate("tensorflow");
      return { name, provider: native.provider, skipped };
    }
    try {
      await activate(name);
      const pkg = name === "wasm" ? "@tensorflow/tfjs-backend-wasm" : "@tensorflow/tfjs-backend-cpu";
      return { name, provider: `${pkg}@${versionOf(pkg)}`, skipped };
    } catch (e) {
      if (preferred) throw e;
      skipped.push(`${name} (${(e as Error).message})`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${skipped.join("; ")}`);
}

let patched = false;

/**
 * tfjs-backend-wasm 4.22 sends every BatchMatMul with transposeA/transposeB —
 * which every matmul gradient is — to a scalar loop instead of XNNPACK, ~6×
 * slower for our MLPs. Transposing explicitly (cheap, memory-bound) and then
 * calling the fast path gives identical results. Registered as a kernel
 * override so every caller (gradients, fused ops) benefits.
 */
function patchWasmTransposedMatMul(): void {
  if (patched) return;
  patched = true;
  for (const kernelName of ["BatchMatMul", "_FusedMatMul"]) {
    const original = tf.getKernel(kernelName, "wasm");
    const transpose = tf.getKernel("Transpose", "wasm");
    if (!original || !transpose) continue;
    const kernelFunc: tf.KernelFunc = (args) => {
      const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
      if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
      const backend = args.backend as tf.KernelBackend;
      const temps: tf.TensorInfo[] = [];
      const t = (x: tf.TensorInfo): tf.TensorInfo => {
        const rank = x.shape.length;
        const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
        const out = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
        temps.push(out);
        return out;
      };
      const inputs = { ...args.inputs } as Record<string, tf.TensorInfo>;
      if (attrs.transposeA) inputs["a"] = t(inputs["a"]!);
      if (attrs.transposeB) inputs["b"] = t(inputs["b"]!);
      const out = original.kernelFunc({
        inputs,
        backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
      for (const x of temps) backend.disposeData(x.dataId);
      return out;
    };
    tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ ...original, kernelFunc });
  }
}
