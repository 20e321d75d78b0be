#!/usr/bin/env -S npx tsx
/**
 * How long one evaluation takes (what the metrics hook runs every eval_every
 * epochs): 2000 held-out digits through the default classifier, FID-lite,
 * collapse measures, IS-lite, and KID/density/coverage/precision/recall,
 * against the part the latter add (compareToReference alone), in
 * interleaved rounds; medians, and the load average while it ran.
 *
 *   nice -n 10 npx tsx bench/evaluation.ts [--rounds 7]
 */
import os from "node:os";
import { loadDataset } from "@ganscope/data";
import { selectBackend } from "@ganscope/models";
import { DEFAULT_CLASSIFIER, EVAL_SAMPLES, compareToReference, evaluateImages, loadOrTrainClassifier, realReference, sampleImages } from "@ganscope/metrics";

const i = process.argv.indexOf("--rounds");
const rounds = i >= 0 ? Number(process.argv[i + 1]) : 7;
await selectBackend();
const { classifier } = await loadOrTrainClassifier("mnist", DEFAULT_CLASSIFIER);
const test = loadDataset("mnist", { split: "test" });
let t = performance.now();
const reference = await realReference(classifier, sampleImages(test, EVAL_SAMPLES).images);
const referenceMs = performance.now() - t;
const images = sampleImages(test, EVAL_SAMPLES, undefined, EVAL_SAMPLES).images;
const embedded = await classifier.embed(images);
const full: number[] = [];
const added: number[] = [];
const load: number[] = [];
for (let r = 0; r < rounds; r++) {
  t = performance.now();
  await evaluateImages(classifier, reference, images);
  full.push(performance.now() - t);
  t = performance.now();
  await compareToReference(reference.features, { data: embedded.features, dim: embedded.featureDim });
  added.push(performance.now() - t);
  load.push(os.loadavg()[0]!);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const f = median(full);
const a = median(added);
console.log(`reference (embed ${EVAL_SAMPLES} real digits, k-NN radii, kernel): ${referenceMs.toFixed(0)} ms, once per worker`);
console.log(`one evaluation of ${EVAL_SAMPLES} images: median ${f.toFixed(0)} ms (range ${Math.min(...full).toFixed(0)}–${Math.max(...full).toFixed(0)}) of ${rounds}`);
console.log(`  of which KID + density/coverage + precision/recall: median ${a.toFixed(0)} ms (${((100 * a) / f).toFixed(0)}%); the rest (embed, FID-lite, collapse, IS-lite): ~${(f - a).toFixed(0)} ms`);
console.log(`load average (1 min) during the rounds: median ${median(load).toFixed(1)} on ${os.cpus().length} cores`);
classifier.dispose();
