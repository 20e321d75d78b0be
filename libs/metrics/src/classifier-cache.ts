/**
 * Trains the digit classifier once per machine and keeps it on disk, keyed by
 * dataset id, a fingerprint of its training split, and the full
 * {@link ClassifierSpec} (architecture, seed, training settings). A second
 * process asking for the same classifier while the first trains it waits for
 * it instead of training it again.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createHash } from "node:crypto";
import { promises as fs, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadDataset, type Dataset } from "@ganscope/data";
import { processAlive, writeFileAtomic } from "@ganscope/tracking";
import type { DatasetId } from "@ganscope/dsl";
import { DEFAULT_CLASSIFIER, classifierFromWeights, trainClassifier, type ClassifierSpec, type DigitClassifier } from "./digit-classifier.js";

/** Bumped whenever the model code changes in a way that makes old weights wrong. */
const FORMAT_VERSION = 1;
const MAGIC = "GSCL";

/**
 * Where classifiers are cached: `$GANSCOPE_CACHE` when set, else
 * `.cache/ganscope/` in the repository root (git-ignored).
 */
export function defaultCacheDir(): string {
  const env = process.env["GANSCOPE_CACHE"];
  if (env) return path.resolve(env);
  // This file is libs/metrics/src/classifier-cache.ts: three folders below the root.
  return fileURLToPath(new URL("../../../.cache/ganscope/", import.meta.url));
}

export interface LoadClassifierOptions {
  /** Cache folder; {@link defaultCacheDir} when omitted. */
  cacheDir?: string;
  /** Progress lines while training (the first use takes minutes). */
  log?: (line: string) => void;
}

/** What was cached next to the weights, for reports. */
export interface ClassifierInfo {
  readonly dataset: DatasetId;
  readonly spec: ClassifierSpec;
  /** Accuracy on the dataset's held-out test split, measured once after training (never used to choose anything). */
  readonly testAccuracy: number;
  readonly trainSecs: number;
  /** tfjs backend it was trained on. */
  readonly backend: string;
  readonly createdAt: string;
  readonly file: string;
}

export interface LoadedClassifier {
  readonly classifier: DigitClassifier;
  readonly info: ClassifierInfo;
  /** True when this call trained it (nothing usable was cached). */
  readonly trained: boolean;
}

interface Header {
  version: number;
  key: string;
  info: Omit<ClassifierInfo, "file">;
  shapes: number[][];
}

/** A cheap fingerprint of a training split: size, every label, and a stride of pixels. */
function fingerprint(train: Dataset): string {
  const hash = createHash("sha256");
  hash.update(`${train.count}x${train.rows}x${train.cols}`);
  hash.update(train.labels);
  const stride = 97;
  const sample = new Float32Array(Math.ceil(train.images.length / stride));
  for (let i = 0, j = 0; i < train.images.length; i += stride, j++) sample[j] = train.images[i]!;
  hash.update(new Uint8Array(sample.buffer));
  return hash.digest("hex").slice(0, 16);
}

/** Cache key: changes whenever anything that shapes the weights changes. */
export function classifierCacheKey(dataset: DatasetId, spec: ClassifierSpec, dataFingerprint: string): string {
  const canonical = JSON.stringify({
    v: FORMAT_VERSION,
    dataset,
    data: dataFingerprint,
    spec: Object.fromEntries(Object.entries(spec).sort(([a], [b]) => a.localeCompare(b))),
  });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

function cacheFile(dir: string, dataset: DatasetId, spec: ClassifierSpec, key: string): string {
  const slug = String(dataset).replace(/[^a-zA-Z0-9_-]+/g, "_").slice(0, 40);
  return path.join(dir, `digit-classifier-${slug}-${spec.hidden.join("x")}-s${spec.seed}-${key}.bin`);
}

/**
 * The classifier for `dataset`: read from the cache, or trained on the
 * dataset's training split (and its test accuracy measured) and cached.
 * Each call returns a fresh instance; the caller disposes it.
 *
 * @example
 * const { classifier, info } = await loadOrTrainClassifier("mnist");
 * // info.testAccuracy ≈ 0.98
 */
export async function loadOrTrainClassifier(
  dataset: DatasetId,
  spec: ClassifierSpec = DEFAULT_CLASSIFIER,
  options: LoadClassifierOptions = {},
): Promise<LoadedClassifier> {
  const dir = options.cacheDir ?? defaultCacheDir();
  const log = options.log ?? (() => {});
  const train = loadDataset(dataset, { split: "train" });
  const key = classifierCacheKey(dataset, spec, fingerprint(train));
  const file = cacheFile(dir, dataset, spec, key);
  mkdirSync(dir, { recursive: true });

  let waiting = false;
  for (;;) {
    const cached = readCache(file, key);
    if (cached) return { ...cached, trained: false };
    const lock = await tryLock(`${file}.lock`);
    if (lock === "busy") {
      if (!waiting) log(`waiting for another process that is training the ${dataset} digit classifier (${file}.lock)`);
      waiting = true;
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    try {
      // Another process may have finished between our read and our lock.
      const again = readCache(file, key);
      if (again) return { ...again, trained: false };
      log(
        `training the ${dataset} digit classifier every metric looks through (FID-lite, KID, modes, verdicts): once per machine, ` +
          `about a minute on 2 cores, before the first evaluation (${spec.hidden.join("→")} features, ${spec.epochs} epochs; cached in ${file})`,
      );
      const t0 = performance.now();
      const classifier = await trainClassifier(train, spec, {
        onEpoch: (e, loss) => {
          const secs = (performance.now() - t0) / 1000;
          log(`  classifier [${"#".repeat(e).padEnd(spec.epochs, ".")}] epoch ${e}/${spec.epochs}, loss ${loss.toFixed(4)}, ${secs.toFixed(0)} s, about ${((secs / e) * (spec.epochs - e)).toFixed(0)} s left`);
        },
      });
      const trainSecs = (performance.now() - t0) / 1000;
      const testAccuracy = await classifier.accuracy(loadDataset(dataset, { split: "test" }));
      log(`  classifier test accuracy ${(100 * testAccuracy).toFixed(2)}% after ${trainSecs.toFixed(0)} s`);
      const info: Omit<ClassifierInfo, "file"> = {
        dataset,
        spec,
        testAccuracy,
        trainSecs,
        backend: tf.getBackend(),
        createdAt: new Date().toISOString(),
      };
      await writeCache(file, key, info, classifier);
      return { classifier, info: { ...info, file }, trained: true };
    } finally {
      await lock.release();
    }
  }
}

function readCache(file: string, key: string): Omit<LoadedClassifier, "trained"> | undefined {
  if (!existsSync(file)) return undefined;
  const buf = readFileSync(file);
  if (buf.length < 8 || buf.toString("ascii", 0, 4) !== MAGIC) return undefined;
  const headerLength = buf.readUInt32LE(4);
  let header: Header;
  try {
    header = JSON.parse(buf.toString("utf8", 8, 8 + headerLength)) as Header;
  } catch {
    return undefined;
  }
  if (header.version !== FORMAT_VERSION || header.key !== key) return undefined;
  const total = header.shapes.reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
  const dataStart = 8 + headerLength;
  if (buf.length !== dataStart + 4 * total) return undefined;
  // Copy: Buffer pools may not be 4-byte aligned.
  const data = new Float32Array(total);
  new Uint8Array(data.buffer).set(buf.subarray(dataStart));
  let offset = 0;
  const weights = header.shapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(data.subarray(offset, offset + size), shape, "float32");
    offset += size;
    return t;
  });
  return { classifier: classifierFromWeights(header.info.spec, weights), info: { ...header.info, file } };
}

async function writeCache(file: string, key: string, info: Omit<ClassifierInfo, "file">, classifier: DigitClassifier): Promise<void> {
  const header: Header = { version: FORMAT_VERSION, key, info, shapes: classifier.weights.map((w) => w.shape) };
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, "ascii");
  prefix.writeUInt32LE(headerBytes.length, 4);
  const datas = await Promise.all(classifier.weights.map(async (w) => Float32Array.from(await w.data())));
  const body = datas.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength));
  // Through tracking's atomic write: a reader sees the old cache or the whole
  // new one, and a short write or full disk fails here, not at the next load.
  await writeFileAtomic(file, [prefix, headerBytes, ...body]);
}


/** An exclusive lock file holding the trainer's pid; a lock left by a dead process is taken over. */
async function tryLock(lockFile: string): Promise<{ release(): Promise<void> } | "busy"> {
  try {
    await fs.writeFile(lockFile, String(process.pid), { flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const holder = Number(await fs.readFile(lockFile, "utf8").catch(() => "NaN"));
    if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) return "busy";
    // An empty lock may be one whose writer has not written its pid yet.
    const age = Date.now() - ((await fs.stat(lockFile).catch(() => undefined))?.mtimeMs ?? 0);
    if (!Number.isInteger(holder) && age < 10_000) return "busy";
    // Stale (its process died mid-training): remove and let the loop try again.
    await fs.rm(lockFile, { force: true });
    return "busy";
  }
  return { release: () => fs.rm(lockFile, { force: true }) };
}
