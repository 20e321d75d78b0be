import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CLASS_COUNT, RECORD_KEYS, classShareKey, experiment, isRecordKey, type RunPlan } from "@ganscope/dsl";
import { DEFAULT_CLASSIFIER, TEST_CLASSIFIER, VERDICTS } from "@ganscope/metrics";
import { loadDataset } from "@ganscope/data";
import { createGan, selectBackend, type BackendInfo } from "@ganscope/models";
import { RunStore, type EpochRecord, type Span } from "@ganscope/tracking";
import { MetricsHook, classifierFromEnv } from "./metrics-hook.js";
import type { RunOutcome } from "./run-outcome.js";
import { trainRun } from "./train-run.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-metrics-hook-"));
let backend: BackendInfo;
let plan: RunPlan;
// The small test classifier (cached in .cache/ganscope after its first training) and 500 samples: a second per evaluation.
const hook = () => new MetricsHook({ classifier: TEST_CLASSIFIER, samples: 500, log: () => {} });

beforeAll(async () => {
  backend = await selectBackend();
  plan = experiment("metrics-hook")
    .fix({ limit: 128, batch_size: 64, gen_width: 32, dis_width: 32, max_width: 64, eval_every: 2 })
    .epochs(3)
    .compile();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function train(results: string): Promise<{ outcome: RunOutcome; records: EpochRecord[]; summary: Record<string, unknown> }> {
  const spec = plan.runs[0]!;
  const outcome = await trainRun(spec, { resultsDir: results, experiment: plan.experiment, backend, hooks: [hook()] });
  const dir = new RunStore(results).run(plan.experiment, spec.runId);
  return { outcome, records: await dir.readRecords(), summary: JSON.parse(readFileSync(dir.file("summary.json"), "utf8")) };
}

describe("MetricsHook", () => {
  it("evaluates every eval_every epochs and after the last, and writes the verdict with evidence to summary.json", async () => {
    const { outcome, records, summary } = await train(path.join(tmp, "a"));
    expect(outcome.status).toBe("done");
    expect(records.map((r) => r["fid_lite"] !== undefined)).toEqual([false, true, true]);
    for (const r of records.slice(1)) {
      expect(r["fid_lite"]).toBeGreaterThan(0);
      expect(r["modes"]).toBeGreaterThanOrEqual(0);
      expect(r["modes"]).toBeLessThanOrEqual(10);
      expect(r["is_lite"]).toBeGreaterThanOrEqual(1);
      const shares = Array.from({ length: 10 }, (_, k) => r[classShareKey(k)]!);
      expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      // KID, density/coverage, precision/recall and confidence beside FID-lite (issue 13).
      for (const key of ["kid", "kid_std", "density", "coverage", "precision", "recall", "confidence"] as const) expect(r[key], key).toBeTypeOf("number");
      for (const key of ["coverage", "precision", "recall", "confidence"] as const) expect(r[key]! >= 0 && r[key]! <= 1, `${key} = ${r[key]}`).toBe(true);
    }
    // The record schema and a real run agree: no key written that the schema lacks, no schema key that no record carries.
    const written = new Set(records.flatMap((r) => Object.keys(r)));
    expect([...written].filter((k) => !isRecordKey(k)), "keys the record schema does not know").toEqual([]);
    const declared = [...RECORD_KEYS, ...Array.from({ length: CLASS_COUNT }, (_, k) => classShareKey(k))];
    expect(declared.filter((k) => !written.has(k)), "schema keys no record carries").toEqual([]);
    expect(VERDICTS).toContain(summary["verdict"]);
    expect((summary["verdict_reasons"] as string[]).length).toBeGreaterThan(0);
    expect(summary).toMatchObject({ metrics: { final: { epoch: 3, fid_lite: records[2]!["fid_lite"], kid: records[2]!["kid"], coverage: records[2]!["coverage"] }, evaluations: 2, samples: 500 } });
    expect(outcome.status === "done" && outcome.summary?.["verdict"]).toBe(summary["verdict"]);
  });

  it("measures on fixed noise: evaluating the same generator twice records the same numbers", async () => {
    const spec = plan.runs[0]!;
    const gan = createGan(spec.config);
    const ctx = { spec, experiment: plan.experiment, file: undefined, dir: tmp, backend, epoch: 3, gan, test: loadDataset("mnist", { split: "test" }), records: [], mustEvaluate: true };
    const h = hook();
    await h.onStart(ctx);
    const first = await h.evaluate(ctx);
    const second = await h.evaluate(ctx);
    gan.dispose();
    expect(first["fid_lite"]).toBeGreaterThan(0);
    expect(second).toEqual(first);
    // Off the cadence (epoch 1 of 3, eval_every 2) it measures nothing.
    expect(await h.evaluate({ ...ctx, epoch: 1, mustEvaluate: false })).toEqual({});
    // A run's last epoch (its target, a halving rung, a stop) is measured whatever the cadence.
    expect((await h.evaluate({ ...ctx, epoch: 1, mustEvaluate: true }))["fid_lite"]).toBe(first["fid_lite"]);
  });
});

describe("span log (GANSCOPE_SPANS, for the bench)", () => {
  it("times every part of a run and leaves its records as they are without it", async () => {
    const plain = await train(path.join(tmp, "no-spans"));
    const file = path.join(tmp, "spans.jsonl");
    vi.stubEnv("GANSCOPE_SPANS", file);
    const timed = await train(path.join(tmp, "spans")).finally(() => vi.unstubAllEnvs());
    const withoutSecs = (rs: EpochRecord[]) => rs.map((r) => ({ ...r, secs: 0 }));
    expect(withoutSecs(timed.records)).toEqual(withoutSecs(plain.records));
    expect(timed.summary["verdict"]).toBe(plain.summary["verdict"]);

    const spans = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Span);
    const count = (name: string) => spans.filter((s) => s.span === name).length;
    // A fresh hook: its evaluator is prepared once, in the run's start; 3 epochs, evaluated at 2 and 3, a grid every 5 epochs and at the last.
    expect(Object.fromEntries(["run.open", "run.hooks-start", "evaluator.classifier", "evaluator.reference", "train", "evaluate", "record", "grid", "checkpoint", "summary"].map((n) => [n, count(n)]))).toEqual({
      "run.open": 1,
      "run.hooks-start": 1,
      "evaluator.classifier": 1,
      "evaluator.reference": 1,
      train: 3,
      evaluate: 2,
      record: 3,
      grid: 1,
      checkpoint: 3,
      summary: 1,
    });
    const runId = plan.runs[0]!.runId;
    for (const s of spans) {
      expect(s.ms).toBeGreaterThanOrEqual(0);
      expect(s.pid).toBe(process.pid);
      if (!s.span.startsWith("evaluator.")) expect(s.runId).toBe(runId);
    }
    expect(spans.filter((s) => s.span === "evaluate").map((s) => s.epoch)).toEqual([2, 3]);
    // The epoch's own clock and its span agree.
    const trainSecs = spans.filter((s) => s.span === "train").map((s) => s.ms / 1000);
    expect(trainSecs).toHaveLength(timed.records.length);
    trainSecs.forEach((secs, i) => expect(secs).toBeCloseTo(timed.records[i]!.secs, 9));
  });
});

describe("classifierFromEnv", () => {
  it("picks the full classifier by default (inside vitest too), the small one only when asked, and refuses other names", () => {
    expect(classifierFromEnv({})).toBe(DEFAULT_CLASSIFIER);
    // No test switch: being inside vitest does not change what production code picks.
    expect(classifierFromEnv({ VITEST: "true" })).toBe(DEFAULT_CLASSIFIER);
    expect(classifierFromEnv({ GANSCOPE_CLASSIFIER: "test" })).toBe(TEST_CLASSIFIER);
    expect(classifierFromEnv({ GANSCOPE_CLASSIFIER: "default" })).toBe(DEFAULT_CLASSIFIER);
    expect(() => classifierFromEnv({ GANSCOPE_CLASSIFIER: "big" })).toThrow(/GANSCOPE_CLASSIFIER must be "default" or "test", got "big"/);
  });
});
