import os from "node:os";
import path from "node:path";
import { EVALUATION_KEYS, directionOf, valueAt } from "@ganscope/dsl/record-schema";
import { RESULTS_FILES, StoreReader, countStandings, processAlive, type EpochRecord, type MlflowLinks, type PlanIndex, type RunSnapshot } from "@ganscope/tracking";
import { lttbIndices } from "./downsample.js";
import {
  BOOKKEEPING_KEYS,
  CLASS_SHARE_PREFIX,
  TRAINING_KEYS,
  type ExperimentSummary,
  type ExperimentView,
  type RunDisplayState,
  type RunView,
  type SampleRef,
  type SeriesData,
  type StateCounts,
  type VerdictView,
} from "./site-data.js";

/**
 * The run store as the dashboard shows it. The files are read by
 * @ganscope/tracking's StoreReader (strictly read-only: the runner may be
 * writing the same folders right now, so torn lines and missing files are
 * warnings, never fixed); here they become the site's views: states with
 * their notes, curves thinned for charts, final and best values, sample
 * grids at their site paths.
 */

/** A sample grid PNG to copy into the site. */
export interface SampleCopy {
  from: string;
  /** Relative to the site root. */
  to: string;
}

export interface StoreSnapshot {
  experiments: { view: ExperimentView; summary: Omit<ExperimentSummary, "dataScript"> }[];
  samples: SampleCopy[];
  warnings: string[];
}

export interface ReadOptions {
  /** Points per series above which curves are thinned with LTTB (default 400: beyond a chart's pixel budget). */
  maxPoints?: number;
  /** Whether a process is alive; injectable so tests can pin it. Defaults to signal 0. */
  isAlive?: (pid: number) => boolean;
  /** This machine's host name, to know whose pids we can check. */
  host?: string;
}

type Json = Record<string, unknown>;

function isRecord(x: unknown): x is Json {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function finiteOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Five significant digits: plenty for a chart, a third of the bytes of a full double. */
function round(v: number): number {
  return Number(v.toPrecision(5));
}

function evidenceText(e: unknown): string | undefined {
  if (e === undefined || e === null) return undefined;
  if (typeof e === "string") return e;
  if (typeof e === "number" || typeof e === "boolean") return String(e);
  if (Array.isArray(e)) return e.map(evidenceText).filter(Boolean).join("; ");
  if (isRecord(e)) {
    return Object.entries(e)
      .map(([k, v]) => `${k}: ${typeof v === "number" ? String(Number(v.toPrecision(4))) : typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(", ");
  }
  return undefined;
}

/**
 * The metrics lib's verdict, whichever shape it takes: a bare label
 * (`"mode_collapse"`) or an object with a label and its evidence.
 */
export function verdictOf(summary: unknown): VerdictView | undefined {
  if (!isRecord(summary)) return undefined;
  const v = summary.verdict;
  if (typeof v === "string" && v !== "") {
    // The metrics lib writes readable reasons beside the raw evidence; the reasons say it best.
    const evidence = evidenceText(summary.verdict_reasons ?? summary.evidence ?? summary.verdictEvidence ?? summary.verdict_evidence);
    return evidence ? { label: v, evidence } : { label: v };
  }
  if (isRecord(v)) {
    const label = [v.verdict, v.label, v.kind, v.status, v.name].find((x): x is string => typeof x === "string" && x !== "");
    if (!label) return undefined;
    const evidence = evidenceText(v.evidence ?? v.reasons ?? v.reason ?? v.why ?? v.details);
    return evidence ? { label, evidence } : { label };
  }
  return undefined;
}

function numericEntries(x: unknown): [string, number][] {
  if (!isRecord(x)) return [];
  return Object.entries(x).filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]));
}

const BOOKKEEPING = new Set<string>(BOOKKEEPING_KEYS);
const TRAINING = new Set<string>(TRAINING_KEYS);
/** The evaluation's numbers in the record schema's order: the headline ones come first in pickers and tables. */
const METRIC_ORDER: readonly string[] = EVALUATION_KEYS;

export function orderMetricKeys(keys: Iterable<string>): string[] {
  // Class shares are shown as a histogram, not as ten more curves.
  const all = [...new Set(keys)].filter((k) => !BOOKKEEPING.has(k) && !k.startsWith(CLASS_SHARE_PREFIX));
  const rank = (k: string) => {
    const t = (TRAINING_KEYS as readonly string[]).indexOf(k);
    if (t >= 0) return t;
    const m = METRIC_ORDER.indexOf(k);
    return m >= 0 ? 100 + m : 1000;
  };
  return all.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Curves for the charts: every numeric key, gaps dropped, long ones thinned with LTTB. */
export function buildSeries(records: readonly EpochRecord[], maxPoints: number): { epochs: number[]; series: Record<string, SeriesData> } {
  const epochs = records.map((r) => r.epoch);
  const keys = new Set<string>();
  for (const r of records) for (const [k, v] of Object.entries(r)) if (typeof v === "number" && !BOOKKEEPING.has(k)) keys.add(k);
  const series: Record<string, SeriesData> = {};
  for (const key of keys) {
    const xs: number[] = [];
    const ys: number[] = [];
    for (const r of records) {
      const v = finiteOrNull(valueAt(r, key));
      if (v === null) continue;
      xs.push(r.epoch);
      ys.push(v);
    }
    if (xs.length === records.length && xs.length <= maxPoints) {
      series[key] = { y: ys.map(round) };
      continue;
    }
    const keep = lttbIndices(xs, ys, Math.max(3, maxPoints));
    series[key] = { x: keep.map((i) => xs[i]!), y: keep.map((i) => round(ys[i]!)) };
  }
  return { epochs, series };
}

/**
 * The run's state for the page, and a note saying why: tracking's standing
 * where status.json says one (a running status against the run's lock),
 * else what the folder suggests.
 */
function stateOf(run: RunSnapshot, host: string): { state: RunDisplayState; note?: string } {
  const { status, standing } = run;
  if (!status) {
    if (isRecord(run.summary) && run.summary.status === "done") return { state: "done" };
    return run.exists ? { state: "running", note: "no status.json yet" } : { state: "pending" };
  }
  if (!standing) return { state: "running", note: `unknown state ${JSON.stringify(status.state)}` };
  switch (standing.state) {
    case "failed":
      return { state: "failed", ...(status.error ? { note: status.error } : {}) };
    case "stopped":
      return { state: "stopped", ...(status.stopReason ? { note: status.stopReason } : {}) };
    case "interrupted":
      return { state: "interrupted", note: `${standing.why}; rerun the experiment to resume` };
    case "running":
      return standing.holder && standing.holder.host !== host ? { state: "running", note: `on ${standing.holder.host}` } : { state: "running" };
    default:
      return { state: standing.state };
  }
}

function variedValue(v: unknown): string | number | boolean | null {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return v === null || v === undefined ? null : JSON.stringify(v);
}

interface RunReadContext {
  reader: StoreReader;
  experiment: string;
  samples: SampleCopy[];
  /** Real folder of a run → its folder in the site, so a run linked into several experiments is copied once. */
  sampleDirs: Map<string, string>;
  maxPoints: number;
  host: string;
}

/**
 * The MLflow UI's page of a run (MLflow 2 and 3 route runs the same way).
 * MLflow 3's UI keeps a GenAI / model-training switch per browser (GenAI by
 * default) and reads `workflowType` from the URL, so the link asks for the
 * training view; older UIs ignore the parameter.
 */
export function mlflowRunUrl(link: { trackingUri: string; experimentId: string; runId: string }): string {
  return `${link.trackingUri.replace(/\/+$/, "")}/#/experiments/${encodeURIComponent(link.experimentId)}/runs/${encodeURIComponent(link.runId)}?workflowType=machine_learning`;
}

async function readRun(ctx: RunReadContext, runId: string, plannedVaried: Record<string, unknown> | undefined): Promise<RunView> {
  const run = await ctx.reader.run(ctx.experiment, runId);
  const { status, summary, config, records, realDir, linkedFrom } = run;
  const sampleFiles = run.samples;
  const mlflowRaw = run.mlflow;
  const { state, note } = stateOf(run, ctx.host);

  const final: Record<string, number> = {};
  const best: Record<string, number> = {};
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) {
      const x = finiteOrNull(v);
      if (x === null || BOOKKEEPING.has(k)) continue;
      final[k] = x;
      if (TRAINING.has(k)) continue;
      // Best only where the schema says which way is better (not for kid_std, class shares, keys it does not know).
      const direction = directionOf(k);
      if (direction === "neither") continue;
      const prev = best[k];
      best[k] = prev === undefined ? x : direction === "higher" ? Math.max(prev, x) : Math.min(prev, x);
    }
  }
  // The summary speaks last. The metrics lib writes `metrics.final` (numbers
  // of the last evaluation) and `metrics.best` ({ epoch, value } per metric).
  if (isRecord(summary)) {
    const metrics = isRecord(summary.metrics) ? summary.metrics : {};
    for (const source of [summary.final, metrics.final]) for (const [k, v] of numericEntries(source)) if (!BOOKKEEPING.has(k)) final[k] = v;
    for (const source of [summary.best, metrics.best]) {
      if (!isRecord(source)) continue;
      for (const [k, v] of Object.entries(source)) {
        const value = typeof v === "number" ? v : isRecord(v) ? v.value : undefined;
        if (typeof value === "number" && Number.isFinite(value) && !BOOKKEEPING.has(k)) best[k] = value;
      }
    }
  }

  let samples: SampleRef[] = [];
  if (sampleFiles.length > 0) {
    let siteDir = ctx.sampleDirs.get(realDir);
    if (!siteDir) {
      siteDir = `s/${runId}`;
      let n = 2;
      const taken = new Set(ctx.sampleDirs.values());
      while (taken.has(siteDir)) siteDir = `s/${runId}-${n++}`;
      ctx.sampleDirs.set(realDir, siteDir);
      for (const s of sampleFiles) ctx.samples.push({ from: s.file, to: `${siteDir}/${path.basename(s.file)}` });
    }
    samples = sampleFiles.map((s) => ({ epoch: s.epoch, src: `${siteDir}/${path.basename(s.file)}` }));
  }

  const cfg = isRecord(config) && isRecord(config.config) ? config.config : undefined;
  const epochs =
    (typeof status?.epochs === "number" ? status.epochs : undefined) ??
    (typeof cfg?.epochs === "number" ? cfg.epochs : undefined) ??
    (isRecord(summary) && typeof summary.epochs === "number" ? summary.epochs : undefined) ??
    null;
  const trainSecs = isRecord(summary) ? finiteOrNull(summary.trainSecs) : null;
  const summedSecs = records.reduce((s, r) => s + (finiteOrNull(r.secs) ?? 0), 0);
  const { epochs: epochsX, series } = buildSeries(records, ctx.maxPoints);
  const verdict = verdictOf(summary);

  // A run of an earlier plan is not in plan.json: its config.json says what it varied.
  const storedVaried = isRecord(config) && isRecord(config.varied) ? config.varied : {};
  const varied: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(plannedVaried ?? storedVaried)) varied[k] = variedValue(v);
  const file = isRecord(config) && typeof config.file === "string" ? config.file : undefined;
  const links = isRecord(mlflowRaw) && Array.isArray(mlflowRaw.links) ? (mlflowRaw as unknown as MlflowLinks).links : [];
  const link = links.find((l) => isRecord(l) && l.experimentName === ctx.experiment) ?? links.find(isRecord);
  const mlflowUrl = link && typeof link.trackingUri === "string" && typeof link.runId === "string" ? mlflowRunUrl(link) : undefined;

  return {
    runId,
    varied,
    inPlan: plannedVaried !== undefined,
    ...(file ? { file } : {}),
    ...(mlflowUrl ? { mlflowUrl } : {}),
    state,
    ...(note ? { note } : {}),
    epochsDone: Math.max(records.at(-1)?.epoch ?? 0, typeof status?.epochsDone === "number" ? status.epochsDone : 0),
    epochs,
    wallSecs: trainSecs ?? (records.length > 0 ? round(summedSecs) : null),
    ...(typeof status?.updatedAt === "string" ? { updatedAt: status.updatedAt } : {}),
    ...(linkedFrom ? { linkedFrom } : {}),
    ...(verdict ? { verdict } : {}),
    final,
    best,
    epochs_x: epochsX,
    series,
    samples,
  };
}

/** Runs per state (tracking's countStandings: every state a key). */
export function countStates(runs: readonly Pick<RunView, "state">[]): StateCounts {
  return countStandings(runs);
}

/**
 * plan.json checked for what the dashboard reads from it. A plan that is not
 * valid is named with what is wrong, and the experiment is still shown from
 * its run folders: a broken index must not hide trained runs.
 */
function planOf(
  raw: unknown,
  file: string,
  runFolderCount: number,
  readProblems: readonly string[],
  warnings: string[],
): Pick<PlanIndex, "runs" | "axes" | "description" | "file" | "createdAt"> | undefined {
  const fallback = runFolderCount > 0 ? `showing its ${runFolderCount} run folder(s) without the plan` : "the experiment has no run folders to show";
  if (raw === undefined) {
    // Not valid JSON or unreadable (readJson says which), or missing beside run folders.
    if (readProblems.length > 0) for (const p of readProblems) warnings.push(`${p}; ${fallback}`);
    else warnings.push(`${file}: missing; ${fallback}`);
    return undefined;
  }
  if (!isRecord(raw)) {
    warnings.push(`${file}: expected an object with "runs": [{ runId, varied }, …], got ${Array.isArray(raw) ? "an array" : typeof raw === "object" ? "null" : typeof raw}; ${fallback}`);
    return undefined;
  }
  if (!Array.isArray(raw.runs)) {
    warnings.push(`${file}: "runs" must be an array of { runId, varied }, got ${raw.runs === undefined ? "nothing" : typeof raw.runs}; ${fallback}`);
    return undefined;
  }
  const runs: PlanIndex["runs"] = [];
  raw.runs.forEach((r: unknown, i: number) => {
    if (isRecord(r) && typeof r.runId === "string" && r.runId !== "") runs.push({ runId: r.runId, varied: isRecord(r.varied) ? r.varied : {} });
    else warnings.push(`${file}: runs[${i}] has no string "runId"; skipped`);
  });
  const axes = Array.isArray(raw.axes) ? raw.axes.filter((a): a is string => typeof a === "string") : [];
  if (raw.axes !== undefined && !Array.isArray(raw.axes)) warnings.push(`${file}: "axes" must be an array of names, got ${typeof raw.axes}`);
  return {
    runs,
    axes,
    description: typeof raw.description === "string" ? raw.description : "",
    ...(typeof raw.file === "string" ? { file: raw.file } : {}),
    ...(typeof raw.createdAt === "string" ? { createdAt: raw.createdAt } : {}),
  } as Pick<PlanIndex, "runs" | "axes" | "description" | "file" | "createdAt">;
}

/** Reads every experiment (a folder with a plan.json or run folders) under `root`. A missing or empty root is an empty store. */
export async function readStore(root: string, options: ReadOptions = {}): Promise<StoreSnapshot> {
  const host = options.host ?? os.hostname();
  const reader = new StoreReader(root, { host, alive: options.isAlive ?? processAlive });
  const warnings = reader.warnings;
  const samples: SampleCopy[] = [];
  const sampleDirs = new Map<string, string>();
  const names = await reader.folders();

  const experiments: StoreSnapshot["experiments"] = [];
  for (const name of names) {
    const planFile = path.join(root, name, RESULTS_FILES.plan);
    const planProblems: string[] = [];
    const planRaw = await reader.readJson(planFile, planProblems);
    const onDisk = await reader.runFolders(name);
    if (planRaw === undefined && planProblems.length === 0 && onDisk.length === 0) continue; // not an experiment's folder
    const plan = planOf(planRaw, planFile, onDisk.length, planProblems, warnings);
    if (!plan && onDisk.length === 0) continue; // said why; nothing to show
    const planned = plan?.runs ?? [];
    const plannedIds = new Set(planned.map((r) => r.runId));
    const ctx: RunReadContext = { reader, experiment: name, samples, sampleDirs, maxPoints: options.maxPoints ?? 400, host };
    // Sequential per experiment keeps file handles bounded with hundreds of runs; each run reads its files in parallel.
    // Planned runs first, in plan order, then every run an earlier plan left in the store.
    const runs: RunView[] = [];
    for (const r of planned) runs.push(await readRun(ctx, r.runId, r.varied));
    for (const id of onDisk) if (!plannedIds.has(id)) runs.push(await readRun(ctx, id, undefined));
    const axes = [...new Set([...(plan?.axes ?? []), ...runs.flatMap((r) => Object.keys(r.varied))])];
    const metricKeys = orderMetricKeys(runs.flatMap((r) => Object.keys(r.series)));
    const verdicts: Record<string, number> = {};
    for (const r of runs) if (r.verdict) verdicts[r.verdict.label] = (verdicts[r.verdict.label] ?? 0) + 1;
    const description = plan?.description ?? "";
    const files = [...new Set([...(plan?.file ? [plan.file] : []), ...runs.flatMap((r) => (r.file ? [r.file] : []))])];
    const view: ExperimentView = {
      name,
      description,
      axes,
      ...(plan?.file ? { file: plan.file } : {}),
      files,
      ...(plan?.createdAt ? { createdAt: plan.createdAt } : {}),
      runs,
      metricKeys,
    };
    experiments.push({
      view,
      summary: {
        name,
        description,
        axes,
        runCount: runs.length,
        inPlanCount: runs.filter((r) => r.inPlan).length,
        counts: countStates(runs),
        verdicts,
        ...(view.createdAt ? { createdAt: view.createdAt } : {}),
      },
    });
  }
  return { experiments, samples, warnings };
}
