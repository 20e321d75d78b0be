import type { RunConfig } from "./hyperparameters.js";
import type { HalvingPolicy, ResolvedStopPolicy } from "./run-policies.js";

/** One run of a plan: a fully resolved config and the id derived from it. */
export interface RunSpec {
  /**
   * Hash of what decides the run's trajectory: the resolved config less its
   * schedule (`epochs`, `sample_every`, `eval_every`). The same run asked for
   * more epochs keeps its id and is extended.
   */
  readonly runId: string;
  /** The resolved config this run trains. */
  readonly config: RunConfig;
  /** The values of the plan's varied axes for this run, in axis order. */
  readonly varied: Readonly<Partial<RunConfig>>;
}

/** What `experiment(...).compile()` produces and the runner consumes. */
export interface RunPlan {
  /** The experiment's name; also its folder under `results/`. */
  readonly experiment: string;
  readonly description: string;
  /** The varied keys, in the order they were declared (`seeds()` adds `seed`). */
  readonly axes: readonly (keyof RunConfig)[];
  /** The runs, in a deterministic order (the first axis varies slowest). */
  readonly runs: readonly RunSpec[];
  /** When a run stops early: the experiment's `.stopWhen(...)` over the default; `null` = never. */
  readonly stop: ResolvedStopPolicy;
  /** Successive halving across the plan's runs, when the experiment asks for it. */
  readonly halving?: HalvingPolicy;
}
