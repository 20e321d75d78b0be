/**
 * From a study to the runs it needs at a budget, and back from the run store
 * to what each of those runs measured.
 */
import path from "node:path";
import type { Experiment, RunPlan, RunSpec } from "@ganscope/dsl";
import { RunStore, writeFileAtomic, writeJsonAtomic } from "@ganscope/tracking";
import { armsOf, type Arm, type Finding, type Study } from "./claim.js";
import { applyBudget, describeBudget, type Budget } from "./budgets.js";
import { renderMarkdown, type StudyReport } from "./report.js";
import { decideFinding, type FindingResult, type StudyRun } from "./evaluate.js";

function armsOfFindings(findings: readonly Finding[]): Arm[] {
  return findings.flatMap((f) => f.claims.flatMap(armsOf));
}

function named(spec: RunSpec, experiment: Experiment, arms: readonly Arm[]): boolean {
  return arms.some((a) =>
    a.parts.some((p) => p.experiment === experiment && Object.entries(p.select).every(([k, values]) => values.includes(spec.config[k as keyof RunSpec["config"]]))),
  );
}

/**
 * Each experiment's plan at the budget, cut to the runs some arm names: a
 * study trains what its claims read, not every run of every grid.
 */
export function studyPlans(findings: readonly Finding[], budget: Budget): RunPlan[] {
  const arms = armsOfFindings(findings);
  const experiments: Experiment[] = [];
  for (const a of arms) for (const p of a.parts) if (!experiments.includes(p.experiment)) experiments.push(p.experiment);
  return experiments.map((e) => {
    const plan = applyBudget(e.compile(), budget);
    return { ...plan, runs: plan.runs.filter((r) => named(r, e, arms)) };
  });
}

/** The plans of a whole study at a budget. */
export function plansOfStudy(s: Study, budget: Budget): RunPlan[] {
  return studyPlans(s.findings, budget);
}

/** What the store holds for each planned run, read at the budget's epochs (a run extended beyond them is read as it was then). */
export async function loadStudyRuns(store: RunStore, plans: readonly RunPlan[], budget: Budget): Promise<StudyRun[]> {
  const out: StudyRun[] = [];
  for (const plan of plans) {
    for (const spec of plan.runs) {
      const run = store.run(plan.experiment, spec.runId);
      const status = await run.readStatus().catch(() => undefined);
      const all = status ? await run.readRecords().catch(() => []) : [];
      const records = all.filter((r) => r.epoch <= budget.epochs);
      const summary = status ? await run.readSummary().catch(() => undefined) : undefined;
      const last = records.at(-1);
      // A run that diverged, or that the stop policy ended (a saturated discriminator), before the budget's last epoch is finished too: it is dead, not pending.
      const endedEarly = summary?.["status"] === "diverged" || summary?.["status"] === "stopped";
      const finished = last !== undefined && (last.epoch === budget.epochs || (endedEarly && all.length === records.length));
      const metrics: Record<string, number> = {};
      for (const r of records) for (const [k, v] of Object.entries(r)) if (typeof v === "number" && Number.isFinite(v)) metrics[k] = v;
      // summary.json judges the run at its last epoch: only valid when that is this budget's.
      const verdict = typeof summary?.["verdict"] === "string" && summary["epochs"] === (last?.epoch ?? -1) && finished ? (summary["verdict"] as string) : undefined;
      const sample = (await run.samples()).filter((s) => s.epoch <= budget.epochs).at(-1)?.file;
      out.push({
        experiment: plan.experiment,
        runId: spec.runId,
        config: spec.config,
        finished,
        ...(verdict !== undefined ? { verdict } : {}),
        metrics,
        ...(sample ? { sample } : {}),
      });
    }
  }
  return out;
}

export interface EvaluateOptions {
  /** Run store folder (default `results`). */
  readonly resultsDir?: string;
  readonly budget: Budget;
}

/**
 * Decides one finding from what the run store holds at a budget; trains
 * nothing (the runner's `study` command trains what is missing first).
 *
 * @example
 * expect(await evaluateFinding(f, { budget: BUDGETS.smoke })).toHold();
 */
export async function evaluateFinding(f: Finding, options: EvaluateOptions): Promise<FindingResult> {
  const store = new RunStore(path.resolve(options.resultsDir ?? "results"));
  const plans = studyPlans([f], options.budget);
  return decideFinding(f, await loadStudyRuns(store, plans, options.budget), options.budget);
}

export interface StudyOptions extends EvaluateOptions {
  readonly commit?: string;
  /** The command that regenerates the report, printed in it. */
  readonly command: string;
}

/** Decides every finding of a study from the run store at a budget. */
export async function evaluateStudy(s: Study, options: StudyOptions): Promise<StudyReport> {
  const store = new RunStore(path.resolve(options.resultsDir ?? "results"));
  const plans = plansOfStudy(s, options.budget);
  const runs = await loadStudyRuns(store, plans, options.budget);
  const unique = new Map(runs.map((r) => [r.runId, r]));
  return {
    study: s.name,
    description: s.description,
    budget: options.budget,
    budgetLine: describeBudget(options.budget),
    generatedAt: new Date().toISOString(),
    ...(options.commit ? { commit: options.commit } : {}),
    command: options.command,
    runs: { planned: unique.size, finished: [...unique.values()].filter((r) => r.finished).length },
    findings: s.findings.map((f) => decideFinding(f, runs, options.budget)),
  };
}

/** Writes report.json and report.md under `<resultsDir>/<study>/`, each atomically; returns their paths. */
export async function writeStudyReport(report: StudyReport, resultsDir: string): Promise<{ json: string; md: string }> {
  const dir = path.join(path.resolve(resultsDir), report.study);
  const json = path.join(dir, "report.json");
  const md = path.join(dir, "report.md");
  await writeJsonAtomic(json, report);
  await writeFileAtomic(md, renderMarkdown(report, dir) + "\n");
  return { json, md };
}
