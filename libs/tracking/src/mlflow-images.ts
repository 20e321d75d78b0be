/**
 * Sample grids as MLflow images, so the run's charts get an image card whose
 * slider steps through the epochs. These are the files and the tag that
 * MLflow's `MlflowClient.log_image(run_id, image, key=..., step=...)` writes
 * (mlflow/tracking/client.py, 3.x):
 *
 *   images/<key>+step+<step>+timestamp+<ms>+<uuid>.png             the image
 *   images/<key>+step+<step>+timestamp+<ms>+<uuid>+compressed.webp the thumbnail the card shows
 *   run tag mlflow.loggedImages = "True"                            (Python's str(True))
 *
 * with `/` in the key written as `~`. The UI lists `images/`, splits each
 * name on `+`, and accepts `.png` as well as `.webp` for either file (its
 * imagesByRunUuid reducer checks the extension against both), so the
 * thumbnail here is the grid's own PNG: MLflow shrinks to 256 px, a grid is
 * 302 px, and resampling 28-px digits by 0.85 would only blur them — no
 * image codec needed.
 */
import { randomUUID } from "node:crypto";
import type { MlflowClient, MlflowRunInfo, MlflowTag } from "./mlflow-client.js";

export const MLFLOW_IMAGES_DIR = "images";

/**
 * The key of ganscope's sample grids. Its `samples/` prefix makes it a chart
 * section of its own, which MLflow puts above "Model metrics" (every
 * prefixed section goes there): a run's charts open on one row, what the
 * generator draws with a slider over the epochs, then the curves; the
 * experiment's chart view shows the runs' grids side by side there.
 */
export const SAMPLES_IMAGE_KEY = "samples/grid";

/** The run tag that tells the UI a run has step-wise images. */
export const MLFLOW_LOGGED_IMAGES_TAG: MlflowTag = { key: "mlflow.loggedImages", value: "True" };

export interface ImageArtifacts {
  /** Full-size image. */
  readonly image: string;
  /** What the image card shows. */
  readonly thumbnail: string;
}

/** The artifact paths of one logged image; `id` is MLflow's uuid4, which only keeps names apart. */
export function imageArtifacts(key: string, step: number, timestamp: number, id: string = randomUUID()): ImageArtifacts {
  const base = `${MLFLOW_IMAGES_DIR}/${key.replace(/\//g, "~")}+step+${step}+timestamp+${Math.round(timestamp)}+${id}`;
  return { image: `${base}.png`, thumbnail: `${base}+compressed.png` };
}

/**
 * The images of `key` among a run's artifact paths, by step: what is there
 * of each (a sink killed between the two uploads leaves one), so a replay
 * uploads only the missing file, under the same name.
 */
export function loggedImages(paths: Iterable<string>, key: string): Map<number, { image?: string; thumbnail?: string; names: ImageArtifacts }> {
  const out = new Map<number, { image?: string; thumbnail?: string; names: ImageArtifacts }>();
  const prefix = `${MLFLOW_IMAGES_DIR}/${key.replace(/\//g, "~")}+step+`;
  for (const p of paths) {
    if (!p.startsWith(prefix)) continue;
    const m = /^(\d+)\+timestamp\+(\d+)\+([^+/]+)(\+compressed)?\.(png|webp)$/.exec(p.slice(prefix.length));
    if (!m) continue;
    const step = Number(m[1]);
    const names = imageArtifacts(key, step, Number(m[2]), m[3]);
    const entry = out.get(step) ?? { names };
    if (m[4]) entry.thumbnail = p;
    else entry.image = p;
    out.set(step, entry);
  }
  return out;
}

/**
 * Logs one step of an image unless the run has it: uploads what `logged`
 * (from {@link loggedImages}) lacks of that step, under the names already
 * there. True when something was uploaded. A replayed epoch (a runner killed
 * after its grid, before its checkpoint) thus never shows twice on the slider.
 */
export async function logImageStep(
  client: MlflowClient,
  run: MlflowRunInfo,
  logged: ReturnType<typeof loggedImages>,
  key: string,
  step: number,
  timestamp: number,
  bytes: Uint8Array,
): Promise<boolean> {
  const have = logged.get(step);
  if (have?.image && have.thumbnail) return false;
  const names = have?.names ?? imageArtifacts(key, step, timestamp);
  if (!have?.image) await client.uploadArtifact(run, names.image, bytes);
  if (!have?.thumbnail) await client.uploadArtifact(run, names.thumbnail, bytes);
  logged.set(step, { image: names.image, thumbnail: names.thumbnail, names });
  return true;
}
