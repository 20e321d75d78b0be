import { createHash } from "node:crypto";
import type { RunConfig } from "./hyperparameters.js";

/**
 * The one serialisation that run ids are computed from: object keys sorted at
 * every depth, no whitespace, `-0` written as `0`.
 *
 * Numbers need no further normalising: `2e-4` and `0.0002` are the same double
 * once parsed, and `JSON.stringify` prints every double in its shortest
 * round-tripping form, so equal numbers always print alike.
 *
 * Throws on values JSON cannot carry faithfully (NaN and ±Infinity would all
 * become `null` and collide; functions, symbols and bigints would vanish or throw later).
 * Properties whose value is `undefined` are skipped, as `JSON.stringify` does,
 * so a config hashes the same before and after a trip through a JSON file.
 *
 * @example
 * canonicalJson({ b: 2e-4, a: -0 }) // '{"a":0,"b":0.0002}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: cannot hash the non-finite number ${value}`);
      return Object.is(value, -0) ? "0" : JSON.stringify(value);
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v: unknown) => canonicalJson(v)).join(",")}]`;
      const record = value as Record<string, unknown>;
      const fields = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
      return `{${fields.join(",")}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot hash a value of type ${typeof value}`);
  }
}

/**
 * The keys that schedule a run rather than decide its trajectory: how long it
 * trains and how often it is sampled and evaluated. Per-step seeds and batches
 * are functions of (seed, step) only, so a run trained to 20 epochs and then
 * to 100 is the run trained to 100 in one go.
 */
export const SCHEDULE_KEYS = ["epochs", "sample_every", "eval_every"] as const satisfies readonly (keyof RunConfig)[];

/**
 * The config less its schedule: what a run id hashes. `precision` counts only
 * when it is not the default: it came after thousands of fp32 runs were
 * stored, and `{ precision: "fp32" }` is the very run they trained.
 */
export function trajectoryOf(config: Readonly<RunConfig>): Omit<RunConfig, (typeof SCHEDULE_KEYS)[number]> {
  const out: Record<string, unknown> = { ...config };
  for (const key of SCHEDULE_KEYS) delete out[key];
  if (out.precision === "fp32") delete out.precision;
  return out as Omit<RunConfig, (typeof SCHEDULE_KEYS)[number]>;
}

const hash12 = (value: unknown) => createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 12);

/**
 * The run id of a resolved config: the first 12 hex digits (48 bits) of the
 * SHA-256 of the canonical JSON of what decides its trajectory (architecture,
 * activations, dropouts, learning rates, betas, batch size, seed, dataset and
 * limit, latent size and widths) — not its schedule ({@link SCHEDULE_KEYS}).
 * The same config in two experiments is one run (trained once, shared), and
 * the same run asked for more epochs is extended, not retrained.
 *
 * 48 bits keep folder names short; a birthday collision needs ~16 million runs.
 *
 * @example
 * runId({ ...DEFAULTS, gen_lr: 1e-3 }) === runId({ ...DEFAULTS, gen_lr: 1e-3, epochs: 5 }) // true
 */
export function runId(config: Readonly<RunConfig>): string {
  return hash12(trajectoryOf(config));
}

/**
 * The id stores written before schedule-free ids gave a config (the whole
 * config hashed, schedule included); the runner migrates such folders.
 */
export function legacyRunId(config: Readonly<RunConfig>): string {
  return hash12(config);
}
