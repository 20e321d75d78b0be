/**
 * Budgets: how much training a study's figures rest on. The one place that
 * names them; every report line states the one it was measured at. A budget
 * sets epochs, training images (the dataset's first `limit`) and seeds for
 * every run of every experiment in a study, overriding what the experiment
 * files say (the seed's 100 epochs × 60k are the `full` budget).
 */
import { runId, type RunConfig, type RunPlan, type RunSpec } from "@ganscope/dsl";

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
}

export const BUDGETS = {
  /** CI: a few seconds a run; checks the pipeline end to end, decides nothing about GANs. */
  smoke: { name: "smoke", epochs: 2, limit: 512, seeds: [0, 1], purpose: "CI: the whole pipeline in minutes; at 8 steps a run no GAN has learned digits, so verdicts say little" },
  /** What the shared 2-core machine trains for the study in about an hour. */
  cpu: { name: "cpu", epochs: 5, limit: 3000, seeds: [0, 1, 2], purpose: "the study on a 2-core CPU in about an hour: 5 epochs × 3,000 digits, 3 seeds" },
  /** More epochs of the cpu budget's runs: the same run ids, extended rather than retrained. */
  "cpu-long": { name: "cpu-long", epochs: 20, limit: 3000, seeds: [0, 1, 2], purpose: "the cpu budget's runs extended to 20 epochs (same configs, only epochs grow)" },
  /** The seed report's own budget, over 5 seeds. */
  full: { name: "full", epochs: 100, limit: 0, seeds: [0, 1, 2, 3, 4], purpose: "the seed's 100 epochs × 60,000 digits, over 5 seeds" },
} as const satisfies Record<string, Budget>;

export type BudgetName = keyof typeof BUDGETS;

export const BUDGET_NAMES = Object.keys(BUDGETS) as BudgetName[];

export function isBudgetName(name: string): name is BudgetName {
  return Object.hasOwn(BUDGETS, name);
}

/** "5 epochs × 3,000 images × 3 seeds (cpu)": the line every report row carries. */
export function describeBudget(b: Budget): string {
  const images = b.limit === 0 ? "all training images" : `${b.limit.toLocaleString("en-US")} images`;
  return `${b.name}: ${b.epochs} epochs × ${images} × ${b.seeds.length} seeds (${b.seeds.join(", ")})`;
}

/** The config less its seed: the stratum a run belongs to. */
export function strataKey(config: Readonly<RunConfig>): string {
  const { seed: _seed, epochs: _epochs, sample_every: _s, eval_every: _e, ...rest } = config;
  return JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k as keyof typeof rest]]));
}

/**
 * The plan at a budget: epochs and limit set on every run, and every config
 * (less its seed) trained once per budget seed. Seed becomes an axis; ids are
 * recomputed from the configs, so the same config at the same budget is the
 * same run in every experiment that names it.
 */
export function applyBudget(plan: RunPlan, budget: Budget): RunPlan {
  const seen = new Set<string>();
  const runs: RunSpec[] = [];
  for (const r of plan.runs) {
    const key = strataKey(r.config);
    if (seen.has(key)) continue;
    seen.add(key);
    const { seed: _drop, ...varied } = r.varied;
    for (const seed of budget.seeds) {
      const config: RunConfig = { ...r.config, epochs: budget.epochs, limit: budget.limit, seed };
      runs.push({ runId: runId(config), config, varied: { ...varied, seed } });
    }
  }
  const axes = plan.axes.includes("seed") ? plan.axes : [...plan.axes, "seed" as const];
  return { ...plan, axes, runs };
}
