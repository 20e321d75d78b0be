/**
 * The GPU kit's device check (`./run.sh device-check --out DIR`): what a lent
 * GPU machine is asked, in one command that fits its limits (10 minutes a
 * command, ~15 in all). Each phase writes its result into DIR/device-check.json
 * as it ends, so a check cut short still leaves what it measured:
 *
 * 1. the machine: CPU, memory, OS, `nvidia-smi`, the Vulkan driver file;
 * 2. the adapter Dawn picked (`--backend webgpu` refuses a software one
 *    unless GANSCOPE_WEBGPU_ADAPTER=software);
 * 3. correctness: one short run trained on webgpu and on the pure-JS cpu
 *    backend, their step statistics compared (relative difference);
 * 4. speed: ms per training step at several sizes, and run-steps per second
 *    of fused groups of K runs (the measurement `--fuse auto` makes);
 * 5. a real piece of the digits study: `runner study --only … --fuse K
 *    --backend webgpu --export DIR/evidence`, stopped when the time budget
 *    runs out (SIGTERM, then SIGKILL), its finished runs exported either way.
 */
import { Command, InvalidArgumentError } from "commander";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { STEP_STAT_KEYS, experiment, type RunConfig } from "@ganscope/dsl";
import { releaseBackend, selectBackend, type BackendInfo, type BackendName } from "@ganscope/models";
import { RunStore, type EpochRecord } from "@ganscope/tracking";
import { measureFusion, trainRun } from "@ganscope/training";

/** The kit's root: this file is bundled into <kit>/app/. */
const KIT = path.resolve(import.meta.dirname, "..");

/** A timed size: layers of generator and discriminator, and the batch. */
interface Size {
  gen_layers: number;
  dis_layers: number;
  batch_size: number;
}

interface Options {
  out: string;
  minutes: number;
  sizes: Size[];
  ks: number[];
  widths?: [number, number, number];
  correctnessSteps: number;
  study: string;
  budget: string;
  only: string[];
  fuse: number;
  concurrency: number;
  evidence?: string;
  work: string;
}

function parseSize(v: string, prev: Size[] | undefined): Size[] {
  const m = /^(\d+)x(\d+)\/(\d+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--size must read GxD/BATCH, e.g. 3x2/128, got "${v}"`);
  return [...(prev ?? []), { gen_layers: Number(m[1]), dis_layers: Number(m[2]), batch_size: Number(m[3]) }];
}

function intList(name: string) {
  return (v: string): number[] => {
    const xs = v.split(",").map(Number);
    if (xs.some((x) => !Number.isSafeInteger(x) || x < 1)) throw new InvalidArgumentError(`${name} must be integers ≥ 1 separated by commas, got "${v}"`);
    return xs;
  };
}

function positive(name: string) {
  return (v: string): number => {
    const x = Number(v);
    if (!(x > 0)) throw new InvalidArgumentError(`${name} must be a number > 0, got "${v}"`);
    return x;
  };
}

/** A run config at a size, through the DSL (its width rule and defaults), with the widths overridden for tiny checks. */
function configAt(size: Size, o: Options, extra: Partial<RunConfig> = {}): RunConfig {
  const widths = o.widths ? { gen_width: o.widths[0], dis_width: o.widths[1], max_width: o.widths[2] } : {};
  return experiment("device-check").fix({ ...size, ...widths, ...extra }).compile().runs[0]!.config;
}

function command(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

function machine(): Record<string, unknown> {
  const release = existsSync("/etc/os-release") ? /PRETTY_NAME="?([^"\n]*)/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] : undefined;
  return {
    host: os.hostname(),
    os: release ?? `${os.type()} ${os.release()}`,
    kernel: os.release(),
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.availableParallelism(),
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    vkDriverFiles: process.env["VK_DRIVER_FILES"] ?? null,
    nvidiaSmi: command("nvidia-smi", []),
    nvidiaSmiQuery: command("nvidia-smi", ["--query-gpu=name,driver_version,memory.total,clocks.max.sm", "--format=csv,noheader"]),
    kit: existsSync(path.join(KIT, "KIT.json")) ? (JSON.parse(readFileSync(path.join(KIT, "KIT.json"), "utf8")) as unknown) : null,
  };
}

async function trainShort(backend: BackendInfo, config: RunConfig, results: string): Promise<EpochRecord[]> {
  const plan = experiment("device-check-correctness").fix(config).compile();
  const spec = plan.runs[0]!;
  const outcome = await trainRun(spec, { resultsDir: results, experiment: plan.experiment, backend, hooks: [] });
  if (outcome.status !== "done") throw new Error(`the correctness run on ${backend.name} ended ${outcome.status}${"error" in outcome ? `: ${outcome.error}` : ""}`);
  return new RunStore(results).run(plan.experiment, spec.runId).readRecords();
}

/** The largest |a − b| / (1 + |b|) over every epoch, per step statistic: webgpu (a) against cpu (b). */
function relativeDifferences(gpu: EpochRecord[], cpu: EpochRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of STEP_STAT_KEYS) {
    let worst = 0;
    for (const [i, r] of gpu.entries()) {
      const a = (r as unknown as Record<string, number>)[key];
      const b = (cpu[i] as unknown as Record<string, number> | undefined)?.[key];
      if (typeof a !== "number" || typeof b !== "number") continue;
      worst = Math.max(worst, Math.abs(a - b) / (1 + Math.abs(b)));
    }
    out[key] = worst;
  }
  return out;
}

/** Runs the study piece in the kit's runner, stopped at `deadline` (ms since epoch); resolves with how it ended. */
function runStudy(args: string[], log: string, deadline: number, graceMs: number): Promise<{ exit: number | null; stoppedAt?: string }> {
  return new Promise((resolve) => {
    const fd = openSync(log, "a");
    const child = spawn(process.execPath, [path.join(KIT, "app", "runner.mjs"), ...args], { cwd: KIT, stdio: ["ignore", fd, fd] });
    let stoppedAt: string | undefined;
    const stop = setTimeout(() => {
      stoppedAt = new Date().toISOString();
      // The runner passes SIGTERM to its workers (each run keeps its last checkpointed epoch); a grace, then the hard way.
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), graceMs).unref();
    }, Math.max(0, deadline - Date.now()));
    child.on("exit", (code) => {
      clearTimeout(stop);
      resolve({ exit: code, ...(stoppedAt ? { stoppedAt } : {}) });
    });
  });
}

function summary(r: Record<string, unknown>): string {
  const lines: string[] = [];
  const m = r["machine"] as Record<string, unknown> | undefined;
  if (m) lines.push(`machine: ${String(m["cpu"])}, ${String(m["cores"])} cores, ${String(m["memoryGiB"])} GiB; ${String(m["os"])}; GPU: ${String(m["nvidiaSmiQuery"] ?? "none (no nvidia-smi)")}`);
  const a = r["adapter"] as { provider?: string; error?: string } | undefined;
  if (a) lines.push(`webgpu: ${a.provider ?? `unavailable: ${a.error}`}`);
  const c = r["correctness"] as { steps?: number; maxRelative?: Record<string, number>; error?: string } | undefined;
  if (c?.maxRelative) lines.push(`correctness: ${c.steps} steps, webgpu against cpu, largest relative difference ${Math.max(...Object.values(c.maxRelative)).toExponential(2)} (${Object.entries(c.maxRelative).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(", ")})`);
  else if (c?.error) lines.push(`correctness: failed: ${c.error}`);
  for (const s of (r["stepTimes"] as { size: string; msPerStep: number }[] | undefined) ?? []) lines.push(`step: ${s.size}: ${s.msPerStep.toFixed(2)} ms`);
  for (const f of (r["fused"] as { size: string; k: number; runStepsPerSec: number; msPerGroupStep: number }[] | undefined) ?? []) {
    lines.push(`fused: ${f.size} K=${f.k}: ${f.runStepsPerSec.toFixed(1)} run-steps/s (${f.msPerGroupStep.toFixed(2)} ms a group step)`);
  }
  const s = r["study"] as { command?: string; exit?: number | null; stoppedAt?: string; exported?: unknown; secs?: number } | undefined;
  if (s) lines.push(`study: ${s.command} → exit ${s.exit}${s.stoppedAt ? `, stopped by the time budget at ${s.stoppedAt}` : ""} after ${s.secs?.toFixed(0)} s; evidence: ${JSON.stringify(s.exported ?? null)}`);
  for (const e of (r["errors"] as string[] | undefined) ?? []) lines.push(`error: ${e}`);
  return lines.join("\n") + "\n";
}

async function deviceCheck(o: Options): Promise<void> {
  const t0 = Date.now();
  const deadline = t0 + o.minutes * 60_000;
  const out = path.resolve(o.out);
  mkdirSync(out, { recursive: true });
  rmSync(o.work, { recursive: true, force: true });
  mkdirSync(o.work, { recursive: true });
  const result: Record<string, unknown> = { startedAt: new Date(t0).toISOString(), options: { ...o }, errors: [] as string[] };
  const errors = result["errors"] as string[];
  const save = () => {
    result["secs"] = (Date.now() - t0) / 1000;
    writeFileSync(path.join(out, "device-check.json"), JSON.stringify(result, null, 2) + "\n");
    writeFileSync(path.join(out, "summary.txt"), summary(result));
  };
  const say = (line: string) => console.error(`[device-check ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);

  result["machine"] = machine();
  save();
  say(`machine: ${String((result["machine"] as Record<string, unknown>)["cpu"])}; GPU ${String((result["machine"] as Record<string, unknown>)["nvidiaSmiQuery"] ?? "none")}`);

  let webgpu: BackendInfo | undefined;
  try {
    webgpu = await selectBackend("webgpu");
    result["adapter"] = { provider: webgpu.provider, adapter: webgpu.adapter };
    say(`webgpu: ${webgpu.provider}`);
  } catch (e) {
    result["adapter"] = { error: (e as Error).message };
    errors.push(`webgpu: ${(e as Error).message}`);
    say(`no webgpu: ${(e as Error).message}`);
  }
  save();
  if (!webgpu) {
    process.exitCode = 1;
    return;
  }

  // Correctness: the first size, a few steps on real digits, without evaluations (those are checked in CI: libs/training/src/webgpu-run.test.ts).
  try {
    const size = o.sizes[0]!;
    const config = configAt(size, o, { limit: size.batch_size * o.correctnessSteps, epochs: 1 });
    const cpuRecords = await trainShort(await selectBackend("cpu"), config, path.join(o.work, "correctness-cpu"));
    const gpuRecords = await trainShort(await selectBackend("webgpu"), config, path.join(o.work, "correctness-webgpu"));
    result["correctness"] = { size: `(${size.gen_layers}, ${size.dis_layers}) batch ${size.batch_size}`, steps: o.correctnessSteps, maxRelative: relativeDifferences(gpuRecords, cpuRecords), webgpu: gpuRecords, cpu: cpuRecords };
    say(`correctness: done`);
  } catch (e) {
    result["correctness"] = { error: (e as Error).message };
    errors.push(`correctness: ${(e as Error).message}`);
  }
  save();

  // Speed: K = 1 at every size, then the fused groups at the first size. Each number is the faster of two rounds (measureFusion).
  try {
    const backend = await selectBackend("webgpu");
    const times: { size: string; msPerStep: number }[] = [];
    result["stepTimes"] = times;
    // Half the budget at most: the study piece is what a lent machine is for.
    const speedEnds = t0 + (o.minutes * 60_000) / 2;
    const late = (what: string) => {
      if (Date.now() < speedEnds) return false;
      errors.push(`speed: ${what} not timed: half the budget (--minutes) was spent`);
      return true;
    };
    for (const size of o.sizes) {
      if (late(`(${size.gen_layers}, ${size.dis_layers}) batch ${size.batch_size}`)) break;
      const [m] = await measureFusion(configAt(size, o), [1], 32);
      times.push({ size: `(${size.gen_layers}, ${size.dis_layers}) batch ${size.batch_size}`, msPerStep: m!.wallMsPerRunStep });
      save();
    }
    const fused: { size: string; k: number; runStepsPerSec: number; msPerGroupStep: number }[] = [];
    result["fused"] = fused;
    const size = o.sizes[0]!;
    for (const k of o.ks) {
      if (late(`K=${k}`)) break;
      // Eight group steps at least: a K = 128 group step is 128 run-steps.
      const [m] = await measureFusion(configAt(size, o), [k], 8 * k);
      fused.push({ size: `(${size.gen_layers}, ${size.dis_layers}) batch ${size.batch_size}`, k, runStepsPerSec: 1000 / m!.wallMsPerRunStep, msPerGroupStep: m!.wallMsPerRunStep * k });
      save();
    }
    say(`speed: ${times.map((t) => `${t.size} ${t.msPerStep.toFixed(2)} ms`).join("; ")}; fused ${fused.map((f) => `K=${f.k} ${f.runStepsPerSec.toFixed(0)}/s`).join(", ")} (${backend.name})`);
  } catch (e) {
    errors.push(`speed: ${(e as Error).message}`);
  }
  save();
  // The study's workers start their own Dawn devices; this process lets go of its own.
  releaseBackend();

  // The study piece, in what is left of the budget less a tenth of it (a minute at most) for the report and the export.
  const reserve = Math.min(60_000, (o.minutes * 60_000) / 10);
  if (deadline - 2 * reserve < Date.now()) {
    errors.push("study: no time left in the budget (--minutes)");
    save();
    return;
  }
  const evidenceOut = path.join(out, "evidence");
  const results = path.join(o.work, "results");
  const common = ["--file", o.study, "--budget", o.budget, "--only", ...o.only, "--results", results];
  const train = [...common, "--fuse", String(o.fuse), "--backend", "webgpu" satisfies BackendName, "--concurrency", String(o.concurrency), ...(o.evidence ? ["--evidence", path.resolve(o.evidence)] : []), "--export", evidenceOut];
  const log = path.join(out, "study.log");
  const s0 = Date.now();
  result["study"] = { command: `runner study ${train.join(" ")}` };
  save();
  say(`study: ${(result["study"] as { command: string }).command} (until ${new Date(deadline - reserve).toISOString()}; log ${log})`);
  const ended = await runStudy(["study", ...train], log, deadline - reserve, reserve / 2);
  // Stopped early: the finished runs are exported by a second, report-only pass (unfinished ones keep their checkpoints in --work).
  if (ended.stoppedAt || ended.exit !== 0) {
    await runStudy(["study", ...common, "--report-only", "--export", evidenceOut], log, deadline, 1000);
  }
  const manifest = path.join(evidenceOut, "manifest.json");
  result["study"] = { ...(result["study"] as object), ...ended, secs: (Date.now() - s0) / 1000, exported: existsSync(manifest) ? (JSON.parse(readFileSync(manifest, "utf8")) as unknown) : null };
  if (ended.exit !== 0 && !ended.stoppedAt) errors.push(`study: the runner exited ${ended.exit} (see study.log)`);
  save();
  say(`study: exit ${ended.exit}${ended.stoppedAt ? " (stopped by the time budget)" : ""}; evidence in ${evidenceOut}`);
}

const program = new Command()
  .name("device-check")
  .description("what a GPU machine is asked: machine facts, adapter, correctness against the cpu backend, ms per step, fused groups, a piece of the digits study")
  .requiredOption("--out <dir>", "where device-check.json, summary.txt, study.log and the study's evidence bundle (evidence/) go")
  .option("--minutes <n>", "time budget of the whole check; the study piece stops when it runs out (a tenth of it, a minute at most, is kept for the study's report and export)", positive("--minutes"), 8)
  .option("--size <GxD/BATCH>", "a timed size, repeatable (default 3x2/128 and 5x5/512); the first is also the correctness run's and the fused groups'", parseSize)
  .option("--ks <list>", "fused group sizes timed", intList("--ks"), [1, 8, 32, 128])
  .option("--widths <gen,dis,max>", "override the DSL's width rule (tiny checks)", intList("--widths"))
  .option("--correctness-steps <n>", "steps of the correctness run", positive("--correctness-steps"), 8)
  .option("--study <file>", "the findings file in the kit", "experiments/seed/findings.mjs")
  .option("--budget <name>", "the study's budget (libs/findings/src/budgets.ts)", "digits")
  .option("--only <id...>", "the findings whose runs are trained", ["5", "2"])
  .option("--fuse <k>", "fused group size of the study's runs", positive("--fuse"), 10)
  .option("--concurrency <n>", "study workers (each with its own device)", positive("--concurrency"), 2)
  .option("--evidence <dir>", "an evidence bundle to import first (e.g. the repository's docs/evidence/seed-study-digits): only what it lacks is trained")
  .option("--work <dir>", "scratch run store (checkpoints stay here, not in --out)", path.join(os.tmpdir(), "ganscope-device-check"))
  .action(async (opts: Omit<Options, "sizes" | "widths"> & { size?: Size[]; widths?: number[] }) => {
    if (opts.widths && opts.widths.length !== 3) throw new InvalidArgumentError(`--widths takes three numbers (gen,dis,max), got ${opts.widths.length}`);
    const { size, widths, ...rest } = opts;
    await deviceCheck({ ...rest, sizes: size ?? [{ gen_layers: 3, dis_layers: 2, batch_size: 128 }, { gen_layers: 5, dis_layers: 5, batch_size: 512 }], ...(widths ? { widths: widths as [number, number, number] } : {}) });
  });

try {
  await program.parseAsync(process.argv);
} finally {
  releaseBackend();
}
