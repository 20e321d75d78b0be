import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { gpuBuildDir, gpuBuildInfo, TFJS_NODE_GPU_ENV } from "./index.js";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "native-train.ts");

/** Runs the child with GANSCOPE_TFJS_NODE_GPU set; each build in its own process (two libtensorflows cannot share one). */
function child(gpu: "0" | "1"): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", CHILD], { env: { ...process.env, [TFJS_NODE_GPU_ENV]: gpu }, encoding: "utf8", timeout: 180_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

interface ChildReport {
  provider: string;
  tfVersion: string;
  libraries: string[];
  stats: Record<string, number>[];
  weightsMoved: boolean;
}

const built = gpuBuildInfo() !== null;
const hasDriver = existsSync("/proc/driver/nvidia/version");

// Built by GANSCOPE_TFJS_NODE_GPU=1 bash scripts/setup-tfjs-node-gpu.sh (or
// setup-tfjs-node.sh on a machine with an NVIDIA driver). On a machine without
// a GPU this shows the build loads TensorFlow's GPU wheel and trains on its
// CPU kernels; it cannot show that it trains on a GPU.
describe.runIf(built)("the GPU-capable native build", () => {
  it("loads the GPU wheel's TensorFlow, not the CPU build's, and trains as the CPU build does", () => {
    const runs = (["1", "0"] as const).map((g) => {
      const r = child(g);
      expect(r.status, r.err).toBe(0);
      return JSON.parse(r.out.trim().split("\n").at(-1)!) as ChildReport;
    });
    const [gpu, cpu] = runs as [ChildReport, ChildReport];
    expect(gpu.provider).toContain(`built against ${gpuBuildInfo()} from ${gpuBuildDir()}`);
    expect(gpu.provider).toMatch(hasDriver ? /: (a GPU in use|no GPU found, CPU kernels)$/ : /: no GPU found, CPU kernels$/);
    expect(gpu.libraries).toHaveLength(1);
    expect(gpu.libraries[0]).toMatch(/libtensorflow-gpu-[^/]+\/tensorflow\/libtensorflow_cc\.so\.2$/);
    expect(cpu.libraries).toHaveLength(1);
    expect(cpu.libraries[0]).not.toMatch(/libtensorflow-gpu-/);
    expect(gpu.tfVersion).toBe(cpu.tfVersion);
    expect(gpu.weightsMoved).toBe(true);
    for (const s of gpu.stats) for (const v of Object.values(s)) expect(Number.isFinite(v)).toBe(true);
    // Without a GPU both libraries run the same CPU kernels on the same numbers.
    if (!hasDriver) expect(gpu.stats).toEqual(cpu.stats);
  }, 400_000);
});

describe.runIf(!built)("asking for the GPU build where it was not built", () => {
  it("fails the tensorflow backend with one line naming the script", () => {
    const r = child("1");
    expect(r.status).not.toBe(0);
    expect(r.err).toContain(`${TFJS_NODE_GPU_ENV}=1 but there is no GPU build in ${gpuBuildDir()} (run: ${TFJS_NODE_GPU_ENV}=1 bash scripts/setup-tfjs-node-gpu.sh)`);
  }, 200_000);
});
