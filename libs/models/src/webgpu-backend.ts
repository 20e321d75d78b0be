/**
 * TensorFlow.js's `webgpu` backend in Node, on Dawn's Node binding (npm
 * `webgpu`): a driver is all it needs on a GPU machine (Vulkan on Linux),
 * where the CUDA build needs gigabytes of TensorFlow's libraries. tfjs does
 * not support webgpu in Node upstream (tensorflow/tfjs#7595, #8546), so what
 * it takes lives here, with why:
 *
 * - `navigator.gpu` must exist before `@tensorflow/tfjs-backend-webgpu` is
 *   imported: the package registers the backend only if it sees one. Node 20
 *   has no `navigator`, Node 21+ a read-only getter; defineProperty works on both.
 * - Dawn offers a software adapter (a CPU Vulkan driver such as lavapipe)
 *   when no GPU is there. Training on it by accident would be slower than
 *   the cpu backend and look like a GPU run, so it is used only when asked
 *   for ({@link WEBGPU_ADAPTER_ENV}=software, as the tests do).
 * - A live Dawn device keeps Node from exiting: {@link stopWebgpu} destroys it.
 * - `dataSync()` of a GPU-resident tensor throws in Node (tfjs reads it
 *   through an OffscreenCanvas): everything a run reads goes through `data()`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { asWebgpuBackend } from "./tfjs-internals.js";

/**
 * `hardware` (default): a GPU adapter or an error. `software`: Dawn's
 * software (fallback) adapter, for tests and for checking this path on a
 * machine without a GPU — never chosen silently.
 */
export const WEBGPU_ADAPTER_ENV = "GANSCOPE_WEBGPU_ADAPTER";

/** The adapter a webgpu backend runs on, as Dawn reports it (recorded with every run). */
export interface WebgpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Dawn's software adapter (a CPU Vulkan driver), not a GPU. */
  software: boolean;
}

type Dawn = typeof import("webgpu");

/** Dawn's instance (its GPU object). */
let gpu: GPU | undefined;
/** The device tfjs created for the backend, destroyed by {@link stopWebgpu}. */
let device: GPUDevice | undefined;
/** tfjs's own factory for the backend (it picks the device's features and limits), kept to register again after {@link stopWebgpu}. */
let tfjsFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;
/** The priority the package registers with; only tfjs's own default choice reads it, and ganscope always names its backend. */
const WEBGPU_PRIORITY = 3;

/** The adapter kind {@link WEBGPU_ADAPTER_ENV} asks for (hardware unless it says software). */
export function adapterMode(): "hardware" | "software" {
  const mode = process.env[WEBGPU_ADAPTER_ENV] ?? "hardware";
  if (mode !== "hardware" && mode !== "software") throw new Error(`${WEBGPU_ADAPTER_ENV} must be "hardware" or "software", got "${mode}"`);
  return mode;
}

/** The adapter in one phrase, for the backend's provider line and for errors. */
export function adapterLine(a: WebgpuAdapter): string {
  return `${a.vendor || "unknown vendor"} ${a.architecture || "unknown architecture"} (${a.description || a.device || "no description"}${a.software ? ", software adapter" : ""})`;
}

/**
 * Makes tfjs's `webgpu` backend available on Dawn's adapter of the kind
 * {@link WEBGPU_ADAPTER_ENV} asks for, and returns that adapter. Throws,
 * naming what is missing, where there is no such adapter. The backend is
 * activated by the caller (`tf.setBackend("webgpu")`); {@link webgpuDevice}
 * picks up its device afterwards.
 */
export async function prepareWebgpu(): Promise<WebgpuAdapter> {
  const mode = adapterMode();
  let dawn: Dawn;
  try {
    dawn = await import("webgpu");
  } catch (e) {
    throw new Error(`Dawn's Node binding (npm webgpu, an optional dependency) does not load: ${(e as Error).message.split("\n")[0]}`);
  }
  // GPUBufferUsage, GPUMapMode, … are globals in a browser; the backend uses them so.
  Object.assign(globalThis, dawn.globals);
  // Held for the life of the process: collected, Dawn's instance goes and every device on it with a segfault.
  gpu ??= dawn.create([]);
  let adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  // Asked first, forceFallbackAdapter finds nothing (webgpu 0.6.2: it answers only once a plain request has started Dawn's backends).
  if (mode === "software" && adapter && !adapter.info.isFallbackAdapter) adapter = await gpu.requestAdapter({ forceFallbackAdapter: true });
  if (!adapter) {
    throw new Error(
      `Dawn found no ${mode} WebGPU adapter: no Vulkan driver it accepts (the Vulkan loader libvulkan.so.1 and a driver's ICD, ` +
        `e.g. VK_DRIVER_FILES=/usr/share/vulkan/icd.d/nvidia_icd.json${mode === "software" ? "; tests: bash scripts/setup-vulkan.sh" : ""})`,
    );
  }
  const info = adapter.info;
  const found: WebgpuAdapter = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, software: info.isFallbackAdapter };
  if (found.software !== (mode === "software")) {
    throw new Error(
      mode === "hardware"
        ? `the only WebGPU adapter here is a software one, ${adapterLine(found)}: not a GPU; ${WEBGPU_ADAPTER_ENV}=software trains on it anyway (slower than --backend cpu)`
        : `${WEBGPU_ADAPTER_ENV}=software, but Dawn's adapter is ${adapterLine(found)}`,
    );
  }
  // tfjs's AddN binds all its inputs in one shader (it does not split them, as its concat does) and tfjs's
  // factory asks for the default 8 storage buffers a stage: a gradient summed from 10 uses (a fused group's
  // (5, 2) generator) failed validation. Its devices get the adapter's own limit (16 on lavapipe, more on GPUs).
  const requestDevice = adapter.requestDevice.bind(adapter);
  const storageBuffers = adapter.limits.maxStorageBuffersPerShaderStage;
  adapter.requestDevice = (d?: GPUDeviceDescriptor) => requestDevice({ ...d, requiredLimits: { ...d?.requiredLimits, maxStorageBuffersPerShaderStage: storageBuffers } });
  // tfjs's own factory asks navigator.gpu for "an" adapter; it gets exactly the one checked above.
  const chosen = { requestAdapter: async () => adapter };
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, "gpu", { value: chosen, configurable: true });
  else Object.defineProperty(globalThis, "navigator", { value: { gpu: chosen }, configurable: true, writable: true });
  if (!tf.findBackendFactory("webgpu")) {
    // The package registers its factory as it loads, once per process; after stopWebgpu removed it, the same factory is registered again.
    await import("@tensorflow/tfjs-backend-webgpu");
    tfjsFactory ??= tf.findBackendFactory("webgpu") ?? undefined;
    if (!tfjsFactory) throw new Error("@tensorflow/tfjs-backend-webgpu did not register its backend (it saw no navigator.gpu)");
    if (!tf.findBackendFactory("webgpu")) tf.registerBackend("webgpu", tfjsFactory, WEBGPU_PRIORITY);
  }
  return found;
}

/** Notes the active webgpu backend's device, so that {@link stopWebgpu} can destroy it. */
export function holdWebgpuDevice(): void {
  device = asWebgpuBackend(tf.backend()).device;
}

/**
 * Frees the webgpu backend and destroys its Dawn device, without which Node
 * never exits. Safe to call when webgpu never started.
 */
export function stopWebgpu(): void {
  // Disposes the backend (its buffers) and forgets it: a later selectBackend("webgpu") starts a new device.
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
  device?.destroy();
  device = undefined;
}

/**
 * Waits for the GPU work submitted so far. Dawn frees what finished work used
 * (the staging memory behind every upload and uniform write, buffers tfjs
 * destroyed) only when it processes events, which dawn.node does only while a
 * promise of its own is pending: a training loop that never awaits keeps all
 * of it. On lavapipe each such allocation is a memory mapping, and an epoch of
 * the digits budget (469 steps, ~170 new mappings a step) ran into Linux's
 * 65,530 and segfaulted at step ~380. The epoch loops call this every few
 * steps; it returns at once where webgpu is not running.
 */
export async function settleWebgpu(): Promise<void> {
  if (device && tf.getBackend() === "webgpu") await device.queue.onSubmittedWorkDone();
}
