import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PlanError, UserError, runId, validateConfig, validateHalvingPolicy, type Precision, type RunConfig, type RunPlan } from "@ganscope/dsl";

/** The checkout's root (apps/runner/src → ../../..), where @ganscope packages resolve. */
const WORKSPACE = path.resolve(import.meta.dirname, "../../..");

/** An error about the experiment file that the CLI prints without a stack trace. */
export class ExperimentFileError extends UserError {
  override readonly name = "ExperimentFileError";
}

interface Compilable {
  compile(): RunPlan;
}

function isCompilable(x: unknown): x is Compilable {
  return typeof x === "object" && x !== null && typeof (x as Compilable).compile === "function";
}

/**
 * Imports a `*.exp.ts` file and compiles its default export. Every failure
 * names the file: missing file, syntax/type errors at import, a missing or
 * wrong default export, and every plan problem at once.
 */
export async function loadExperiment(file: string): Promise<RunPlan> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new ExperimentFileError(`${file}: no such experiment file`);
  const st = statSync(abs);
  if (st.isDirectory()) throw new ExperimentFileError(`${file}: is a folder; expected an experiment file, e.g. experiments/quickstart.exp.ts`);
  if (readFileSync(abs, "utf8").trim() === "") {
    throw new ExperimentFileError(`${file}: is empty; expected \`import { experiment } from "@ganscope/dsl"; export default experiment("name")…\``);
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (e) {
    const message = (e as Error).message;
    // Outside the checkout, node_modules/@ganscope is not on the import path.
    if (/Cannot find (package|module) '@ganscope\//.test(message)) {
      throw new ExperimentFileError(`${file}: could not load: it imports a @ganscope package, which resolves only inside the ganscope checkout (${WORKSPACE}); move the file there, e.g. under experiments/`);
    }
    throw new ExperimentFileError(`${file}: could not load: ${message.split("\n")[0]}`);
  }
  if (mod.default === undefined) {
    throw new ExperimentFileError(`${file}: has no default export; expected \`export default experiment("name")…\``);
  }
  if (!isCompilable(mod.default)) {
    throw new ExperimentFileError(`${file}: default export is not an experiment (expected the result of experiment("name")…, got ${typeof mod.default})`);
  }
  try {
    return mod.default.compile();
  } catch (e) {
    if (e instanceof PlanError) throw new ExperimentFileError(`${file}: ${e.message}`);
    throw e;
  }
}

/**
 * Command-line overrides for a quick look. `--limit` changes what a run trains
 * on, hence its id; `--epochs` is a target (runs keep their ids and are extended).
 */
export interface PlanOverrides {
  epochs?: number;
  limit?: number;
  /** Every run's precision (bf16 changes the runs' ids; fp32 is the default and changes none). */
  precision?: Precision;
}

/** Applies overrides to every run, validating them like any other value, and recomputes run ids. */
export function applyOverrides(plan: RunPlan, overrides: PlanOverrides, file: string): RunPlan {
  const patch: Partial<RunConfig> = {};
  if (overrides.epochs !== undefined) patch.epochs = overrides.epochs;
  if (overrides.limit !== undefined) patch.limit = overrides.limit;
  if (overrides.precision !== undefined) patch.precision = overrides.precision;
  if (Object.keys(patch).length === 0) return plan;
  const issues = validateConfig(patch, { experiment: plan.experiment, method: "command line" }, { partial: true });
  if (issues.length > 0) throw new ExperimentFileError(`${file}: ${new PlanError(issues).message}`);
  const runs = plan.runs.map((r) => {
    const config = { ...r.config, ...patch };
    return { ...r, config, runId: runId(config) };
  });
  if (plan.halving) {
    const problems = validateHalvingPolicy(plan.halving, { experiment: plan.experiment, method: "halving", via: "with the command line's overrides" }, runs.map((r) => r.config));
    if (problems.length > 0) throw new ExperimentFileError(`${file}: ${new PlanError(problems).message}`);
  }
  return { ...plan, runs };
}
