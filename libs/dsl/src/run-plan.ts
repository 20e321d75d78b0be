import type { RunConfig } from "./hyperparameters.js";

/** One run of a plan: a fully resolved config and the id derived from it. */
export interface RunSpec {
  /** Hash of the canonical resolved config (dataset included); same config → same id. */
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
}
