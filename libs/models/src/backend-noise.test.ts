import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isBackendNoise } from "./backend-noise.js";

describe("isBackendNoise", () => {
  it("matches the start-up lines libtensorflow prints on oneDNN CPUs, and nothing a user needs", () => {
    for (const line of [
      "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
      "I0000 00:00:1796668190.700208    2459 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.",
      "I0000 00:00:1796668190.735075    2459 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.",
      "To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.",
    ]) {
      expect(isBackendNoise(line), line).toBe(true);
    }
    for (const line of [
      "error: experiments/lr.exp.ts: invalid experiment (1 problem):",
      "WARNING: disk almost full",
      "E0000 00:00:1796668190.700208    2459 port.cc:153] something failed",
      "",
    ]) {
      expect(isBackendNoise(line), line).toBe(false);
    }
  });

  // Whatever this machine's CPU: the lines the backend prints here, if any, are all noise.
  const r = spawnSync(process.execPath, ["-e", "require('@tensorflow/tfjs-node'); process.stdout.write('ok')"], { encoding: "utf8", timeout: 60_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "" } });
  it.skipIf(r.stdout !== "ok")("covers every line this machine's libtensorflow prints when it loads", () => {
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    expect(lines.filter((l) => !isBackendNoise(l))).toEqual([]);
  });
});
