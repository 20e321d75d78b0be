import * as tf from "@tensorflow/tfjs-core";
import { promises as fs } from "node:fs";
import { describeErrno, StoreWriteError, writeFileAtomic } from "@ganscope/tracking";
import type { Gan } from "./gan.js";
import { exportAdamState, importAdamState } from "./tfjs-internals.js";

/**
 * Checkpoint file layout: "GSCK" magic, a uint32 header length, a JSON header
 * describing each tensor in order, then the data of all tensors as float32.
 * One file, written as the run store writes its files (writeFileAtomic), so
 * a kill at any moment leaves either the previous checkpoint or the new one —
 * never half of one.
 */
const MAGIC = "GSCK";

interface TensorEntry {
  group: "gen" | "dis" | "gen_opt" | "dis_opt";
  name: string;
  shape: number[];
  /** Stored as float32 whatever it is; Adam's iteration counter is int32. */
  dtype: "float32" | "int32";
}

export interface CheckpointHeader<M> {
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

/**
 * Parses a checkpoint's framing and checks that it holds exactly the bytes
 * its header promises; throws a {@link CheckpointError} saying what is wrong.
 */
export function parseCheckpoint<M>(buf: Uint8Array, file: string): { header: CheckpointHeader<M>; dataOffset: number } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 8 || b.toString("ascii", 0, 4) !== MAGIC) throw new CheckpointError(file, "not a ganscope checkpoint (bad magic)");
  const headerLen = b.readUInt32LE(4);
  if (8 + headerLen > b.length) throw new CheckpointError(file, `truncated checkpoint: ${b.length} bytes, its header alone needs ${8 + headerLen}`);
  let header: CheckpointHeader<M>;
  try {
    header = JSON.parse(b.toString("utf8", 8, 8 + headerLen)) as CheckpointHeader<M>;
  } catch (e) {
    throw new CheckpointError(file, `corrupt checkpoint header (${(e as Error).message})`);
  }
  if (!Array.isArray(header.tensors)) throw new CheckpointError(file, "corrupt checkpoint header (no tensor list)");
  const need = 8 + headerLen + header.tensors.reduce((sum, e) => sum + 4 * e.shape.reduce((a, x) => a * x, 1), 0);
  if (b.length < need) {
    let offset = 8 + headerLen;
    const at = header.tensors.find((e) => (offset += 4 * e.shape.reduce((a, x) => a * x, 1)) > b.length);
    throw new CheckpointError(file, `truncated checkpoint at tensor ${at?.name ?? "?"}: ${b.length} bytes where ${need} are needed`);
  }
  if (b.length > need) throw new CheckpointError(file, `corrupt checkpoint: ${b.length} bytes where ${need} are expected`);
  return { header, dataOffset: 8 + headerLen };
}

/** A checkpoint file that cannot be restored; the message names the file and what is wrong. */
export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
  constructor(
    readonly file: string,
    readonly detail: string,
    /** The errno of a failed write (ENOSPC, EROFS, …); undefined for a file that does not parse. */
    readonly code?: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** Both networks and both optimisers' state as checkpoint bytes (prefix, header, tensor data). */
export async function encodeCheckpoint<M>(gan: Gan, meta: M): Promise<Buffer[]> {
  const { entries, tensors, owned } = await collect(gan);
  const adamPowers: [number, number][] = [];
  for (const o of [gan.genOptimizer, gan.disOptimizer]) {
    const s = await exportAdamState(o);
    adamPowers.push([s.accBeta1, s.accBeta2]);
  }
  const header: CheckpointHeader<M> = { version: 1, step: gan.step, meta, tensors: entries, adamPowers };
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, "ascii");
  prefix.writeUInt32LE(headerBytes.length, 4);
  const datas = await Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(owned);
  return [prefix, headerBytes, ...datas.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength))];
}

/**
 * Writes both networks and both optimisers' state. The previous checkpoint
 * stays in place until the new one is fully written, fsynced, read back and
 * parsed: a failure at any point (full disk, read-only folder, kill -9) leaves
 * the previous good checkpoint and no temp file, so a rerun resumes from it.
 */
export async function saveCheckpoint<M>(gan: Gan, file: string, meta: M): Promise<void> {
  const chunks = await encodeCheckpoint(gan, meta);
  try {
    await writeFileAtomic(file, chunks, { verify: (bytes) => void parseCheckpoint(bytes, file) });
  } catch (e) {
    throw writeError(file, e);
  }
}

/** A failed write as a CheckpointError: its errno, and advice that fits a checkpoint. */
function writeError(file: string, e: unknown): CheckpointError {
  const cause = e instanceof StoreWriteError && e.cause !== undefined ? e.cause : e;
  if (cause instanceof CheckpointError) return new CheckpointError(file, `cannot write checkpoint: ${cause.detail}`, "EVERIFY");
  const code = e instanceof StoreWriteError ? e.code : ((e as NodeJS.ErrnoException).code ?? "EUNKNOWN");
  const advice = code === "ENOSPC" || code === "EDQUOT" ? "; free some space and run again (it resumes from the previous checkpoint)" : "";
  return new CheckpointError(file, `cannot write checkpoint: ${describeErrno(cause)}${advice}`, code);
}

/**
 * Restores a checkpoint into a GAN built from the same config. Tensors are
 * matched by position within their group (variable names carry a per-process
 * prefix), and shapes must agree.
 */
export async function loadCheckpoint<M>(gan: Gan, file: string): Promise<M> {
  const buf = await fs.readFile(file);
  const parsed = parseCheckpoint<M>(buf, file);
  const header = parsed.header;
  let offset = parsed.dataOffset;
  const byGroup: Record<TensorEntry["group"], { name: string; tensor: tf.Tensor }[]> = {
    gen: [],
    dis: [],
    gen_opt: [],
    dis_opt: [],
  };
  for (const e of header.tensors) {
    const size = e.shape.reduce((a, b) => a * b, 1);
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
  // A float32 read back as a JS number converts back to the same float32.
  header.adamPowers?.forEach(([accBeta1, accBeta2], i) => importAdamState([gan.genOptimizer, gan.disOptimizer][i]!, { accBeta1, accBeta2 }));
  // setWeights wraps each tensor in a new variable sharing its data; drop our handles.
  tf.dispose([...byGroup.gen_opt, ...byGroup.dis_opt].map((w) => w.tensor));
  gan.step = header.step;
  return header.meta;
}
