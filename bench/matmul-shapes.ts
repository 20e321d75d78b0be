/**
 * The bench model's products (batch 64) as a fused group of K runs makes them,
 * three ways on tensorflow, in interleaved rounds (medians of 5): one
 * BatchMatMulV2 over [K, …] operands (what tfjs-node sends them to), the
 * ganscope kernel (Unpack, one MatMul per run, Pack), and the K MatMuls
 * alone on operands already apart (the floor: no Unpack, no Pack).
 *
 *   npx tsx bench/matmul-shapes.ts [K]
 *
 * Since ganscope's kernel now splits batched products itself, the first
 * column calls BatchMatMulV2 through the binding directly.
 */
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "@ganscope/models";
await selectBackend("tensorflow");
const K = Number(process.argv[2] ?? 8);
const shapes: [number, number, number, boolean, boolean][] = [
  [64, 100, 256, false, false], [64, 784, 512, false, false], [784, 64, 512, true, false], [64, 512, 784, false, true], [64, 512, 256, false, false], [512, 64, 256, true, false], [64, 256, 512, false, false], [256, 64, 512, true, false], [64, 512, 256, false, true],
];
function time(f: () => tf.Tensor | tf.Tensor[], n = 20): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) tf.dispose(f());
  return (performance.now() - t0) / n;
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let tb_ = 0, ts_ = 0, tl_ = 0;
for (const [m, kk, n, ta, tb] of shapes) {
  const a = tf.randomNormal(ta ? [K, kk, m] : [K, m, kk]) as tf.Tensor3D;
  const b = tf.randomNormal(tb ? [K, n, kk] : [K, kk, n]) as tf.Tensor3D;
  const bs = tf.unstack(b) as tf.Tensor2D[];
  const as = tf.unstack(a) as tf.Tensor2D[];
  const be = tf.backend() as unknown as { binding: Record<string, number>; executeSingleOutput(n: string, attrs: unknown[], inputs: tf.Tensor[]): tf.Tensor };
  const attrs = [{ name: "T", type: be.binding["TF_ATTR_TYPE"], value: be.binding["TF_FLOAT"] }, { name: "adj_x", type: be.binding["TF_ATTR_BOOL"], value: ta }, { name: "adj_y", type: be.binding["TF_ATTR_BOOL"], value: tb }];
  const fb = () => be.executeSingleOutput("BatchMatMulV2", attrs, [a, b]);
  const fs = () => tf.matMul(a, b, ta, tb);
  const fl = () => as.map((x, i) => tf.matMul(x, bs[i]!, ta, tb));
  const B: number[] = [], S: number[] = [], L: number[] = [];
  for (let r = 0; r < 5; r++) { B.push(time(fb)); S.push(time(fs)); L.push(time(fl)); }
  tb_ += med(B); ts_ += med(S); tl_ += med(L);
  console.log(`${m}x${kk}x${n} ta=${ta} tb=${tb}: BatchMatMulV2 ${med(B).toFixed(2)}  ganscope (Unpack, K·MatMul, Pack) ${med(S).toFixed(2)}  K·MatMul on split operands ${med(L).toFixed(2)} ms`);
}
console.log(`sum over the shapes: BatchMatMulV2 ${tb_.toFixed(1)}, ganscope ${ts_.toFixed(1)}, K·MatMul on split operands ${tl_.toFixed(1)} ms`);
