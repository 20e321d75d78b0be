/**
 * Does bf16 math pay on this CPU? Times a study shape's training step, alone
 * or as a fused group, with the products sent one of three ways, and prints
 * one JSON line: CPU and wall ms per run-step, and the step statistics after
 * the timed steps (so two variants' numerics can be compared bit for bit).
 *
 *   npx tsx bench/precision-probe.ts --shape baseline --k 1 --products matmul
 *   TF_SET_ONEDNN_FPMATH_MODE=BF16 npx tsx bench/precision-probe.ts --products batchmatmul
 *   npx tsx bench/precision-probe.ts --shape combined --k 5 --precision bf16   the run parameter as runs use it
 *   ONEDNN_VERBOSE=1 …   which oneDNN kernel each product ran on
 *
 * --products:
 *   matmul       ganscope's kernels as they are (MatMul per run: Eigen with oneDNN's sgemm)
 *   batchmatmul  every product as BatchMatMulV2, which TensorFlow sends to a
 *                oneDNN matmul primitive, the only path that reads
 *                TF_SET_ONEDNN_FPMATH_MODE
 *   bf16cast     operands cast to bfloat16, the product in bfloat16 (oneDNN's
 *                avx512_core_bf16 kernel), the result cast back to float32 (the
 *                first version of what `--precision bf16` now does in libs/models)
 * --precision fp32|bf16: the runs' own precision setting (with --products matmul).
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import type { Precision, RunConfig } from "@ganscope/dsl";
import { createGan, createGanGroup, selectBackend, stackBatches } from "@ganscope/models";
import { studyShape } from "./bench-config.js";

const { values } = parseArgs({
  options: {
    shape: { type: "string", default: "baseline" },
    k: { type: "string", default: "1" },
    products: { type: "string", default: "matmul" },
    steps: { type: "string", default: "40" },
    rounds: { type: "string", default: "3" },
    precision: { type: "string", default: "fp32" },
  },
});
const config: RunConfig = { ...studyShape(values.shape!), precision: values.precision as Precision };
const K = Number(values.k);
await selectBackend("tensorflow");

// The binding's own types: tfjs has no bfloat16 dtype, so the bf16 handles never become tfjs tensors.
interface RawBinding {
  TF_ATTR_TYPE: number;
  TF_ATTR_BOOL: number;
  TF_FLOAT: number;
  executeOp(name: string, attrs: object[], ids: number[], n: number): { id: number; shape: number[]; dtype: number }[];
  deleteTensor(id: number): void;
}
interface RawBackend {
  binding: RawBinding;
  getInputTensorIds(xs: tf.TensorInfo[]): number[];
  createOutputTensor(m: { id: number; shape: number[]; dtype: number }): tf.Tensor;
  executeSingleOutput(name: string, attrs: object[], inputs: tf.TensorInfo[]): tf.Tensor;
}
const BF16 = 14; // TF_BFLOAT16 in tensorflow/c/tf_datatype.h

if (values.products !== "matmul") {
  tf.unregisterKernel(tf.BatchMatMul, "tensorflow");
  tf.registerKernel({
    kernelName: tf.BatchMatMul,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = backend as unknown as RawBackend;
      const b = be.binding;
      const { a, b: bIn } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      const flags = [
        { name: "adj_x", type: b.TF_ATTR_BOOL, value: transposeA },
        { name: "adj_y", type: b.TF_ATTR_BOOL, value: transposeB },
      ];
      if (values.products === "batchmatmul") return be.executeSingleOutput("BatchMatMulV2", [{ name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT }, ...flags], [a, bIn]);
      const cast = (id: number, from: number, to: number) =>
        b.executeOp("Cast", [{ name: "SrcT", type: b.TF_ATTR_TYPE, value: from }, { name: "DstT", type: b.TF_ATTR_TYPE, value: to }, { name: "Truncate", type: b.TF_ATTR_BOOL, value: false }], [id], 1)[0]!;
      const [ia, ib] = be.getInputTensorIds([a, bIn]);
      const ca = cast(ia!, b.TF_FLOAT, BF16).id;
      const cb = cast(ib!, b.TF_FLOAT, BF16).id;
      const product = b.executeOp("BatchMatMulV2", [{ name: "T", type: b.TF_ATTR_TYPE, value: BF16 }, ...flags], [ca, cb], 1)[0]!.id;
      const out = cast(product, BF16, b.TF_FLOAT);
      [ca, cb, product].forEach((id) => b.deleteTensor(id));
      return be.createOutputTensor(out);
    },
  });
}

// Fixed images (a seeded LCG), so that two processes train on the same numbers.
let s = 12345;
const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
const images = Array.from({ length: K }, () => Float32Array.from({ length: config.batch_size * 784 }, rand));
const members = Array.from({ length: K }, (_, i) => createGan({ ...config, seed: i }));
const group = K > 1 ? await createGanGroup(members) : undefined;
const step = () => {
  if (group) {
    const reals = stackBatches(images, config.batch_size, 784);
    group.trainStep(reals);
    reals.dispose();
  } else {
    const real = tf.tensor2d(images[0]!, [config.batch_size, 784]);
    members[0]!.trainStep(real);
    real.dispose();
  }
};
const take = async () => (group ? await group.takeStats() : [await members[0]!.takeStats()]);

for (let i = 0; i < 3; i++) step();
await take();
const steps = Math.max(2, Math.ceil(Number(values.steps) / K));
const cpu: number[] = [];
const wall: number[] = [];
let stats: Awaited<ReturnType<typeof take>> = [];
for (let r = 0; r < Number(values.rounds); r++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  stats = await take();
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000 / (steps * K));
  wall.push((performance.now() - t0) / (steps * K));
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(
  JSON.stringify({
    shape: values.shape,
    k: K,
    products: values.products,
    precision: values.precision,
    fpmath: process.env.TF_SET_ONEDNN_FPMATH_MODE ?? "",
    cpuMsPerRunStep: +median(cpu).toFixed(2),
    cpuMs: cpu.map((x) => +x.toFixed(2)),
    wallMsPerRunStep: +median(wall).toFixed(2),
    run0: stats[0],
  }),
);
