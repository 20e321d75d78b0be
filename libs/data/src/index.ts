export { DataError, IDX_MAGIC, encodeIdx, parseIdx, readIdxFile, readIdxHeader } from "./idx-reader.js";
export type { IdxFile, IdxKind, ReadIdxOptions } from "./idx-reader.js";
export { FASHION_MNIST_DIR, IDX_FILE_NAMES, IMAGE_COLS, IMAGE_ROWS, LABEL_CLASSES, checkDataset, clearDatasetCache, datasetInfo, loadDataset } from "./datasets.js";
export type { Dataset, DatasetInfo, LoadDatasetOptions, Split, SplitInfo } from "./datasets.js";
export { batchIterator, batchesPerEpoch, fmix32, mulberry32, shuffledIndices } from "./batches.js";
export type { Batch, BatchSource, Rng } from "./batches.js";
export { datasetDigest } from "./dataset-digest.js";
export { encodeGridPng, gridSize } from "./image-grid.js";
export type { GridOptions, GridSize } from "./image-grid.js";
