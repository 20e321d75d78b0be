/**
 * Is the trainer right? ganscope against PyTorch on the same run configs.
 *
 * For each config (the seed's baseline and one deep config) and each seed,
 * trains the run twice: with ganscope (createGan + libs/training trainEpoch,
 * exactly the runner's training loop, minus its store and evaluation) and with
 * bench/torch_reference.py `train` (the same layer sizes from
 * generatorSizes/discriminatorSizes, activation, dropout, Adam lrs and betas,
 * eps 1e-8, batch, the first `limit` MNIST training images scaled x/127.5 − 1,
 * BCE-with-logits losses averaged over the batch and summed over real + fake
 * for D, the non-saturating G loss on the same z, per-epoch means over
 * steps). Then, per epoch and metric, asks whether each ganscope seed lies in
 * the band PyTorch's seeds span (libs/findings band.ts), and writes
 * docs/pytorch-crosscheck.md and the summary in bench/README.md.
 *
 *   nice -n 10 npx tsx bench/crosscheck.ts                    # both configs, 3 seeds (~25–40 min of one core)
 *   npx tsx bench/crosscheck.ts --only baseline --seeds 2 --epochs 2 --limit 512 --out /tmp/cc-small --no-write
 *   npx tsx bench/crosscheck.ts --report-only                  # re-render from the saved runs in --out
 *   nice -n 10 npx tsx bench/crosscheck.ts --only baseline-digits --doc docs/pytorch-crosscheck-digits.md --readme-block crosscheck-digits --out /work/results/crosscheck-digits
 *
 * Runs are saved one JSON file per (config, implementation, seed) under --out
 * (default /tmp/ganscope-crosscheck) and reused when their config matches, so
 * an interrupted cross-check resumes. Both implementations train on one
 * thread (ganscope's default of one TensorFlow thread; torch.set_num_threads(1)).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadDataset } from "@ganscope/data";
import { DEFAULTS, type RunConfig } from "@ganscope/dsl";
import { bandAgreement, type BandAgreement } from "@ganscope/findings";
import { createGan, selectBackend } from "@ganscope/models";
import { trainEpoch } from "@ganscope/training";
import { torchConfig } from "./torch-config.js";

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const PYTHON = path.join(BENCH, ".venv", "bin", "python");

const { values: opts } = parseArgs({
  options: {
    seeds: { type: "string", default: "3" },
    only: { type: "string" },
    out: { type: "string", default: path.join(os.tmpdir(), "ganscope-crosscheck") },
    // Override both configs' budget (for a quick look); the defaults are in CONFIGS.
    epochs: { type: "string" },
    limit: { type: "string" },
    "report-only": { type: "boolean", default: false },
    // Train each seed's two runs at once (two processes, one thread each): the same CPU time, half the wall time on a crowded machine.
    parallel: { type: "boolean", default: false },
    // A sentence for the report about this run of the cross-check (e.g. why a config was not run).
    note: { type: "string" },
    "no-write": { type: "boolean", default: false },
    // Where the per-epoch report goes, and the bench/README block its summary replaces (one per budget checked).
    doc: { type: "string", default: "docs/pytorch-crosscheck.md" },
    "readme-block": { type: "string", default: "crosscheck" },
  },
});

interface CheckConfig {
  readonly name: string;
  readonly label: string;
  readonly claim: string;
  readonly config: RunConfig;
  /** Trained only when --only names it (it costs far more than the default cross-check). */
  readonly onlyWhenNamed?: boolean;
}

/**
 * The budget: ~0.03 s/step for the baseline and ~0.35 s/step for (7, 5) on this machine's
 * native backend at batch 128 on a quiet core, per implementation, so 3 seeds × 2
 * implementations cost ~10 min of one core on a quiet machine: baseline 6,400 images × 10 epochs
 * (500 steps a run), (7, 5) 1,280 images × 15 epochs (150 steps a run). On a crowded
 * machine a niced run gets a sliver of a core: with a study's three workers at nice −10
 * (load 20–24 on 2 cores) a niced (7, 5) step took 12–50 s instead of 0.35.
 */
const CONFIGS: readonly CheckConfig[] = [
  {
    name: "baseline",
    label: "(3, 2) relu, lr 2e-4 (the seed's baseline)",
    claim: "the reference run every finding compares against",
    config: { ...DEFAULTS, limit: 6400, epochs: 10 },
  },
  {
    name: "baseline-digits",
    label: "(3, 2) relu, lr 2e-4, at the study's digits budget (10 epochs × all 60,000 digits)",
    claim: "the reference of the digits-budget study (docs/seed-study.md), where the baseline draws rough digits",
    onlyWhenNamed: true,
    config: { ...DEFAULTS, limit: 0, epochs: 10 },
  },
  {
    name: "deep",
    label: "(7, 5) relu, lr 2e-4",
    claim: 'finding 2: "(7, 5) networks fail … the discriminator\'s loss goes to zero"',
    config: { ...DEFAULTS, gen_layers: 7, dis_layers: 5, limit: 1280, epochs: 15 },
  },
];

const METRICS = ["d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"] as const;
type Metric = (typeof METRICS)[number];
const MAIN_METRICS: readonly Metric[] = ["d_loss", "g_loss", "d_real", "d_fake"];
const METRIC_LABEL: Record<Metric, string> = { d_loss: "d_loss", g_loss: "g_loss", d_real: "D(x)", d_fake: "D(G(z))", d_grad_norm: "‖∇D‖", g_grad_norm: "‖∇G‖" };

type EpochRow = Record<Metric, number> & { epoch: number; steps: number; secs: number };
interface RunResult {
  impl: "ganscope" | "pytorch";
  provider: string;
  seed: number;
  /** What the run trained, to reuse a saved result only for the same config. */
  key: string;
  records: EpochRow[];
  wallS: number;
  loadavgStart: number;
  loadavgEnd: number;
  finishedAt: string;
}

const log = (msg: string) => process.stderr.write(`[crosscheck ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const load1 = () => Number(os.loadavg()[0]!.toFixed(2));

async function trainGanscope(cfg: RunConfig, key: string): Promise<RunResult> {
  const backend = await selectBackend();
  const train = loadDataset(cfg.dataset, { split: "train", limit: cfg.limit || undefined });
  const gan = createGan(cfg);
  const t0 = performance.now();
  const loadavgStart = load1();
  const records: EpochRow[] = [];
  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      const s = await trainEpoch(gan, train, epoch);
      records.push({ epoch, steps: s.steps, secs: s.secs, d_loss: s.d_loss, g_loss: s.g_loss, d_real: s.d_real, d_fake: s.d_fake, d_grad_norm: s.d_grad_norm, g_grad_norm: s.g_grad_norm });
      log(`  ganscope seed ${cfg.seed} epoch ${epoch}/${cfg.epochs}: d_loss ${s.d_loss.toFixed(4)} g_loss ${s.g_loss.toFixed(4)} (${s.secs.toFixed(1)} s)`);
    }
  } finally {
    gan.dispose();
  }
  return { impl: "ganscope", provider: `${backend.name} (${backend.provider})`, seed: cfg.seed, key, records, wallS: (performance.now() - t0) / 1000, loadavgStart, loadavgEnd: load1(), finishedAt: new Date().toISOString() };
}

function trainPytorch(cfg: RunConfig, key: string, dir: string): Promise<RunResult> {
  if (!existsSync(PYTHON)) throw new Error(`${path.relative(ROOT, PYTHON)} is missing: create it with \`python3 -m venv bench/.venv && bench/.venv/bin/pip install torch==2.13.0 numpy\` (or run \`npm run bench\` once)`);
  const file = path.join(dir, `torch-config-${cfg.seed}.json`);
  writeFileSync(file, JSON.stringify(torchConfig(cfg)));
  const loadavgStart = load1();
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(BENCH, "torch_reference.py"), "train", "--threads", "1", "--config", file], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      for (const line of d.toString().split("\n")) {
        const m = /^\{"progress": (.*)\}$/.exec(line);
        if (m) {
          const r = JSON.parse(m[1]!) as EpochRow;
          log(`  pytorch  seed ${cfg.seed} epoch ${r.epoch}/${cfg.epochs}: d_loss ${r.d_loss.toFixed(4)} g_loss ${r.g_loss.toFixed(4)} (${r.secs.toFixed(1)} s)`);
        }
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`torch_reference.py train exited ${code}: ${stderr.split("\n").filter((l) => !l.startsWith('{"progress"')).join("\n").slice(-2000)}`));
      const out = JSON.parse(stdout) as { provider: string; records: EpochRow[] };
      resolve({ impl: "pytorch", provider: out.provider, seed: cfg.seed, key, records: out.records, wallS: (performance.now() - t0) / 1000, loadavgStart, loadavgEnd: load1(), finishedAt: new Date().toISOString() });
    });
  });
}

function budgetOf(c: CheckConfig): RunConfig {
  return { ...c.config, ...(opts.epochs ? { epochs: Number(opts.epochs) } : {}), ...(opts.limit ? { limit: Number(opts.limit) } : {}) };
}

/** --report-only met a config without its saved runs: it is listed as not run. */
class NotRun extends Error {}

async function runAll(configs: readonly CheckConfig[], seeds: number[], dir: string): Promise<{ byConfig: Map<string, RunResult[]>; notRun: Map<string, string> }> {
  const byConfig = new Map<string, RunResult[]>();
  const notRun = new Map<string, string>();
  for (const c of configs) {
    try {
      byConfig.set(c.name, await runConfig(c, seeds, dir));
    } catch (e) {
      if (!(e instanceof NotRun)) throw e;
      notRun.set(c.name, e.message);
    }
  }
  return { byConfig, notRun };
}

async function runConfig(c: CheckConfig, seeds: number[], dir: string): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const missing: string[] = [];
  for (const seed of seeds) {
    const cfg = { ...budgetOf(c), seed };
    const key = JSON.stringify(torchConfig(cfg));
    // Interleaved per seed (ganscope then PyTorch, or both at once with --parallel), so a change in the machine's load hits both.
    const one = async (impl: RunResult["impl"]): Promise<RunResult> => {
      const file = path.join(dir, `${c.name}-${impl}-s${seed}.json`);
      const saved = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as RunResult) : undefined;
      if (saved && saved.key === key) return saved;
      if (opts["report-only"]) throw new NotRun(`${path.basename(file)} is missing or for another config`);
      log(`${c.name} ${impl} seed ${seed}: ${cfg.epochs} epochs × ${cfg.limit || "all 60,000"} images, batch ${cfg.batch_size} (load ${load1()})`);
      const r = impl === "ganscope" ? await trainGanscope(cfg, key) : await trainPytorch(cfg, key, dir);
      writeFileSync(file, `${JSON.stringify(r, null, 1)}\n`);
      log(`${c.name} ${impl} seed ${seed}: ${r.wallS.toFixed(0)} s`);
      return r;
    };
    try {
      if (opts.parallel) {
        // PyTorch first: its child process trains while ganscope's loop holds this process's thread.
        const pt = one("pytorch");
        pt.catch(() => {});
        const gs = await one("ganscope");
        results.push(gs, await pt);
      } else {
        results.push(await one("ganscope"), await one("pytorch"));
      }
    } catch (e) {
      // --report-only over a cross-check cut short: report the seeds both implementations finished, if there are 2 or more.
      if (!(e instanceof NotRun)) throw e;
      missing.push(`seed ${seed}: ${e.message}`);
    }
  }
  const complete = seeds.length - missing.length;
  if (complete < 2) throw new NotRun(complete === 0 ? `no saved runs in ${dir}` : `${complete} of ${seeds.length} seeds saved in ${dir} (${missing.join("; ")})`);
  if (missing.length > 0) log(`${c.name}: reporting ${complete} of ${seeds.length} seeds (${missing.join("; ")})`);
  return results;
}

// ---------------------------------------------------------------- report

const pct = (x: number) => `${Math.round(x * 100)}%`;
function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a === 0 ? "0" : a >= 100 ? x.toFixed(0) : a >= 0.01 ? x.toPrecision(3) : x.toExponential(1);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface ConfigReport {
  check: CheckConfig;
  cfg: RunConfig;
  results: RunResult[];
  bands: Record<Metric, BandAgreement>;
}

function analyse(c: CheckConfig, results: RunResult[]): ConfigReport {
  const series = (impl: RunResult["impl"], m: Metric) => results.filter((r) => r.impl === impl).map((r) => r.records.map((e) => e[m]));
  const bands = Object.fromEntries(METRICS.map((m) => [m, bandAgreement(series("pytorch", m), series("ganscope", m))])) as Record<Metric, BandAgreement>;
  return { check: c, cfg: budgetOf(c), results, bands };
}

function secsPerStep(rs: RunResult[]): number {
  return median(rs.flatMap((r) => r.records.map((e) => e.secs / e.steps)));
}

function summaryTable(reports: ConfigReport[]): string[] {
  const lines = [
    "| config | metric | ganscope in PyTorch's min–max (twin) | in mean ± 2 sd (twin) | epochs with no overlap (twin) | verdict |",
    "| --- | --- | ---: | ---: | ---: | --- |",
  ];
  for (const r of reports) {
    for (const m of METRICS) {
      const { coverage: c, expected: e, verdict } = r.bands[m];
      const name = `${r.check.name} ${r.check.label}, ${seedsOf(r).length} + ${seedsOf(r).length} seeds`;
      lines.push(`| ${m === "d_loss" ? name : ""} | ${METRIC_LABEL[m]}${MAIN_METRICS.includes(m) ? "" : " (extra)"} | ${pct(c.minMax)} (${pct(e.minMax)}) | ${pct(c.twoSd)} (${pct(e.twoSd)}) | ${pct(c.separated)} (${pct(e.separated)}) | ${verdict} |`);
    }
  }
  return lines;
}

const seedsOf = (r: ConfigReport) => r.results.filter((x) => x.impl === "ganscope").map((x) => x.seed);

function detailTable(r: ConfigReport): string[] {
  const lines = [
    `| epoch | ${MAIN_METRICS.map((m) => `${METRIC_LABEL[m]} PyTorch mean [min, max] | ${METRIC_LABEL[m]} ganscope seeds`).join(" | ")} |`,
    `| ---: | ${MAIN_METRICS.map(() => "--- | ---").join(" | ")} |`,
  ];
  const epochs = r.bands.d_loss.epochs.length;
  for (let i = 0; i < epochs; i++) {
    const cells = MAIN_METRICS.map((m) => {
      const e = r.bands[m].epochs[i]!;
      const gs = e.candidate.map((v, k) => `${num(v)}${e.inMinMax[k] ? "" : e.inTwoSd[k] ? "°" : "✗"}`).join(", ");
      return `${num(e.reference.mean)} [${num(e.reference.min)}, ${num(e.reference.max)}] | ${gs}${e.separated ? " **‖**" : ""}`;
    });
    lines.push(`| ${i + 1} | ${cells.join(" | ")} |`);
  }
  return lines;
}

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

function markdown(reports: ConfigReport[], notRun: ReadonlyMap<string, string>): { doc: string; summary: string } {
  const all = reports.flatMap((r) => r.results);
  const loads = all.flatMap((r) => [r.loadavgStart, r.loadavgEnd]);
  const budget = reports.map((r) => `${r.check.name}: seeds ${seedsOf(r).join(", ")} per implementation, ${r.cfg.epochs} epochs × ${r.cfg.limit || "all 60,000"} images (${r.results[0]!.records[0]!.steps} steps/epoch, batch ${r.cfg.batch_size})`).join("; ");
  const cost = reports
    .map((r) => {
      const gs = r.results.filter((x) => x.impl === "ganscope");
      const pt = r.results.filter((x) => x.impl === "pytorch");
      const sum = (xs: RunResult[]) => xs.reduce((s, x) => s + x.wallS, 0);
      return `${r.check.name}: ganscope ${sum(gs).toFixed(0)} s (median ${(secsPerStep(gs) * 1000).toFixed(0)} ms/step, ${gs[0]!.provider}), PyTorch ${sum(pt).toFixed(0)} s (${(secsPerStep(pt) * 1000).toFixed(0)} ms/step, ${pt[0]!.provider}, 1 thread)`;
    })
    .join("; ");
  const head = [
    `Budget: ${budget}. ` +
      `Wall time of the training: ${cost}. Load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${os.availableParallelism()} shared cores (${os.cpus()[0]?.model ?? "cpu"}), run under \`nice -n 10\`; ` +
      `report rendered at commit ${gitCommit()}, training finished ${all.map((r) => r.finishedAt).sort().at(-1)}.`,
    "",
    "Each cell: per epoch (the epoch's mean over its steps, as the run store records it) and ganscope seed, is its value inside the band PyTorch's seeds span? " +
      `"Twin" (in brackets) is what an implementation indistinguishable from PyTorch would score with as many seeds: ` +
      "a new seed lands inside the min–max of 3 others only 50% of the time, so 100% is not the bar. " +
      "\"No overlap\": all ganscope seeds above all PyTorch seeds, or all below. Verdict rule (libs/findings band.ts): **agrees** when no overlap at ≤ 25% of epochs and ≥ 50% inside ± 2 sd; **differs** when no overlap at ≥ 50% of epochs; **partly** otherwise. Epochs of one run are correlated, so these are descriptions, not significance tests.",
  ];
  const missing = [...notRun].map(([name, why]) => {
    const c = CONFIGS.find((x) => x.name === name)!;
    const cfg = budgetOf(c);
    return `**Not run: ${name}** ${c.label} (${c.claim}) at ${cfg.epochs} epochs × ${cfg.limit || "all 60,000"} images: ${why}. Train it with \`nice -n 10 npx tsx bench/crosscheck.ts --only ${name}\`.`;
  });
  if (opts.note) head.push("", `Note: ${opts.note}`);
  const summary = [...head, "", ...summaryTable(reports), ...(missing.length > 0 ? ["", ...missing] : [])].join("\n");
  const doc = [
    "# Is the trainer right? ganscope against PyTorch",
    "",
    "Generated by `nice -n 10 npx tsx bench/crosscheck.ts` (bench/crosscheck.ts, bench/torch_reference.py `train`). " +
      "Both implementations train the same run config: layer sizes from libs/dsl `generatorSizes`/`discriminatorSizes`, activation, dropout, " +
      "Adam (lrs, β₁ β₂ from the config, ε 1e-8), nn.Linear's U(±1/√fan_in) initialisation, batch 128 with the last partial batch kept, " +
      "the first `limit` MNIST training images scaled x/127.5 − 1, D loss = mean BCE(real, 1) + mean BCE(fake, 0) on logits, " +
      "G loss = mean BCE(D(G(z)), 1) on the same z after the D step, D(x) and D(G(z)) measured in the D step. Seeds differ between the two (their RNGs are their own).",
    "",
    ...head,
    "",
    "## Summary",
    "",
    ...summaryTable(reports),
    "",
    ...missing.flatMap((m) => [m, ""]),
  ];
  for (const r of reports) {
    doc.push(`## ${r.check.name}: ${r.check.label}`, "", `Claim: ${r.check.claim}.`, "");
    doc.push("ganscope values: plain = inside PyTorch's min–max; ° = outside min–max but inside mean ± 2 sd; ✗ = outside both; **‖** = no overlap at that epoch.", "");
    doc.push(...detailTable(r), "");
  }
  return { doc: doc.join("\n"), summary };
}

function writeReadmeSection(summary: string, doc: string, name: string): void {
  const file = path.join(BENCH, "README.md");
  const text = readFileSync(file, "utf8");
  const begin = `<!-- ${name}:begin (written by bench/crosscheck.ts) -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n${summary}\n\nPer-epoch values: [${doc}](../${doc}).\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n## Is the trainer right? A PyTorch cross-check${name === "crosscheck" ? "" : ` (${name})`}\n\n${block}\n`;
  writeFileSync(file, next);
}

const seeds = Array.from({ length: Number(opts.seeds) }, (_, i) => i);
// Without --only, the configs of the default cross-check; a longer one runs when named.
const configs = CONFIGS.filter((c) => (opts.only ? opts.only.split(",").includes(c.name) : !c.onlyWhenNamed));
if (configs.length === 0) throw new Error(`--only: no config named ${opts.only} (have ${CONFIGS.map((c) => c.name).join(", ")})`);
mkdirSync(opts.out, { recursive: true });
log(`writing runs to ${opts.out}; load ${load1()}`);
const { byConfig, notRun } = await runAll(configs, seeds, opts.out);
const reports = configs.filter((c) => byConfig.has(c.name)).map((c) => analyse(c, byConfig.get(c.name)!));
if (reports.length === 0) throw new Error(`no config has its runs in ${opts.out}: ${[...notRun.values()].join("; ")}`);
const { doc, summary } = markdown(reports, notRun);
writeFileSync(path.join(opts.out, "crosscheck.md"), `${doc}\n`);
if (!opts["no-write"]) {
  writeFileSync(path.join(ROOT, opts.doc), `${doc}\n`);
  writeReadmeSection(summary, opts.doc, opts["readme-block"]);
  log(`wrote ${opts.doc} and the summary in bench/README.md`);
}
process.stdout.write(`${summary}\n`);
