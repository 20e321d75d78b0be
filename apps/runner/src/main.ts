#!/usr/bin/env -S npx tsx
/**
 * ganscope's runner CLI. `npx nx run runner:exp --file=…` lands here as
 * `main.ts exp --file=…`.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import os from "node:os";
import path from "node:path";
import { batchesPerEpoch, datasetInfo } from "@ganscope/data";
import { BACKENDS, type BackendName } from "@ganscope/models";
import { RunStore, writeJsonAtomic } from "@ganscope/tracking";
import type { RunPlan, RunSpec } from "@ganscope/dsl";
import { ExperimentFileError, applyOverrides, loadExperiment } from "./load-experiment.js";
import { PlanProgress, summaryTable, variedLabel, type StoredSummary } from "./progress.js";
import { schedule } from "./scheduler.js";
import { recordedServers, syncAfterPlan, syncStore } from "./sync.js";
import { migrateLegacyRuns } from "@ganscope/training";

function positiveInt(name: string, min = 1) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${v}"`);
    return n;
  };
}

const trainCounts = new Map<string, number>();

/**
 * Training images of a dataset, from its file headers, read once per dataset:
 * the limit check, the dry run and every progress event ask for it.
 */
function trainCount(dataset: RunSpec["config"]["dataset"]): number {
  let count = trainCounts.get(dataset);
  if (count === undefined) {
    count = datasetInfo(dataset).train.count;
    trainCounts.set(dataset, count);
  }
  return count;
}

/** Steps per epoch from the dataset's header alone (no pixels read). */
function stepsPerEpochOf(spec: RunSpec): number {
  const count = spec.config.limit || trainCount(spec.config.dataset);
  return batchesPerEpoch(count, spec.config.batch_size);
}

export function describePlan(plan: RunPlan): string {
  const lines = [`experiment "${plan.experiment}": ${plan.runs.length} runs${plan.description ? ` — ${plan.description}` : ""}`];
  lines.push(`varied: ${plan.axes.length > 0 ? plan.axes.map((a) => `${String(a)} ∈ {${[...new Set(plan.runs.map((r) => String(r.config[a])))].join(", ")}}`).join("; ") : "nothing"}`);
  let totalSteps = 0;
  for (const spec of plan.runs) {
    const perEpoch = stepsPerEpochOf(spec);
    const steps = spec.config.epochs * perEpoch;
    totalSteps += steps;
    lines.push(`  ${spec.runId}  ${variedLabel(spec).padEnd(40)} ${spec.config.epochs} epochs × ${perEpoch} steps = ${steps} steps`);
  }
  lines.push(`total: ${totalSteps} training steps`);
  return lines.join("\n");
}

const program = new Command()
  .name("runner")
  .description("Train every run of a ganscope experiment")
  .showHelpAfterError();

program
  .command("exp", { isDefault: true })
  .description("compile an *.exp.ts file into a run plan and train it (resumable)")
  .requiredOption("--file <path>", "experiment file, e.g. experiments/quickstart.exp.ts")
  .option("--dry-run", "print the plan (runs, varied values, ids, total steps) and train nothing")
  .option("--epochs <n>", "override every run's epochs: a target, so runs done to fewer epochs are extended", positiveInt("--epochs"))
  .option("--limit <n>", "train on the first n images only (changes run ids)", positiveInt("--limit"))
  .option("--concurrency <n>", "worker processes (default: one per core)", positiveInt("--concurrency"))
  .addOption(new Option("--backend <name>", "compute backend (default: fastest available)").choices(BACKENDS))
  .option("--results <dir>", "run store folder", "results")
  .option("--resume-stopped", "train runs that a stop policy or halving stopped on towards their epochs")
  .option("--receipt <file>", "after the plan, write a JSON receipt of every run's outcome (what Nx caches for experiment targets)")
  .action(async (opts: { file: string; dryRun?: boolean; epochs?: number; limit?: number; concurrency?: number; backend?: BackendName; results: string; receipt?: string; resumeStopped?: boolean }) => {
    const plan = applyOverrides(await loadExperiment(opts.file), { epochs: opts.epochs, limit: opts.limit }, opts.file);
    for (const spec of plan.runs) {
      const count = trainCount(spec.config.dataset);
      if (spec.config.limit > count) {
        throw new ExperimentFileError(`${opts.file}: limit ${spec.config.limit} exceeds the ${count} training images of ${spec.config.dataset}`);
      }
    }
    if (opts.dryRun) {
      console.log(describePlan(plan));
      return;
    }
    const store = new RunStore(path.resolve(opts.results));
    for (const m of await migrateLegacyRuns(store, plan.experiment)) {
      console.error(
        m.kept
          ? `${plan.experiment}/${m.from}: a run folder from before schedule-free run ids, left as it is (${m.kept})`
          : `${plan.experiment}/${m.from} → ${m.to}: run folder renamed to its schedule-free run id (run ids no longer hash epochs, sample_every, eval_every)`,
      );
    }
    // The store is written first: the plan index exists before any training starts.
    await store.writePlan({
      experiment: plan.experiment,
      description: plan.description,
      axes: plan.axes.map(String),
      file: opts.file,
      createdAt: new Date().toISOString(),
      runs: plan.runs.map((r) => ({ runId: r.runId, varied: { ...r.varied } })),
    });
    const concurrency = opts.concurrency ?? os.availableParallelism();
    console.error(`${plan.experiment}: ${plan.runs.length} runs on ${Math.min(concurrency, plan.runs.length)} worker(s), results in ${path.join(opts.results, plan.experiment)}/`);
    const progress = new PlanProgress(plan, stepsPerEpochOf);
    let announced = false;
    const t0 = performance.now();
    const outcomes = await schedule(plan.runs, {
      resultsDir: store.root,
      experiment: plan.experiment,
      file: opts.file,
      concurrency,
      backend: opts.backend,
      stop: plan.stop,
      ...(plan.halving ? { halving: plan.halving } : {}),
      resumeStopped: opts.resumeStopped ?? false,
      onBackend: (b) => {
        if (announced) return;
        announced = true;
        progress.log(`backend: ${b.name} (${b.provider})${b.skipped.length ? `; skipped ${b.skipped.join("; ")}` : ""}`);
      },
      onEvent: (e) => progress.onEvent(e),
      onResult: (runId, o) => {
        const spec = plan.runs.find((r) => r.runId === runId);
        if (spec && o.status === "skipped") progress.skip(spec, o.reason);
      },
    }).finally(() => progress.stop());
    // Skipped runs trained earlier: their verdict and speed are in their summary.json.
    const summaries = new Map<string, StoredSummary>();
    for (const [runId, o] of outcomes) {
      if (o.status !== "skipped") continue;
      const s = await store.run(plan.experiment, runId).readSummary().catch(() => undefined);
      if (s && typeof s === "object") summaries.set(runId, s as StoredSummary);
    }
    console.log(summaryTable(plan, outcomes, { summaries, ...(process.stdout.isTTY ? { width: process.stdout.columns } : {}) }));
    console.log(`wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const bad = [...outcomes.values()].filter((o) => o.status === "failed");
    for (const o of bad) if (o.status === "failed") console.error(o.error);
    if (bad.length > 0) process.exitCode = 1;
    await store.refreshIndex(plan.experiment);
    await syncAfterPlan(store.root, plan.experiment);
    if (opts.receipt) {
      await writeJsonAtomic(path.resolve(opts.receipt), {
        experiment: plan.experiment,
        file: opts.file,
        results: path.join(opts.results, plan.experiment),
        finishedAt: new Date().toISOString(),
        runs: plan.runs.map((r) => {
          const o = outcomes.get(r.runId);
          return { runId: r.runId, varied: r.varied, status: o?.status ?? "not run", ...(o && "summary" in o && o.summary ? { summary: o.summary } : {}) };
        }),
      });
    }
  });

program
  .command("sync")
  .description("replay into MLflow (MLFLOW_TRACKING_URI, else the server the store's runs were logged to) whatever it is missing from the run store; safe to repeat")
  .option("--results <dir>", "run store folder", "results")
  .option("--experiment <name...>", "only these experiments (default: all in the store)")
  .action(async (opts: { results: string; experiment?: string[] }) => {
    if (!process.env["MLFLOW_TRACKING_URI"] && (await recordedServers(path.resolve(opts.results), opts.experiment)).length !== 1) {
      const known = await recordedServers(path.resolve(opts.results), opts.experiment);
      console.error(
        known.length === 0
          ? "error: set MLFLOW_TRACKING_URI to the MLflow tracking server to sync to (no run in the store was logged to one)"
          : `error: set MLFLOW_TRACKING_URI to the server to sync to; the store's runs were logged to ${known.join(", ")}`,
      );
      process.exitCode = 2;
      return;
    }
    const reports = await syncStore({ resultsDir: path.resolve(opts.results), ...(opts.experiment ? { experiments: opts.experiment } : {}) });
    if (reports.some((r) => r.error || r.unreachable)) process.exitCode = 1;
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof ExperimentFileError || (e as Error).name === "DataError") {
    console.error(`error: ${(e as Error).message}`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
