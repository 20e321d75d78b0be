/**
 * Whether this machine has a WebGPU adapter `--backend auto` may consider,
 * found without starting a backend: `auto` asks on every plan, so on a
 * machine without one it must cost next to nothing and print nothing.
 *
 * - No Dawn is loaded where it cannot work: the optional `webgpu` package
 *   missing, or no Vulkan loader (libvulkan.so.1, which Dawn dlopens) in the
 *   dynamic linker's cache or on LD_LIBRARY_PATH.
 * - Otherwise Dawn is asked in a plain `node` child (~0.1–0.2 s here; tsx
 *   and tfjs would take seconds): Dawn writes its own warnings ("Found no
 *   drivers!") to stderr from native code, and an instance loaded into the
 *   runner would stay there for the life of the process.
 * - A software adapter (lavapipe) is reported only when
 *   GANSCOPE_WEBGPU_ADAPTER=software asks for it, as selectBackend("webgpu") does.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { adapterMode, type WebgpuAdapter } from "./webgpu-backend.js";

/** What the probe found: the adapter auto may measure, or why there is none. */
export type WebgpuProbe = { adapter: WebgpuAdapter } | { none: string };

const require = createRequire(import.meta.url);
const LOADER = "libvulkan.so.1";

/** Whether the dynamic linker can find the Vulkan loader: its cache, or a folder on LD_LIBRARY_PATH. */
export function vulkanLoaderPresent(): boolean {
  const dirs = (process.env["LD_LIBRARY_PATH"] ?? "").split(":").filter(Boolean);
  if (dirs.some((d) => existsSync(path.join(d, LOADER)))) return true;
  try {
    // ld.so.cache holds each library's soname as a NUL-terminated string.
    return readFileSync("/etc/ld.so.cache").includes(`${LOADER}\0`);
  } catch {
    return false;
  }
}

/** The child's program: one adapter request as prepareWebgpu makes it, its info as JSON on stdout. */
const CHILD = `
const dawn = await import(process.argv[1]);
const gpu = dawn.create([]);
let a = await gpu.requestAdapter({ powerPreference: "high-performance" });
if (process.argv[2] === "software" && a && !a.info.isFallbackAdapter) a = await gpu.requestAdapter({ forceFallbackAdapter: true });
process.stdout.write(JSON.stringify(a ? { vendor: a.info.vendor, architecture: a.info.architecture, device: a.info.device, description: a.info.description, software: a.info.isFallbackAdapter } : null));
`;

/** Answers by what they were asked under: the adapter kind and the Vulkan driver files. */
const probed = new Map<string, Promise<WebgpuProbe>>();

/**
 * The WebGPU adapter this machine offers of the kind GANSCOPE_WEBGPU_ADAPTER
 * asks for (hardware unless it says software), or why there is none.
 * Asked once per process and setting.
 */
export function probeWebgpu(): Promise<WebgpuProbe> {
  const mode = adapterMode();
  const key = `${mode}|${process.env["VK_DRIVER_FILES"] ?? ""}|${process.env["VK_ICD_FILENAMES"] ?? ""}`;
  if (!probed.has(key)) probed.set(key, probe(mode));
  return probed.get(key)!;
}

async function probe(mode: "hardware" | "software"): Promise<WebgpuProbe> {
  let entry: string;
  try {
    entry = require.resolve("webgpu");
  } catch {
    return { none: "Dawn's Node binding (npm webgpu) is not installed" };
  }
  if (!vulkanLoaderPresent()) return { none: `no Vulkan loader (${LOADER})` };
  const out = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD, pathToFileURL(entry).href, mode], { stdio: ["ignore", "pipe", "ignore"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.on("error", () => resolve(""));
    child.on("close", () => resolve(text));
  });
  let found: WebgpuAdapter | null;
  try {
    found = JSON.parse(out) as WebgpuAdapter | null;
  } catch {
    return { none: "Dawn did not start" };
  }
  if (!found) return { none: "Dawn found no WebGPU adapter" };
  if (found.software !== (mode === "software")) return { none: mode === "hardware" ? "Dawn's only adapter is a software one" : "no software adapter" };
  return { adapter: found };
}
