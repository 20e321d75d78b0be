#!/usr/bin/env -S npx tsx
/**
 * Calibrates the metrics on real data and prints what the README reports:
 * the classifier's held-out accuracy, FID-lite for real-vs-real (disjoint
 * halves of the shuffled test split), real-vs-noise and a blur/shift
 * corruption ladder, IS-lite on real digits, the collapse measures of real,
 * single-class and repeated-image sets, KID, density/coverage,
 * precision/recall and confidence of each, and how long one evaluation takes.
 *
 *   npx tsx libs/metrics/src/calibrate.ts [--dataset mnist] [--classifier default|test] [--samples 2000]
 */
import { loadDataset, mulberry32 } from "@ganscope/data";
import type { DatasetId } from "@ganscope/dsl";
import { selectBackend } from "@ganscope/models";
import { loadOrTrainClassifier } from "./classifier-cache.js";
import { blurImages, noiseImages, shiftImages } from "./corruptions.js";
import { DEFAULT_CLASSIFIER, TEST_CLASSIFIER } from "./digit-classifier.js";
import { EVAL_SAMPLES, evaluateImages, realReference, sampleImages, type SampleEvaluation } from "./evaluate.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const dataset = arg("dataset", "mnist") as DatasetId;
const spec = arg("classifier", "default") === "test" ? TEST_CLASSIFIER : DEFAULT_CLASSIFIER;
const samples = Number(arg("samples", String(EVAL_SAMPLES)));

const backend = await selectBackend();
console.log(`backend ${backend.name} (${backend.provider})`);
const { classifier, info, trained } = await loadOrTrainClassifier(dataset, spec, { log: (l) => console.log(l) });
const test = loadDataset(dataset, { split: "test" });
console.log(
  `classifier ${spec.hidden.join("→")} (${info.file}): test accuracy ${(100 * info.testAccuracy).toFixed(2)}% on ${test.count} held-out images, ` +
    `trained in ${info.trainSecs.toFixed(0)} s on ${info.backend}${trained ? "" : " (from cache)"}`,
);
const { rows, cols } = test;

const line = (name: string, e: SampleEvaluation) =>
  console.log(
    `${name.padEnd(26)} FID-lite ${e.fidLite.toFixed(2).padStart(8)}  IS-lite ${e.isLite.toFixed(2).padStart(5)}  modes ${String(e.modes).padStart(2)}  ` +
      `max share ${e.maxClassShare.toFixed(3)}  KL ${e.klUniform.toFixed(3)}  diversity ${e.diversity.toFixed(3)}  ${e.collapsed ? "COLLAPSED" : "ok"}  ` +
      `KID ${e.kid.toFixed(3)} ± ${e.kidStd.toFixed(3)}  density ${e.density.toFixed(3)}  coverage ${e.coverage.toFixed(3)}  precision ${e.precision.toFixed(3)}  recall ${e.recall.toFixed(3)}  confidence ${e.confidence.toFixed(3)}`,
  );

console.log("\nreal-vs-real by N (two disjoint shuffled halves of the test split):");
for (const n of [250, 500, 1000, 2000, 5000].filter((n) => n > classifier.featureDim && 2 * n <= test.count)) {
  const ref = await realReference(classifier, sampleImages(test, n).images);
  const other = await evaluateImages(classifier, ref, sampleImages(test, n, undefined, n).images);
  const noise = await evaluateImages(classifier, ref, noiseImages(n, rows * cols, mulberry32(5)));
  console.log(
    `  N=${String(n).padStart(4)}: real-vs-real ${other.fidLite.toFixed(2).padStart(7)}   real-vs-noise ${noise.fidLite.toFixed(1)}   ratio ${(other.fidLite / noise.fidLite).toExponential(2)}   ` +
      `KID real-vs-real ${other.kid.toFixed(4)} ± ${other.kidStd.toFixed(4)} (real-vs-noise ${noise.kid.toFixed(3)})   coverage ${other.coverage.toFixed(3)}   density ${other.density.toFixed(3)}`,
  );
}

console.log(`\nat N=${samples}:`);
const refImages = sampleImages(test, samples);
const reference = await realReference(classifier, refImages.images);
const other = sampleImages(test, samples, undefined, Math.min(samples, test.count - samples));
line("real (other half)", await evaluateImages(classifier, reference, other.images));
line("uniform noise", await evaluateImages(classifier, reference, noiseImages(samples, rows * cols, mulberry32(5))));
for (const sigma of [0.5, 1, 1.5, 2, 3]) line(`blur σ=${sigma}`, await evaluateImages(classifier, reference, blurImages(other.images, rows, cols, sigma)));
line("noise blobs (blur σ=3 of noise)", await evaluateImages(classifier, reference, blurImages(noiseImages(samples, rows * cols, mulberry32(6)), rows, cols, 3)));
for (const d of [1, 2, 3, 4, 6]) line(`shift ${d} px right`, await evaluateImages(classifier, reference, shiftImages(other.images, rows, cols, d, 0)));

const size = rows * cols;
const pick = (predicate: (label: number) => boolean) => {
  const out = new Float32Array(samples * size);
  let k = 0;
  for (let i = 0; k < samples; i = (i + 1) % other.labels.length) {
    if (predicate(other.labels[i]!)) out.set(other.images.subarray(i * size, (i + 1) * size), size * k++);
  }
  return out;
};
line("real, only 1s", await evaluateImages(classifier, reference, pick((l) => l === 1)));
line("real, only 1s and 7s", await evaluateImages(classifier, reference, pick((l) => l === 1 || l === 7)));
line("real, no 0/5/8", await evaluateImages(classifier, reference, pick((l) => l !== 0 && l !== 5 && l !== 8)));
const firstOfEach = Array.from({ length: 10 }, (_, c) => other.labels.indexOf(c));
const repeated = new Float32Array(samples * size);
for (let k = 0; k < samples; k++) {
  const i = firstOfEach[k % 10]!;
  repeated.set(other.images.subarray(i * size, (i + 1) * size), k * size);
}
line("one real image per class ×", await evaluateImages(classifier, reference, repeated));

const all = await classifier.embed(test.images);
const { inceptionScoreLite } = await import("./inception-score.js");
console.log(`\nIS-lite on real digits: ${reference.isLite.toFixed(3)} (N=${samples}), ${inceptionScoreLite(all.probs, all.numClasses).toFixed(3)} (all ${test.count})`);

const times: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  await evaluateImages(classifier, reference, other.images);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(`one evaluation of ${samples} images (embed + FID-lite + KID + density/coverage + precision/recall + collapse + IS-lite): median ${times[2]!.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms of 5`);
classifier.dispose();
