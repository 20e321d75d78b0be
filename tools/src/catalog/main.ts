#!/usr/bin/env -S npx tsx
/**
 * `npx nx run tools:catalog` lands here: writes dist/catalog/catalog.{md,json}.
 *
 *   npx tsx tools/src/catalog/main.ts [--out dist/catalog] [--backend tensorflow]
 *   npx tsx tools/src/catalog/main.ts --step-times saved.json   # cost from a saved `runner step-times --json`
 *
 * Step times are measured by the runner (`runner step-times`, cached per
 * machine and backend), in a child process: measuring needs the training
 * backend, and tools stay free of tfjs (module boundaries).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { workspaceRoot } from "../workspace.js";
import { buildCatalog, catalogFiles, catalogMarkdown, type StepTimeTable } from "./catalog.js";

const root = workspaceRoot();

/** `runner step-times --json` over the catalog's files; its notices (shapes measured again) go to stderr. */
function measure(files: readonly string[], backend: string | undefined): StepTimeTable {
  const args = ["apps/runner/src/main.ts", "step-times", "--json", ...(backend ? ["--backend", backend] : []), "--file", ...files];
  console.error(`measuring step times of ${files.length} experiment files (cached shapes are reused) …`);
  const out = execFileSync(process.execPath, ["--import", "tsx", ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3" } });
  const table = JSON.parse(out.trim().split("\n").at(-1)!) as Omit<StepTimeTable, "command"> & { notices?: string[] };
  for (const n of table.notices ?? []) console.error(n);
  return { ...table, command: `npx tsx apps/runner/src/main.ts step-times --json${backend ? ` --backend ${backend}` : ""} --file <${files.length} files>` };
}

function readSaved(file: string): StepTimeTable {
  let table: unknown;
  try {
    table = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new CatalogInputError(`--step-times ${file}: ${(e as Error).message}; expected the JSON \`runner step-times --json\` prints`);
  }
  const t = table as Partial<StepTimeTable>;
  if (typeof t !== "object" || t === null || typeof t.runs !== "object" || typeof t.steps !== "object") {
    throw new CatalogInputError(`--step-times ${file}: no "runs" and "steps" objects; expected the JSON \`runner step-times --json\` prints`);
  }
  return { command: `--step-times ${file}`, ...t } as StepTimeTable;
}

class CatalogInputError extends Error {
  override readonly name = "CatalogInputError";
}

const program = new Command()
  .name("catalog")
  .description("write a catalog of every experiment: runs, epochs, steps, estimated CPU hours from step times measured on this machine")
  .option("--out <dir>", "output folder", path.join(root, "dist/catalog"))
  .option("--backend <name>", "backend to measure on (default: the runner's, the fastest available)")
  .option("--step-times <file>", "use a saved `runner step-times --json` instead of measuring")
  .action(async (opts: { out: string; backend?: string; stepTimes?: string }) => {
    const files = catalogFiles(root);
    const times = opts.stepTimes ? readSaved(opts.stepTimes) : measure(files, opts.backend);
    const catalog = await buildCatalog(root, times, files);
    mkdirSync(opts.out, { recursive: true });
    writeFileSync(path.join(opts.out, "catalog.json"), `${JSON.stringify(catalog, null, 2)}\n`);
    writeFileSync(path.join(opts.out, "catalog.md"), `${catalogMarkdown(catalog, os.availableParallelism())}\n`);
    const t = catalog.totals;
    console.log(
      `${t.experiments} experiments: ${t.runs} runs (${t.uniqueRuns} unique), ${t.epochs} epochs (${t.uniqueEpochs} unique), ${t.steps} steps, ` +
        `est. ${t.cpuHours.toFixed(1)} CPU h (${t.uniqueCpuHours.toFixed(1)} CPU h for unique runs) from ${Object.keys(times.steps).length} measured shapes on ${times.backend} (load ${times.loadavg})`,
    );
    for (const [dir, f] of Object.entries(catalog.folders)) {
      console.log(`  ${dir}/: ${f.experiments} experiments, ${f.runs} runs (${f.uniqueRuns} unique), ${f.epochs} epochs (${f.uniqueEpochs} unique), est. ${f.cpuHours.toFixed(1)} CPU h (${f.uniqueCpuHours.toFixed(1)} for unique runs)`);
    }
    console.log(`wrote ${path.relative(root, path.join(opts.out, "catalog.md"))} and catalog.json`);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CatalogInputError) {
    console.error(`error: ${e.message}`);
    process.exitCode = 2;
  } else throw e;
}
