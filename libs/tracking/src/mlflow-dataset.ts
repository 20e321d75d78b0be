/**
 * A run's training data as an MLflow dataset input, shaped as MLflow's own
 * NumpyDataset logs it (`mlflow.data.from_numpy(...).to_dict()`): a local
 * source URI, a TensorSpec schema for images and labels, and a profile of
 * their shapes. The UI shows `name (digest)` in the runs table's default
 * Dataset column and the schema and profile in the run's dataset drawer;
 * the name carries the `limit`, so a run's true data budget is on its row.
 */
import { pathToFileURL } from "node:url";
import type { MlflowDatasetInput } from "./mlflow-client.js";
import type { StoredTrainingData } from "./store-formats.js";

/** The input tag MLflow's autologging sets to say what a dataset was used for. */
export const MLFLOW_DATASET_CONTEXT = "mlflow.data.context";

function tensorSpec(dtype: string, shape: number[]): string {
  return JSON.stringify([{ type: "tensor", "tensor-spec": { dtype, shape } }]);
}

/** The dataset's name in MLflow: `mnist-train` for the whole split, `mnist-train[:3000]` under a limit. */
export function mlflowDatasetName(data: StoredTrainingData): string {
  return `${data.id}-train${data.images < data.splitImages ? `[:${data.images}]` : ""}`;
}

export function datasetInputOf(data: StoredTrainingData): MlflowDatasetInput {
  const pixels = data.rows * data.cols;
  return {
    tags: [{ key: MLFLOW_DATASET_CONTEXT, value: "training" }],
    dataset: {
      name: mlflowDatasetName(data),
      digest: data.digest,
      source_type: "local",
      source: JSON.stringify({ uri: pathToFileURL(data.file).href }),
      schema: JSON.stringify({ mlflow_tensorspec: { features: tensorSpec("float32", [-1, data.rows, data.cols]), targets: tensorSpec("uint8", [-1]) } }),
      profile: JSON.stringify({
        description: data.description,
        training_images: data.images,
        split_images: data.splitImages,
        features_shape: [data.images, data.rows, data.cols],
        features_size: data.images * pixels,
        features_nbytes: data.images * pixels * Float32Array.BYTES_PER_ELEMENT,
        targets_shape: [data.images],
        targets_size: data.images,
        targets_nbytes: data.images,
      }),
    },
  };
}
