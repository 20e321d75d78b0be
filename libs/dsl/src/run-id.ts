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
 * The run id of a resolved config: the first 12 hex digits (48 bits) of the
 * SHA-256 of its canonical JSON. The dataset is a field of the config, so the
 * same hyperparameters on two datasets are two runs, while the same config in
 * two experiments is one run (trained once, shared).
 *
 * 48 bits keep folder names short; a birthday collision needs ~16 million runs.
 *
 * @example
 * runId({ ...DEFAULTS, gen_lr: 1e-3 }) // e.g. "3f9a0c41d2b7"
 */
export function runId(config: Readonly<RunConfig>): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex").slice(0, 12);
}
