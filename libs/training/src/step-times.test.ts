import fc from "fast-check";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS, type RunConfig } from "@ganscope/dsl";
import { selectBackend, type BackendInfo } from "@ganscope/models";
import { machineId } from "./machine-cache.js";
import { MAX_CONTENTION_RATIO, evaluationsOf, shapeKey, stepTimes, trusted, type MachineTimings } from "./step-times.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-step-times-"));
let backend: BackendInfo;
const tiny: RunConfig = { ...DEFAULTS, batch_size: 16, gen_width: 8, dis_width: 8, max_width: 16, latent_dim: 8 };
const deeper: RunConfig = { ...tiny, gen_layers: 4 };

beforeAll(async () => {
  backend = await selectBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const keyOf = (b: BackendInfo) => `${machineId()}|${b.name}|${b.provider}`;
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Record<string, MachineTimings>;

describe("trusted", () => {
  it("trusts a figure measured at any load up to the cores, and at the same load as now", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 2, noNaN: true }), fc.double({ min: 0, max: 64, noNaN: true }), (measured, now) => {
        expect(trusted(measured, now, 2)).toBe(true);
        expect(trusted(now, now, 2)).toBe(true);
      }),
    );
  });

  it("distrusts a figure measured under a much heavier load than now — load 26 on 2 cores against load 1 — and never a lighter one", () => {
    expect(trusted(26, 1, 2)).toBe(false);
    expect(trusted(2 * MAX_CONTENTION_RATIO * 1.01, 2, 2)).toBe(false);
    expect(trusted(undefined, 1, 2)).toBe(false);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 64, noNaN: true }), fc.double({ min: 0, max: 64, noNaN: true }), (a, b) => {
        expect(trusted(Math.min(a, b), Math.max(a, b), 2)).toBe(true);
      }),
    );
  });
});

describe("evaluationsOf", () => {
  it("counts every eval_every-th epoch and the last", () => {
    expect(evaluationsOf({ epochs: 100, eval_every: 5 })).toBe(20);
    expect(evaluationsOf({ epochs: 7, eval_every: 5 })).toBe(2);
    expect(evaluationsOf({ epochs: 3, eval_every: 5 })).toBe(1);
  });
});

describe("shapeKey", () => {
  it("keeps fp32's keys (cached figures stay valid) and gives bf16 its own", () => {
    expect(shapeKey({ ...tiny, precision: "fp32" })).toBe(shapeKey(tiny));
    expect(shapeKey(tiny)).toBe(JSON.stringify({ g: [8, 8, 16, 784], d: [784, 8, 1], batch: 16, act: "relu", drop: [false, false] }));
    expect(shapeKey({ ...tiny, precision: "bf16" })).not.toBe(shapeKey(tiny));
  });
});

describe("stepTimes", () => {
  it("measures each distinct shape once, caches it, and reads it back at a similar load", async () => {
    const cacheFile = path.join(tmp, "a", "step-times.json");
    const first = await stepTimes([tiny, { ...tiny, seed: 3, gen_lr: 1e-3 }, deeper], { backend, cacheFile, loadNow: () => 1, cores: 2 });
    expect(first).toMatchObject({ measured: 2, cached: 0, remeasured: 0, loadavg: 1, loadFactor: undefined });
    expect(first.steps.size).toBe(2);
    for (const cfg of [tiny, deeper]) expect(first.secsPerStep(cfg)).toBeGreaterThan(0);
    expect(first.secsPerStep({ ...tiny, seed: 9 })).toBe(first.secsPerStep(tiny));
    expect(() => first.secsPerStep({ ...tiny, gen_layers: 9 })).toThrow(/no step time for .*"g":\[8,8,16/);
    const onDisk = read(cacheFile)[keyOf(backend)]!;
    expect(onDisk.steps[shapeKey(tiny)]).toMatchObject({ secsPerStep: first.secsPerStep(tiny), loadavg: 1 });

    const again = await stepTimes([tiny, deeper], { backend, cacheFile, loadNow: () => 1.4, cores: 2 });
    expect(again).toMatchObject({ measured: 0, cached: 2, remeasured: 0 });
    expect(again.secsPerStep(deeper)).toBe(first.secsPerStep(deeper));
    // The cheaper cached shape timed again now: the figures' slowdown at today's load, measured.
    // (Which of two networks this small is cheaper is up to the load's jitter.)
    const cheaper = first.secsPerStep(tiny) <= first.secsPerStep(deeper) ? tiny : deeper;
    expect(again.loadFactor).toMatchObject({ shape: shapeKey(cheaper), cachedSecs: first.secsPerStep(cheaper), loadavg: 1.4 });
    expect(again.loadFactor!.factor).toBeCloseTo(again.loadFactor!.nowSecs / again.loadFactor!.cachedSecs, 12);
  });

  it("measures again what was measured under a much heavier load, keeps what was measured under a lighter one, and keeps other machines' entries", async () => {
    const cacheFile = path.join(tmp, "b.json");
    const stale = { secsPerStep: 99, measuredAt: "2026-12-01T09:00:00.000Z", loadavg: 26 };
    const quiet = { secsPerStep: 0.5, measuredAt: "2026-12-01T09:00:00.000Z", loadavg: 0.5 };
    const other: MachineTimings = { machine: "elsewhere", backend: "wasm", steps: { x: quiet } };
    writeFileSync(cacheFile, JSON.stringify({ [keyOf(backend)]: { machine: machineId(), backend: "b", steps: { [shapeKey(tiny)]: stale, [shapeKey(deeper)]: quiet } }, other }));
    const notes: string[] = [];
    const t = await stepTimes([tiny, deeper], { backend, cacheFile, loadNow: () => 4, cores: 2, log: (l) => notes.push(l) });
    expect(t).toMatchObject({ measured: 0, remeasured: 1, cached: 1 });
    // The heavy-load figure is replaced by a real measurement of a network with a few hundred weights.
    expect(t.secsPerStep(tiny)).toBeLessThan(5);
    expect(t.secsPerStep(deeper)).toBe(0.5);
    // Only `deeper` came from the cache, at a made-up 0.5 s: timed again it is far faster.
    expect(t.loadFactor).toMatchObject({ shape: shapeKey(deeper), cachedSecs: 0.5 });
    expect(t.loadFactor!.factor).toBeLessThan(1);
    expect(notes.join("\n")).toMatch(/measured at load 26 \(2026-12-01T09:00:00.000Z\); load is 4 now, measuring again/);
    const file = read(cacheFile);
    expect(file["other"]).toEqual(other);
    expect(file[keyOf(backend)]!.steps[shapeKey(tiny)]).toMatchObject({ loadavg: 4 });
    expect(file[keyOf(backend)]!.steps[shapeKey(deeper)]).toEqual(quiet);
  });
});
