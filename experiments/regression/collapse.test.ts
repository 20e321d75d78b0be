/**
 * Regression tests for the detectors themselves, on both sides: output that
 * is healthy must stay unflagged, and collapsed output — real digits of one
 * class, one image repeated, a GAN trained on a single digit class — must be
 * flagged. The metrics look through the small test classifier (trained once
 * per machine, cached in .cache/ganscope), so thresholds that depend on the
 * classifier's scale (FID-lite) are set here rather than taken from the
 * defaults calibrated for the full classifier.
 */
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS, type RunConfig } from "@ganscope/dsl";
import { loadDataset, type BatchSource, type Dataset } from "@ganscope/data";
import { trainEpoch } from "@ganscope/training";
import {
  TEST_CLASSIFIER,
  blurImages,
  createEvaluator,
  evaluationRecord,
  judgeRun,
  sampleImages,
  shiftImages,
  type Evaluator,
  type TrainingRecord,
} from "@ganscope/metrics";
import "@ganscope/metrics/vitest";
import { createGan, selectBackend } from "@ganscope/models";

/** Samples per evaluation: more than the test classifier's 64 features, small enough for seconds. */
const N = 1000;

let evaluator: Evaluator;
let test: Dataset;
/** Held-out real digits not in the evaluator's reference (which takes the first N of the shuffled test split). */
let heldOut: { images: Float32Array; labels: Uint8Array };

beforeAll(async () => {
  await selectBackend();
  evaluator = await createEvaluator({ dataset: "mnist", classifier: TEST_CLASSIFIER, samples: N });
  test = loadDataset("mnist", { split: "test" });
  heldOut = sampleImages(test, N, undefined, N);
});
afterAll(() => evaluator?.dispose());

/** N images of the held-out set whose label passes `keep`, cycling through them. */
function realWhere(keep: (label: number) => boolean): Float32Array {
  const out = new Float32Array(N * 784);
  for (let i = 0, k = 0; k < N; i = (i + 1) % heldOut.labels.length) {
    if (keep(heldOut.labels[i]!)) out.set(heldOut.images.subarray(i * 784, (i + 1) * 784), 784 * k++);
  }
  return out;
}

describe("real digits", () => {
  it("held-out real digits are healthy: every class, no collapse, FID-lite near zero", async () => {
    const e = await evaluator.evaluate(heldOut.images);
    expect(e).not.toCollapse();
    expect(e.modes).toBe(10);
    expect(e.fidLite).toBeLessThan(5);
  });

  it("FID-lite rises with every step of blur and of shift", async () => {
    const fid = async (images: Float32Array) => (await evaluator.evaluate(images)).fidLite;
    const blur = [await fid(heldOut.images)];
    for (const sigma of [0.5, 1, 2]) blur.push(await fid(blurImages(heldOut.images, 28, 28, sigma)));
    const shift = [blur[0]!];
    for (const d of [1, 2, 4]) shift.push(await fid(shiftImages(heldOut.images, 28, 28, d, 0)));
    for (const ladder of [blur, shift]) {
      for (let i = 1; i < ladder.length; i++) expect(ladder[i], `ladder ${ladder.map((x) => x.toFixed(2)).join(" → ")}`).toBeGreaterThan(ladder[i - 1]!);
    }
  });
});

describe("collapsed output is flagged", () => {
  it("samples drawn from a single class of real images", async () => {
    const e = await evaluator.evaluate(realWhere((l) => l === 1));
    expect(e).toCollapse();
    expect(e.maxClassShare).toBeGreaterThan(0.9);
  });

  it("samples drawn from two classes", async () => {
    expect(await evaluator.evaluate(realWhere((l) => l === 3 || l === 8))).toCollapse();
  });

  it("one real digit drawn over and over, even when all ten classes are drawn evenly", async () => {
    // Per class, the digit the classifier itself is surest of, so the histogram stays even and only diversity can tell.
    const e = await evaluator.classifier.embed(heldOut.images);
    const best = Array.from({ length: 10 }, (_, c) => {
      let pick = -1;
      for (let i = 0; i < e.count; i++) if (e.predicted[i] === c && (pick < 0 || e.probs[i * 10 + c]! > e.probs[pick * 10 + c]!)) pick = i;
      return pick;
    });
    const repeated = new Float32Array(N * 784);
    for (let k = 0; k < N; k++) repeated.set(heldOut.images.subarray(best[k % 10]! * 784, (best[k % 10]! + 1) * 784), k * 784);
    const result = await evaluator.evaluate(repeated);
    expect(result.modes).toBe(10);
    // Identical images embed to features equal up to float rounding (oneDNN's blocking depends on the row's place in the batch): 3e-9 seen.
    expect(result.diversity).toBeLessThan(1e-6);
    expect(result).toCollapse();
  });
});

/** Trains a small GAN on `data` and evaluates it on fixed noise after the last epoch; returns its records. */
async function trainAndEvaluate(config: RunConfig, data: BatchSource): Promise<TrainingRecord[]> {
  const gan = createGan(config);
  const records: TrainingRecord[] = [];
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const { secs: _secs, ...stats } = await trainEpoch(gan, data, epoch);
      let metrics = {};
      if (epoch === config.epochs) {
        const z = gan.noise(N, 4_242_001);
        const images = gan.generate(z);
        metrics = evaluationRecord(await evaluator.evaluate(images));
        tf.dispose([z, images]);
      }
      records.push({ epoch, ...stats, ...metrics });
    }
  } finally {
    gan.dispose();
  }
  return records;
}

/** The first `count` training digits of one class. */
function onlyClass(train: Dataset, label: number, count: number): BatchSource {
  const picked: number[] = [];
  for (let i = 0; i < train.count && picked.length < count; i++) if (train.labels[i] === label) picked.push(i);
  const images = new Float32Array(picked.length * 784);
  picked.forEach((i, k) => images.set(train.images.subarray(i * 784, (i + 1) * 784), k * 784));
  return { count: picked.length, rows: 28, cols: 28, images, labels: new Uint8Array(picked.length).fill(label) };
}

describe("trained generators", () => {
  // Small, fast-learning networks; the runs below differ only in their data or learning rates.
  const config: RunConfig = { ...DEFAULTS, epochs: 4, batch_size: 32, gen_width: 64, dis_width: 64, max_width: 256, gen_lr: 1e-3, dis_lr: 5e-4, activation: "leaky_relu", seed: 3 };
  let train: Dataset;
  let first1000: Dataset;
  beforeAll(() => {
    train = loadDataset("mnist", { split: "train" });
    first1000 = loadDataset("mnist", { split: "train", limit: 1000 });
  });

  it("a GAN trained only on the digit 1 is flagged: its one smudge fills one class (no_digits until the drawings are realistic)", async () => {
    // 128 steps draw one smudge for every input; the test classifier files
    // it under a single class (measured: "2", confidence 0.79, coverage
    // 0.004), which the histogram reads as collapse. A person sees no digit
    // yet, and so does the verdict; it turns mode_collapse only once the
    // drawings are realistic (see the repeated-digit run below).
    const records = await trainAndEvaluate(config, onlyClass(train, 1, 1000));
    // The matcher agrees with the verdict: speckle is no_digits, not a collapse of drawn digits.
    expect(["no_digits", "mode_collapse"]).toContain(judgeRun(records).verdict);
    if (judgeRun(records).verdict === "no_digits") expect(records).not.toCollapse();
    expect(records).not.toConverge();
  });

  it("a run whose every drawing is one realistic digit repeated is judged mode_collapse", async () => {
    // The training records of a real (balanced) run, with its last
    // evaluation taken of what a fully collapsed generator draws: one real
    // digit, the classifier's surest "1", for every input.
    const records = await trainAndEvaluate({ ...config, epochs: 2 }, first1000);
    const e = await evaluator.classifier.embed(heldOut.images);
    let pick = -1;
    for (let i = 0; i < e.count; i++) if (e.predicted[i] === 1 && (pick < 0 || e.probs[i * 10 + 1]! > e.probs[pick * 10 + 1]!)) pick = i;
    const repeated = new Float32Array(N * 784);
    for (let k = 0; k < N; k++) repeated.set(heldOut.images.subarray(pick * 784, (pick + 1) * 784), k * 784);
    const last = { ...records.at(-1)!, ...evaluationRecord(await evaluator.evaluate(repeated)) };
    const run = [...records.slice(0, -1), last];
    expect(run).toHaveVerdict("mode_collapse");
    expect(judgeRun(run).reasons.join("\n")).toMatch(/class 1 takes 100\.0% of samples/);
  });

  it("a GAN trained on all digits with balanced learning rates keeps a working discriminator: no saturation, no divergence", async () => {
    // 128 steps are far too few for an MLP GAN to draw every digit (that takes thousands, minutes on 2 cores),
    // so this run's verdict is not "converged"; what must hold is that the health detectors raise no false alarm.
    const records = await trainAndEvaluate(config, first1000);
    expect(records).not.toHaveVerdict("vanishing_gradients");
    expect(records).not.toHaveVerdict("diverged");
    expect(records.at(-1)!.d_fake).toBeGreaterThan(0.2);
  });

  it("a GAN whose discriminator overpowers a frozen generator is judged vanishing_gradients", async () => {
    const records = await trainAndEvaluate({ ...config, gen_lr: 1e-6, dis_lr: 2e-3 }, first1000);
    expect(records).toHaveVerdict("vanishing_gradients");
    expect(records).not.toConverge();
  });
});
