import type { RunPlan } from "@ganscope/dsl";
import type { PlanIndex } from "@ganscope/tracking";

/** The plan.json a runner writes before training anything: the plan's runs and where they came from. */
export function planIndexOf(plan: RunPlan, file: string | undefined): PlanIndex {
  return {
    experiment: plan.experiment,
    description: plan.description,
    axes: plan.axes.map(String),
    ...(file !== undefined ? { file } : {}),
    createdAt: new Date().toISOString(),
    runs: plan.runs.map((r) => ({ runId: r.runId, varied: { ...r.varied } })),
  };
}
