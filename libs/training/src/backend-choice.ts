/**
 * `--backend auto`'s decision for one shape of network at one fused group
 * size, from measurements taken on this machine (backend-cache.ts): webgpu
 * only where it trains that shape's runs sooner than the best CPU backend,
 * and never on a software adapter unless GANSCOPE_WEBGPU_ADAPTER=software
 * asked for it. Pure, so its laws are tested without a GPU.
 */
import type { BackendName, WebgpuAdapter } from "@ganscope/models";

/** One backend's measured wall ms per run-step (one worker, a fused group of K). */
export interface BackendTiming {
  backend: BackendName;
  msPerRunStep: number;
}

export interface BackendChoiceInput {
  /** The best CPU backend (what auto picks without a GPU) and its time. */
  cpu: BackendTiming;
  /** webgpu's time and the adapter it was measured on; absent where there is no adapter. */
  webgpu?: BackendTiming & { adapter: WebgpuAdapter };
  /** GANSCOPE_WEBGPU_ADAPTER=software was set: a software adapter may be picked. */
  softwareAllowed: boolean;
  /**
   * CPU workers that would train this shape's groups at once (one thread
   * each, one per core). webgpu is counted as one GPU whose throughput does
   * not grow with workers: their dispatches share it.
   */
  cpuWorkers: number;
}

export interface BackendChoice {
  backend: BackendName;
  /** Machine ms per run-step each way: one worker's time over the workers that train in parallel. */
  cpuMs: number;
  webgpuMs?: number;
}

/** webgpu where its machine time per run-step is lower than the CPU workers' together; otherwise the CPU backend. */
export function chooseBackend(input: BackendChoiceInput): BackendChoice {
  const cpuMs = input.cpu.msPerRunStep / Math.max(1, input.cpuWorkers);
  const gpu = input.webgpu;
  if (!gpu || (gpu.adapter.software && !input.softwareAllowed)) return { backend: input.cpu.backend, cpuMs };
  const webgpuMs = gpu.msPerRunStep;
  return { backend: Number.isFinite(webgpuMs) && webgpuMs < cpuMs ? "webgpu" : input.cpu.backend, cpuMs, webgpuMs };
}

/** What a cached measurement was taken on; its hash names the cache file, so any change here is a new measurement. */
export interface BackendMachine {
  /** Host, CPU model and core count (machine-cache.ts). */
  machine: string;
  adapter: WebgpuAdapter;
  /** The shape (fusionKey) and fused group size measured. */
  shape: string;
  k: number;
  /** TensorFlow's intra-op threads, which the CPU backend's time depends on. */
  tfThreads: string;
  /** The measurement's version: a change in how it is taken makes old figures stale. */
  version: number;
}

/** The cache key of a measurement: stable under key order, different when anything measured on differs. */
export function backendCacheKey(m: BackendMachine): string {
  const a = m.adapter;
  return JSON.stringify([m.machine, a.vendor, a.architecture, a.device, a.description, a.software, m.shape, m.k, m.tfThreads, m.version]);
}
