/**
 * A study's evidence as a compact bundle that outlives the machine that
 * trained it: the finished runs at a budget (config, records up to the
 * budget's epoch, status, summary; no checkpoints) and the sample grid of
 * each arm's median run. Committed with the code, imported on another
 * machine so a study trains only what neither the store nor the bundle
 * holds, and read alone to regenerate the report.
 *
 *   <dir>/manifest.json    format, study, budget, what was exported when, sha256 of runs.jsonl.gz
 *   <dir>/runs.jsonl.gz    one run a line, sorted by run id (gzip: the records are most of it)
 *   <dir>/grids/<runId>-epoch-NNNN.png
 *
 * Imported runs are written into the run store as finished runs (status
 * done or stopped, `imported` in config.json): the trainer, the report and
 * the dashboard read them as they read any run. Without a checkpoint such a
 * run cannot be extended past the budget (the trainer says so by name).
 */
import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { UserError, isRecordKey, runId as runIdOf, type RunConfig, type RunPlan } from "@ganscope/dsl";
import { RunStore, writeFileAtomic, writeJsonAtomic, type EpochRecord, type RunState } from "@ganscope/tracking";
import type { Budget } from "./budgets.js";

export const EVIDENCE_FORMAT = "ganscope-evidence/1";

/** A bundle that cannot be imported: its message names the file, the run and what was expected. */
export class EvidenceError extends UserError {
  override readonly name = "EvidenceError";
}

export interface EvidenceManifest {
  readonly format: typeof EVIDENCE_FORMAT;
  readonly study: string;
  readonly budget: Budget;
  readonly runs: number;
  readonly runsSha256: string;
  /** When it was exported: the date a report regenerated from it states. */
  readonly exportedAt: string;
  /** Commit of the code that exported it (the runs' own commits are in their status). */
  readonly commit?: string;
}

/** One finished run as the bundle holds it. */
export interface EvidenceRun {
  readonly runId: string;
  /** Every experiment of the study that names the run; it is stored in the first and linked from the others. */
  readonly experiments: readonly string[];
  readonly config: Readonly<RunConfig>;
  readonly varied: Readonly<Record<string, unknown>>;
  readonly backend?: unknown;
  /** Done to the budget's epochs, stopped by the stop policy before them, or failed by diverging (summary.status "diverged"). */
  readonly status: { readonly state: Extract<RunState, "done" | "stopped" | "failed">; readonly epochsDone: number; readonly stopReason?: string; readonly error?: string };
  readonly summary?: Readonly<Record<string, unknown>>;
  readonly records: readonly EpochRecord[];
  /** Path of its grid inside the bundle, for the median runs. */
  readonly grid?: string;
}

const MANIFEST = "manifest.json";
const RUNS = "runs.jsonl.gz";

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** The runs a study's plans name, each with the experiments that name it. */
function plannedRuns(plans: readonly RunPlan[]): Map<string, { experiments: string[]; varied: Record<string, unknown>; config: RunConfig }> {
  const out = new Map<string, { experiments: string[]; varied: Record<string, unknown>; config: RunConfig }>();
  for (const plan of plans) {
    for (const r of plan.runs) {
      const seen = out.get(r.runId);
      if (seen) seen.experiments.push(plan.experiment);
      else out.set(r.runId, { experiments: [plan.experiment], varied: { ...r.varied }, config: r.config });
    }
  }
  return out;
}

/** A run of the store read at the budget, if it is finished there: trained to the budget's epochs, or ended before them (stopped, diverged). */
async function finishedAt(store: RunStore, experiments: readonly string[], runId: string, budget: Budget): Promise<Omit<EvidenceRun, "experiments" | "varied" | "grid"> | undefined> {
  // Where the study's experiments name it, or wherever else the store trained it (the same config in another experiment is the same run).
  const elsewhere = await store.findFinished(runId, experiments[0]!);
  for (const exp of [...experiments, ...(elsewhere && !experiments.includes(elsewhere) ? [elsewhere] : [])]) {
    const run = store.run(exp, runId);
    const status = await run.readStatus().catch(() => undefined);
    if (!status) continue;
    const summary = await run.readSummary().catch(() => undefined);
    const all = await run.readRecords();
    const records = all.filter((r) => r.epoch <= budget.epochs);
    const last = records.at(-1);
    if (last === undefined) continue;
    const reached = last.epoch === budget.epochs && (status.state === "done" || status.state === "stopped" || status.state === "running" || status.epochsDone > budget.epochs);
    const ended = all.length === records.length && (status.state === "stopped" || (status.state === "failed" && summary?.["status"] === "diverged"));
    if (!reached && !ended) continue;
    const stored = await run.readConfig();
    return {
      runId,
      config: (stored?.config ?? {}) as unknown as RunConfig,
      ...(stored?.backend ? { backend: stored.backend } : {}),
      status: reached
        ? { state: "done", epochsDone: budget.epochs }
        : { state: status.state as "stopped" | "failed", epochsDone: last.epoch, ...(status.stopReason ? { stopReason: status.stopReason } : {}), ...(status.error ? { error: status.error } : {}) },
      // The summary is of the run's last epoch: kept only when that is the budget's (a run extended past it has another).
      ...(summary && last.epoch === status.epochsDone ? { summary } : {}),
      records,
    };
  }
  return undefined;
}

/** Reads and checks a bundle: its format, its checksum, and every run against its config hash, the budget and the record schema. */
export async function readEvidence(dir: string, budget: Budget): Promise<{ manifest: EvidenceManifest; runs: EvidenceRun[] }> {
  const manifestFile = path.join(dir, MANIFEST);
  if (!existsSync(manifestFile)) throw new EvidenceError(`${manifestFile}: no such file; expected an evidence bundle written by \`runner study --export\``);
  let manifest: EvidenceManifest;
  try {
    manifest = JSON.parse(await fs.readFile(manifestFile, "utf8")) as EvidenceManifest;
  } catch (e) {
    throw new EvidenceError(`${manifestFile}: not valid JSON (${(e as Error).message})`);
  }
  if (manifest.format !== EVIDENCE_FORMAT) throw new EvidenceError(`${manifestFile}: format is ${JSON.stringify(manifest.format)}, expected "${EVIDENCE_FORMAT}"`);
  const mismatch = (["epochs", "limit"] as const).filter((k) => manifest.budget?.[k] !== budget[k]);
  if (manifest.budget?.name !== budget.name || mismatch.length > 0) {
    throw new EvidenceError(
      `${manifestFile}: exported at budget ${manifest.budget?.name} (${manifest.budget?.epochs} epochs, limit ${manifest.budget?.limit}), expected ${budget.name} (${budget.epochs} epochs, limit ${budget.limit})`,
    );
  }
  const runsFile = path.join(dir, RUNS);
  const gz = await fs.readFile(runsFile).catch(() => {
    throw new EvidenceError(`${runsFile}: missing; the manifest lists ${manifest.runs} runs`);
  });
  if (sha256(gz) !== manifest.runsSha256) throw new EvidenceError(`${runsFile}: sha256 ${sha256(gz).slice(0, 12)}… differs from the manifest's ${String(manifest.runsSha256).slice(0, 12)}…: the file is corrupt or was edited`);
  const lines = gunzipSync(gz).toString("utf8").split("\n").filter((l) => l !== "");
  const runs = lines.map((line, i) => {
    const where = `${runsFile}: line ${i + 1}`;
    let r: EvidenceRun;
    try {
      r = JSON.parse(line) as EvidenceRun;
    } catch (e) {
      throw new EvidenceError(`${where}: not valid JSON (${(e as Error).message})`);
    }
    const hashed = runIdOf(r.config);
    if (hashed !== r.runId) throw new EvidenceError(`${where}: run ${r.runId}: its config hashes to ${hashed}; the config or the id was changed`);
    if (r.config.limit !== budget.limit) throw new EvidenceError(`${where}: run ${r.runId}: trained on limit ${r.config.limit}, the ${budget.name} budget's is ${budget.limit}`);
    const epochs = r.records.map((x) => x.epoch);
    if (epochs.some((e, k) => e !== k + 1) || epochs.length === 0) throw new EvidenceError(`${where}: run ${r.runId}: records' epochs are ${epochs.join(",") || "none"}, expected 1, 2, …`);
    const endedEarly = r.status.state === "stopped" || (r.status.state === "failed" && r.summary?.["status"] === "diverged");
    if (epochs.length > budget.epochs || (epochs.length < budget.epochs && !endedEarly) || r.status.epochsDone !== epochs.length) {
      throw new EvidenceError(`${where}: run ${r.runId}: ${r.status.state} at epoch ${r.status.epochsDone} with ${epochs.length} epochs of records; the ${budget.name} budget's is ${budget.epochs}`);
    }
    for (const rec of r.records) {
      const unknown = Object.keys(rec).filter((k) => !isRecordKey(k));
      if (unknown.length > 0) throw new EvidenceError(`${where}: run ${r.runId}: epoch ${rec.epoch}: ${unknown.join(", ")} not in the record schema (libs/dsl/src/record-schema.ts)`);
    }
    if (r.grid !== undefined && (!/^grids\/[0-9a-f]+-epoch-\d{4}\.png$/.test(r.grid) || !existsSync(path.join(dir, r.grid)))) throw new EvidenceError(`${where}: run ${r.runId}: its grid ${r.grid} is missing from the bundle`);
    return r;
  });
  if (runs.length !== manifest.runs) throw new EvidenceError(`${runsFile}: ${runs.length} runs, the manifest lists ${manifest.runs}`);
  return { manifest, runs };
}

export interface ExportOptions {
  readonly study: string;
  readonly budget: Budget;
  readonly plans: readonly RunPlan[];
  readonly resultsDir: string;
  readonly dir: string;
  /** Run ids whose last grid at the budget goes into the bundle (each arm's median run). */
  readonly grids: ReadonlySet<string>;
  readonly commit?: string;
}

/**
 * Writes the store's finished runs at the budget into the bundle at `dir`,
 * keeping every run a bundle already there holds that the store lacks (a
 * bundle only grows). Returns what it holds now.
 */
export async function exportEvidence(o: ExportOptions): Promise<{ runs: number; added: number; kept: number; bytes: number }> {
  const store = new RunStore(path.resolve(o.resultsDir));
  const prior = existsSync(path.join(o.dir, MANIFEST)) ? (await readEvidence(o.dir, o.budget)).runs : [];
  const byId = new Map<string, EvidenceRun>(prior.map((r) => [r.runId, r]));
  let added = 0;
  await fs.mkdir(path.join(o.dir, "grids"), { recursive: true });
  for (const [runId, planned] of plannedRuns(o.plans)) {
    const found = await finishedAt(store, planned.experiments, runId, o.budget);
    if (!found) continue;
    let grid = byId.get(runId)?.grid;
    if (o.grids.has(runId) && grid === undefined) {
      const elsewhere = await store.findFinished(runId, planned.experiments[0]!);
      for (const exp of [...planned.experiments, ...(elsewhere ? [elsewhere] : [])]) {
        const sample = (await store.run(exp, runId).samples()).filter((s) => s.epoch <= o.budget.epochs).at(-1);
        if (!sample) continue;
        grid = `grids/${runId}-epoch-${String(sample.epoch).padStart(4, "0")}.png`;
        await writeFileAtomic(path.join(o.dir, grid), await fs.readFile(sample.file));
        break;
      }
    }
    if (!byId.has(runId)) added++;
    byId.set(runId, { ...found, experiments: planned.experiments, varied: planned.varied, ...(grid ? { grid } : {}) });
  }
  const runs = [...byId.values()].sort((a, b) => (a.runId < b.runId ? -1 : 1));
  const gz = gzipSync(Buffer.from(runs.map((r) => JSON.stringify(r)).join("\n") + "\n"), { level: 9 });
  await writeFileAtomic(path.join(o.dir, RUNS), gz);
  const manifest: EvidenceManifest = { format: EVIDENCE_FORMAT, study: o.study, budget: o.budget, runs: runs.length, runsSha256: sha256(gz), exportedAt: new Date().toISOString(), ...(o.commit ? { commit: o.commit } : {}) };
  await writeJsonAtomic(path.join(o.dir, MANIFEST), manifest);
  let bytes = gz.length;
  for (const r of runs) if (r.grid) bytes += (await fs.stat(path.join(o.dir, r.grid))).size;
  return { runs: runs.length, added, kept: prior.filter((r) => !runs.some((x) => x.runId === r.runId)).length, bytes };
}

/**
 * Writes the bundle's runs into the store as finished runs, each under its
 * lock; a run the store holds already (trained, being trained, or
 * imported) is left as it is. Returns how many were written and kept.
 */
export async function importEvidence(dir: string, budget: Budget, resultsDir: string): Promise<{ imported: number; present: number; manifest: EvidenceManifest }> {
  const { manifest, runs } = await readEvidence(dir, budget);
  const store = new RunStore(path.resolve(resultsDir));
  let imported = 0;
  let present = 0;
  for (const r of runs) {
    const home = r.experiments[0]!;
    const run = store.run(home, r.runId);
    const elsewhere = await store.findFinished(r.runId, home);
    if ((await run.readStatus().catch(() => undefined)) !== undefined || elsewhere !== undefined || existsSync(run.dir)) {
      present++;
      continue;
    }
    const lock = await run.lock();
    if ("heldBy" in lock) {
      present++;
      continue;
    }
    try {
      await run.writeConfig({ runId: r.runId, experiment: home, varied: r.varied, config: r.config, ...(r.backend ? { backend: r.backend } : {}), imported: { from: path.resolve(dir), format: manifest.format } });
      for (const rec of r.records) await run.appendRecord(rec);
      if (r.grid) await run.writeSample(Number(/epoch-(\d+)\.png$/.exec(r.grid)?.[1]), await fs.readFile(path.join(dir, r.grid)));
      if (r.summary) await run.writeSummary(r.summary);
      await run.writeStatus({ ...r.status, epochs: budget.epochs });
    } finally {
      await lock.release();
    }
    for (const other of r.experiments.slice(1)) if (!existsSync(store.run(other, r.runId).dir)) await store.linkRun(other, r.runId, home);
    imported++;
  }
  return { imported, present, manifest };
}
