import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBackendNoise } from "./backend-noise.js";
import { releaseBackend, selectBackend } from "./backend.js";
import { useSoftwareWebgpu } from "./testing.js";
import { WEBGPU_ADAPTER_ENV } from "./webgpu-backend.js";

// On Mesa's lavapipe (scripts/setup-vulkan.sh): fails, naming the script, where it is missing.
beforeAll(() => useSoftwareWebgpu());
afterAll(() => releaseBackend());

describe("--backend webgpu", () => {
  it("refuses Dawn's software adapter unless it is asked for by name", async () => {
    delete process.env[WEBGPU_ADAPTER_ENV];
    try {
      await expect(selectBackend("webgpu")).rejects.toThrow(/^--backend webgpu is not available here: the only WebGPU adapter here is a software one, mesa .*: not a GPU; GANSCOPE_WEBGPU_ADAPTER=software trains on it anyway/);
      process.env[WEBGPU_ADAPTER_ENV] = "gpu";
      await expect(selectBackend("webgpu")).rejects.toThrow(/GANSCOPE_WEBGPU_ADAPTER must be "hardware" or "software", got "gpu"/);
    } finally {
      process.env[WEBGPU_ADAPTER_ENV] = "software";
    }
  });

  it("runs on the software adapter when asked, says so, computes exactly, and starts again after being released", async () => {
    for (const round of [1, 2]) {
      const info = await selectBackend("webgpu");
      expect(tf.getBackend()).toBe("webgpu");
      expect(info.adapter).toMatchObject({ vendor: "mesa", software: true });
      expect(info.provider, `round ${round}`).toMatch(/^@tensorflow\/tfjs-backend-webgpu@4\.22\.0 on Dawn \(webgpu@0\.6\.2\): mesa software \(llvmpipe: .*, software adapter\)$/);
      // Small integers: every sum is exact in float32, whatever order the shader adds in.
      const a = tf.tensor2d([1, -2, 3, 4, 5, -6], [2, 3]);
      const c = tf.matMul(a, a, false, true);
      expect(Array.from(await c.data())).toEqual([14, -24, -24, 77]);
      tf.dispose([a, c]);
      releaseBackend();
      expect(tf.findBackendFactory("webgpu")).toBeNull();
    }
  });

  it("sums more gradients than the default 8 storage buffers a shader allows (tfjs's AddN binds them all at once)", async () => {
    await selectBackend("webgpu");
    const xs = Array.from({ length: 12 }, (_, i) => tf.tensor1d([i, 2 * i]));
    const sum = tf.addN(xs);
    expect(Array.from(await sum.data())).toEqual([66, 132]);
    tf.dispose([...xs, sum]);
  });

  it("prints nothing on stderr at start-up that isBackendNoise lets through, and lets Node exit once its device is destroyed", () => {
    // Dawn writes from native code, so only a process of its own shows what a user would see.
    const script = `
      import { create, globals } from "webgpu";
      Object.assign(globalThis, globals);
      const adapter = await create([]).requestAdapter();
      const device = await adapter.requestDevice();
      device.destroy();
      process.stdout.write(adapter.info.vendor);
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000, env: process.env });
    expect(r.signal, "still running after 60 s: the destroyed device kept Node alive").toBeNull();
    expect(r.stdout).toBe("mesa");
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => !isBackendNoise(l))).toEqual([]);
  });
});
