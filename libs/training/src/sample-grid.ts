/**
 * A run's sample grid: 9 rows of 10 generated digits above one row of real
 * ones, as the seed's figures, drawn from the same fixed noise at every epoch
 * and in every run, so grids compare across epochs and runs.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { encodeGridPng, type Dataset } from "@ganscope/data";
import type { Gan } from "@ganscope/models";

const GRID_COLS = 10;
const GRID_FAKE_ROWS = 9;
/** Fixed noise for sample grids, independent of the run's seed so grids compare across runs. */
const SAMPLE_NOISE_SEED = 20_241_127;

/** One real digit per class (0–9), from the held-out split, for the grid's bottom row. */
function realRow(test: Dataset): Float32Array {
  const size = test.rows * test.cols;
  const out = new Float32Array(GRID_COLS * size);
  for (let cls = 0; cls < GRID_COLS; cls++) {
    const idx = test.labels.indexOf(cls);
    const src = idx >= 0 ? idx : cls % test.count;
    out.set(test.images.subarray(src * size, (src + 1) * size), cls * size);
  }
  return out;
}

/** A run's grid: its noise lives on the device until {@link SampleGrid.dispose}. */
export interface SampleGrid {
  /** The grid of what the generator draws now, as a PNG. */
  png(): Promise<Buffer>;
  dispose(): void;
}

/** The grid of `gan`'s drawings over one real digit per class of `test` (the held-out split). */
export function sampleGrid(gan: Gan, test: Dataset): SampleGrid {
  const realDigits = realRow(test);
  const noise: tf.Tensor2D = gan.noise(GRID_COLS * GRID_FAKE_ROWS, SAMPLE_NOISE_SEED);
  return {
    async png() {
      const fake = gan.generate(noise);
      const fakeData = await fake.data<"float32">();
      fake.dispose();
      const grid = new Float32Array(fakeData.length + realDigits.length);
      grid.set(fakeData);
      grid.set(realDigits, fakeData.length);
      return encodeGridPng(grid, { rows: test.rows, cols: test.cols, gridCols: GRID_COLS });
    },
    dispose: () => noise.dispose(),
  };
}
