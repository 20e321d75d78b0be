import { createHash } from "node:crypto";
import type { Dataset } from "./datasets.js";

/** Images hashed for a digest: MLflow's own dataset digests stop at 10,000 rows (mlflow/data/digest_utils.py MAX_ROWS). */
const DIGEST_ROWS = 10_000;

/**
 * A short fingerprint of the data a run trains on, in the manner of MLflow's
 * `compute_numpy_digest`: an 8-character md5 prefix over the first 10,000
 * images and labels plus the split's shape. Hashing a prefix keeps it cheap
 * at every run start (all 60,000 MNIST images would be 188 MB of floats);
 * the shape makes `limit` 20,000 and the full split differ although their
 * first 10,000 images are the same.
 */
export function datasetDigest(ds: Dataset): string {
  const n = Math.min(ds.count, DIGEST_ROWS);
  const md5 = createHash("md5");
  md5.update(new Uint8Array(ds.images.buffer, ds.images.byteOffset, n * ds.rows * ds.cols * Float32Array.BYTES_PER_ELEMENT));
  md5.update(ds.labels.subarray(0, n));
  md5.update(JSON.stringify([ds.id, ds.split, ds.count, ds.rows, ds.cols]));
  return md5.digest("hex").slice(0, 8);
}
