import * as tf from "@tensorflow/tfjs-core";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { useTensorflowKernels } from "./tensorflow-ops.js";
import { findNodeBackend } from "./tfjs-internals.js";
import { patchWasmKernels } from "./wasm-kernels.js";
import { adapterLine, holdWebgpuDevice, prepareWebgpu, stopWebgpu, type WebgpuAdapter } from "./webgpu-backend.js";

/** Compute backends `--backend` names. */
export const BACKENDS = ["tensorflow", "webgpu", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * The backends tried, fastest first, when none is named. Not webgpu: a small
 * run on it is bound by its ~270 dispatches a step, so whether it beats
 * these depends on the shape and the fused group size; `--backend auto`
 * measures that per shape on the machine (libs/training's backend-cache.ts)
 * and names webgpu for the workers of the shapes it wins.
 */
const AUTO_ORDER: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

export interface BackendInfo {
  /** The tfjs backend name that is active. */
  name: BackendName;
  /** Which package provides it, with its version (and, for webgpu, the adapter it runs on). */
  provider: string;
  /** Why faster backends were passed over, for the run's config.json. */
  skipped: string[];
  /** The GPU adapter webgpu runs on, as Dawn reports it; only for webgpu. */
  adapter?: WebgpuAdapter;
}

const require = createRequire(import.meta.url);

/**
 * Names a `@tensorflow/tfjs-node` package folder to load instead of the
 * installed one (normally node_modules' copy, whose binding
 * scripts/setup-tfjs-node.sh builds against TensorFlow's PyPI wheel).
 */
export const TFJS_NODE_ENV = "GANSCOPE_TFJS_NODE";

/**
 * `1` loads the GPU-capable build (scripts/setup-tfjs-node-gpu.sh) and fails
 * if it is not there; `0` never loads it. Unset, it is loaded where the
 * machine has an NVIDIA driver and the build exists.
 */
export const TFJS_NODE_GPU_ENV = "GANSCOPE_TFJS_NODE_GPU";

/**
 * Where scripts/setup-tfjs-node-gpu.sh puts the binding it compiles against
 * TensorFlow's GPU wheel: a folder of its own inside node_modules (so that
 * the package resolves the same @tensorflow/tfjs-core as ganscope), away
 * from the default CPU build in node_modules/@tensorflow/tfjs-node.
 */
export function gpuBuildDir(): string {
  return path.resolve(path.dirname(require.resolve("@tensorflow/tfjs-core/package.json")), "../../.ganscope/tfjs-node-gpu");
}

/** What the GPU build was built from (its marker file), or null where it was not built. */
export function gpuBuildInfo(): string | null {
  const marker = path.join(gpuBuildDir(), ".ganscope-gpu-build");
  return existsSync(marker) ? readFileSync(marker, "utf8").trim() : null;
}

function versionOf(pkg: string): string {
  try {
    return (require(path.isAbsolute(pkg) ? path.join(pkg, "package.json") : `${pkg}/package.json`) as { version: string }).version;
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
  // One TensorFlow thread unless the user says otherwise: for these MLPs two
  // intra-op threads made a training step slower on a 2-core machine (18–24 ms
  // against 31–36 ms, bench/README.md), and the runner runs one worker process
  // per core, each of which comes through here. TensorFlow reads these when
  // its first context starts.
  process.env.TF_NUM_INTRAOP_THREADS ??= "1";
  process.env.TF_NUM_INTEROP_THREADS ??= "1";
  // TensorFlow's own info and warning logs are not ours to print. (The two
  // lines absl writes before it is initialised ignore this; the runner drops them.)
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  const errors: string[] = [];
  const custom = process.env[TFJS_NODE_ENV];
  const gpu = process.env[TFJS_NODE_GPU_ENV];
  const gpuDir = gpuBuildDir();
  // Asked for by name (=1): that build or an error, as --backend does. Unset: where a driver is.
  const gpuFirst = gpu === "1" ? "only" : gpu !== "0" && existsSync("/proc/driver/nvidia/version") && gpuBuildInfo() !== null;
  // A binding built outside node_modules is used only when asked for.
  const candidates = custom ? [path.resolve(custom)] : gpuFirst === "only" ? [gpuDir] : [...(gpuFirst ? [gpuDir] : []), "@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];
  for (const pkg of candidates) {
    if (pkg === gpuDir && gpuBuildInfo() === null) {
      errors.push(`${TFJS_NODE_GPU_ENV}=1 but there is no GPU build in ${gpuDir} (run: ${TFJS_NODE_GPU_ENV}=1 bash scripts/setup-tfjs-node-gpu.sh)`);
      continue;
    }
    try {
      await import(path.isAbsolute(pkg) ? pathToFileURL(path.join(pkg, "dist", "index.js")).href : pkg);
      const backend = findNodeBackend();
      if (backend) {
        if (pkg === gpuDir) {
          const device = backend.isUsingGpuDevice ? "a GPU in use" : "no GPU found, CPU kernels";
          return { provider: `@tensorflow/tfjs-node@${versionOf(pkg)} built against ${gpuBuildInfo()} from ${pkg}: ${device}` };
        }
        return { provider: custom ? `@tensorflow/tfjs-node@${versionOf(pkg)} from ${pkg}` : `${pkg}@${versionOf(pkg)}` };
      }
      errors.push(`${pkg}: loaded but registered no backend`);
    } catch (e) {
      const msg = (e as Error).message.split("\n")[0] ?? "";
      errors.push(`${pkg}: ${/Cannot find (module|package)/.test(msg) ? "not installed" : msg}`);
    }
  }
  return { error: errors.join("; ") };
}

async function activate(name: BackendName): Promise<void> {
  // Another backend asked for: webgpu's device goes (it would keep the process alive).
  if (name !== "webgpu") stopWebgpu();
  if (name === "wasm") await import("@tensorflow/tfjs-backend-wasm");
  if (name === "cpu") await import("@tensorflow/tfjs-backend-cpu");
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend "${name}" failed to initialise`);
  await tf.ready();
  if (name === "wasm") patchWasmKernels();
  if (name === "tensorflow") useTensorflowKernels();
  if (name === "webgpu") holdWebgpuDevice();
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
  const order = preferred ? [preferred] : AUTO_ORDER;
  for (const name of order) {
    if (name === "webgpu") {
      const adapter = await prepareWebgpu().catch((e: unknown) => {
        throw new Error(`--backend webgpu is not available here: ${(e as Error).message}`);
      });
      await activate("webgpu");
      return { name, provider: `@tensorflow/tfjs-backend-webgpu@${versionOf("@tensorflow/tfjs-backend-webgpu")} on Dawn (webgpu@${versionOf("webgpu")}): ${adapterLine(adapter)}`, skipped, adapter };
    }
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

/**
 * Lets go of what the active backend holds outside the JavaScript heap that
 * keeps a process alive: webgpu's Dawn device. Call it when a process is
 * done training; a later selectBackend starts again.
 */
export function releaseBackend(): void {
  stopWebgpu();
}
