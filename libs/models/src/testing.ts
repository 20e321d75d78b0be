import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { selectBackend, type BackendName } from "./backend.js";
import { WEBGPU_ADAPTER_ENV } from "./webgpu-backend.js";

/** Where scripts/setup-vulkan.sh puts lavapipe's ICD file (the VK_DRIVER_FILES for Dawn). */
export function softwareVulkanIcd(): string {
  return path.join(process.env["GANSCOPE_CACHE_HOME"] ?? path.join(os.homedir(), ".cache", "ganscope"), "lavapipe", "lvp_icd.json");
}

/**
 * Points Dawn at the software Vulkan driver (Mesa's lavapipe) and allows its
 * software adapter, for tests of the webgpu backend on machines without a
 * GPU. Call before the first selectBackend("webgpu") of the process. Throws,
 * naming the script that installs it, where the driver is missing: a test of
 * the webgpu path fails rather than skips.
 */
export function useSoftwareWebgpu(): void {
  const icd = softwareVulkanIcd();
  if (!existsSync(icd)) {
    throw new Error(`${icd} is missing: the webgpu backend's tests run on Mesa's lavapipe (bash scripts/setup-vulkan.sh fetches it; scripts/setup-system.sh runs it, as root for the Vulkan loader)`);
  }
  process.env["VK_DRIVER_FILES"] = icd;
  process.env[WEBGPU_ADAPTER_ENV] = "software";
}

/**
 * The backends this machine can train on, for tests that should hold on each:
 * wasm always; tensorflow where scripts/setup-tfjs-node.sh built its binding
 * (npm install does). Leaves wasm active.
 */
export async function backendsHere(): Promise<BackendName[]> {
  const native = await selectBackend("tensorflow").then(
    () => true,
    () => false,
  );
  await selectBackend("wasm");
  return native ? ["wasm", "tensorflow"] : ["wasm"];
}

/** Fails naming the first element where |a − b| > tol·(1 + |b|). */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)))) throw new Error(`element ${i}: ${a[i]} vs ${b[i]} (tolerance ${tol})`);
  }
}
