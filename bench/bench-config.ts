import * as tf from "@tensorflow/tfjs-core";
import { DEFAULTS, type RunConfig } from "@ganscope/dsl";
import baseline from "../experiments/seed/baseline.exp.js";
import combined from "../experiments/seed/combined.exp.js";

/** The model: G 100-256-512-784, D 784-512-256-1, batch 64. */
export const BENCH_CONFIG: RunConfig = { ...DEFAULTS, gen_layers: 3, dis_layers: 3, batch_size: 64, seed: 1 };

/** The study's two shapes, as their experiment files fix them (bench/study.ts trains the same). */
export const STUDY_SHAPES: Readonly<Record<string, RunConfig>> = {
  baseline: baseline.compile().runs[0]!.config,
  combined: combined.compile().runs[0]!.config,
};

/** A study shape by name, or an error listing the names. */
export function studyShape(name: string): RunConfig {
  const config = STUDY_SHAPES[name];
  if (!config) throw new Error(`--shape must be one of ${Object.keys(STUDY_SHAPES).join(", ")}, got ${name}`);
  return config;
}

/** Live tensors, RSS, and (wasm) the backend's heap, sampled every tenth of the run after a full GC. */
export interface LeakSamples {
  iters: number;
  tensors: number[];
  rssMiB: number[];
  jsHeapMiB: number[];
  wasmHeapMiB: number[];
}

/**
 * The leak check both iteration benches run: `total` steps, and every tenth
 * of them `flush` (the host sync a real epoch does), a forced GC, then a sample.
 * Run with NODE_OPTIONS=--expose-gc: without a forced GC, RSS mostly shows how lazily V8 collects.
 */
export async function sampleLeak(total: number, step: () => void, flush: () => Promise<unknown>): Promise<LeakSamples> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const wasmHeap = () => (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.buffer.byteLength ?? 0;
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  const leak: LeakSamples = { iters: total, tensors: [], rssMiB: [], jsHeapMiB: [], wasmHeapMiB: [] };
  const every = Math.max(1, Math.floor(total / 10));
  for (let i = 1; i <= total; i++) {
    step();
    if (i % every === 0) {
      await flush();
      gc?.();
      const m = process.memoryUsage();
      leak.tensors.push(tf.memory().numTensors);
      leak.rssMiB.push(mib(m.rss));
      leak.jsHeapMiB.push(mib(m.heapUsed));
      leak.wasmHeapMiB.push(mib(wasmHeap()));
    }
  }
  return leak;
}
