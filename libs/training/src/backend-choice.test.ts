import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WebgpuAdapter } from "@ganscope/models";
import { backendCacheKey, chooseBackend, type BackendMachine } from "./backend-choice.js";

const adapter = (software: boolean): fc.Arbitrary<WebgpuAdapter> =>
  fc.record({ vendor: fc.constantFrom("nvidia", "amd", "mesa"), architecture: fc.string(), device: fc.string(), description: fc.string(), software: fc.constant(software) });
const ms = fc.double({ min: 0.01, max: 1e4, noNaN: true });
const cpuBackend = fc.constantFrom("tensorflow" as const, "wasm" as const, "cpu" as const);
const workers = fc.integer({ min: 1, max: 64 });

describe("chooseBackend", () => {
  it("picks webgpu on a hardware adapter exactly when its ms per run-step beats the CPU workers' together", () => {
    fc.assert(
      fc.property(cpuBackend, ms, ms, workers, adapter(false), fc.boolean(), (cpu, cpuMs, gpuMs, w, a, softwareAllowed) => {
        const c = chooseBackend({ cpu: { backend: cpu, msPerRunStep: cpuMs }, webgpu: { backend: "webgpu", msPerRunStep: gpuMs, adapter: a }, softwareAllowed, cpuWorkers: w });
        expect(c.backend).toBe(gpuMs < cpuMs / w ? "webgpu" : cpu);
        expect(c.cpuMs).toBeCloseTo(cpuMs / w);
        // The one it picks has the lower machine time per run-step (a tie keeps the CPU backend).
        expect(c.backend === "webgpu" ? c.webgpuMs : c.cpuMs).toBe(Math.min(c.cpuMs, c.webgpuMs!));
      }),
    );
  });

  it("never picks a software adapter unless it was asked for, however fast it measured", () => {
    fc.assert(
      fc.property(cpuBackend, ms, ms, workers, adapter(true), (cpu, cpuMs, gpuMs, w, a) => {
        const input = { cpu: { backend: cpu, msPerRunStep: cpuMs }, webgpu: { backend: "webgpu" as const, msPerRunStep: gpuMs, adapter: a }, cpuWorkers: w };
        expect(chooseBackend({ ...input, softwareAllowed: false }).backend).toBe(cpu);
        expect(chooseBackend({ ...input, softwareAllowed: true }).backend).toBe(gpuMs < cpuMs / w ? "webgpu" : cpu);
      }),
    );
  });

  it("without an adapter, or with an unusable time, keeps the CPU backend", () => {
    fc.assert(
      fc.property(cpuBackend, ms, workers, adapter(false), (cpu, cpuMs, w, a) => {
        expect(chooseBackend({ cpu: { backend: cpu, msPerRunStep: cpuMs }, softwareAllowed: true, cpuWorkers: w }).backend).toBe(cpu);
        expect(chooseBackend({ cpu: { backend: cpu, msPerRunStep: cpuMs }, webgpu: { backend: "webgpu", msPerRunStep: NaN, adapter: a }, softwareAllowed: true, cpuWorkers: w }).backend).toBe(cpu);
      }),
    );
  });
});

describe("backendCacheKey", () => {
  const machine: fc.Arbitrary<BackendMachine> = fc.record({
    machine: fc.string(),
    adapter: fc.oneof(adapter(false), adapter(true)),
    shape: fc.string(),
    k: fc.integer({ min: 1, max: 128 }),
    tfThreads: fc.constantFrom("1", "2"),
    version: fc.constant(1),
  });

  it("changes with the adapter, the shape and K, and not with key order", () => {
    fc.assert(
      fc.property(machine, machine, (a, b) => {
        for (const changed of [
          { ...a, adapter: b.adapter },
          { ...a, shape: b.shape },
          { ...a, k: b.k },
          { ...a, machine: b.machine },
        ]) {
          const same = JSON.stringify(changed) === JSON.stringify(a);
          expect(backendCacheKey(changed) === backendCacheKey(a)).toBe(same);
        }
        const reordered = Object.fromEntries(Object.entries(a).reverse()) as unknown as BackendMachine;
        expect(backendCacheKey({ ...reordered, adapter: Object.fromEntries(Object.entries(a.adapter).reverse()) as unknown as BackendMachine["adapter"] })).toBe(backendCacheKey(a));
      }),
    );
  });
});
