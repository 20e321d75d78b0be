/**
 * The digit classifier every metric looks through: an MLP trained here, on
 * the dataset's training split, with a fixed seed (no downloaded weights).
 * Its penultimate layer is the feature space of FID-lite and the diversity
 * ratio; its softmax gives the class histogram and IS-lite.
 */
import * as tf from "@tensorflow/tfjs-core";
// tfjs-core registers no gradients; the tfjs package's Node bundle registers them all.
import "@tensorflow/tfjs";
import { shuffledIndices, type BatchSource } from "@ganscope/data";
import { setAdamLearningRate } from "@ganscope/models";

/** How a classifier is built and trained; every field is part of its cache key. */
export interface ClassifierSpec {
  /** Hidden layer widths, input side first; the last one is the feature dimension. */
  readonly hidden: readonly number[];
  /** Seeds weights, shuffling, augmentation and dropout. */
  readonly seed: number;
  /** Passes over the training images. */
  readonly epochs: number;
  readonly batchSize: number;
  /** Adam learning rate of the first epoch; it halves over the run (see {@link trainClassifier}). */
  readonly learningRate: number;
  /** Dropout after every hidden layer while training. */
  readonly dropout: number;
  /** Training images used: 0 = the whole training split, n = its first n. */
  readonly limit: number;
}

/**
 * The classifier metrics use by default: 784 → 512 → 128 → 10, 10 epochs
 * of Adam with dropout 0.2 on all 60k MNIST training digits (98.4% on the
 * 10k test split). Why an MLP, not a CNN: convolutions are slow on the wasm
 * backend, and the MLP already clears 98%. No shift augmentation: it slowed
 * training and would teach the features to ignore the shifts FID-lite must
 * notice. 128 features keep FID-lite's covariances well estimated from a
 * few thousand samples (N must exceed the feature dimension).
 */
export const DEFAULT_CLASSIFIER: ClassifierSpec = Object.freeze({
  hidden: Object.freeze([512, 128]),
  seed: 1234,
  epochs: 10,
  batchSize: 128,
  learningRate: 1e-3,
  dropout: 0.2,
  limit: 0,
});

/**
 * A smaller classifier for tests: trained on 6,000 images in about ten
 * seconds, 93% accurate on the test split, which is plenty to tell a
 * one-class generator from a healthy one. Same architecture family,
 * separate cache key.
 */
export const TEST_CLASSIFIER: ClassifierSpec = Object.freeze({
  hidden: Object.freeze([256, 64]),
  seed: 1234,
  epochs: 3,
  batchSize: 128,
  learningRate: 2e-3,
  dropout: 0.1,
  limit: 6000,
});

/** What the classifier says about a set of images. */
export interface Embedding {
  readonly count: number;
  /** Penultimate-layer activations, `count × featureDim`, row-major. */
  readonly features: Float32Array;
  readonly featureDim: number;
  /** Softmax class probabilities, `count × numClasses`, row-major. */
  readonly probs: Float32Array;
  readonly numClasses: number;
  /** Arg-max class of each image. */
  readonly predicted: Uint8Array;
}

export interface DigitClassifier {
  readonly spec: ClassifierSpec;
  /** Pixels per image (784 for MNIST). */
  readonly inputSize: number;
  readonly featureDim: number;
  readonly numClasses: number;
  /** Weights and biases, input side first: [in, out] then [out] per layer. */
  readonly weights: readonly tf.Tensor[];
  /**
   * Features and class probabilities of `count` images given as
   * `count × inputSize` pixels in [-1, 1] (a Float32Array or a [count, inputSize] tensor; the tensor is not disposed).
   */
  embed(images: Float32Array | tf.Tensor2D): Promise<Embedding>;
  /** Share of `data`'s images whose predicted class equals its label. */
  accuracy(data: Pick<BatchSource, "count" | "images" | "labels">): Promise<number>;
  dispose(): void;
}

/** Images per forward pass while embedding: bounds memory, not results. */
const EMBED_CHUNK = 2000;

/**
 * Wraps trained weights: `[w0, b0, w1, b1, …]`, the last pair mapping
 * features to class logits. Takes ownership of the tensors.
 */
export function classifierFromWeights(spec: ClassifierSpec, weights: readonly tf.Tensor[]): DigitClassifier {
  if (weights.length !== 2 * (spec.hidden.length + 1)) {
    throw new Error(`classifierFromWeights: ${spec.hidden.length} hidden layers need ${2 * (spec.hidden.length + 1)} tensors, got ${weights.length}`);
  }
  const inputSize = weights[0]!.shape[0]!;
  const featureDim = spec.hidden.at(-1)!;
  const numClasses = weights.at(-1)!.shape[0]!;
  const layers = Array.from({ length: spec.hidden.length + 1 }, (_, i) => ({
    w: weights[2 * i] as tf.Tensor2D,
    b: weights[2 * i + 1] as tf.Tensor1D,
  }));
  const forward = (x: tf.Tensor2D) => forwardPass(layers, x, 0, undefined);

  const classifier: DigitClassifier = {
    spec,
    inputSize,
    featureDim,
    numClasses,
    weights,
    async embed(images) {
      const count = images instanceof Float32Array ? images.length / inputSize : images.shape[0];
      if (!Number.isInteger(count) || (!(images instanceof Float32Array) && images.shape[1] !== inputSize)) {
        throw new RangeError(`DigitClassifier.embed: expected count × ${inputSize} pixels, got ${images instanceof Float32Array ? images.length : images.shape.join("×")}`);
      }
      const features = new Float32Array(count * featureDim);
      const probs = new Float32Array(count * numClasses);
      for (let start = 0; start < count; start += EMBED_CHUNK) {
        const n = Math.min(EMBED_CHUNK, count - start);
        const [f, p] = tf.tidy(() => {
          const x =
            images instanceof Float32Array
              ? tf.tensor2d(images.subarray(start * inputSize, (start + n) * inputSize), [n, inputSize])
              : tf.slice(images, [start, 0], [n, inputSize]);
          const out = forward(x);
          return [out.features, tf.softmax(out.logits)];
        });
        features.set(await f.data(), start * featureDim);
        probs.set(await p.data(), start * numClasses);
        tf.dispose([f, p]);
      }
      const predicted = new Uint8Array(count);
      for (let i = 0; i < count; i++) {
        let best = 0;
        for (let k = 1; k < numClasses; k++) if (probs[i * numClasses + k]! > probs[i * numClasses + best]!) best = k;
        predicted[i] = best;
      }
      return { count, features, featureDim, probs, numClasses, predicted };
    },
    async accuracy(data) {
      const { predicted } = await classifier.embed(data.images);
      let right = 0;
      for (let i = 0; i < data.count; i++) if (predicted[i] === data.labels[i]) right++;
      return right / data.count;
    },
    dispose() {
      tf.dispose([...weights]);
    },
  };
  return classifier;
}

interface Layer {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/** [n, in] → features [n, hidden.at(-1)] (post-ReLU) and logits [n, classes]. */
function forwardPass(layers: readonly Layer[], x: tf.Tensor2D, dropout: number, dropoutSeed: number | undefined) {
  // Pixels from [-1, 1] to [0, 1]: the -1 background would otherwise feed every unit a large constant.
  let h = tf.div(tf.add(x, 1), 2) as tf.Tensor2D;
  const last = layers.length - 1;
  for (let i = 0; i < last; i++) {
    h = tf.relu(tf.add(tf.matMul(h, layers[i]!.w), layers[i]!.b)) as tf.Tensor2D;
    if (dropout > 0) h = tf.dropout(h, dropout, undefined, dropoutSeed === undefined ? undefined : dropoutSeed + i) as tf.Tensor2D;
  }
  const logits = tf.add(tf.matMul(h, layers[last]!.w), layers[last]!.b) as tf.Tensor2D;
  return { features: h, logits };
}

export interface TrainClassifierOptions {
  /** Called once per epoch with the mean training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

/**
 * Trains a classifier on `train` (images in [-1, 1], labels 0..classes-1).
 * The learning rate decays linearly to half its start over the run, which
 * settles the last epochs without a schedule to tune.
 */
export async function trainClassifier(
  train: Pick<BatchSource, "count" | "rows" | "cols" | "images" | "labels">,
  spec: ClassifierSpec,
  options: TrainClassifierOptions = {},
): Promise<DigitClassifier> {
  const inputSize = train.rows * train.cols;
  const count = spec.limit > 0 ? Math.min(spec.limit, train.count) : train.count;
  let numClasses = 0;
  for (let i = 0; i < count; i++) numClasses = Math.max(numClasses, train.labels[i]! + 1);
  const sizes = [inputSize, ...spec.hidden, numClasses];
  const layers: { w: tf.Variable<tf.Rank.R2>; b: tf.Variable<tf.Rank.R1> }[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const fanIn = sizes[i]!;
    const fanOut = sizes[i + 1]!;
    // He-uniform for ReLU layers, bias 0: the usual start for a ReLU MLP.
    const bound = Math.sqrt(6 / fanIn);
    const w = tf.variable(tf.randomUniform<tf.Rank.R2>([fanIn, fanOut], -bound, bound, "float32", spec.seed * 100 + i));
    layers.push({ w, b: tf.variable(tf.zeros<tf.Rank.R1>([fanOut])) });
  }
  const variables: tf.Variable[] = layers.flatMap((l) => [l.w, l.b]);
  const optimizer = tf.train.adam(spec.learningRate);
  const batch = new Float32Array(spec.batchSize * inputSize);
  const batchLabels = new Int32Array(spec.batchSize);
  let step = 0;
  try {
    for (let epoch = 0; epoch < spec.epochs; epoch++) {
      // Adam's rate is fixed at construction; tfjs reads this field on every update.
      setAdamLearningRate(optimizer, spec.learningRate * (1 - (0.5 * epoch) / Math.max(1, spec.epochs)));
      const order = shuffledIndices(count, spec.seed, epoch);
      let lossSum: tf.Scalar = tf.scalar(0);
      let batches = 0;
      for (let start = 0; start < count; start += spec.batchSize) {
        const n = Math.min(spec.batchSize, count - start);
        for (let k = 0; k < n; k++) {
          const idx = order[start + k]!;
          batch.set(train.images.subarray(idx * inputSize, (idx + 1) * inputSize), k * inputSize);
          batchLabels[k] = train.labels[idx]!;
        }
        const s = step++;
        const lossSumNext = tf.tidy(() => {
          const x = tf.tensor2d(batch.subarray(0, n * inputSize), [n, inputSize]);
          const y = tf.oneHot(tf.tensor1d(batchLabels.subarray(0, n), "int32"), numClasses);
          const loss = optimizer.minimize(() => {
            const { logits } = forwardPass(layers, x, spec.dropout, spec.seed * 7919 + s * 16);
            return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
          }, true, variables);
          return tf.add(lossSum, loss!) as tf.Scalar;
        });
        lossSum.dispose();
        lossSum = lossSumNext;
        batches++;
      }
      const mean = (await lossSum.data())[0]! / Math.max(1, batches);
      lossSum.dispose();
      options.onEpoch?.(epoch + 1, mean);
    }
  } finally {
    optimizer.dispose();
  }
  // Plain tensors from here on: the classifier is never trained again.
  const weights = variables.map((v) => {
    const t = tf.clone(v);
    v.dispose();
    return t;
  });
  return classifierFromWeights(spec, weights);
}
