import type { ParamKey, RunConfig } from "./hyperparameters.js";

/** One varied hyperparameter and its values, in the order they were given. */
export type Axis = { readonly [K in ParamKey]: { readonly key: K; readonly values: readonly RunConfig[K][] } }[ParamKey];

/** A filter over resolved configs; a run is kept when every filter returns true. */
export type RunFilter = (config: Readonly<RunConfig>) => boolean;

/**
 * The declared parts of an experiment, as plain data, for tools that list or
 * rewrite experiments without compiling them (the dashboard, ts-morph tools).
 * Filters are functions and cannot be shown, so only their count is.
 */
export interface ExperimentDefinition {
  readonly name: string;
  readonly description: string;
  /** Fixed values (from `fix`, `epochs`, `dataset`); a later fix of the same key wins. */
  readonly fixed: Readonly<Partial<RunConfig>>;
  /** Varied keys (from `vary`, `seeds`), in declaration order: the first varies slowest. */
  readonly axes: readonly Axis[];
  /** How many `where` filters the experiment has. */
  readonly filters: number;
}

/**
 * What the builder records, untyped on purpose: files the compiler never
 * checked (plain JS, `as any`) reach `compile()` too, and validation has to
 * see exactly what they passed, in the order they passed it.
 * @internal
 */
export type Step =
  /** `fix`, `epochs`, `dataset`: set keys to single values. */
  | { readonly kind: "fix"; readonly method: string; readonly values: unknown }
  /** `vary`, `seeds`: make a key an axis. */
  | { readonly kind: "vary"; readonly method: string; readonly key: unknown; readonly values: unknown }
  | { readonly kind: "where"; readonly method: string; readonly predicate: unknown }
  | { readonly kind: "describe"; readonly method: string; readonly text: unknown }
  /** `stopWhen`, `halving`: when runs end early (schedules, not part of a run's id). */
  | { readonly kind: "stopWhen"; readonly method: string; readonly policy: unknown }
  | { readonly kind: "halving"; readonly method: string; readonly policy: unknown };

/** @internal */
export interface RecordedExperiment {
  readonly name: unknown;
  readonly steps: readonly Step[];
}
