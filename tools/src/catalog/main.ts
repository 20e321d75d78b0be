#!/usr/bin/env -S npx tsx
/**
 * `npx nx run tools:catalog` lands here: writes dist/catalog/catalog.{md,json}.
 *
 *   npx tsx tools/src/catalog/main.ts [--out dist/catalog] [--calibration <file>]
 *   npx tsx tools/src/catalog/main.ts --measure   # first re-measure: train the seed baseline for 1 epoch
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { workspaceRoot } from "../workspace.js";
import { buildCatalog, catalogMarkdown, type Calibration } from "./catalog.js";

const root = workspaceRoot();
const DEFAULT_CALIBRATION = path.join(root, "tools/src/catalog/calibration.json");
const MEASURE_FILE = "experiments/seed/baseline.exp.ts";

/** Trains the seed baseline for one epoch in a scratch run store and reads its epoch time. */
function measure(): Calibration {
  const results = mkdtempSync(path.join(os.tmpdir(), "cat-measure-"));
  const args = ["apps/runner/src/main.ts", "exp", `--file=${MEASURE_FILE}`, "--epochs", "1", "--results", results];
  try {
    const output = execFileSync(process.execPath, ["--import", "tsx", ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const dir = path.join(results, "seed-baseline");
    const run = readdirSync(dir, { withFileTypes: true }).find((e) => e.isDirectory())!;
    const record = JSON.parse(readFileSync(path.join(dir, run.name, "metrics.jsonl"), "utf8").trim().split("\n")[0]!) as { steps: number; secs: number };
    const config = JSON.parse(readFileSync(path.join(dir, run.name, "config.json"), "utf8")) as Record<string, unknown>;
    const backend = /backend: (\S+)/.exec(output)?.[1] ?? String((config as { backend?: string }).backend ?? "unknown");
    const [load1] = os.loadavg();
    return {
      command: `npx tsx ${args.join(" ").replace(results, "<tmp>")}`,
      measuredAt: new Date().toISOString(),
      backend,
      machine: `${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? "cpu"}), load average ${load1?.toFixed(1)} at the end`,
      config: { gen_layers: 3, dis_layers: 2, batch_size: 128 },
      steps: record.steps,
      seconds: record.secs,
    };
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
}

const program = new Command()
  .name("catalog")
  .description("write a catalog of every experiment: runs, epochs, steps, estimated CPU hours")
  .option("--out <dir>", "output folder", path.join(root, "dist/catalog"))
  .option("--calibration <file>", "measured seconds per epoch (JSON)", DEFAULT_CALIBRATION)
  .option("--measure", `re-measure first: train ${MEASURE_FILE} for 1 epoch and overwrite the calibration file`)
  .action(async (opts: { out: string; calibration: string; measure?: boolean }) => {
    let calibration: Calibration;
    if (opts.measure) {
      calibration = measure();
      writeFileSync(opts.calibration, `${JSON.stringify(calibration, null, 2)}\n`);
      console.error(`measured ${calibration.steps} steps in ${calibration.seconds.toFixed(1)} s; wrote ${path.relative(root, opts.calibration)}`);
    } else {
      calibration = JSON.parse(readFileSync(opts.calibration, "utf8")) as Calibration;
    }
    const catalog = await buildCatalog(root, calibration);
    mkdirSync(opts.out, { recursive: true });
    writeFileSync(path.join(opts.out, "catalog.json"), `${JSON.stringify(catalog, null, 2)}\n`);
    writeFileSync(path.join(opts.out, "catalog.md"), `${catalogMarkdown(catalog, os.availableParallelism())}\n`);
    const t = catalog.totals;
    console.log(
      `${t.experiments} experiments: ${t.runs} runs (${t.uniqueRuns} unique), ${t.epochs} epochs (${t.uniqueEpochs} unique), ${t.steps} steps, ` +
        `est. ${t.cpuHours.toFixed(1)} CPU h (${t.uniqueCpuHours.toFixed(1)} CPU h for unique runs) at ${catalog.calibration.secondsPerStep.toFixed(4)} s/step measured`,
    );
    for (const [dir, f] of Object.entries(catalog.folders)) {
      console.log(`  ${dir}/: ${f.experiments} experiments, ${f.runs} runs (${f.uniqueRuns} unique), ${f.epochs} epochs (${f.uniqueEpochs} unique), est. ${f.cpuHours.toFixed(1)} CPU h (${f.uniqueCpuHours.toFixed(1)} for unique runs)`);
    }
    console.log(`wrote ${path.relative(root, path.join(opts.out, "catalog.md"))} and catalog.json`);
  });

await program.parseAsync(process.argv);
