import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EVALUATION_KEYS, directionOf, valueAt } from "@ganscope/dsl/record-schema";
import { RESULTS_FILES, type EpochRecord, type MlflowLinks, type PlanIndex, type RunStatus } from "@ganscope/tracking";
import { lttbIndices } from "./downsample.js";
import { processAlive } from "./liveness.js";
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
 * Reads the run store for the dashboard. Strictly read-only: the runner may
 * be writing the same folders right now (RunDir.readRecords repairs files by
 * rewriting them, which a reader must never do), so torn lines and missing
 * files are tolerated here and reported as warnings, never fixed.
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

const SAMPLE_NAME = /^epoch-(\d+)\.png$/;

type Json = Record<string, unknown>;

function isRecord(x: unknown): x is Json {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

async function readJson(file: string, warnings: string[]): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    warnings.push(`${file}: ${(e as Error).message}`);
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    warnings.push(`${file}: not valid JSON (${(e as Error).message})`);
    return undefined;
  }
}

/** metrics.jsonl without repairing it: a torn last line (a write in flight or a kill) is skipped. */
export async function readRecordsReadOnly(file: string, warnings: string[]): Promise<EpochRecord[]> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    warnings.push(`${file}: ${(e as Error).message}`);
    return [];
  }
  const byEpoch = new Map<number, EpochRecord>();
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      // The last line may be mid-append; any other torn line is worth a word.
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== "")) warnings.push(`${file}:${i + 1}: unreadable line skipped`);
      return;
    }
    if (!isRecord(rec) || typeof rec.epoch !== "number") return;
    // A resumed run replays epochs after its checkpoint; the later line wins, as the runner's own repair does.
    byEpoch.set(rec.epoch, rec as EpochRecord);
  });
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
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

function stateOf(
  status: RunStatus | undefined,
  summary: unknown,
  hasAnything: boolean,
  opts: Required<Pick<ReadOptions, "isAlive" | "host">>,
): { state: RunDisplayState; note?: string } {
  if (!status) {
    if (isRecord(summary) && summary.status === "done") return { state: "done" };
    return hasAnything ? { state: "running", note: "no status.json yet" } : { state: "pending" };
  }
  switch (status.state) {
    case "done":
      return { state: "done" };
    case "failed":
      return { state: "failed", ...(status.error ? { note: status.error } : {}) };
    case "stopped":
      return { state: "stopped", ...(status.stopReason ? { note: status.stopReason } : {}) };
    case "running":
      if (status.host === opts.host && typeof status.pid === "number" && !opts.isAlive(status.pid)) {
        return { state: "interrupted", note: `pid ${status.pid} on ${status.host} is gone; rerun the experiment to resume` };
      }
      return status.host === opts.host ? { state: "running" } : { state: "running", note: `on ${status.host}` };
    default:
      return { state: "running", note: `unknown state ${JSON.stringify(status.state)}` };
  }
}

async function listSamples(dir: string): Promise<{ epoch: number; file: string }[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => ({ m: SAMPLE_NAME.exec(n), n }))
    .filter((x): x is { m: RegExpExecArray; n: string } => x.m !== null)
    .map(({ m, n }) => ({ epoch: Number(m[1]), file: path.join(dir, n) }))
    .sort((a, b) => a.epoch - b.epoch);
}

function variedValue(v: unknown): string | number | boolean | null {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return v === null || v === undefined ? null : JSON.stringify(v);
}

interface RunReadContext {
  root: string;
  experiment: string;
  warnings: string[];
  samples: SampleCopy[];
  /** Real folder of a run → its folder in the site, so a run linked into several experiments is copied once. */
  sampleDirs: Map<string, string>;
  opts: Required<ReadOptions>;
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
  const dir = path.join(ctx.root, ctx.experiment, runId);
  let linkedFrom: string | undefined;
  let realDir = dir;
  let exists = false;
  let isLink = false;
  try {
    isLink = (await fs.lstat(dir)).isSymbolicLink();
    if (isLink) {
      realDir = await fs.realpath(dir);
      const rel = path.relative(await fs.realpath(ctx.root), realDir);
      linkedFrom = rel.split(path.sep)[0] ?? rel;
    }
    exists = true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOENT on realpath: a dangling link to a deleted run, which holds nothing.
    if (isLink && code === "ENOENT") ctx.warnings.push(`${dir}: link to a run that no longer exists`);
    else if (code !== "ENOENT") ctx.warnings.push(`${dir}: ${(e as Error).message}`);
  }

  const [statusRaw, summary, config, mlflowRaw, records, sampleFiles] = await Promise.all([
    readJson(path.join(dir, RESULTS_FILES.status), ctx.warnings),
    readJson(path.join(dir, RESULTS_FILES.summary), ctx.warnings),
    readJson(path.join(dir, RESULTS_FILES.config), ctx.warnings),
    readJson(path.join(dir, RESULTS_FILES.mlflow), ctx.warnings),
    readRecordsReadOnly(path.join(dir, RESULTS_FILES.metrics), ctx.warnings),
    listSamples(path.join(dir, RESULTS_FILES.samples)),
  ]);
  const status = isRecord(statusRaw) ? (statusRaw as unknown as RunStatus) : undefined;
  const { state, note } = stateOf(status, summary, exists, ctx.opts);

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
  const { epochs: epochsX, series } = buildSeries(records, ctx.opts.maxPoints);
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

export function countStates(runs: readonly Pick<RunView, "state">[]): StateCounts {
  const counts: StateCounts = { done: 0, stopped: 0, running: 0, interrupted: 0, failed: 0, pending: 0 };
  for (const r of runs) counts[r.state]++;
  return counts;
}

/** Run folders of an experiment: those with a config.json or status.json (what the runner writes first). */
async function runFolders(expDir: string): Promise<string[]> {
  const entries = await fs.readdir(expDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith("."))
    .map((e) => e.name)
    .filter((n) => existsSync(path.join(expDir, n, RESULTS_FILES.config)) || existsSync(path.join(expDir, n, RESULTS_FILES.status)))
    .sort();
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
  const opts: Required<ReadOptions> = {
    maxPoints: options.maxPoints ?? 400,
    isAlive: options.isAlive ?? processAlive,
    host: options.host ?? os.hostname(),
  };
  const warnings: string[] = [];
  const samples: SampleCopy[] = [];
  const sampleDirs = new Map<string, string>();
  let names: string[] = [];
  try {
    const entries = await fs.readdir(root, { withFileTypes: true });
    names = entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") warnings.push(`${root}: ${(e as Error).message}`);
  }

  const experiments: StoreSnapshot["experiments"] = [];
  for (const name of names) {
    const planFile = path.join(root, name, RESULTS_FILES.plan);
    const planProblems: string[] = [];
    const planRaw = await readJson(planFile, planProblems);
    const onDisk = await runFolders(path.join(root, name));
    if (planRaw === undefined && !existsSync(planFile) && onDisk.length === 0) continue; // not an experiment's folder
    const plan = planOf(planRaw, planFile, onDisk.length, planProblems, warnings);
    if (!plan && onDisk.length === 0) continue; // said why; nothing to show
    const planned = plan?.runs ?? [];
    const plannedIds = new Set(planned.map((r) => r.runId));
    const ctx: RunReadContext = { root, experiment: name, warnings, samples, sampleDirs, opts };
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
