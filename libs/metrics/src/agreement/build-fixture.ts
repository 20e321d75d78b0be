#!/usr/bin/env -S npx tsx
/**
 * Builds the verdict-agreement fixture from real runs and a person's labels:
 * for each labelled (experiment, epoch) it keeps the sample grid (greyscale,
 * cropped to its first five rows of generated digits: 302 × 152 px) and, per
 * run, the per-epoch records the verdict reads (losses and evaluation
 * metrics, rounded to 6 significant digits), so the agreement test judges
 * the same numbers without retraining anything.
 *
 *   npx tsx libs/metrics/src/agreement/build-fixture.ts --results /tmp/verdicts-runs --results /tmp/calib-runs --labels libs/metrics/src/agreement/labels.txt
 *
 * labels.txt (committed beside this file): one `<experiment> <epoch> <label>` per
 * line, label from VERDICTS; `#` starts a comment.
 * `--results` may be given more than once (calibration runs made in
 * different sessions live in different stores); an experiment is looked up
 * in each in turn and must be in exactly one.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";
import { BOOKKEEPING_KEYS, CLASS_COUNT, RECORD_KEYS, classShareKey, type RecordKey } from "@ganscope/dsl";
import { VERDICTS, type Verdict } from "../verdict.js";

export const FIXTURE_DIR = fileURLToPath(new URL("./fixture/", import.meta.url));
/** Rows of generated digits kept per grid (of 10): 50 digits are enough to judge by eye. */
const KEEP_ROWS = 5;
/** Grey levels kept: speckle compresses poorly at 256, and 16 still show every stroke. */
const LEVELS = 16;
/** What the verdict and the README read from a record; the rest (timings, steps) stays behind. */
const KEYS: readonly RecordKey[] = [
  "epoch",
  ...RECORD_KEYS.filter((k) => !BOOKKEEPING_KEYS.includes(k)),
  ...Array.from({ length: CLASS_COUNT }, (_, k) => classShareKey(k)),
];

export interface FixtureLabel {
  readonly run: string;
  readonly epoch: number;
  readonly label: Verdict;
  /** File name under fixture/grids/. */
  readonly grid: string;
}

export interface FixtureRun {
  /** The hyperparameters that differ from the defaults, for the README and the test's messages. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly records: readonly Readonly<Record<string, number>>[];
}

const round = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);

/** Every value of a repeatable `--name v` flag; at least one is required. */
function args(name: string): string[] {
  const out = process.argv.flatMap((a, i) => (a === `--${name}` && process.argv[i + 1] ? [process.argv[i + 1]!] : []));
  if (out.length === 0) throw new Error(`--${name} is required`);
  return out;
}

/** The one run folder of a single-run experiment, in whichever of the stores holds it. */
function runDir(stores: readonly string[], exp: string): string {
  const holding = stores.filter((s) => existsSync(path.join(s, exp)));
  if (holding.length !== 1) throw new Error(`${exp}: expected in exactly one of ${stores.join(", ")}, found in ${holding.length}`);
  const results = holding[0]!;
  const dirs = readdirSync(path.join(results, exp), { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(path.join(results, exp, d.name, "config.json")));
  if (dirs.length !== 1) throw new Error(`${exp}: expected one run folder, found ${dirs.length}`);
  return path.join(results, exp, dirs[0]!.name);
}

function cropGrey(file: string): Buffer {
  const src = PNG.sync.read(readFileSync(file));
  const height = 2 + KEEP_ROWS * 30;
  const out = new PNG({ width: src.width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false } as ConstructorParameters<typeof PNG>[0]);
  const grey = Buffer.alloc(src.width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < src.width; x++) grey[y * src.width + x] = Math.round((src.data[(y * src.width + x) * 4]! * (LEVELS - 1)) / 255) * (255 / (LEVELS - 1));
  out.data = grey;
  return PNG.sync.write(out, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

function main(): void {
  const results = args("results");
  const lines = readFileSync(args("labels")[0]!, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const labels: FixtureLabel[] = [];
  const runs: Record<string, FixtureRun> = {};
  mkdirSync(path.join(FIXTURE_DIR, "grids"), { recursive: true });
  for (const line of lines) {
    const [run, epochText, label] = line.split(/\s+/);
    if (!run || !epochText || !VERDICTS.includes(label as Verdict)) throw new Error(`labels: "${line}" is not "<experiment> <epoch> <${VERDICTS.join("|")}>"`);
    const epoch = Number(epochText);
    const dir = runDir(results, run);
    if (!runs[run]) {
      const config = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8")) as { config?: Record<string, unknown> } & Record<string, unknown>;
      const cfg = (config.config ?? config) as Record<string, unknown>;
      const keep = ["gen_layers", "dis_layers", "activation", "gen_dropout", "dis_dropout", "gen_lr", "dis_lr", "batch_size", "limit", "seed", "epochs"];
      const records = readFileSync(path.join(dir, "metrics.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, number>)
        .map((r) => Object.fromEntries(KEYS.filter((k) => typeof r[k] === "number").map((k) => [k, round(r[k]!)])));
      runs[run] = { config: Object.fromEntries(keep.map((k) => [k, cfg[k]])), records };
    }
    const grid = `${run}-e${String(epoch).padStart(2, "0")}.png`;
    writeFileSync(path.join(FIXTURE_DIR, "grids", grid), cropGrey(path.join(dir, "samples", `epoch-${String(epoch).padStart(4, "0")}.png`)));
    labels.push({ run, epoch, label: label as Verdict, grid });
  }
  writeFileSync(path.join(FIXTURE_DIR, "runs.json"), JSON.stringify(runs) + "\n");
  writeFileSync(path.join(FIXTURE_DIR, "labels.json"), JSON.stringify(labels, null, 1) + "\n");
  console.log(`${labels.length} labelled grids from ${Object.keys(runs).length} runs → ${FIXTURE_DIR}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
