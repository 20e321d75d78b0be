#!/usr/bin/env -S npx tsx
/**
 * ganscope's runner CLI. `npx nx run runner:exp --file=…` lands here as
 * `main.ts exp --file=…`.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { batchesPerEpoch, checkDataset, datasetInfo } from "@ganscope/data";
import { BACKENDS, releaseBackend, selectBackend, type BackendName } from "@ganscope/models";
import { backendPlan, cachedFusionSpeedup, evaluationsOf, fusionPlan, missingRuns, planIndexOf, reexecWithFilteredStderr, schedule, stepTimes, trainStudy, type Fuse } from "@ganscope/training";
import { RunStore, StoreWriteError, gitCommit, recordSpan, timed, writeJsonAtomic, type RunOutcome } from "@ganscope/tracking";
import { PRECISIONS, UserError, type Precision, type RunPlan, type RunSpec } from "@ganscope/dsl";
import { ExperimentFileError, applyOverrides, loadExperiment } from "./load-experiment.js";
import { PlanProgress, summaryTable, terminalIsAsciiOnly, variedLabel, type StoredSummary } from "./progress.js";
import { CliError, checkExperimentOwner, checkMlflowEnv, checkPrecision, checkReceipt, checkResultsDir, concurrencyWarning } from "./preflight.js";
import { recordedServers, syncAfterPlan, syncStore } from "./sync.js";
import { BUDGET_NAMES, exportEvidence, importEvidence, plansOfStudy, type EvidenceManifest } from "@ganscope/findings";
import { budgetOf, loadStudy, mediansOf, reportStudy, selectFindings } from "./study.js";
import { describeStudyCost } from "./study-cost.js";
import { migrateLegacyRuns } from "@ganscope/training";
import { redisOptionsOf } from "@ganscope/queue";
import { pullCommand, pullFinished, runQueuedPlan, serveWorker } from "./queued.js";
import { oneLineUsageErrors } from "./usage-errors.js";

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
  const stop = plan.stop ? [plan.stop.saturated !== false && `${plan.stop.saturated} epochs of a saturated discriminator`, plan.stop.collapsed !== false && `${plan.stop.collapsed} collapsed evaluations`].filter(Boolean) : [];
  lines.push(`stops a run early after: ${stop.length > 0 ? stop.join(" or ") : "never (stopWhen(false))"}`);
  if (plan.halving) lines.push(`successive halving on ${plan.halving.metric} at epochs ${plan.halving.rungs.join(", ")}, keeping the best ${Number(plan.halving.keep.toFixed(3))}`);
  return lines.join("\n");
}

function parseFuse(v: string): Fuse {
  if (v === "auto" || v === "off") return v;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`--fuse must be auto, off or a group size ≥ 1, got "${v}"`);
  return n;
}

/** `--backend`: a backend by name, or auto (the default; undefined to the libs): the fastest CPU backend, webgpu per shape where measured faster. */
function backendOption(): Option {
  const names = ["auto", ...BACKENDS];
  return new Option("--backend <name>", `compute backend: ${names.join(", ")} (default auto: the fastest CPU backend, and webgpu for the shapes a measurement on this machine says it trains faster)`).argParser(
    (v): BackendName | undefined => {
      if (v === "auto") return undefined;
      if ((BACKENDS as readonly string[]).includes(v)) return v as BackendName;
      throw new InvalidArgumentError(`Allowed choices are ${names.join(", ")}.`);
    },
  );
}

const program = new Command()
  .name("runner")
  .description("Train every run of a ganscope experiment");

program
  .command("exp", { isDefault: true })
  .description("compile an *.exp.ts file into a run plan and train it (resumable)")
  .requiredOption("--file <path>", "experiment file, e.g. experiments/quickstart.exp.ts")
  .option("--dry-run", "print the plan (runs, varied values, ids, total steps) and train nothing")
  .option("--epochs <n>", "override every run's epochs: a target, so runs done to fewer epochs are extended", positiveInt("--epochs"))
  .option("--limit <n>", "train on the first n images only (changes run ids)", positiveInt("--limit"))
  .option("--concurrency <n>", "worker processes (default: one per core)", positiveInt("--concurrency"))
  .addOption(backendOption())
  .addOption(new Option("--precision <p>", "every run's products in this precision (bf16: tensorflow backend on a CPU with avx512_bf16 or amx_bf16; changes run ids)").choices(PRECISIONS))
  .option("--fuse <mode>", "train same-shape runs as one fused model: auto (group size measured on this machine), off, or a group size K", parseFuse, "auto" as Fuse)
  .option("--results <dir>", "run store folder", "results")
  .option("--resume-stopped", "train runs that a stop policy or halving stopped on towards their epochs")
  .option("--receipt <file>", "after the plan, write a JSON receipt of every run's outcome (what Nx caches for experiment targets)")
  .option("--queue <url>", "enqueue the plan on Redis (redis://HOST:PORT) for `runner worker`s on any machine, and follow it; Ctrl-C leaves it queued")
  .action(async (opts: { file: string; dryRun?: boolean; epochs?: number; limit?: number; concurrency?: number; backend?: BackendName; precision?: Precision; results: string; receipt?: string; resumeStopped?: boolean; fuse: Fuse; queue?: string }) => {
    if (opts.queue) redisOptionsOf(opts.queue);
    const plan = applyOverrides(await loadExperiment(opts.file), { epochs: opts.epochs, limit: opts.limit, precision: opts.precision }, opts.file);
    checkResultsDir(opts.results);
    checkReceipt(opts.receipt);
    checkMlflowEnv();
    checkPrecision([plan], opts.file, opts.backend);
    // Headers, sizes and labels, read once per dataset: a bad file is found before any training, in the dry run too.
    for (const dataset of new Set(plan.runs.map((r) => r.config.dataset))) checkDataset(dataset);
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
    await checkExperimentOwner(store, plan, opts.file);
    for (const m of await migrateLegacyRuns(store, plan.experiment)) {
      console.error(
        m.kept
          ? `${plan.experiment}/${m.from}: a run folder from before schedule-free run ids, left as it is (${m.kept})`
          : `${plan.experiment}/${m.from} → ${m.to}: run folder renamed to its schedule-free run id (run ids no longer hash epochs, sample_every, eval_every)`,
      );
    }
    // The store is written first: the plan index exists before any training starts.
    await store.writePlan(planIndexOf(plan, opts.file)).catch(async (e: unknown) => {
      // A read-only store can still answer a plan whose runs are all done (each is skipped without a write).
      if (!(e instanceof StoreWriteError) || !["EROFS", "EACCES", "EPERM"].includes(e.code) || (await missingRuns(store, [plan], { resumeStopped: opts.resumeStopped ?? false }))[0]!.runs.length > 0) throw e;
      console.error(`note: ${e.message.split(";")[0]}; every run is settled for this plan's epochs, so nothing needs writing`);
    });
    const writeReceipt = async (outcomes: ReadonlyMap<string, RunOutcome>) => {
      if (!opts.receipt) return;
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
    };
    if (opts.queue) {
      const t0 = performance.now();
      const { outcomes, interrupted } = await runQueuedPlan({ url: opts.queue, plan, file: opts.file, resultsDir: store.root, stepsPerEpoch: stepsPerEpochOf });
      if (interrupted) {
        process.exitCode = 130;
        return;
      }
      console.log(summaryTable(plan, outcomes, { ascii: terminalIsAsciiOnly(process.stdout) }));
      console.log(`wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      if ([...outcomes.values()].some((o) => o.status === "failed")) process.exitCode = 1;
      await pullFinished(store.root, plan.experiment, { only: new Set(plan.runs.map((r) => r.runId)) });
      await store.refreshIndex(plan.experiment);
      await writeReceipt(outcomes);
      return;
    }
    const concurrency = opts.concurrency ?? os.availableParallelism();
    const crowded = concurrencyWarning(concurrency, plan.runs.length);
    if (crowded) console.error(crowded);
    console.error(`${plan.experiment}: ${plan.runs.length} runs on ${Math.min(concurrency, plan.runs.length)} worker(s), results in ${path.join(opts.results, plan.experiment)}/`);
    // Since this process began: tsx, the imports, loading and checking the plan, the store's plan index.
    recordSpan("runner.start", performance.now());
    const { groups, fusion } = await timed("runner.fusion-plan", {}, () => fusionPlan(plan.runs, opts.fuse, Math.min(concurrency, plan.runs.length), opts.backend, (l) => console.error(l)));
    if (groups && groups.some((g) => g.length > 1)) console.error(`fusion: ${groups.map((g) => g.length).join(" + ")} runs per fused group`);
    const picked = await timed("runner.backend-plan", {}, () => backendPlan(groups ?? plan.runs.map((r) => [r]), opts.backend, Math.min(concurrency, plan.runs.length), (l) => console.error(l)));
    const progress = new PlanProgress(plan, stepsPerEpochOf);
    // One line per backend the workers start on (two where --backend auto put some shapes on webgpu).
    const announced = new Set<string>();
    const t0 = performance.now();
    const outcomes = await schedule(plan.runs, {
      resultsDir: store.root,
      experiment: plan.experiment,
      file: opts.file,
      concurrency,
      backend: opts.backend,
      groups,
      fusion,
      ...(picked ? { backends: picked.backends } : {}),
      stop: plan.stop,
      ...(plan.halving ? { halving: plan.halving } : {}),
      resumeStopped: opts.resumeStopped ?? false,
      onBackend: (b) => {
        if (announced.has(b.name)) return;
        announced.add(b.name);
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
    console.log(summaryTable(plan, outcomes, { summaries, ascii: terminalIsAsciiOnly(process.stdout), ...(process.stdout.isTTY && process.stdout.columns > 0 ? { width: process.stdout.columns } : {}) }));
    console.log(`wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const bad = [...outcomes.values()].filter((o) => o.status === "failed");
    for (const o of bad) if (o.status === "failed") console.error(o.error);
    if (bad.length > 0) process.exitCode = 1;
    await store.refreshIndex(plan.experiment);
    await syncAfterPlan(store.root, plan.experiment);
    await writeReceipt(outcomes);
  });

program
  .command("worker")
  .description("serve queued runs (from `runner exp --queue`) on this machine until stopped; SIGTERM checkpoints and gives the jobs back")
  .requiredOption("--queue <url>", "the Redis the plan was queued on, redis://HOST:PORT")
  .option("--results <dir>", "this machine's run store folder", "results")
  .option("--concurrency <n>", "runs trained at once here (one process each)", positiveInt("--concurrency"), 1)
  .addOption(backendOption())
  .addOption(new Option("--lock-duration <ms>", "BullMQ job lock (default 30000)").argParser(positiveInt("--lock-duration", 100)).hideHelp())
  .addOption(new Option("--stalled-interval <ms>", "BullMQ stalled check (default 15000)").argParser(positiveInt("--stalled-interval", 100)).hideHelp())
  .addOption(new Option("--max-stalled <n>", "stalls before a run is failed (default 3)").argParser(positiveInt("--max-stalled")).hideHelp())
  .action(async (opts: { queue: string; results: string; concurrency: number; backend?: BackendName; lockDuration?: number; stalledInterval?: number; maxStalled?: number }) => {
    redisOptionsOf(opts.queue);
    await serveWorker({
      url: opts.queue,
      resultsDir: path.resolve(opts.results),
      concurrency: opts.concurrency,
      ...(opts.backend ? { backend: opts.backend } : {}),
      locks: {
        ...(opts.lockDuration ? { lockDuration: opts.lockDuration } : {}),
        ...(opts.stalledInterval ? { stalledInterval: opts.stalledInterval } : {}),
        ...(opts.maxStalled ? { maxStalledCount: opts.maxStalled } : {}),
      },
    });
    // Every job is given back or done: nothing left that a lingering Redis handle should keep alive.
    process.exit(process.exitCode ?? 0);
  });

program
  .command("pull")
  .description("copy an experiment's finished runs from MLflow (MLFLOW_TRACKING_URI) into the local run store; safe to repeat")
  .requiredOption("--experiment <name...>", "experiment name(s), as in experiment(\"…\")")
  .option("--results <dir>", "run store folder", "results")
  .action(async (opts: { experiment: string[]; results: string }) => {
    process.exitCode = await pullCommand(opts.results, opts.experiment);
  });

program
  .command("study")
  .description("train what a study's findings need at a budget (resumable), then write results/<study>/report.md and report.json")
  .requiredOption("--file <path>", "findings file, e.g. experiments/seed/findings.ts")
  .requiredOption("--budget <name>", `budget profile: ${BUDGET_NAMES.join(", ")} (libs/findings/src/budgets.ts)`)
  .option("--dry-run", "print the runs and their estimated cost on this machine, train nothing")
  .option("--report-only", "decide the findings from what the store holds, train nothing")
  .option("--only <id...>", "only these findings")
  .option("--doc <file>", "also write the report as a standalone markdown file (e.g. docs/seed-study.md)")
  .option("--concurrency <n>", "worker processes (default: one per core)", positiveInt("--concurrency"))
  .addOption(backendOption())
  .option("--fuse <mode>", "train the seeds of one config as one fused model: auto (group size measured on this machine), off, or a group size K", parseFuse, "auto" as Fuse)
  .option("--results <dir>", "run store folder", "results")
  .option("--evidence <dir>", "first import the finished runs of this evidence bundle into the store (only what the store lacks): the study then trains only what neither holds")
  .option("--export <dir>", "after training, write the study's finished runs at the budget into this evidence bundle (created, or grown: it keeps what it held)")
  .action(async (opts: { file: string; budget: string; dryRun?: boolean; reportOnly?: boolean; only?: string[]; doc?: string; concurrency?: number; backend?: BackendName; results: string; fuse: Fuse; evidence?: string; export?: string }) => {
    const budget = budgetOf(opts.budget);
    const study = selectFindings(await loadStudy(opts.file), opts.only, opts.file);
    let evidence: EvidenceManifest | undefined;
    if (opts.evidence && !opts.dryRun) {
      checkResultsDir(opts.results);
      const r = await importEvidence(opts.evidence, budget, opts.results);
      evidence = r.manifest;
      console.error(`evidence: ${r.imported} runs imported from ${opts.evidence} into ${opts.results}, ${r.present} already there (bundle of ${r.manifest.runs} runs, exported ${r.manifest.exportedAt}${r.manifest.commit ? ` at ${r.manifest.commit.slice(0, 12)}` : ""})`);
    }
    if (opts.dryRun) {
      console.log(
        await describeStudyCost(study, budget, {
          concurrency: opts.concurrency ?? os.availableParallelism(),
          backend: opts.backend,
          stepsPerEpoch: stepsPerEpochOf,
          resultsDir: opts.results,
          ...(opts.fuse === "off" ? {} : { fusionSpeedup: (config: RunSpec["config"]) => cachedFusionSpeedup(config, opts.backend) }),
        }),
      );
      return;
    }
    const t0 = performance.now();
    if (!opts.reportOnly) {
      checkPrecision(plansOfStudy(study, budget), opts.file, opts.backend);
      const { failed } = await trainStudy(study, budget, {
        file: opts.file,
        results: opts.results,
        fuse: opts.fuse,
        ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
        ...(opts.backend ? { backend: opts.backend } : {}),
        progress: (plan) => new PlanProgress(plan, stepsPerEpochOf),
      });
      if (failed > 0) process.exitCode = 1;
    }
    // Trained here as well: the report is of this store, not of the bundle alone.
    const trainedHere = !opts.reportOnly;
    const { report, md, json } = await reportStudy(study, budget, {
      file: opts.file,
      budget: opts.budget,
      results: opts.results,
      ...(opts.doc ? { doc: opts.doc } : {}),
      ...(evidence && !trainedHere ? { evidence, evidenceDir: opts.evidence } : {}),
    });
    for (const f of report.findings) console.log(`${f.id.padStart(3)}  ${f.verdict.padEnd(12)} ${f.title}`);
    console.log(`${report.runs.finished} of ${report.runs.planned} runs finished at ${report.budgetLine}`);
    console.log(`report: ${md}\n        ${json}`);
    if (opts.export) {
      const medians = new Set(mediansOf(report).map((m) => m.runId));
      const commit = process.env["GANSCOPE_COMMIT"] ?? gitCommit();
      const e = await exportEvidence({ study: study.name, budget, plans: plansOfStudy(study, budget), resultsDir: opts.results, dir: opts.export, grids: medians, ...(commit ? { commit } : {}) });
      console.log(`evidence: ${opts.export} holds ${e.runs} finished runs (${e.added} new, ${e.kept} kept from the bundle that were not in the store), ${(e.bytes / 1e6).toFixed(2)} MB`);
    }
    console.log(`wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });

program
  .command("step-times")
  .description("seconds per training step of every run in these experiment files, on this machine and backend: measured once per network shape, cached (.cache/ganscope/step-times.json, or $GANSCOPE_CACHE), measured again when the cached figure was taken under a much heavier load")
  .requiredOption("--file <path...>", "experiment files, e.g. experiments/seed/*.exp.ts")
  .option("--json", "print JSON (what the catalog reads) instead of a table")
  .option("--no-evaluation", "do not time an evaluation (it trains the metrics classifier first if it is not cached)")
  .addOption(backendOption())
  .option("--cache <file>", "step-time cache file (default .cache/ganscope/step-times.json)")
  .action(async (opts: { file: string[]; json?: boolean; evaluation: boolean; backend?: BackendName; cache?: string }) => {
    const plans = [];
    for (const file of opts.file) plans.push({ file, plan: await loadExperiment(file) });
    const backend = await selectBackend(opts.backend);
    const notices: string[] = [];
    const times = await stepTimes(
      plans.flatMap(({ plan }) => plan.runs.map((r) => r.config)),
      { backend, evaluation: opts.evaluation, log: (l) => (opts.json ? notices.push(l) : console.error(l)), ...(opts.cache ? { cacheFile: opts.cache } : {}) },
    );
    const runs: Record<string, { secsPerStep: number; steps: number; evaluations: number }> = {};
    for (const { plan } of plans) {
      for (const r of plan.runs) runs[r.runId] = { secsPerStep: times.secsPerStep(r.config), steps: r.config.epochs * stepsPerEpochOf(r), evaluations: evaluationsOf(r.config) };
    }
    const { steps, ...rest } = times;
    const summary = { ...rest, steps: Object.fromEntries(steps), notices, runs };
    if (opts.json) {
      console.log(JSON.stringify(summary));
      return;
    }
    console.log(`backend ${times.backend}; machine ${times.machine}; load average ${times.loadavg}; cache ${times.cacheFile}`);
    console.log(`${steps.size} shapes: ${times.cached} cached, ${times.measured} measured now, ${times.remeasured} measured again; one evaluation ≈ ${times.evalSecs?.secs.toFixed(2) ?? "–"} s`);
    for (const [shape, t] of steps) console.log(`  ${(t.secsPerStep * 1000).toFixed(1).padStart(8)} ms/step  (load ${t.loadavg}, ${t.measuredAt})  ${shape}`);
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
    checkMlflowEnv();
    const root = path.resolve(opts.results);
    if (!existsSync(root)) throw new CliError(`--results ${opts.results}: no such folder; expected a run store (the folder \`runner exp\` wrote, default results)`);
    checkResultsDir(opts.results);
    const known = await new RunStore(root).experiments();
    const unknown = (opts.experiment ?? []).filter((x) => !known.includes(x));
    if (unknown.length > 0) {
      throw new CliError(`--experiment ${unknown.join(", ")}: not in ${opts.results} (it holds ${known.length > 0 ? known.join(", ") : "no experiment"})`);
    }
    const reports = await syncStore({ resultsDir: path.resolve(opts.results), ...(opts.experiment ? { experiments: opts.experiment } : {}) });
    if (reports.some((r) => r.error || r.unreachable)) process.exitCode = 1;
  });


// These commands load the backend in this process (the others train in workers whose stderr is filtered already).
const [command, ...rest] = process.argv.slice(2);
if (command === "step-times" || (command === "study" && rest.includes("--dry-run"))) await reexecWithFilteredStderr();

oneLineUsageErrors(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  // The user's input or environment (dsl's UserError): the message is the whole story, one line, exit 2.
  if (e instanceof UserError) {
    console.error(`error: ${e.message}`);
    process.exitCode = 2;
  } else {
    throw e;
  }
} finally {
  // step-times and study --dry-run select a backend here; webgpu's Dawn device would keep the process alive.
  releaseBackend();
}
