#!/usr/bin/env -S npx tsx
/**
 * Prints the README's per-epoch calibration table of one single-run
 * experiment from its store: steps, FID-lite, KID ± std, coverage, density,
 * precision, recall, confidence, the epoch's wall time and the verdict the
 * records up to that epoch get — the numbers to read beside each epoch's
 * sample grid when labelling it.
 *
 *   npx tsx libs/metrics/src/agreement/calibration-table.ts /tmp/calib-runs/calib-combined-full
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import type { RecordKey } from "@ganscope/dsl";
import { judgeRun, type TrainingRecord } from "../verdict.js";

const dir = process.argv[2];
if (!dir || !existsSync(dir)) {
  console.error(`calibration-table: give an experiment's folder in a results store (got ${dir ?? "nothing"})`);
  process.exit(2);
}
const runs = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, "metrics.jsonl")));
if (runs.length !== 1) {
  console.error(`calibration-table: ${dir}: expected one run folder with metrics.jsonl, found ${runs.length}`);
  process.exit(2);
}
const records = readFileSync(path.join(dir, runs[0]!.name, "metrics.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l) as TrainingRecord);
const f = (r: TrainingRecord, k: RecordKey, digits: number) => {
  const v = r[k];
  return typeof v === "number" ? v.toFixed(digits) : "–";
};
console.log(`${path.basename(dir)}/${runs[0]!.name}`);
console.log("| epoch | steps | FID-lite | KID ± std | coverage | density | precision | recall | confidence | wall time | verdict |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
let steps = 0;
records.forEach((r, i) => {
  steps += r["steps"] ?? 0;
  const verdict = judgeRun(records.slice(0, i + 1)).verdict;
  console.log(
    `| ${r.epoch} | ${steps} | ${f(r, "fid_lite", 1)} | ${f(r, "kid", 2)} ± ${f(r, "kid_std", 2)} | ${f(r, "coverage", 3)} | ${f(r, "density", 2)} | ${f(r, "precision", 2)} | ${f(r, "recall", 3)} | ${f(r, "confidence", 3)} | ${f(r, "secs", 0)} s | ${verdict} |`,
  );
});
