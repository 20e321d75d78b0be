import { promises as fs } from "node:fs";
import path from "node:path";
import { crc32, deflateSync } from "node:zlib";
import type { EpochRecord, PlanIndex, RunStatus } from "@ganscope/tracking";

/**
 * A run store shaped like a real sweep (a gen_dropout × dis_dropout grid,
 * per-epoch records with evaluated metrics every few epochs, sample grids,
 * summaries with verdicts), written without training, for timing the
 * dashboard at sizes the tests cannot afford. Never committed: generated
 * into a temporary folder by build-bench.ts.
 */

export interface SyntheticOptions {
  /** Values per axis: runs = side². */
  side: number;
  epochs: number;
  /** A sample grid every this many epochs (the runner's default is 5). */
  sampleEvery: number;
  /** Evaluated metrics every this many epochs. */
  evalEvery: number;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A PNG shaped like the runner's sample grids (302×302 RGB: 10×10 cells of
 * 28×28 with 2-pixel gutters), holding blurry blobs about as compressible as
 * trained digits; an untrained generator's noise compresses far worse.
 */
export function syntheticGridPng(seed: number): Buffer {
  const cell = 28;
  const gap = 2;
  const size = 10 * cell + 11 * gap;
  const rand = rng(seed);
  const stride = size * 3 + 1;
  const raw = Buffer.alloc(stride * size);
  const centres = Array.from({ length: 100 }, () => [8 + rand() * 12, 8 + rand() * 12, 3 + rand() * 4] as const);
  for (let y = 0; y < size; y++) {
    raw[y * stride] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const cx0 = x - gap - Math.floor((x - gap) / (cell + gap)) * (cell + gap);
      const cy0 = y - gap - Math.floor((y - gap) / (cell + gap)) * (cell + gap);
      let v = 64; // gutter grey
      if (x >= gap && y >= gap && cx0 < cell && cy0 < cell) {
        const [cx, cy, r] = centres[Math.floor((y - gap) / (cell + gap)) * 10 + Math.floor((x - gap) / (cell + gap))]!;
        const d = Math.hypot(cx0 - cx, cy0 - cy);
        v = Math.min(255, Math.round(Math.max(0, 255 - (d / r) * 160 + (rand() - 0.5) * 60)));
      }
      raw.fill(v, y * stride + 1 + x * 3, y * stride + 4 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB, as the runner writes
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

const VERDICTS = ["converged", "not_converged", "mode_collapse", "vanishing_gradients"] as const;

/** Writes the synthetic experiment `name` under `root`; returns the number of runs. */
export async function writeSyntheticStore(root: string, name: string, o: SyntheticOptions): Promise<number> {
  const values = Array.from({ length: o.side }, (_, i) => Number((i * (0.9 / Math.max(1, o.side - 1))).toFixed(2)));
  const runs: PlanIndex["runs"] = [];
  for (const g of values) for (const d of values) runs.push({ runId: `syn${String(runs.length).padStart(9, "0")}`, varied: { gen_dropout: g, dis_dropout: d } });
  const plan: PlanIndex = {
    experiment: name,
    description: `Synthetic ${runs.length}-run × ${o.epochs}-epoch store for timing the dashboard (no training).`,
    axes: ["gen_dropout", "dis_dropout"],
    createdAt: new Date(0).toISOString(),
    runs,
  };
  await fs.mkdir(path.join(root, name), { recursive: true });
  await fs.writeFile(path.join(root, name, "plan.json"), JSON.stringify(plan, null, 2));
  const pngs = Array.from({ length: 8 }, (_, i) => syntheticGridPng(i + 1));

  for (const [i, run] of runs.entries()) {
    const rand = rng(1000 + i);
    const dir = path.join(root, name, run.runId);
    await fs.mkdir(path.join(dir, "samples"), { recursive: true });
    const records: EpochRecord[] = [];
    for (let e = 1; e <= o.epochs; e++) {
      const t = e / o.epochs;
      const rec: EpochRecord = {
        epoch: e,
        d_loss: 1.4 * Math.exp(-2 * t * (1 + i / runs.length)) + 0.3 + (rand() - 0.5) * 0.1,
        g_loss: 0.7 + 2 * t * (i / runs.length) + (rand() - 0.5) * 0.2,
        d_real: 0.5 + 0.4 * t + (rand() - 0.5) * 0.05,
        d_fake: 0.5 - 0.4 * t * (i / runs.length) + (rand() - 0.5) * 0.05,
        d_grad_norm: 2 + rand(),
        g_grad_norm: 1 + rand(),
        steps: 938,
        secs: 4 + rand(),
      };
      if (e % o.evalEvery === 0 || e === o.epochs) {
        rec.fid_lite = 200 * Math.exp(-3 * t) + 10 + 40 * (i / runs.length) + rand() * 5;
        rec.modes = Math.min(10, Math.round(4 + 6 * t - 4 * (i % 3 === 2 ? 1 : 0)));
        rec.kl_uniform = Math.max(0, 1.5 * Math.exp(-3 * t) + (i % 3 === 2 ? 0.8 : 0) + (rand() - 0.5) * 0.05);
        rec.is_lite = 1 + 8 * t * (i % 3 === 2 ? 0.3 : 1);
        rec.max_class_share = i % 3 === 2 ? 0.6 : 0.12;
        rec.diversity = 0.4 + 0.5 * t;
        rec.collapsed = i % 3 === 2 ? 1 : 0;
        // The metrics lib's per-digit shares of the generated samples.
        for (let k = 0; k < 10; k++) rec[`class_share_${k}`] = i % 3 === 2 ? (k === 1 ? 0.6 : 0.4 / 9) : 0.1;
      }
      records.push(rec);
      if (e % o.sampleEvery === 0 || e === o.epochs) {
        await fs.writeFile(path.join(dir, "samples", `epoch-${String(e).padStart(4, "0")}.png`), pngs[(i + e) % pngs.length]!);
      }
    }
    await fs.writeFile(path.join(dir, "metrics.jsonl"), records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const status: RunStatus = { state: "done", epochsDone: o.epochs, epochs: o.epochs, updatedAt: new Date(0).toISOString(), pid: 1, host: "synthetic" };
    await fs.writeFile(path.join(dir, "status.json"), JSON.stringify(status));
    await fs.writeFile(path.join(dir, "config.json"), JSON.stringify({ runId: run.runId, experiment: name, varied: run.varied, config: { epochs: o.epochs } }));
    const trainSecs = records.reduce((s, r) => s + r.secs, 0);
    await fs.writeFile(
      path.join(dir, "summary.json"),
      // The shape the metrics lib's runner hook writes.
      JSON.stringify({
        runId: run.runId,
        status: "done",
        epochs: o.epochs,
        trainSecs,
        final: records.at(-1),
        verdict: VERDICTS[i % VERDICTS.length],
        verdict_reasons: [`synthetic verdict for run ${i}`],
        metrics: { final: { epoch: o.epochs, fid_lite: records.at(-1)!.fid_lite }, best: {}, evaluations: Math.floor(o.epochs / o.evalEvery) },
      }),
    );
  }
  return runs.length;
}
