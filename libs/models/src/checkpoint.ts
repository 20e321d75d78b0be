import * as tf from "@tensorflow/tfjs-core";
import { promises as fs } from "node:fs";
import type { Gan } from "./gan.js";

/**
 * Checkpoint file layout: "GSCK" magic, a uint32 header length, a JSON header
 * describing each tensor in order, then the data of all tensors as float32.
 * One file, written to a temp name and renamed, so a kill at any moment
 * leaves either the previous checkpoint or the new one — never half of one.
 */
const MAGIC = "GSCK";

interface TensorEntry {
  group: "gen" | "dis" | "gen_opt" | "dis_opt";
  name: string;
  shape: number[];
  /** Stored as float32 whatever it is; Adam's iteration counter is int32. */
  dtype: "float32" | "int32";
}

interface Header<M> {
  version: 1;
  step: number;
  meta: M;
  tensors: TensorEntry[];
  /**
   * Adam's running β₁ᵗ⁺¹ and β₂ᵗ⁺¹ for [generator, discriminator]. setWeights
   * recomputes them as pow(β, t+1), which differs in float32 from the
   * running product training keeps, so a resumed run would drift by ~1e-7.
   */
  adamPowers?: [number, number][];
}

/** Adam's bias-correction powers; protected in tfjs' typings, public at run time. */
interface AdamPowers {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

async function collect(gan: Gan): Promise<{ entries: TensorEntry[]; tensors: tf.Tensor[]; owned: tf.Tensor[] }> {
  const entries: TensorEntry[] = [];
  const tensors: tf.Tensor[] = [];
  // getWeights() makes a fresh scalar for the iteration count; the rest are live variables.
  const owned: tf.Tensor[] = [];
  const add = (group: TensorEntry["group"], name: string, t: tf.Tensor) => {
    if (t.dtype !== "float32" && t.dtype !== "int32") throw new Error(`cannot checkpoint ${name}: dtype ${t.dtype}`);
    entries.push({ group, name, shape: t.shape, dtype: t.dtype });
    tensors.push(t);
  };
  gan.generator.variables.forEach((v) => add("gen", v.name, v));
  gan.discriminator.variables.forEach((v) => add("dis", v.name, v));
  for (const [group, opt] of [["gen_opt", gan.genOptimizer], ["dis_opt", gan.disOptimizer]] as const) {
    const weights = await opt.getWeights();
    weights.forEach((w, i) => {
      add(group, w.name, w.tensor);
      if (i === 0) owned.push(w.tensor);
    });
  }
  return { entries, tensors, owned };
}

/** Writes both networks and both optimisers' state, atomically. */
export async function saveCheckpoint<M>(gan: Gan, file: string, meta: M): Promise<void> {
  const { entries, tensors, owned } = await collect(gan);
  const adamPowers = [gan.genOptimizer, gan.disOptimizer].map((o) => {
    const p = o as unknown as AdamPowers;
    return [p.accBeta1.dataSync()[0]!, p.accBeta2.dataSync()[0]!] as [number, number];
  });
  const header: Header<M> = { version: 1, step: gan.step, meta, tensors: entries, adamPowers };
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, "ascii");
  prefix.writeUInt32LE(headerBytes.length, 4);
  const datas = await Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(owned);
  const body = datas.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength));
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await fs.open(tmp, "w");
  try {
    await handle.writev([prefix, headerBytes, ...body]);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}

/**
 * Restores a checkpoint into a GAN built from the same config. Tensors are
 * matched by position within their group (variable names carry a per-process
 * prefix), and shapes must agree.
 */
export async function loadCheckpoint<M>(gan: Gan, file: string): Promise<M> {
  const buf = await fs.readFile(file);
  if (buf.length < 8 || buf.toString("ascii", 0, 4) !== MAGIC) {
    throw new Error(`${file}: not a ganscope checkpoint (bad magic)`);
  }
  const headerLen = buf.readUInt32LE(4);
  const header = JSON.parse(buf.toString("utf8", 8, 8 + headerLen)) as Header<M>;
  let offset = 8 + headerLen;
  const byGroup: Record<TensorEntry["group"], { name: string; tensor: tf.Tensor }[]> = {
    gen: [],
    dis: [],
    gen_opt: [],
    dis_opt: [],
  };
  for (const e of header.tensors) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (offset + size * 4 > buf.length) throw new Error(`${file}: truncated checkpoint at tensor ${e.name}`);
    // Copy out: the file buffer's offset need not be 4-byte aligned.
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + size * 4));
    offset += size * 4;
    byGroup[e.group].push({ name: e.name, tensor: tf.tensor(data, e.shape, e.dtype) });
  }
  const assign = (vars: readonly tf.Variable[], saved: { name: string; tensor: tf.Tensor }[], what: string) => {
    if (vars.length !== saved.length) {
      throw new Error(`${file}: ${what} has ${saved.length} tensors, the model ${vars.length}: was it saved from another config?`);
    }
    vars.forEach((v, i) => {
      const t = saved[i]!.tensor;
      if (!tf.util.arraysEqual(v.shape, t.shape)) {
        throw new Error(`${file}: ${what} tensor ${i} has shape [${t.shape}], the model [${v.shape}]`);
      }
      v.assign(t);
      t.dispose();
    });
  };
  assign(gan.generator.variables, byGroup.gen, "generator");
  assign(gan.discriminator.variables, byGroup.dis, "discriminator");
  // Optimiser weights: [iterations, first moments…, second moments…]; setWeights adopts the tensors.
  await gan.genOptimizer.setWeights(byGroup.gen_opt);
  await gan.disOptimizer.setWeights(byGroup.dis_opt);
  header.adamPowers?.forEach(([b1, b2], i) => {
    const p = [gan.genOptimizer, gan.disOptimizer][i] as unknown as AdamPowers;
    // A float32 read back as a JS number converts back to the same float32.
    tf.tidy(() => {
      p.accBeta1.assign(tf.scalar(b1));
      p.accBeta2.assign(tf.scalar(b2));
    });
  });
  // setWeights wraps each tensor in a new variable sharing its data; drop our handles.
  tf.dispose([...byGroup.gen_opt, ...byGroup.dis_opt].map((w) => w.tensor));
  gan.step = header.step;
  return header.meta;
}
