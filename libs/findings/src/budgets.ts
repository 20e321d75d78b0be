/**
 * Budgets: how much training a study's figures rest on. The one place that
 * names them; every report line states the one it was measured at. A budget
 * sets epochs, training images (the dataset's first `limit`) and seeds for
 * every run of every experiment in a study, overriding what the experiment
 * files say (the seed's 100 epochs × 60k are the `full` budget).
 */
import { discriminatorSizes, generatorSizes, runId, type RunConfig, type RunPlan, type RunSpec } from "@ganscope/dsl";

export interface Budget {
  readonly name: string;
  /** Passes over the training images. */
  readonly epochs: number;
  /** Training images: the first `limit` of the split; 0 = all of it (60,000 for MNIST). */
  readonly limit: number;
  /** Seeds every config is trained with; an arm's n is (configs × seeds). */
  readonly seeds: readonly [number, number, ...number[]];
  /** Why this budget exists. */
  readonly purpose: string;
  /**
   * A step of a 20-layer network at 1024 wide costs ~70× one of the baseline's:
   * configs with more than `params` dense parameters get these (fewer) seeds,
   * so a budget can afford them at all. Too few for a comparison to decide
   * (MIN_SEEDS is 5 a config); a rate claim pooling several configs still can.
   */
  readonly large?: { readonly params: number; readonly seeds: readonly [number, number, ...number[]] };
  /** Configs with more dense parameters than this are not trained at this budget; the findings that need them say so. */
  readonly maxParams?: number;
  /**
   * Seeds for a config that is an arm on its own (compared one to one, e.g. ELU against ReLU at (3, 2)):
   * such a comparison has one config's spread on each side and the seed's smallest effects, so it needs
   * more seeds than an arm that pools several configs. Default: `seeds`.
   */
  readonly singleArmSeeds?: readonly [number, number, ...number[]];
}

const CPU = {
  name: "cpu",
  epochs: 8,
  limit: 6400,
  seeds: [0, 1, 2],
  large: { params: 4e6, seeds: [0, 1] },
  maxParams: 8e6,
  purpose: "the study on the 2-core CPU in about two hours: 400 steps of 128 a run; 2 seeds for networks above 4M parameters, none above 8M (a 20-layer step costs ~70 baseline steps)",
} as const satisfies Budget;

const range = (n: number): [number, number, ...number[]] => Array.from({ length: n }, (_, i) => i) as [number, number, ...number[]];

/**
 * The seed's findings where the GANs draw digits. Measured before this budget was set (issue 25, 2 cores):
 * on all 60,000 digits at batch 128 (469 steps an epoch) the baseline (3, 2) draws recognisable digits by
 * epoch ~10 (FID-lite 119, 9 classes) and its discriminator saturates from epoch ~20; the combined
 * (4, 4) ELU dropout-0.3 config reads FID-lite 50.9 at epoch 10. Seeds follow the calibrated rule
 * (Welch + Holm, at least 5 a config): 5 for every config, 10 for the configs compared one to one
 * (80% power at a 1.3-SD effect with Welch at 5%, against 2 SD at 5 seeds). The twelve configs above 8M
 * parameters (the 10- and 20-layer grid, ~40% of the cost) enter only finding 3's pooled rate claim:
 * left out, and that claim says so.
 */
const DIGITS = {
  name: "digits",
  epochs: 10,
  limit: 0,
  seeds: range(5),
  singleArmSeeds: range(10),
  maxParams: 8e6,
  purpose:
    "the study where the baseline draws digits: 10 epochs × all 60,000 training digits (4,690 steps of 128 a run); 5 seeds a config, 10 for configs compared one to one; nothing above 8M parameters",
} as const satisfies Budget;

export const BUDGETS = {
  /** CI: a few seconds a run; checks the pipeline end to end, decides nothing about GANs. */
  smoke: { name: "smoke", epochs: 2, limit: 512, seeds: [0, 1], purpose: "CI: the whole pipeline in minutes; at 8 steps a run no GAN has learned digits, so verdicts say little" },
  /** What the shared 2-core machine trains for the study in about two hours. */
  cpu: CPU,
  /** More epochs of the cpu budget's runs: everything else is cpu's, so the run ids are the same and runs are extended, not retrained. */
  "cpu-long": { ...CPU, name: "cpu-long", epochs: 40, purpose: "the cpu budget's runs extended to 40 epochs (same configs and run ids, only epochs grow)" },
  /** Where the GANs draw digits: what the seed's findings are about. */
  digits: DIGITS,
  /** The digits budget's runs extended to 20 epochs (same run ids): where the positive control converges. */
  "digits-long": { ...DIGITS, name: "digits-long", epochs: 20, purpose: "the digits budget's runs extended to 20 epochs (same configs and run ids, only epochs grow): the convergence claims' positive control converges by epoch ~15" },
  /** The seed report's own budget, over 5 seeds. */
  full: { name: "full", epochs: 100, limit: 0, seeds: [0, 1, 2, 3, 4], purpose: "the seed's 100 epochs × 60,000 digits, over 5 seeds" },
} as const satisfies Record<string, Budget>;

const IMAGE_SIZE = 28 * 28;

/** Weights and biases of the generator and discriminator of a config (MNIST-sized images). */
export function denseParams(config: Readonly<RunConfig>): number {
  const dense = (sizes: readonly number[]): number => sizes.slice(1).reduce((sum, out, i) => sum + sizes[i]! * out + out, 0);
  return dense(generatorSizes(config, IMAGE_SIZE)) + dense(discriminatorSizes(config, IMAGE_SIZE));
}

const millions = (n: number): string => `${(n / 1e6).toFixed(1)}M`;

/** Why a config is not trained at a budget, or undefined when it is. */
export function budgetExcludes(config: Readonly<RunConfig>, budget: Budget): string | undefined {
  if (budget.maxParams === undefined) return undefined;
  const p = denseParams(config);
  return p > budget.maxParams ? `(${config.gen_layers}, ${config.dis_layers}) has ${millions(p)} parameters, above the ${budget.name} budget's ${millions(budget.maxParams)}` : undefined;
}

/** The seeds a config is trained with at a budget; `singleArm`: the config is an arm on its own in some claim. */
export function seedsFor(config: Readonly<RunConfig>, budget: Budget, singleArm = false): readonly number[] {
  if (budget.large && denseParams(config) > budget.large.params) return budget.large.seeds;
  return singleArm && budget.singleArmSeeds ? budget.singleArmSeeds : budget.seeds;
}

export type BudgetName = keyof typeof BUDGETS;

export const BUDGET_NAMES = Object.keys(BUDGETS) as BudgetName[];

export function isBudgetName(name: string): name is BudgetName {
  return Object.hasOwn(BUDGETS, name);
}

/** "cpu: 8 epochs × 6,400 images × 3 seeds (0, 1, 2); …": the line every report row carries. */
export function describeBudget(b: Budget): string {
  const images = b.limit === 0 ? "all training images" : `${b.limit.toLocaleString("en-US")} images`;
  const single = b.singleArmSeeds ? `; ${b.singleArmSeeds.length} seeds (0–${b.singleArmSeeds.length - 1}) for configs compared one to one` : "";
  const large = `${single}${b.large ? `; ${b.large.seeds.length} seeds above ${millions(b.large.params)} parameters` : ""}`;
  const max = b.maxParams !== undefined ? `; nothing above ${millions(b.maxParams)} trained` : "";
  return `${b.name}: ${b.epochs} epochs × ${images} × ${b.seeds.length} seeds (${b.seeds.join(", ")})${large}${max}`;
}

/** Keys already computed, per config object: a study's decisions ask for each run's stratum many times (runs' configs are read-only). */
const strataKeys = new WeakMap<object, string>();

/** The config less its seed: the stratum a run belongs to. */
export function strataKey(config: Readonly<RunConfig>): string {
  const known = strataKeys.get(config);
  if (known !== undefined) return known;
  const { seed: _seed, epochs: _epochs, sample_every: _s, eval_every: _e, ...rest } = config;
  const key = JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k as keyof typeof rest]]));
  strataKeys.set(config, key);
  return key;
}

/**
 * The plan at a budget: epochs and limit set on every run, and every config
 * (less its seed) trained once per budget seed (fewer for large networks;
 * none above the budget's `maxParams`, see {@link budgetExcludes}). Seed becomes an axis; ids are
 * recomputed from the configs, so the same config at the same budget is the
 * same run in every experiment that names it. `singleArm` (asked with the
 * config as compiled, before the budget) picks the configs that get the
 * budget's `singleArmSeeds`.
 */
export function applyBudget(plan: RunPlan, budget: Budget, singleArm: (config: Readonly<RunConfig>) => boolean = () => false): RunPlan {
  const seen = new Set<string>();
  const runs: RunSpec[] = [];
  for (const r of plan.runs) {
    const key = strataKey(r.config);
    if (seen.has(key)) continue;
    seen.add(key);
    if (budgetExcludes(r.config, budget) !== undefined) continue;
    const { seed: _drop, ...varied } = r.varied;
    for (const seed of seedsFor(r.config, budget, singleArm(r.config))) {
      const config: RunConfig = { ...r.config, epochs: budget.epochs, limit: budget.limit, seed };
      runs.push({ runId: runId(config), config, varied: { ...varied, seed } });
    }
  }
  const axes = plan.axes.includes("seed") ? plan.axes : [...plan.axes, "seed" as const];
  return { ...plan, axes, runs };
}
