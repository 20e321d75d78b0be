import fc from "fast-check";
import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { DEFAULTS, SCHEDULE_KEYS, canonicalJson, legacyRunId, runId, trajectoryOf, type RunConfig } from "./index.js";
import { runConfigArb } from "./testing.js";

/** The same config with its keys in another order. */
const reordered = (cfg: RunConfig, order: readonly string[]) =>
  Object.fromEntries(order.map((k) => [k, cfg[k as keyof RunConfig]])) as unknown as RunConfig;

/** The JSON text of a config with every number spelt in exponent form (0.0002 → 2e-4). */
const exponentJson = (cfg: RunConfig) =>
  `{${Object.entries(cfg)
    .map(([k, v]) => `${JSON.stringify(k)}:${typeof v === "number" ? v.toExponential() : JSON.stringify(v)}`)
    .join(",")}}`;

describe("canonicalJson", () => {
  test("sorts keys at every depth and writes -0 as 0", () => {
    expect(canonicalJson({ b: [1, { d: 2, c: -0 }], a: "x" })).toBe('{"a":"x","b":[1,{"c":0,"d":2}]}');
  });

  test("skips undefined properties, as JSON does", () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  test.each([NaN, Infinity, -Infinity, 1n, () => 1, Symbol("s")])("refuses %s instead of hashing it as null or nothing", (v) => {
    expect(() => canonicalJson({ a: v })).toThrow(TypeError);
  });
});

describe("runId", () => {
  test("is pinned: 12 hex digits of sha256 over the canonical JSON", () => {
    // If this changes, every stored run id changes: finished runs would be retrained.
    expect(runId({ gen_lr: 2e-4, dataset: "mnist", activation: "relu" } as unknown as RunConfig)).toBe("c08552376fff");
    expect(runId(DEFAULTS)).toMatch(/^[0-9a-f]{12}$/);
  });

  test("is stable under key order", () => {
    fc.assert(
      fc.property(
        runConfigArb().chain((cfg) => fc.tuple(fc.constant(cfg), fc.shuffledSubarray(Object.keys(cfg), { minLength: Object.keys(cfg).length }))),
        ([cfg, order]) => {
          expect(runId(reordered(cfg, order))).toBe(runId(cfg));
        },
      ),
    );
  });

  test("is stable under number spelling (2e-4 vs 0.0002) and the sign of zero", () => {
    expect(runId({ ...DEFAULTS, gen_lr: JSON.parse("2e-4") as number })).toBe(runId({ ...DEFAULTS, gen_lr: JSON.parse("0.0002") as number }));
    expect(runId({ ...DEFAULTS, gen_dropout: -0 })).toBe(runId({ ...DEFAULTS, gen_dropout: 0 }));
    fc.assert(
      fc.property(runConfigArb(), (cfg) => {
        expect(runId(JSON.parse(exponentJson(cfg)) as RunConfig)).toBe(runId(cfg));
      }),
    );
  });

  test("differs for configs whose trajectories differ", () => {
    fc.assert(
      fc.property(runConfigArb(), runConfigArb(), (a, b) => {
        fc.pre(canonicalJson(trajectoryOf(a)) !== canonicalJson(trajectoryOf(b)));
        expect(runId(a)).not.toBe(runId(b));
      }),
    );
  });

  test("ignores the schedule: epochs, sample_every and eval_every change no run id", () => {
    fc.assert(
      fc.property(runConfigArb(), runConfigArb(), (a, b) => {
        const rescheduled = { ...a, ...Object.fromEntries(SCHEDULE_KEYS.map((k) => [k, b[k]])) };
        expect(runId(rescheduled)).toBe(runId(a));
      }),
    );
    expect(runId({ ...DEFAULTS, epochs: 20 })).toBe(runId({ ...DEFAULTS, epochs: 100, sample_every: 1, eval_every: 2 }));
  });

  test("the legacy id (schedule included) is what stores before schedule-free ids used", () => {
    // The config of libs/training/src/fixtures/legacy-store, whose folder the code of c64c49d named 80ffeda8798c.
    const fixture = { ...DEFAULTS, gen_layers: 2, dis_layers: 2, batch_size: 64, limit: 128, latent_dim: 8, gen_width: 16, dis_width: 16, max_width: 16, epochs: 2, sample_every: 1, eval_every: 1 };
    expect(legacyRunId(fixture)).toBe("80ffeda8798c");
    expect(runId(fixture)).not.toBe("80ffeda8798c");
  });

  test("differs when any one trajectory key changes, the dataset included", () => {
    const trajectoryKeys = (Object.keys(DEFAULTS) as (keyof RunConfig)[]).filter((k) => !(SCHEDULE_KEYS as readonly string[]).includes(k));
    fc.assert(
      fc.property(runConfigArb(), runConfigArb(), fc.constantFrom(...trajectoryKeys), (a, b, key) => {
        const changed = { ...a, [key]: b[key] };
        fc.pre(canonicalJson(changed[key]) !== canonicalJson(a[key]));
        expect(runId(changed)).not.toBe(runId(a));
      }),
    );
    expect(runId({ ...DEFAULTS, dataset: "fashion-mnist" })).not.toBe(runId(DEFAULTS));
  });
});

describe("runId and precision (added after thousands of runs were stored)", () => {
  /** The id as computed before precision existed: sha256 of the canonical JSON of the config less its schedule. */
  const idBeforePrecision = (cfg: RunConfig) => {
    const rest: Record<string, unknown> = { ...cfg };
    for (const k of SCHEDULE_KEYS) delete rest[k];
    return createHash("sha256").update(canonicalJson(rest)).digest("hex").slice(0, 12);
  };

  test("a config without precision, or with the default fp32, hashes as before", () => {
    fc.assert(
      fc.property(runConfigArb(), (cfg) => {
        expect(runId(cfg)).toBe(idBeforePrecision(cfg));
        expect(runId({ ...cfg, precision: "fp32" })).toBe(idBeforePrecision(cfg));
        expect(runId({ ...cfg, precision: undefined })).toBe(idBeforePrecision(cfg));
      }),
    );
    // A run of the committed seed-study evidence (docs/evidence/seed-study-digits): (3, 3), seed 1.
    const stored = { ...DEFAULTS, dis_layers: 3, epochs: 10, seed: 1 };
    expect(runId(stored)).toBe("02f0cda1946c");
    expect(runId({ ...stored, precision: "fp32" })).toBe("02f0cda1946c");
  });

  test("bf16 is another run", () => {
    fc.assert(
      fc.property(runConfigArb(), (cfg) => {
        expect(runId({ ...cfg, precision: "bf16" })).not.toBe(runId(cfg));
      }),
    );
  });
});
