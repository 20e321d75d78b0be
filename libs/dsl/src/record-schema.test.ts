import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BOOKKEEPING_KEYS,
  CLASS_COUNT,
  EVALUATION_KEYS,
  RANKED_KEYS,
  RECORD_KEYS,
  RECORD_SCHEMA,
  STEP_STAT_KEYS,
  TRAINING_KEYS,
  classShareKey,
  compareRecordKeys,
  directionOf,
  isRecordKey,
  metricLabel,
  metricSpec,
  mlflowMetricName,
  recordKeyOfMlflow,
  valueAt,
} from "./record-schema.js";

const anyKey = fc.oneof(fc.constantFrom(...RECORD_KEYS), fc.nat({ max: 30 }).map(classShareKey), fc.string());

describe("the record schema", () => {
  it("partitions the fixed keys: every key is a training key or an evaluation key, never both", () => {
    expect([...TRAINING_KEYS, ...EVALUATION_KEYS].sort()).toEqual([...RECORD_KEYS].sort());
    expect(TRAINING_KEYS.filter((k) => (EVALUATION_KEYS as readonly string[]).includes(k))).toEqual([]);
  });

  it("keeps the derived lists inside their parents", () => {
    for (const k of STEP_STAT_KEYS) expect(TRAINING_KEYS).toContain(k);
    for (const k of RANKED_KEYS) expect(EVALUATION_KEYS).toContain(k);
    for (const k of RANKED_KEYS) expect(RECORD_SCHEMA[k].direction).not.toBe("neither");
    expect(BOOKKEEPING_KEYS).toEqual(["epoch", "steps", "secs"]);
    expect(STEP_STAT_KEYS).toEqual(["d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"]);
  });

  it("gives every key a label and a column header, the headers distinct (a table shows them side by side)", () => {
    for (const k of RECORD_KEYS) expect(RECORD_SCHEMA[k].label.length * RECORD_SCHEMA[k].short.length, k).toBeGreaterThan(0);
    const shorts = RECORD_KEYS.map((k) => RECORD_SCHEMA[k].short);
    expect(new Set(shorts).size).toBe(shorts.length);
  });

  it("knows the class-share family and nothing it does not declare", () => {
    for (let k = 0; k < CLASS_COUNT; k++) expect(metricSpec(classShareKey(k))).toMatchObject({ kind: "class_share", source: "evaluation", label: `share of class ${k}` });
    for (const unknown of ["accuracy", "modes_covered", "diversity_ratio", "class_share_", "class_share_x", "constructor", "toString"]) {
      expect(isRecordKey(unknown), unknown).toBe(false);
      expect(metricLabel(unknown)).toBe(unknown);
      expect(directionOf(unknown)).toBe("neither");
    }
  });

  it("maps a record key to its MLflow name and back, and no MLflow name to two keys", () => {
    fc.assert(
      fc.property(anyKey, (key) => {
        const back = recordKeyOfMlflow(mlflowMetricName(key));
        if (isRecordKey(key) && key !== "epoch") expect(back).toBe(key);
        else expect(back).toBeUndefined();
      }),
    );
    expect(mlflowMetricName("class_share_7")).toBe("share_class_7");
    // Runs logged before share_class_k read back too.
    expect(recordKeyOfMlflow("class_share/7")).toBe("class_share_7");
    expect(recordKeyOfMlflow("final/fid_lite")).toBeUndefined();
    expect(recordKeyOfMlflow("best/class_share/2")).toBeUndefined();
  });

  it("orders keys totally: record order, then class shares by class, then the rest by name", () => {
    fc.assert(
      fc.property(anyKey, anyKey, anyKey, (a, b, c) => {
        expect(Math.sign(compareRecordKeys(a, b))).toBe(-Math.sign(compareRecordKeys(b, a)) || 0);
        if (compareRecordKeys(a, b) <= 0 && compareRecordKeys(b, c) <= 0) expect(compareRecordKeys(a, c)).toBeLessThanOrEqual(0);
        expect(compareRecordKeys(a, b) === 0).toBe(a === b);
      }),
    );
    expect(["class_share_10", "zz", "fid_lite", "class_share_2", "epoch"].sort(compareRecordKeys)).toEqual(["epoch", "fid_lite", "class_share_2", "class_share_10", "zz"]);
  });

  it("reads a value at a run-time key: stored null is NaN, absent is undefined", () => {
    const r = { epoch: 1, steps: 2, d_loss: 1, g_loss: 1, d_real: 0.5, d_fake: 0.5, d_grad_norm: 1, g_grad_norm: 1, secs: 0.1, fid_lite: null as unknown as number };
    expect(valueAt(r, "d_loss")).toBe(1);
    expect(valueAt(r, "fid_lite")).toBeNaN();
    expect(valueAt(r, "kid")).toBeUndefined();
  });
});
