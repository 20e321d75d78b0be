import { DEFAULTS, type ParamKey, type RunConfig } from "./hyperparameters.js";
import type { Axis, ExperimentDefinition, RecordedExperiment, RunFilter } from "./experiment-definition.js";
import { issue, PlanError } from "./plan-error.js";
import { runId } from "./run-id.js";
import { resolveStopPolicy, validateHalvingPolicy, type HalvingPolicy, type StopPolicy } from "./run-policies.js";
import type { RunPlan, RunSpec } from "./run-plan.js";
import { isParamKey, validateExperiment } from "./validate.js";

/**
 * A grid larger than this is refused: at minutes per run it could never
 * finish, and it is almost always an axis pasted twice or a range too fine.
 * Split it into several experiments (runs are shared by id) if it is meant.
 */
export const MAX_RUNS = 100_000;

/**
 * The declared parts of a recorded experiment. Tolerant of invalid steps
 * (they are skipped), because tools list experiments that may not compile yet.
 * @internal
 */
export function describeExperiment(recorded: RecordedExperiment): ExperimentDefinition {
  let description = "";
  const fixed: Record<string, unknown> = {};
  const axes: Axis[] = [];
  let filters = 0;
  for (const step of recorded.steps) {
    switch (step.kind) {
      case "describe":
        if (typeof step.text === "string") description = step.text;
        break;
      case "fix":
        if (typeof step.values === "object" && step.values !== null) {
          for (const [key, value] of Object.entries(step.values)) if (isParamKey(key)) fixed[key] = value;
        }
        break;
      case "vary":
        if (isParamKey(step.key) && Array.isArray(step.values) && !axes.some((a) => a.key === step.key)) {
          axes.push(Object.freeze({ key: step.key, values: Object.freeze([...(step.values as unknown[])]) }) as Axis);
        }
        break;
      case "where":
        filters++;
        break;
    }
  }
  return Object.freeze({
    name: typeof recorded.name === "string" ? recorded.name : String(recorded.name),
    description,
    fixed: Object.freeze(fixed) as Partial<RunConfig>,
    axes: Object.freeze(axes),
    filters,
  });
}

/**
 * Compiles a recorded experiment into its plan: validate everything, take the
 * grid product of the axes (first axis slowest), resolve each point as
 * DEFAULTS ← fixed ← axis values, keep the points every filter accepts, and
 * name each run by the hash of its resolved config.
 * Throws {@link PlanError} listing every problem.
 * @internal reached through `experiment(...).compile()`
 */
export function compilePlan(recorded: RecordedExperiment): RunPlan {
  const issues = validateExperiment(recorded);
  if (issues.length > 0) throw new PlanError(issues);

  const definition = describeExperiment(recorded);
  const at = (method: "compile" | "where" | "halving") => ({ experiment: definition.name, method });
  const filters = recorded.steps.flatMap((s) => (s.kind === "where" ? [s.predicate as RunFilter] : []));

  const gridSize = definition.axes.reduce((n, axis) => n * axis.values.length, 1);
  if (gridSize > MAX_RUNS) {
    throw new PlanError([
      issue(at("compile"), "too-many-runs", [], gridSize, `at most ${MAX_RUNS} runs`, { runs: gridSize, max: MAX_RUNS }),
    ]);
  }

  const runs: RunSpec[] = [];
  for (const point of gridPoints(definition.axes)) {
    const config = Object.freeze(normalise({ ...DEFAULTS, ...definition.fixed, ...point }) as RunConfig);
    let keep = true;
    for (const filter of filters) {
      try {
        keep = Boolean(filter(config));
      } catch (error) {
        // Report which run broke the filter rather than a bare stack from inside user code.
        const reason = error instanceof Error ? error.message : String(error);
        throw new PlanError([
          issue(at("where"), "filter-threw", [], point, "a filter that returns a boolean", { reason }),
        ]);
      }
      if (!keep) break;
    }
    if (keep) {
      runs.push(Object.freeze({ runId: runId(config), config, varied: Object.freeze(normalise(point)) }));
    }
  }

  if (runs.length === 0) {
    throw new PlanError([
      issue(at("where"), "filters-empty", [], gridSize, "filters that keep at least one run", { runs: gridSize }),
    ]);
  }

  const lastStep = (kind: "stopWhen" | "halving") => recorded.steps.filter((s) => s.kind === kind).at(-1) as { policy: unknown } | undefined;
  const halving = lastStep("halving")?.policy;
  if (halving !== undefined) {
    const problems = validateHalvingPolicy(halving, at("halving"), runs.map((r) => r.config));
    if (problems.length > 0) throw new PlanError(problems);
  }
  return Object.freeze({
    experiment: definition.name,
    description: definition.description,
    axes: Object.freeze(definition.axes.map((a) => a.key)),
    runs: Object.freeze(runs),
    stop: resolveStopPolicy(lastStep("stopWhen")?.policy as StopPolicy | false | undefined),
    ...(halving !== undefined ? { halving: Object.freeze({ ...(halving as HalvingPolicy), rungs: Object.freeze([...(halving as HalvingPolicy).rungs]) }) as HalvingPolicy } : {}),
  });
}

/** Every combination of axis values, as `{key: value}` in axis order; the last axis varies fastest. */
function* gridPoints(axes: readonly Axis[]): Generator<Partial<RunConfig>> {
  const index = axes.map(() => 0);
  for (;;) {
    const point: Record<string, unknown> = {};
    axes.forEach((axis, i) => {
      point[axis.key] = axis.values[index[i] ?? 0];
    });
    yield point as Partial<RunConfig>;
    let i = axes.length - 1;
    for (; i >= 0; i--) {
      const next = (index[i] ?? 0) + 1;
      if (next < (axes[i]?.values.length ?? 0)) {
        index[i] = next;
        break;
      }
      index[i] = 0;
    }
    if (i < 0) return;
  }
}

/**
 * `-0` → `0`: they hash alike already, but a plan must also survive a JSON
 * round trip unchanged, and JSON writes `-0` as `0`.
 */
function normalise<T extends Partial<Record<ParamKey, unknown>>>(values: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) out[key] = Object.is(value, -0) ? 0 : value;
  return out as T;
}
