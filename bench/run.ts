/**
 * `npm run bench`: ganscope against PyTorch on this machine, in one run.
 *
 * 1. Per iteration: the same MLP GAN step (bench/ganscope-iter.ts,
 *    bench/torch_reference.py) for a fixed number of iterations, each
 *    implementation in its own process; median of several repeats.
 * 2. Sweep throughput: the 4-run plan bench/sweep.exp.ts through the real
 *    runner CLI (one worker per core) against the same 4 runs in PyTorch,
 *    arranged as 2 processes × 1 thread and as 1 process × 2 threads.
 * 3. Leak check: live tensors and RSS over 1,000 iterations.
 * 4. Fused sweep: the 16-run plan bench/sweep16.exp.ts through the runner
 *    with --fuse=K, K ∈ {1, 2, 4, 8, 16}, against PyTorch's two
 *    arrangements, interleaved; peak RSS per worker; a 1,000-iteration leak
 *    check of a fused group (bench/ganscope-group-iter.ts).
 * 5. Study: K seeds of one study config, (3, 2) and (4, 4), through the
 *    runner against PyTorch's loops and its vmap ensemble, with where a
 *    ganscope run's wall time goes (bench/study.ts).
 *
 * Options: --quick (fewer iterations), --skip sweep,leak or --only study,
 * --backends wasm,cpu; the study's: --study-k 5,10, --study-shapes
 * baseline,combined, --study-rounds N, --study-epochs N, --study-limit N.
 * The PyTorch virtual environment (bench/.venv) is created on first use.
 */
import Table from "cli-table3";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { BF16_CPU_FLAGS } from "@ganscope/models";
import { BENCH, PYTHON, ROOT, TSX, lastJson, log, median, run } from "./child-process.js";
import { STUDY_SHAPES, studyBench, studyTables, type StudyOptions, type StudyRow } from "./study.js";

const VENV = path.join(BENCH, ".venv");
/** The wheel pip takes from this machine's local index; the bench pins it so numbers compare across runs. */
const TORCH = "torch==2.13.0";

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    skip: { type: "string", default: "" },
    only: { type: "string" },
    backends: { type: "string" },
    repeats: { type: "string" },
    "fused-rounds": { type: "string" },
    "study-k": { type: "string" },
    "study-shapes": { type: "string" },
    "study-rounds": { type: "string" },
    "study-epochs": { type: "string" },
    "study-limit": { type: "string" },
  },
});
const SECTIONS = ["iter", "sweep", "leak", "fused", "study"];
const only = opts.only?.split(",").filter(Boolean);
for (const s of [...(only ?? []), ...opts.skip.split(",").filter(Boolean)]) {
  if (!SECTIONS.includes(s)) throw new Error(`--only/--skip: unknown section "${s}"; the sections are ${SECTIONS.join(", ")}`);
}
/** --only names the sections to run; --skip the ones to leave out. */
const skip = new Set([...opts.skip.split(",").filter(Boolean), ...(only ? SECTIONS.filter((s) => !only.includes(s)) : [])]);
const quick = opts.quick;
const repeats = Number(opts.repeats ?? (quick ? 3 : 5));

/** No colours: the tables end up in notes and logs. */
const PLAIN = { head: [], border: [] };

function ensureVenv(): void {
  if (existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import torch, numpy"]).status === 0) return;
  log(`creating ${path.relative(ROOT, VENV)} with ${TORCH} (first run only)`);
  const steps: [string, string[]][] = [
    ["python3", ["-m", "venv", VENV]],
    [path.join(VENV, "bin", "pip"), ["install", "--quiet", TORCH, "numpy"]],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status})`);
  }
}

interface IterResult {
  impl: string;
  provider: string;
  iters: number;
  repeats: number;
  msPerIter: number[];
  medianMs: number;
  cpuMsPerIter?: number[];
  peakRssMiB: number;
  leak?: { iters: number; tensors: number[]; rssMiB: number[]; jsHeapMiB: number[]; wasmHeapMiB: number[] };
}

const signed = (x: number) => `${x >= 0 ? "+" : ""}${x}`;

/** Backends ganscope can run here: wasm and cpu always; tensorflow when tfjs-node loads. */
function availableBackends(): string[] {
  if (opts.backends) return opts.backends.split(",");
  const probe = spawnSync(TSX, ["-e", 'import("@ganscope/models").then(m => m.selectBackend("tensorflow")).then(() => process.exit(0), () => process.exit(1))'], {
    cwd: path.join(ROOT, "libs", "models"),
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3" },
    stdio: "ignore",
  });
  return probe.status === 0 ? ["tensorflow", "wasm", "cpu"] : ["wasm", "cpu"];
}

/** ganscope gives TensorFlow one thread unless told otherwise (libs/models/src/backend.ts); this row shows two. */
const TWO_TF_THREADS = { TF_NUM_INTRAOP_THREADS: "2", TF_NUM_INTEROP_THREADS: "2" };

async function iterationBench(backends: string[]): Promise<IterResult[]> {
  const iters = quick ? 40 : 100;
  const jobs: { label: string; cmd: string; args: string[]; env?: Record<string, string> }[] = [
    ...[2, 1].map((t) => ({
      label: `PyTorch ${t} thread${t > 1 ? "s" : ""}`,
      cmd: PYTHON,
      args: [path.join(BENCH, "torch_reference.py"), "iter", "--threads", String(t), "--iters", String(iters), "--repeats", "1"],
    })),
    ...backends.map((b) => ({
      label: `ganscope ${b}`,
      cmd: TSX,
      // The tfjs cpu backend is ~20× slower: fewer iterations keep the bench short.
      args: [path.join(BENCH, "ganscope-iter.ts"), "--backend", b, "--iters", String(b === "cpu" ? Math.max(5, iters / 10) : iters), "--repeats", "1"],
    })),
    // The default is one TensorFlow thread (what each runner worker also gets); two, for comparison.
    ...backends
      .filter((b) => b === "tensorflow")
      .map((b) => ({
        label: `ganscope ${b}, 2 TF threads`,
        cmd: TSX,
        args: [path.join(BENCH, "ganscope-iter.ts"), "--backend", b, "--iters", String(iters), "--repeats", "1"],
        env: TWO_TF_THREADS,
      })),
  ];
  // Round-robin, one repeat per process per round: on a shared machine the load
  // changes by the minute, and every implementation should sample the same minutes.
  const results = new Map<string, IterResult>();
  for (let round = 1; round <= repeats; round++) {
    for (const job of jobs) {
      log(`iterations, round ${round}/${repeats}: ${job.label}`);
      const child = await run(job.cmd, job.args, job.env);
      const r = lastJson<IterResult>(child.stdout);
      const acc = results.get(job.label);
      if (!acc) {
        results.set(job.label, { ...r, impl: job.label });
        continue;
      }
      acc.msPerIter.push(...r.msPerIter);
      acc.cpuMsPerIter?.push(...(r.cpuMsPerIter ?? []));
      acc.peakRssMiB = Math.max(acc.peakRssMiB, r.peakRssMiB);
      acc.repeats += r.repeats;
      acc.medianMs = median(acc.msPerIter);
    }
  }
  return [...results.values()];
}

function iterationTable(results: IterResult[]): string {
  const ref = results.find((r) => r.impl === "PyTorch 2 threads")?.medianMs;
  const refCpu = results.find((r) => r.impl === "PyTorch 1 thread")?.cpuMsPerIter;
  const table = new Table({
    head: ["implementation", "iters × repeats", "ms/iter (median)", "min–max", "samples/s", "peak RSS MiB", "× PyTorch 2 thr (wall)", "CPU ms/iter", "× PyTorch 1 thr (CPU)"],
    style: PLAIN,
  });
  for (const r of results) {
    table.push([
      `${r.impl}\n${r.provider}`,
      `${r.iters} × ${r.repeats}`,
      r.medianMs.toFixed(1),
      `${Math.min(...r.msPerIter).toFixed(1)}–${Math.max(...r.msPerIter).toFixed(1)}`,
      ((64 * 1000) / r.medianMs).toFixed(0),
      String(r.peakRssMiB),
      ref ? (r.medianMs / ref).toFixed(2) : "",
      r.cpuMsPerIter ? median(r.cpuMsPerIter).toFixed(1) : "",
      r.cpuMsPerIter && refCpu ? (median(r.cpuMsPerIter) / median(refCpu)).toFixed(2) : "",
    ]);
  }
  return table.toString();
}

interface SweepResult {
  arrangement: string;
  wallS: number;
  /** Training time only (ganscope: the runs' summary.json trainSecs), summed over runs. */
  trainS?: number;
  workers: { cmd: string; peakMiB: number }[];
}

async function sweepBench(backends: string[]): Promise<SweepResult[]> {
  // 600 steps per run: long enough that process start-up (tsx, libtensorflow,
  // the metrics classifier: ~5 s per plan) does not decide the ratio, short
  // enough for the slow backends. --quick: a third of that.
  const limit = quick ? 6400 : 19200;
  const epochs = 2;
  const out: SweepResult[] = [];

  for (const backend of backends) {
    const results = mkdtempSync(path.join(os.tmpdir(), "ganscope-bench-"));
    try {
      log(`sweep: ganscope runner on ${backend}, 4 runs × ${epochs} epochs × ${limit} images`);
      const args = [path.join(ROOT, "apps", "runner", "src", "main.ts"), "exp", "--file", path.join(BENCH, "sweep.exp.ts"), "--results", results];
      args.push("--limit", String(limit), "--epochs", String(epochs), "--backend", backend);
      const child = await run(TSX, args);
      let trainS = 0;
      const expDir = path.join(results, "bench-sweep");
      for (const d of readdirSync(expDir)) {
        const summary = path.join(expDir, d, "summary.json");
        if (existsSync(summary)) trainS += (JSON.parse(readFileSync(summary, "utf8")) as { trainSecs?: number }).trainSecs ?? 0;
      }
      const workers = [...child.peaks.values()].filter((p) => p.cmd.includes("worker-process.ts")).map((p) => ({ cmd: "runner worker", peakMiB: Math.round(p.mib) }));
      const threads = backend === "tensorflow" ? ", 1 TF thread each" : "";
      out.push({ arrangement: `ganscope ${backend}: runner, ${os.availableParallelism()} workers (one per core)${threads}`, wallS: child.wallS, trainS, workers });
    } finally {
      rmSync(results, { recursive: true, force: true });
    }
  }

  const torch = (threads: number, runs: string) =>
    run(PYTHON, [path.join(BENCH, "torch_reference.py"), "sweep", "--threads", String(threads), "--runs", runs, "--epochs", String(epochs), "--limit", String(limit)]);
  log("sweep: PyTorch 2 processes × 1 thread");
  const t0 = performance.now();
  const pair = await Promise.all([torch(1, "0,1"), torch(1, "2,3")]);
  const parsed = pair.map((c) => lastJson<{ secs: number; peakRssMiB: number }>(c.stdout));
  out.push({
    arrangement: "PyTorch 2 processes × 1 thread",
    wallS: (performance.now() - t0) / 1000,
    trainS: parsed.reduce((s, p) => s + p.secs, 0),
    workers: parsed.map((p) => ({ cmd: "python", peakMiB: p.peakRssMiB })),
  });
  log("sweep: PyTorch 1 process × 2 threads, runs in turn");
  const seq = await torch(2, "0,1,2,3");
  const s = lastJson<{ secs: number; peakRssMiB: number }>(seq.stdout);
  out.push({ arrangement: "PyTorch 1 process × 2 threads, runs in turn", wallS: seq.wallS, trainS: s.secs, workers: [{ cmd: "python", peakMiB: s.peakRssMiB }] });
  return out;
}

/**
 * The 16-run plan (bench/sweep16.exp.ts) through the real runner with
 * --fuse=K on tensorflow, against PyTorch's two arrangements of the same 16
 * runs, same epochs and images. Arrangements are interleaved round by round.
 * K = 16 is one group, so one worker, with two TensorFlow threads.
 */
async function fusedSweepBench(backend: string): Promise<SweepResult[]> {
  const limit = quick ? 1600 : 3200;
  const epochs = 2;
  const rounds = Number(opts["fused-rounds"] ?? 1);
  const ganscope = async (k: number): Promise<SweepResult> => {
    const results = mkdtempSync(path.join(os.tmpdir(), "ganscope-bench-"));
    try {
      const args = [path.join(ROOT, "apps", "runner", "src", "main.ts"), "exp", "--file", path.join(BENCH, "sweep16.exp.ts"), "--results", results];
      args.push("--limit", String(limit), "--epochs", String(epochs), "--backend", backend, "--fuse", String(k));
      const single = k === 16;
      if (single) args.push("--concurrency", "1");
      const child = await run(TSX, args, single ? TWO_TF_THREADS : {});
      let trainS = 0;
      const expDir = path.join(results, "bench-sweep16");
      for (const d of readdirSync(expDir)) {
        const summary = path.join(expDir, d, "summary.json");
        if (existsSync(summary)) trainS += (JSON.parse(readFileSync(summary, "utf8")) as { trainSecs?: number }).trainSecs ?? 0;
      }
      const workers = [...child.peaks.values()].filter((p) => p.cmd.includes("worker-process.ts")).map((p) => ({ cmd: "runner worker", peakMiB: Math.round(p.mib) }));
      const how = single ? "1 worker, 2 TF threads" : `${os.availableParallelism()} workers, 1 TF thread each`;
      return { arrangement: `ganscope ${backend} fused K=${k}: runner --fuse=${k}, ${how}`, wallS: child.wallS, trainS, workers };
    } finally {
      rmSync(results, { recursive: true, force: true });
    }
  };
  const torch = (threads: number, runs: string) =>
    run(PYTHON, [path.join(BENCH, "torch_reference.py"), "sweep", "--grid", "16", "--threads", String(threads), "--runs", runs, "--epochs", String(epochs), "--limit", String(limit)]);
  const torchPair = async (): Promise<SweepResult> => {
    const t0 = performance.now();
    const pair = await Promise.all([torch(1, "0,1,2,3,4,5,6,7"), torch(1, "8,9,10,11,12,13,14,15")]);
    const parsed = pair.map((c) => lastJson<{ secs: number; peakRssMiB: number }>(c.stdout));
    return { arrangement: "PyTorch 2 processes × 1 thread", wallS: (performance.now() - t0) / 1000, trainS: parsed.reduce((s, p) => s + p.secs, 0), workers: parsed.map((p) => ({ cmd: "python", peakMiB: p.peakRssMiB })) };
  };
  const torchSeq = async (): Promise<SweepResult> => {
    const seq = await torch(2, Array.from({ length: 16 }, (_, i) => i).join(","));
    const s = lastJson<{ secs: number; peakRssMiB: number }>(seq.stdout);
    return { arrangement: "PyTorch 1 process × 2 threads, runs in turn", wallS: seq.wallS, trainS: s.secs, workers: [{ cmd: "python", peakMiB: s.peakRssMiB }] };
  };
  const jobs: [string, () => Promise<SweepResult>][] = [
    ["fused K=1", () => ganscope(1)],
    ["PyTorch 2×1", torchPair],
    ["fused K=2", () => ganscope(2)],
    ["fused K=4", () => ganscope(4)],
    ["PyTorch 1×2", torchSeq],
    ["fused K=8", () => ganscope(8)],
    ["fused K=16", () => ganscope(16)],
  ];
  const byLabel = new Map<string, SweepResult[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const [label, job] of jobs) {
      log(`fused sweep, round ${round}/${rounds}: ${label} (16 runs × ${epochs} epochs × ${limit} images; load ${os.loadavg()[0]!.toFixed(1)})`);
      const r = await job();
      log(`  ${r.arrangement}: wall ${r.wallS.toFixed(1)} s, training ${r.trainS?.toFixed(1) ?? "?"} s, peak RSS per worker ${r.workers.map((w) => w.peakMiB).join(", ")} MiB`);
      byLabel.set(label, [...(byLabel.get(label) ?? []), { ...r, loadavg: os.loadavg()[0] } as SweepResult]);
    }
  }
  // Median over rounds per arrangement (the raw rounds stay in the JSON).
  return [...byLabel.values()].map((rs) => {
    const wall = median(rs.map((r) => r.wallS));
    const mid = rs.find((r) => r.wallS === wall) ?? rs[0]!;
    return { ...mid, wallS: wall, trainS: median(rs.map((r) => r.trainS ?? 0)), rounds: rs } as SweepResult;
  });
}

function sweepTable(results: SweepResult[], runs = 4): string {
  const torchBest = Math.min(...results.filter((r) => r.arrangement.startsWith("PyTorch")).map((r) => r.wallS));
  // Training time alone, against PyTorch's in the same arrangement (2 processes × 1 thread).
  const torchTrain = results.find((r) => r.arrangement === "PyTorch 2 processes × 1 thread")?.trainS;
  const table = new Table({
    style: PLAIN,
    head: [`${runs}-run plan`, "wall s", "throughput × best PyTorch (wall)", "training s (sum over runs)", "training × PyTorch 2×1", "peak RSS per worker MiB"],
  });
  for (const r of results) {
    table.push([
      r.arrangement,
      r.wallS.toFixed(1),
      (torchBest / r.wallS).toFixed(2),
      r.trainS?.toFixed(1) ?? "",
      r.trainS && torchTrain ? (torchTrain / r.trainS).toFixed(2) : "",
      r.workers.map((w) => w.peakMiB).join(", "),
    ]);
  }
  return table.toString();
}

async function leakCheck(backend: string): Promise<IterResult> {
  const n = quick ? 300 : 1000;
  log(`leak check: ${n} iterations on ${backend}`);
  const child = await run(TSX, [path.join(BENCH, "ganscope-iter.ts"), "--backend", backend, "--iters", "1", "--repeats", "1", "--leak", String(n)], {
    NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} --expose-gc`,
  });
  return lastJson<IterResult>(child.stdout);
}

ensureVenv();
const backends = availableBackends();
/** The CPU's vector and matrix units (Linux): which kind of machine the numbers are from (AVX2 only, AVX-512, AMX bf16). */
function cpuFlags(): string[] {
  const flags = existsSync("/proc/cpuinfo") ? (/^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "") : "";
  return flags.split(" ").filter((f) => /^(avx2|fma|avx512\w*|amx\w*)$/.test(f));
}
const report: Record<string, unknown> = { date: new Date().toISOString(), host: os.hostname(), cpus: os.cpus()[0]?.model, cpuFlags: cpuFlags(), cores: os.availableParallelism(), loadavg: os.loadavg() };
const lines: string[] = [];
/**
 * Each section's lines go to stderr as soon as it ends and the raw JSON is
 * rewritten, so an interrupted bench still leaves what it measured.
 */
const partial = path.join(BENCH, "results", `bench-${(report["date"] as string).replace(/:/g, "-")}.partial.json`);
function sectionDone(from: number): void {
  process.stderr.write(`${lines.slice(from).join("\n")}\n`);
  mkdirSync(path.dirname(partial), { recursive: true });
  writeFileSync(partial, JSON.stringify(report, null, 2));
}

let mark = lines.length;
if (!skip.has("iter")) {
  const iter = await iterationBench(backends);
  report["iterations"] = iter;
  lines.push(`Per iteration (G 100-256-512-784, D 784-512-256-1, batch 64, one D + one G Adam step):`, iterationTable(iter));
}
sectionDone(mark);
mark = lines.length;
if (!skip.has("sweep")) {
  // The cpu backend would take hours: the sweep compares the backends a user would train on.
  const sweep = await sweepBench(backends.filter((b) => b !== "cpu"));
  report["sweep"] = sweep;
  lines.push(`Sweep throughput (bench/sweep.exp.ts, 4 runs; ganscope wall time includes process start, checkpoints and per-run evaluation):`, sweepTable(sweep));
}
sectionDone(mark);
mark = lines.length;
if (!skip.has("leak")) {
  report["leak"] = [];
  for (const backend of backends.filter((b) => b !== "cpu")) {
    const leak = await leakCheck(backend);
    (report["leak"] as IterResult[]).push(leak);
    const l = leak.leak!;
    lines.push(
      `Leak check (${leak.impl}, ${l.iters} iterations, sampled every ${l.iters / l.tensors.length}):`,
      `  tf.memory().numTensors: ${l.tensors.join(" ")}`,
      `  RSS MiB:                ${l.rssMiB.join(" ")}`,
      `  JS heap MiB (after GC): ${l.jsHeapMiB.join(" ")}`,
      `  wasm heap MiB:          ${l.wasmHeapMiB.join(" ")}${backend === "wasm" ? "" : " (not used by this backend)"}`,
      `  → tensors ${new Set(l.tensors).size === 1 ? "constant" : `CHANGED by ${l.tensors.at(-1)! - l.tensors[0]!}`}, RSS ${signed(l.rssMiB.at(-1)! - l.rssMiB[0]!)} MiB, JS heap ${signed(l.jsHeapMiB.at(-1)! - l.jsHeapMiB[0]!)} MiB, wasm heap ${signed(l.wasmHeapMiB.at(-1)! - l.wasmHeapMiB[0]!)} MiB from first to last sample`,
    );
  }
}

sectionDone(mark);
mark = lines.length;
if (!skip.has("fused") && backends.includes("tensorflow")) {
  const fused = await fusedSweepBench("tensorflow");
  report["fusedSweep"] = fused;
  report["sweep"] = [...((report["sweep"] as SweepResult[] | undefined) ?? []), ...fused];
  lines.push(`Fused sweep (bench/sweep16.exp.ts, 16 runs, the (3,3) dropout 4×4 grid; ganscope wall time includes process start, calibration-free --fuse=K, checkpoints and per-run evaluation):`, sweepTable(fused, 16));
  // 1,000 group iterations either way; --quick fuses 2 runs instead of 8.
  const n = 1000;
  const leakK = quick ? 2 : 8;
  log(`leak check: ${n} fused iterations (K=${leakK}) on tensorflow`);
  const child = await run(TSX, [path.join(BENCH, "ganscope-group-iter.ts"), "--backend", "tensorflow", "--k", String(leakK), "--iters", "1", "--repeats", "1", "--leak", String(n)], {
    NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} --expose-gc`,
  });
  const leak = lastJson<IterResult>(child.stdout);
  report["fusedLeak"] = leak;
  const l = leak.leak!;
  lines.push(
    `Leak check (ganscope tensorflow, fused K=${leakK}, ${l.iters} group iterations, sampled every ${l.iters / l.tensors.length}, a sync of every run into its Gan at each sample):`,
    `  tf.memory().numTensors: ${l.tensors.join(" ")}`,
    `  RSS MiB:                ${l.rssMiB.join(" ")}`,
    `  JS heap MiB (after GC): ${l.jsHeapMiB.join(" ")}`,
    `  → tensors ${new Set(l.tensors).size === 1 ? "constant" : `CHANGED by ${l.tensors.at(-1)! - l.tensors[0]!}`}, RSS ${signed(l.rssMiB.at(-1)! - l.rssMiB[0]!)} MiB, JS heap ${signed(l.jsHeapMiB.at(-1)! - l.jsHeapMiB[0]!)} MiB from first to last sample`,
  );
}

sectionDone(mark);
mark = lines.length;
if (!skip.has("study")) {
  const list = (v: string | undefined, fallback: string) => (v ?? fallback).split(",").filter(Boolean);
  const study: StudyOptions = {
    ks: list(opts["study-k"], quick ? "2" : "5,10").map(Number),
    shapes: list(opts["study-shapes"], STUDY_SHAPES.map((s) => s.name).join(",")),
    rounds: Number(opts["study-rounds"] ?? (quick ? 1 : 3)),
    epochs: Number(opts["study-epochs"] ?? 1),
    // --quick: 50 steps a run instead of an epoch of 60,000 digits (469).
    limit: Number(opts["study-limit"] ?? (quick ? 6400 : 0)),
    backend: backends.includes("tensorflow") ? "tensorflow" : backends[0]!,
    bf16: backends.includes("tensorflow") && BF16_CPU_FLAGS.some((f) => (report["cpuFlags"] as string[]).includes(f)),
  };
  report["study"] = await studyBench(study);
  report["studyOptions"] = study;
  lines.push(...studyTables(report["study"] as StudyRow[]));
}

sectionDone(mark);
const load = os.loadavg();
lines.push(`Machine: ${report["cpus"]} (${(report["cpuFlags"] as string[]).join(" ") || "no AVX2"}), ${report["cores"]} cores; load average at start ${(report["loadavg"] as number[]).map((x) => x.toFixed(1)).join(" ")}, at end ${load.map((x) => x.toFixed(1)).join(" ")} (shared machine: compare numbers from the same run only).`);
console.log(lines.join("\n"));
mkdirSync(path.join(BENCH, "results"), { recursive: true });
const file = path.join(BENCH, "results", `bench-${report["date"] as string}.json`.replace(/:/g, "-"));
writeFileSync(file, JSON.stringify(report, null, 2));
rmSync(partial, { force: true });
log(`raw numbers: ${path.relative(ROOT, file)}`);
