/**
 * The experiment catalog: for every `*.exp.ts`, its runs, epochs, training
 * steps and estimated CPU time on this machine: each run's steps × the
 * measured seconds per step of its network shape on the backend in use, plus
 * its evaluations × one measured evaluation. The times come from
 * `runner step-times` (@ganscope/training step-times.ts, the study's dry run
 * uses the same), since measuring needs the backend and tools stay free of tfjs.
 * Plans come from `compile()` (exact, filters included); the static reading
 * is attached so the catalog also shows what tooling can see without running
 * a file.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { batchesPerEpoch, datasetInfo } from "@ganscope/data";
import { isExperiment, type RunConfig, type RunPlan } from "@ganscope/dsl";
import { createReaderProject, readExperimentFile, type StaticIssue } from "../experiment-reader.js";
import { findExperimentFiles } from "../workspace.js";
import { networkParameters } from "./cost-model.js";

/** One measurement, with the load it was taken under. */
export interface MeasuredTime {
  readonly measuredAt: string;
  readonly loadavg: number;
}

/** What `runner step-times --json` prints: measured times per shape, and per run id the figure that applies. */
export interface StepTimeTable {
  /** The command that produced it. */
  readonly command: string;
  readonly backend: string;
  readonly machine: string;
  /** Load average when the lookup began. */
  readonly loadavg: number;
  readonly cacheFile: string;
  readonly cached: number;
  readonly measured: number;
  readonly remeasured: number;
  readonly evalSecs?: (MeasuredTime & { readonly secs: number }) | undefined;
  /** One cached shape timed again at the lookup: how much slower steps are now than their cached figures. */
  readonly loadFactor?: { readonly shape: string; readonly cachedSecs: number; readonly nowSecs: number; readonly factor: number; readonly loadavg: number } | undefined;
  /** Network shape → its measured step time. */
  readonly steps: Readonly<Record<string, MeasuredTime & { readonly secsPerStep: number }>>;
  /** Run id → its shape's seconds per step and the evaluations it makes (every eval_every epochs and after the last). */
  readonly runs: Readonly<Record<string, { readonly secsPerStep: number; readonly evaluations: number }>>;
}

export interface CatalogRun {
  readonly runId: string;
  readonly varied: Readonly<Partial<RunConfig>>;
  readonly epochs: number;
  readonly steps: number;
  readonly params: number;
  readonly secondsPerStep: number;
  /** Evaluations the run makes (every eval_every epochs and after the last). */
  readonly evaluations: number;
  readonly cpuHours: number;
  /** Whether an earlier experiment in the catalog has the same run (same id: trained once). */
  readonly shared: boolean;
}

export interface CatalogEntry {
  readonly file: string;
  readonly experiment: string;
  readonly description: string;
  readonly runs: number;
  readonly epochs: number;
  readonly steps: number;
  readonly cpuHours: number;
  /** Runs not already counted by an earlier entry, and their hours. */
  readonly newRuns: number;
  readonly newCpuHours: number;
  /** What the static reader could not read in this file. */
  readonly staticIssues: readonly StaticIssue[];
  readonly runList: readonly CatalogRun[];
}

export interface CatalogTotals {
  readonly experiments: number;
  readonly runs: number;
  /** Distinct run ids: a run shared by several experiments is trained once. */
  readonly uniqueRuns: number;
  readonly epochs: number;
  readonly uniqueEpochs: number;
  readonly steps: number;
  readonly uniqueSteps: number;
  readonly cpuHours: number;
  readonly uniqueCpuHours: number;
}

export interface Catalog {
  readonly generatedAt: string;
  readonly stepTimes: StepTimeTable;
  readonly costModel: string;
  readonly entries: readonly CatalogEntry[];
  readonly totals: CatalogTotals;
  /** Totals per folder (e.g. `experiments/seed` is the seed study), runs shared within the folder counted once. */
  readonly folders: Readonly<Record<string, CatalogTotals>>;
}

function totalsOf(entries: readonly CatalogEntry[]): CatalogTotals {
  const all = entries.flatMap((e) => e.runList);
  const seen = new Set<string>();
  const unique = all.filter((r) => !seen.has(r.runId) && (seen.add(r.runId), true));
  const sum = (rs: readonly CatalogRun[], f: (r: CatalogRun) => number) => rs.reduce((s, r) => s + f(r), 0);
  return {
    experiments: entries.length,
    runs: all.length,
    uniqueRuns: unique.length,
    epochs: sum(all, (r) => r.epochs),
    uniqueEpochs: sum(unique, (r) => r.epochs),
    steps: sum(all, (r) => r.steps),
    uniqueSteps: sum(unique, (r) => r.steps),
    cpuHours: sum(all, (r) => r.cpuHours),
    uniqueCpuHours: sum(unique, (r) => r.cpuHours),
  };
}

/** The experiments a catalog covers by default: the study folder, not test fixtures elsewhere in the repo. */
export function catalogFiles(root: string): string[] {
  return findExperimentFiles(root).filter((f) => f.startsWith("experiments/"));
}

async function loadPlan(file: string): Promise<RunPlan> {
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  if (!isExperiment(mod.default)) throw new Error(`${file}: default export is not an experiment`);
  return mod.default.compile();
}

/**
 * Builds the catalog of `files` (default: every experiment under `root`),
 * costing each run from `times` (`runner step-times --json --file <the same files>`).
 * Entries are sorted by file; a run shared by several experiments is costed
 * in each, and counted once in the `unique` totals.
 */
export async function buildCatalog(root: string, times: StepTimeTable, files: readonly string[] = catalogFiles(root)): Promise<Catalog> {
  const evalSecs = times.evalSecs?.secs ?? 0;
  const project = createReaderProject();
  const seen = new Set<string>();
  const entries: CatalogEntry[] = [];

  for (const file of files) {
    const abs = path.join(root, file);
    const plan = await loadPlan(abs);
    const reading = readExperimentFile(abs, project);
    const runList = plan.runs.map((r): CatalogRun => {
      const count = r.config.limit || datasetInfo(r.config.dataset).train.count;
      const steps = r.config.epochs * batchesPerEpoch(count, r.config.batch_size);
      const measured = times.runs[r.runId];
      if (measured === undefined) throw new Error(`${file}: run ${r.runId} has no step time in the table from \`${times.command}\`; measure this file too`);
      const { secsPerStep: sps, evaluations } = measured;
      const cost = networkParameters(r.config);
      const shared = seen.has(r.runId);
      seen.add(r.runId);
      return { runId: r.runId, varied: r.varied, epochs: r.config.epochs, steps, params: cost.generatorParams + cost.discriminatorParams, secondsPerStep: sps, evaluations, cpuHours: (steps * sps + evaluations * evalSecs) / 3600, shared };
    });
    const sum = (rs: readonly CatalogRun[], f: (r: CatalogRun) => number) => rs.reduce((s, r) => s + f(r), 0);
    const fresh = runList.filter((r) => !r.shared);
    entries.push({
      file,
      experiment: plan.experiment,
      description: plan.description,
      runs: runList.length,
      epochs: sum(runList, (r) => r.epochs),
      steps: sum(runList, (r) => r.steps),
      cpuHours: sum(runList, (r) => r.cpuHours),
      newRuns: fresh.length,
      newCpuHours: sum(fresh, (r) => r.cpuHours),
      staticIssues: reading.issues,
      runList,
    });
  }
  const folders: Record<string, CatalogTotals> = {};
  for (const dir of [...new Set(entries.map((e) => path.posix.dirname(e.file)))].sort()) {
    folders[dir] = totalsOf(entries.filter((e) => e.file.startsWith(`${dir}/`)));
  }
  return {
    generatedAt: new Date().toISOString(),
    stepTimes: times,
    costModel: "CPU seconds of a run = steps × the measured seconds per step of its network shape + evaluations × the measured seconds of one evaluation (@ganscope/training step-times.ts)",
    entries,
    totals: totalsOf(entries),
    folders,
  };
}

const hours = (h: number) => (h >= 100 ? h.toFixed(0) : h >= 1 ? h.toFixed(1) : h.toFixed(2));

/** The catalog as a markdown page. */
export function catalogMarkdown(c: Catalog, cores: number): string {
  const t = c.totals;
  const lines = [
    "# Experiment catalog",
    "",
    `Generated ${c.generatedAt} by \`npx nx run tools:catalog\`. Estimates use step times measured on this machine per network shape ` +
      `(${Object.keys(c.stepTimes.steps).length} shapes; ${c.stepTimes.cached} cached, ${c.stepTimes.measured} measured now, ${c.stepTimes.remeasured} measured again because the cached figure was taken under a much heavier load) ` +
      `on **${c.stepTimes.backend}** (${c.stepTimes.machine}; load average ${c.stepTimes.loadavg} at the lookup; \`${c.stepTimes.command}\`, cache ${c.stepTimes.cacheFile}), ` +
      `and one evaluation ≈ ${c.stepTimes.evalSecs ? `${c.stepTimes.evalSecs.secs.toFixed(2)} s (load ${c.stepTimes.evalSecs.loadavg})` : "not measured (counted as 0)"}. ` +
      "Worker start-up, dataset loading, checkpoints and sample grids are not counted.",
    "",
    c.stepTimes.loadFactor
      ? `At the lookup's load (${c.stepTimes.loadFactor.loadavg}) a step took **${c.stepTimes.loadFactor.factor.toFixed(2)}×** its cached figure ` +
        `(${(c.stepTimes.loadFactor.nowSecs * 1000).toFixed(1)} ms against ${(c.stepTimes.loadFactor.cachedSecs * 1000).toFixed(1)} ms, \`${c.stepTimes.loadFactor.shape}\` timed again); ` +
        `the hours below are at the cached figures' load: multiply by that factor for a machine as busy as it was then (unique runs: ${hours(t.uniqueCpuHours * c.stepTimes.loadFactor.factor)} CPU h).`
      : "Every step time was measured during this lookup, at its load.",
    "",
    `Cost model: ${c.costModel}. CPU hours assume one worker process per run, as the runner schedules them; ` +
      `wall time on this machine is about CPU hours / ${cores} (one worker per core).`,
    "",
    "| experiment | file | runs | new runs | epochs | steps | est. CPU h | est. CPU h (new runs) | static reading |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...c.entries.map(
      (e) =>
        `| ${e.experiment} | \`${e.file}\` | ${e.runs} | ${e.newRuns} | ${e.epochs} | ${e.steps} | ${hours(e.cpuHours)} | ${hours(e.newCpuHours)} | ${e.staticIssues.length === 0 ? "exact" : e.staticIssues.map((i) => `${i.code} (line ${i.line})`).join(", ")} |`,
    ),
    `| **total** | ${t.experiments} files | **${t.runs}** | **${t.uniqueRuns}** | **${t.epochs}** | ${t.steps} | **${hours(t.cpuHours)}** | **${hours(t.uniqueCpuHours)}** | |`,
    "",
    `"New runs" leave out runs an earlier row already has (same resolved config, same run id): the runner trains those once. ` +
      `Unique epochs: ${t.uniqueEpochs}. Estimated wall time for the unique runs with ${cores} workers: ${hours(t.uniqueCpuHours / cores)} h.`,
    "",
    "| folder | experiments | runs | unique runs | epochs | unique epochs | unique steps | est. CPU h (unique runs) | est. wall h, unique runs, " + cores + " workers |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...Object.entries(c.folders).map(
      ([dir, f]) => `| \`${dir}/\` | ${f.experiments} | ${f.runs} | ${f.uniqueRuns} | ${f.epochs} | ${f.uniqueEpochs} | ${f.uniqueSteps} | ${hours(f.uniqueCpuHours)} | ${hours(f.uniqueCpuHours / cores)} |`,
    ),
    "",
    "## Runs",
    "",
  ];
  for (const e of c.entries) {
    lines.push(`### ${e.experiment}`, "", e.description ? `${e.description}` : "(no description)", "");
    lines.push("| run | varied | epochs | steps | parameters | measured s/step | evaluations | est. CPU h | shared |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (const r of e.runList) {
      const varied = Object.entries(r.varied).map(([k, v]) => `${k}=${String(v)}`).join(", ") || "—";
      lines.push(`| ${r.runId} | ${varied} | ${r.epochs} | ${r.steps} | ${r.params} | ${r.secondsPerStep.toFixed(4)} | ${r.evaluations} | ${hours(r.cpuHours)} | ${r.shared ? "yes" : ""} |`);
    }
    lines.push("");
  }
  lines.push("## Step times", "", "| network shape | s/step | measured at | load average then |", "| --- | ---: | --- | ---: |");
  for (const [shape, t] of Object.entries(c.stepTimes.steps)) lines.push(`| \`${shape}\` | ${t.secsPerStep.toFixed(4)} | ${t.measuredAt} | ${t.loadavg} |`);
  lines.push("");
  return lines.join("\n");
}
