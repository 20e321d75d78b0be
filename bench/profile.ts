/**
 * Where a training step's time goes, per tfjs kernel (tf.profile) — the
 * numbers behind the "profile before/after" of bench/README.md.
 *
 *   npx tsx bench/profile.ts --backend wasm --steps 30
 *   npx tsx bench/profile.ts --backend tensorflow --tf-ops   # per TensorFlow eager op
 *   npx tsx bench/profile.ts --backend tensorflow --tf-ops --k 8   # a fused group of 8 runs (per group step)
 *
 * --tf-ops (tensorflow only) times every call into the native binding, by
 * TensorFlow op name, without tf.profile: tf.profile adds its own cost per
 * kernel and does not see ops ganscope calls on the binding directly
 * (ResourceApplyAdam, ReadVariableOp).
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { DEFAULTS, type RunConfig } from "@ganscope/dsl";
import { batchIterator, loadDataset } from "@ganscope/data";
import { createGan, createGanGroup, selectBackend, stackBatches, type BackendName } from "@ganscope/models";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    steps: { type: "string", default: "30" },
    top: { type: "string", default: "15" },
    shapes: { type: "boolean", default: false },
    clock: { type: "string", default: "cpu" },
    dropout: { type: "string", default: "0" },
    "tf-ops": { type: "boolean", default: false },
    k: { type: "string" },
  },
});
const config: RunConfig = { ...DEFAULTS, gen_layers: 3, dis_layers: 3, batch_size: 64, seed: 1 };
await selectBackend(values.backend as BackendName);
const train = loadDataset("mnist", { split: "train", limit: 6400 });
// --k K: K runs (seeds 0…K-1, the --dropout given) fused into one GanGroup; a "step" is one group step.
const K = values.k ? Number(values.k) : 0;
const members = Array.from({ length: Math.max(1, K) }, (_, k) => createGan({ ...config, seed: K ? k : config.seed, gen_dropout: Number(values.dropout), dis_dropout: Number(values.dropout) }));
const group = K ? await createGanGroup(members) : null;
const gan = { takeStats: () => (group ? group.takeStats() : members[0]!.takeStats()), dispose: () => (group?.dispose(), members.forEach((g) => g.dispose())) };
const batches = [...batchIterator(train, 64, 1, 1)].map((b) => b.images);
const step = (i: number) => {
  if (group) {
    const reals = stackBatches(members.map((_, k) => batches[(i + k) % batches.length]!), 64);
    group.trainStep(reals);
    reals.dispose();
    return;
  }
  const real = tf.tensor2d(batches[i % batches.length]!, [64, 784]);
  members[0]!.trainStep(real);
  real.dispose();
};
for (let i = 0; i < 5; i++) step(i);
await gan.takeStats();

if (values["tf-ops"]) {
  if (values.backend !== "tensorflow") throw new Error("--tf-ops needs --backend tensorflow");
  // The binding object is frozen; the backend reads it through this property, so a wrapper in front of it sees every op.
  type Binding = { executeOp(name: string, attrs: unknown, ids: unknown, n: number): unknown };
  const backend = tf.backend() as unknown as { binding: Binding };
  const binding = backend.binding;
  const byOp = new Map<string, { us: number; calls: number }>();
  backend.binding = Object.create(binding, {
    executeOp: {
      value: (name: string, attrs: unknown, ids: unknown, n: number) => {
        const t0 = performance.now();
        const out = binding.executeOp(name, attrs, ids, n);
        const e = byOp.get(name) ?? { us: 0, calls: 0 };
        e.us += (performance.now() - t0) * 1000;
        e.calls++;
        byOp.set(name, e);
        return out;
      },
    },
  }) as Binding;
  const steps = Number(values.steps);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step(i);
  await gan.takeStats();
  const wallMs = (performance.now() - t0) / steps;
  const cpu = process.cpuUsage(c0);
  const inOps = [...byOp.values()].reduce((s, e) => s + e.us, 0) / 1000 / steps;
  const calls = [...byOp.values()].reduce((s, e) => s + e.calls, 0) / steps;
  console.log(
    `tensorflow: ${wallMs.toFixed(1)} ms/step wall, ${((cpu.user + cpu.system) / 1000 / steps).toFixed(1)} ms/step CPU; ${inOps.toFixed(1)} ms in ${calls.toFixed(0)} TensorFlow op calls/step, the rest in JavaScript (tfjs engine, tape, ganscope)`,
  );
  console.log(`${"TensorFlow op".padEnd(22)} ms/step  share  calls/step  µs/call`);
  for (const [name, e] of [...byOp].sort((a, b) => b[1].us - a[1].us).slice(0, Number(values.top))) {
    const ms = e.us / 1000 / steps;
    console.log(`${name.padEnd(22)} ${ms.toFixed(2).padStart(7)} ${((100 * ms) / wallMs).toFixed(1).padStart(5)}%  ${(e.calls / steps).toFixed(0).padStart(9)}  ${(e.us / e.calls).toFixed(1).padStart(7)}`);
  }
  gan.dispose();
  process.exit(0);
}

// On a shared machine wall time per kernel mostly measures the neighbours;
// process CPU time (all threads) is what this process itself spent.
if (values.clock === "cpu") {
  const backend = tf.backend() as unknown as { time(f: () => void): Promise<{ kernelMs: number }> };
  backend.time = async (f) => {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return { kernelMs: (c.user + c.system) / 1000 };
  };
}
const steps = Number(values.steps);
const c0 = process.cpuUsage();
const t0 = performance.now();
const info = await tf.profile(async () => {
  for (let i = 0; i < steps; i++) step(i);
  await gan.takeStats();
});
const wallMs = (performance.now() - t0) / steps;
const cpu = process.cpuUsage(c0);
const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
const totalMs = values.clock === "cpu" ? cpuMs : wallMs;
const byKernel = new Map<string, { ms: number; calls: number }>();
for (const k of info.kernels) {
  // --shapes splits each kernel by its input shapes (which matmul is slow?).
  const key = values.shapes ? `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join("")}` : k.name;
  const e = byKernel.get(key) ?? { ms: 0, calls: 0 };
  e.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
  e.calls++;
  byKernel.set(key, e);
}
const kernelMs = [...byKernel.values()].reduce((s, e) => s + e.ms, 0) / steps;
console.log(
  `${values.backend}: ${wallMs.toFixed(1)} ms/step wall, ${cpuMs.toFixed(1)} ms/step CPU under profile; ${kernelMs.toFixed(1)} ms (${values.clock}) in kernels, ${(info.kernels.length / steps).toFixed(0)} kernel calls/step; shares of ${values.clock} time`,
);
const width = values.shapes ? 48 : 26;
console.log(`${"kernel".padEnd(width)} ms/step  share  calls/step`);
for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(values.top))) {
  console.log(`${name.padEnd(width)} ${(e.ms / steps).toFixed(2).padStart(7)} ${((100 * e.ms) / steps / totalMs).toFixed(1).padStart(5)}%  ${(e.calls / steps).toFixed(0).padStart(5)}`);
}
gan.dispose();
