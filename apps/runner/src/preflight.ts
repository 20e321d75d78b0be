/**
 * Checks the runner makes before it writes or trains anything, so a wrong
 * flag or environment costs one clear line (exit 2) instead of a stack trace
 * halfway through a plan.
 */
import { existsSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UserError, type RunPlan } from "@ganscope/dsl";
import { precisionProblem, readCpuFlags, type BackendName } from "@ganscope/models";
import { RunStore, connectionFromEnv } from "@ganscope/tracking";
import { ExperimentFileError, loadExperiment } from "./load-experiment.js";

/** A flag or environment variable the runner cannot use; printed as one line, exit code 2. */
export class CliError extends UserError {
  override readonly name = "CliError";
}

/** --results must be a folder (or not exist yet). */
export function checkResultsDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CliError(`--results ${dir}: is a file; expected the run store's folder (created if missing), e.g. results`);
}

/** --receipt names a file to write, not a folder. */
export function checkReceipt(file: string | undefined): void {
  if (file !== undefined && existsSync(file) && statSync(file).isDirectory()) {
    throw new CliError(`--receipt ${file}: is a folder; expected a file to write the JSON receipt to, e.g. ${path.join(file, "receipt.json")}`);
  }
}

/** MLFLOW_TRACKING_URI, when set, must be usable: say so before any training, not in every worker. */
export function checkMlflowEnv(env: NodeJS.ProcessEnv = process.env): void {
  try {
    connectionFromEnv(env);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** A warning for more workers than cores: they only share the cores, each with its own memory. */
export function concurrencyWarning(concurrency: number, runs: number, cores = os.availableParallelism()): string | undefined {
  const workers = Math.min(concurrency, runs);
  if (workers <= cores) return undefined;
  return `warning: --concurrency ${concurrency} starts ${workers} workers on ${cores} cores; they will share the cores (no faster) and each holds its own copy of the data and models — ${cores} is the default`;
}

/**
 * Two experiment files naming the same experiment would share
 * results/<name>/, the second plan replacing the first: refused, naming both
 * files. A plan.json whose file is gone or now names another experiment is no
 * clash.
 */
export async function checkExperimentOwner(store: RunStore, plan: RunPlan, file: string): Promise<void> {
  const prior = await store.readPlan(plan.experiment).catch(() => undefined);
  if (!prior?.file || path.resolve(prior.file) === path.resolve(file) || !existsSync(prior.file)) return;
  const other = await loadExperiment(prior.file).catch((e: unknown) => (e instanceof ExperimentFileError ? undefined : Promise.reject(e)));
  if (other?.experiment !== plan.experiment) return;
  throw new CliError(
    `${file}: experiment("${plan.experiment}") is also defined by ${prior.file}, which already writes ${path.join(store.root, plan.experiment)}/; give one of them another name`,
  );
}

/**
 * A plan with bf16 runs needs the tensorflow backend on a CPU with bfloat16
 * units: refused here, naming the file, before any worker starts, rather
 * than by each worker's createGan. Without --backend the workers pick the
 * fastest backend, tensorflow wherever it is installed (a worker that falls
 * back to another still refuses the run itself).
 */
export function checkPrecision(plans: readonly RunPlan[], file: string, backend: BackendName | undefined, cpuFlags: () => ReadonlySet<string> = readCpuFlags): void {
  const bf16 = plans.flatMap((p) => p.runs).filter((r) => r.config.precision === "bf16");
  if (bf16.length === 0) return;
  const problem = precisionProblem("bf16", backend ?? "tensorflow", cpuFlags());
  if (problem !== undefined) throw new CliError(`${file}: ${bf16.length} run${bf16.length === 1 ? " asks" : "s ask"} for bf16, but ${problem}`);
}
