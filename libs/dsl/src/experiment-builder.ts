import type { DatasetId, ParamKey, RunConfig } from "./hyperparameters.js";
import type { ExperimentDefinition, RecordedExperiment, RunFilter, Step } from "./experiment-definition.js";
import { compilePlan, describeExperiment } from "./plan-compiler.js";
import type { RunPlan } from "./run-plan.js";
import type { HalvingPolicy, StopPolicy } from "./run-policies.js";
import type { SCHEDULE_KEYS } from "./run-id.js";

/**
 * A type whose name reads as the compile error, for misuses only a
 * conditional type can catch (Kysely's `KyselyTypeError`): passing a value
 * where one of these is expected fails with the message in the error text.
 */
export interface DslTypeError<Message extends string> {
  readonly "@ganscope/dsl error": Message;
}

/**
 * The values each varied key takes, as the type system saw them: key → union
 * of the literal values given to `vary`. It lets code that names runs of an
 * experiment (findings' arms) reject a key that is not varied, or a value not
 * on its axis, at compile time.
 */
export type AxisValues = { readonly [K in ParamKey]?: unknown };

/** `A` plus the axis `K` with values `V`, flattened so that types print (and compare) as one object. */
export type WithAxis<A extends AxisValues, K extends ParamKey, V> = { readonly [P in keyof A | K]: P extends K ? V : A[P & keyof A] };

/** What the runner needs from an experiment file's default export, whatever its type parameters. */
export interface Experiment {
  /** The declared parts as plain data (name, description, fixed values, axes), for tools. */
  readonly definition: ExperimentDefinition;
  /** Validates the experiment and expands it into its runs; throws `PlanError` listing every problem. */
  compile(): RunPlan;
  /** Same as {@link Experiment.definition}, so `JSON.stringify(experiment)` shows what was declared. */
  toJSON(): ExperimentDefinition;
}

/**
 * An experiment being built. `Fixed` and `Varied` are the keys fixed and varied
 * so far; they grow with each call (as Kysely's builders grow their output
 * type), which is how the compiler rejects varying a fixed key, varying a key
 * twice, or fixing a varied one. Every method returns a new builder and leaves
 * this one untouched, so a half-built experiment can be branched safely.
 *
 * A key may be fixed more than once; the later value wins. That lets a shared
 * base be specialised (`base.fix({ epochs: 5 })` for a smoke test) without
 * rebuilding it. A key is never both fixed and varied.
 */
export interface ExperimentBuilder<Fixed extends ParamKey = never, Varied extends ParamKey = never, Axes extends AxisValues = {}> extends Experiment {
  /** Type-only: the varied keys and their values (never set at runtime; read it with `typeof e.axesType`). */
  readonly axesType?: Axes;

  /**
   * Sets hyperparameters to single values for every run. Unknown keys, values
   * of the wrong type, and keys already varied fail to compile; fixing an
   * already fixed key overrides it.
   *
   * @example
   * experiment("deep").fix({ gen_layers: 5, dis_layers: 5, activation: "leaky_relu" })
   */
  fix<F extends Partial<RunConfig>>(
    values: F &
      Record<Exclude<keyof F, ParamKey>, DslTypeError<"unknown hyperparameter: check its spelling">> &
      Record<Extract<keyof F, Varied>, DslTypeError<"this key is already varied: a key is either fixed or varied">>,
  ): ExperimentBuilder<Fixed | Extract<keyof F, ParamKey>, Varied, Axes>;

  /**
   * Makes `key` an axis: the plan has one run per value (times the other
   * axes). The first declared axis varies slowest. Values are type-checked
   * against the key and literal unions infer without `as const`. The
   * schedule (`epochs`, `sample_every`, `eval_every`) cannot be varied: it is
   * not part of a run, and one run trained longest holds every shorter one.
   *
   * @example
   * experiment("act")
   *   .vary("activation", ["relu", "elu", "gelu"])
   *   .vary("dis_dropout", [0, 0.3, 0.6])   // 9 runs
   */
  vary<K extends Exclude<ParamKey, Fixed | Varied | (typeof SCHEDULE_KEYS)[number]>, const V extends readonly [RunConfig[K], ...RunConfig[K][]]>(
    key: K,
    values: V,
  ): ExperimentBuilder<Fixed, Varied | K, WithAxis<Axes, K, V[number]>>;

  /**
   * Repeats every run once per seed: shorthand for `.vary("seed", seeds)`,
   * for telling an effect from luck.
   *
   * @example
   * experiment("lr").vary("gen_lr", [1e-4, 2e-4]).seeds(0, 1, 2)   // 6 runs
   */
  seeds(
    ...seeds: "seed" extends Fixed | Varied
      ? [DslTypeError<"seed is already fixed or varied: call seeds() once, instead of fixing or varying seed">]
      : [number, ...number[]]
  ): ExperimentBuilder<Fixed, Varied | "seed", WithAxis<Axes, "seed", number>>;

  /**
   * Fixes the number of epochs (default 100); shorthand for `.fix({ epochs: n })`.
   *
   * @example
   * experiment("smoke").epochs(2)
   */
  epochs(
    n: "epochs" extends Varied ? DslTypeError<"epochs is varied: drop .epochs() or the axis"> : number,
  ): ExperimentBuilder<Fixed | "epochs", Varied, Axes>;

  /**
   * Fixes the dataset (default `"mnist"`): a built-in id or `idx:<folder>` for
   * any IDX files. Shorthand for `.fix({ dataset: id })`.
   *
   * @example
   * experiment("fashion").dataset("fashion-mnist")
   */
  dataset(
    id: "dataset" extends Varied ? DslTypeError<"dataset is varied: drop .dataset() or the axis"> : DatasetId,
  ): ExperimentBuilder<Fixed | "dataset", Varied, Axes>;

  /**
   * A sentence for the dashboard saying what the experiment asks. Calling it
   * again replaces the text.
   *
   * @example
   * experiment("lr").describe("Does a faster discriminator starve the generator?")
   */
  describe(text: string): ExperimentBuilder<Fixed, Varied, Axes>;

  /**
   * Keeps only the runs whose resolved config passes `predicate` (several
   * `where`s must all pass). Use it to cut a grid down, e.g. to skip
   * combinations known to be useless. A plan whose filters remove every run
   * is an error, not an empty plan.
   *
   * @example
   * experiment("depth")
   *   .vary("gen_layers", [2, 3, 5])
   *   .vary("dis_layers", [2, 3, 5])
   *   .where((c) => c.gen_layers >= c.dis_layers)   // 6 of 9 runs
   */
  where(predicate: RunFilter): ExperimentBuilder<Fixed, Varied, Axes>;

  /**
   * Stops a run early when it is dead, replacing the default policy's
   * conditions that it names ({@link DEFAULT_STOP_POLICY}: 5 consecutive
   * epochs of a saturated discriminator); `false` never stops a run early.
   * A stopped run keeps its records and checkpoint, and is `stopped` (with
   * the reason) in summary.json; `runner exp --resume-stopped` extends it.
   *
   * @example
   * experiment("deep").fix({ gen_layers: 7, dis_layers: 5 }).stopWhen({ saturated: 3, collapsed: 3, diverged: true })
   */
  stopWhen<S extends StopPolicy>(
    policy: (S & Record<Exclude<keyof S, keyof StopPolicy>, DslTypeError<"unknown stop condition: saturated, collapsed or diverged">>) | false,
  ): ExperimentBuilder<Fixed, Varied, Axes>;

  /**
   * Asynchronous successive halving across the plan's runs: at each rung
   * (an epoch) a run goes on only if its best `metric` so far is among the
   * best `keep` fraction of the runs that have reached that rung; the rest
   * stop. Runs never wait for each other. Calling it again replaces it.
   *
   * @example
   * experiment("lr").vary("gen_lr", [1e-3, 2e-4, 1e-4, 1e-5]).seeds(0, 1, 2)
   *   .halving({ metric: "fid_lite", rungs: [5, 15, 45, 100], keep: 1 / 3 })
   */
  halving(policy: HalvingPolicy): ExperimentBuilder<Fixed, Varied, Axes>;
}

/** Marks builders across module copies (the runner may load a file through another path than ours). */
const BRAND = Symbol.for("@ganscope/dsl/experiment");

/**
 * The one implementation behind every `ExperimentBuilder<…>`. It records each
 * call as a step, untyped, and checks nothing itself: validation replays the
 * steps at `compile()`, so it can report every problem at once and also
 * catches what plain-JS callers pass.
 */
class ExperimentBuilderImpl implements Experiment {
  readonly #props: RecordedExperiment;

  constructor(props: RecordedExperiment) {
    this.#props = Object.freeze({ name: props.name, steps: Object.freeze([...props.steps]) });
    Object.defineProperty(this, BRAND, { value: true });
    Object.freeze(this);
  }

  #with(step: Step): ExperimentBuilderImpl {
    return new ExperimentBuilderImpl({ name: this.#props.name, steps: [...this.#props.steps, Object.freeze(step)] });
  }

  get definition(): ExperimentDefinition {
    return describeExperiment(this.#props);
  }

  toJSON(): ExperimentDefinition {
    return this.definition;
  }

  compile(): RunPlan {
    return compilePlan(this.#props);
  }

  fix(values: unknown): ExperimentBuilderImpl {
    return this.#with({ kind: "fix", method: "fix", values: snapshot(values) });
  }

  vary(key: unknown, values: unknown): ExperimentBuilderImpl {
    return this.#with({ kind: "vary", method: "vary", key, values: snapshot(values) });
  }

  seeds(...seeds: unknown[]): ExperimentBuilderImpl {
    return this.#with({ kind: "vary", method: "seeds", key: "seed", values: Object.freeze(seeds) });
  }

  epochs(n: unknown): ExperimentBuilderImpl {
    return this.#with({ kind: "fix", method: "epochs", values: Object.freeze({ epochs: n }) });
  }

  dataset(id: unknown): ExperimentBuilderImpl {
    return this.#with({ kind: "fix", method: "dataset", values: Object.freeze({ dataset: id }) });
  }

  describe(text: unknown): ExperimentBuilderImpl {
    return this.#with({ kind: "describe", method: "describe", text });
  }

  where(predicate: unknown): ExperimentBuilderImpl {
    return this.#with({ kind: "where", method: "where", predicate });
  }

  stopWhen(policy: unknown): ExperimentBuilderImpl {
    return this.#with({ kind: "stopWhen", method: "stopWhen", policy: snapshot(policy) });
  }

  halving(policy: unknown): ExperimentBuilderImpl {
    return this.#with({ kind: "halving", method: "halving", policy: snapshot(policy) });
  }
}

/** A frozen shallow copy, so mutating the object or array passed in cannot change a recorded step. */
function snapshot(value: unknown): unknown {
  if (Array.isArray(value)) return Object.freeze([...(value as unknown[])]);
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.freeze({ ...value });
  }
  return value;
}

/**
 * Starts an experiment. The name is also its folder under `results/`.
 * Nothing is checked until `compile()`, which reports every problem at once.
 *
 * @example
 * export default experiment("dropout-3x3")
 *   .fix({ gen_layers: 3, dis_layers: 3, activation: "relu" })
 *   .vary("gen_dropout", [0, 0.3, 0.6, 0.9])
 *   .vary("dis_dropout", [0, 0.3, 0.6, 0.9])
 *   .epochs(100);
 */
export function experiment(name: string): ExperimentBuilder {
  // The only cast in the builder: the Impl's loose signatures are exactly the
  // runtime behaviour of every ExperimentBuilder<Fixed, Varied>; the type
  // parameters exist only at compile time.
  return new ExperimentBuilderImpl({ name, steps: [] }) as unknown as ExperimentBuilder;
}

/**
 * Whether `value` is an experiment built by this library, e.g. a `.exp.ts`
 * file's default export; lets the runner say "not an experiment" clearly.
 */
export function isExperiment(value: unknown): value is Experiment {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
