import { constants, promises as fs } from "node:fs";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { prepareOutDir } from "./out-dir.js";
import { readStore, type ReadOptions } from "./store-reader.js";
import { BUILD_STAMP_SCRIPT, type ExperimentSummary, type SiteIndex, type StudySummary } from "./site-data.js";
import { readStudies } from "./study-reader.js";

const CLIENT_DIR = fileURLToPath(new URL("../client/", import.meta.url));
const require = createRequire(import.meta.url);

export interface BuildOptions extends ReadOptions {
  /** The run store (normally ./results). */
  resultsDir: string;
  /** Where the site goes (normally dist/apps/dashboard); emptied first only if an earlier build made it (see out-dir.ts). */
  outDir: string;
}

export interface BuildReport {
  outDir: string;
  experiments: number;
  /** Study reports (report.json) found in the store. */
  studies: number;
  runs: number;
  samples: number;
  /** Bytes written, by kind, for the page-weight note. */
  bytes: { html: number; app: number; css: number; echarts: number; data: number; samples: number };
  warnings: string[];
}

/** A data file name that is safe on every file system and unique per experiment (or study) name. */
function dataScriptName(name: string, prefix = "exp"): string {
  const safe = name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 60);
  const tag = safe === name ? "" : `-${createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
  return `data/${prefix}-${safe}${tag}.js`;
}

/**
 * The browser code is TypeScript modules (type-checked by client/tsconfig.json)
 * but must run as one classic script: module scripts are blocked on file://
 * pages. esbuild (the transpiler tsx already runs on) bundles client/app.ts
 * and what it imports — the client's modules and the constants of
 * src/site-data.ts — in milliseconds; echarts stays a separate vendor script
 * (only its types are imported).
 */
export async function compileClient(): Promise<string> {
  const out = await build({
    entryPoints: [path.join(CLIENT_DIR, "app.ts")],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2020",
    charset: "utf8",
    logLevel: "silent",
  });
  return `"use strict";\n${out.outputFiles[0]!.text}`;
}

function dataScript(global: string, key: string | undefined, value: unknown): string {
  const json = JSON.stringify(value);
  return key === undefined
    ? `window.${global} = ${json};\n`
    : `(window.${global} = window.${global} || {})[${JSON.stringify(key)}] = ${json};\n`;
}

async function write(file: string, text: string): Promise<number> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
  return Buffer.byteLength(text);
}

/** Copies with a reflink where the file system has them (cheap on btrfs/xfs), a plain copy elsewhere. */
async function copy(from: string, to: string): Promise<number> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  await fs.copyFile(from, to, constants.COPYFILE_FICLONE);
  return (await fs.stat(to)).size;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Turns a run store into the static site. */
export async function buildSite(options: BuildOptions): Promise<BuildReport> {
  const snapshot = await readStore(path.resolve(options.resultsDir), options);
  const outDir = await prepareOutDir(options.outDir, options.resultsDir);

  const bytes: BuildReport["bytes"] = { html: 0, app: 0, css: 0, echarts: 0, data: 0, samples: 0 };
  const echartsMin = require.resolve("echarts/dist/echarts.min.js");
  const echartsRoot = path.dirname(path.dirname(echartsMin));
  bytes.echarts += await copy(echartsMin, path.join(outDir, "vendor", "echarts.min.js"));
  // Apache-2.0 asks for its licence and notice to travel with the code.
  await copy(path.join(echartsRoot, "LICENSE"), path.join(outDir, "vendor", "echarts-LICENSE.txt"));
  await copy(path.join(echartsRoot, "NOTICE"), path.join(outDir, "vendor", "echarts-NOTICE.txt"));
  bytes.html += await copy(path.join(CLIENT_DIR, "index.html"), path.join(outDir, "index.html"));
  bytes.css += await copy(path.join(CLIENT_DIR, "style.css"), path.join(outDir, "style.css"));
  bytes.app += await write(path.join(outDir, "app.js"), await compileClient());

  const summaries: ExperimentSummary[] = [];
  for (const { view, summary } of snapshot.experiments) {
    const dataScriptPath = dataScriptName(view.name);
    bytes.data += await write(path.join(outDir, dataScriptPath), dataScript("GANSCOPE_EXPERIMENTS", view.name, view));
    summaries.push({ ...summary, dataScript: dataScriptPath });
  }
  // Study reports: their arms name runs of the experiments above, whose grids are now at site paths.
  const views = snapshot.experiments.map((e) => e.view);
  const byExperiment = new Map(views.map((v) => [v.name, new Map(v.runs.map((r) => [r.runId, r.samples]))]));
  const studies = await readStudies(path.resolve(options.resultsDir), (exp, runId) => byExperiment.get(exp)?.get(runId), views, snapshot.warnings);
  const studySummaries: StudySummary[] = [];
  for (const study of studies) {
    const script = dataScriptName(study.name, "study");
    bytes.data += await write(path.join(outDir, script), dataScript("GANSCOPE_STUDIES", study.name, study));
    const verdicts: Record<string, number> = {};
    for (const f of study.findings) verdicts[f.verdict] = (verdicts[f.verdict] ?? 0) + 1;
    studySummaries.push({
      name: study.name,
      description: study.description,
      budgetLine: study.budgetLine,
      ...(study.generatedAt ? { generatedAt: study.generatedAt } : {}),
      findings: study.findings.length,
      verdicts,
      dataScript: script,
    });
  }
  const index: SiteIndex = {
    generatedAt: new Date().toISOString(),
    resultsDir: options.resultsDir,
    experiments: summaries,
    studies: studySummaries,
    warnings: snapshot.warnings,
  };
  bytes.data += await write(path.join(outDir, "data", "index.js"), dataScript("GANSCOPE_INDEX", undefined, index));

  await pool(snapshot.samples, 16, async (s) => {
    try {
      const n = await copy(s.from, path.join(outDir, s.to));
      bytes.samples += n; // not `+= await`: that reads the total before the await and loses concurrent copies
    } catch (e) {
      // Removed between listing and copying (a run being relinked): the page shows a missing image, not a failed build.
      snapshot.warnings.push(`${s.from}: ${(e as Error).message}`);
    }
  });

  // Last: a served page that sees a new stamp reloads, and by now everything it loads is in place.
  bytes.data += await write(path.join(outDir, BUILD_STAMP_SCRIPT), dataScript("GANSCOPE_BUILD", undefined, index.generatedAt));

  return {
    outDir,
    experiments: summaries.length,
    studies: studySummaries.length,
    runs: summaries.reduce((n, e) => n + e.runCount, 0),
    samples: snapshot.samples.length,
    bytes,
    warnings: snapshot.warnings,
  };
}
