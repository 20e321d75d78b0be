/**
 * From a study to the runs it needs at a budget, and back from the run store
 * to what each of those runs measured.
 */
import path from "node:path";
import { runId, type Experiment, type RunPlan, type RunSpec } from "@ganscope/dsl";
import { judgeRun } from "@ganscope/metrics";
import { RunStore, writeFileAtomic, writeJsonAtomic } from "@ganscope/tracking";
import { armsOf, controlArms, type Arm, type Finding, type Study, type StudyControls } from "./claim.js";
import { applyBudget, budgetExcludes, describeBudget, strataKey, type Budget } from "./budgets.js";
import { countBackends, mixesBackends } from "./backend-mix.js";
import { renderMarkdown, type StudyReport } from "./report.js";
import { decideFinding, type FindingResult, type StudyRun } from "./decide-claims.js";

function armsOfFindings(findings: readonly Finding[], controls: StudyControls = {}): Arm[] {
  return [...findings.flatMap((f) => f.claims.flatMap(armsOf)), ...controlArms(controls)];
}

/** The experiments the arms read, once each, in the order they first appear. */
function experimentsOf(arms: readonly Arm[]): Experiment[] {
  const out: Experiment[] = [];
  for (const a of arms) for (const p of a.parts) if (!out.includes(p.experiment)) out.push(p.experiment);
  return out;
}

function named(spec: RunSpec, experiment: Experiment, arms: readonly Arm[]): boolean {
  return arms.some((a) =>
    a.parts.some((p) => p.experiment === experiment && Object.entries(p.select).every(([k, values]) => values.includes(spec.config[k as keyof RunSpec["config"]]))),
  );
}

/**
 * Each experiment's plan at the budget, cut to the runs some arm names: a
 * study trains what its claims read (and its reference and positive
 * control, which say what the budget can decide), not every run of every grid.
 */
export function studyPlans(findings: readonly Finding[], budget: Budget, controls: StudyControls = {}): RunPlan[] {
  const arms = armsOfFindings(findings, controls);
  // Seeds for configs compared one to one come from the claims' arms; the controls get the budget's usual seeds.
  const singles = singleArmConfigs(armsOfFindings(findings));
  return experimentsOf(arms).map((e) => {
    const plan = applyBudget(e.compile(), budget, (config) => singles.has(strataKey(config)));
    return { ...plan, runs: plan.runs.filter((r) => named(r, e, arms)) };
  });
}

/** The configs (as strata keys, before any budget) that make up an arm on their own, in any claim of these arms. */
function singleArmConfigs(arms: readonly Arm[]): Set<string> {
  const out = new Set<string>();
  for (const a of arms) {
    const strata = new Set<string>();
    for (const p of a.parts) for (const r of p.experiment.compile().runs) if (named(r, p.experiment, [{ label: a.label, parts: [p] }])) strata.add(strataKey(r.config));
    if (strata.size === 1) out.add([...strata][0]!);
  }
  return out;
}

/** A config an arm names that the budget leaves out, and why (its runs are never trained at this budget). */
export interface ExcludedRun {
  readonly experiment: string;
  readonly spec: RunSpec;
  readonly reason: string;
}

/** The configs the study's arms name that the budget does not train, once per config (at the budget's first seed). */
export function excludedByBudget(findings: readonly Finding[], budget: Budget, controls: StudyControls = {}): ExcludedRun[] {
  const arms = armsOfFindings(findings, controls);
  const seen = new Set<string>();
  return experimentsOf(arms).flatMap((e) =>
    e.compile().runs.flatMap((r) => {
      const reason = budgetExcludes(r.config, budget);
      const key = `${e.definition.name}|${strataKey(r.config)}`;
      if (reason === undefined || !named(r, e, arms) || seen.has(key)) return [];
      seen.add(key);
      const config = { ...r.config, epochs: budget.epochs, limit: budget.limit, seed: budget.seeds[0] };
      return [{ experiment: e.definition.name, spec: { runId: runId(config), config, varied: r.varied }, reason }];
    }),
  );
}

/** The plans of a whole study at a budget. */
export function plansOfStudy(s: Study, budget: Budget): RunPlan[] {
  return studyPlans(s.findings, budget, s);
}

/** What the store holds for each planned run, read at the budget's epochs (a run extended beyond them is read as it was then). */
export async function loadStudyRuns(store: RunStore, plans: readonly RunPlan[], budget: Budget): Promise<StudyRun[]> {
  const out: StudyRun[] = [];
  for (const plan of plans) {
    for (const spec of plan.runs) {
      // A run is one run whichever experiment trained it: one this experiment has not linked yet is read where it lives.
      let run = store.run(plan.experiment, spec.runId);
      let status = await run.readStatus().catch(() => undefined);
      if (status === undefined) {
        const home = await store.findFinished(spec.runId, plan.experiment);
        if (home !== undefined) {
          run = store.run(home, spec.runId);
          status = await run.readStatus().catch(() => undefined);
        }
      }
      const all = status ? await run.readRecords().catch(() => []) : [];
      const records = all.filter((r) => r.epoch <= budget.epochs);
      const summary = status ? await run.readSummary().catch(() => undefined) : undefined;
      const backend = status ? (await run.readConfig().catch(() => undefined))?.backend?.name : undefined;
      const last = records.at(-1);
      // A run that diverged, or that the stop policy ended (a saturated discriminator), before the budget's last epoch is finished too: it is dead, not pending.
      const endedEarly = summary?.["status"] === "diverged" || summary?.["status"] === "stopped";
      const finished = last !== undefined && (last.epoch === budget.epochs || (endedEarly && all.length === records.length));
      const metrics: Record<string, number> = {};
      for (const r of records) for (const [k, v] of Object.entries(r)) if (typeof v === "number" && Number.isFinite(v)) metrics[k] = v;
      // Judged here, from the records up to the budget's epochs, with today's rules: summary.json holds the verdict at the run's own
      // last epoch (wrong for a run extended past this budget) and by the rules of the code that trained it.
      const verdict = finished ? judgeRun(records).verdict : undefined;
      const sample = (await run.samples()).filter((s) => s.epoch <= budget.epochs).at(-1)?.file;
      out.push({
        experiment: plan.experiment,
        runId: spec.runId,
        config: spec.config,
        finished,
        ...(verdict !== undefined ? { verdict } : {}),
        metrics,
        ...(sample ? { sample } : {}),
        ...(finished && typeof summary?.["secsPerEpoch"] === "number" ? { trainSecs: (summary["secsPerEpoch"] as number) * last!.epoch } : {}),
        ...(backend ? { backend } : {}),
      });
    }
  }
  return out;
}

/** The configs the budget leaves out, as runs that will never have a value, so their arms say why. */
function notTrainedRuns(findings: readonly Finding[], budget: Budget, controls: StudyControls = {}): StudyRun[] {
  return excludedByBudget(findings, budget, controls).map((x) => ({ experiment: x.experiment, runId: x.spec.runId, config: x.spec.config, finished: false, metrics: {}, notTrained: x.reason }));
}

export interface EvaluateOptions extends StudyControls {
  /** Run store folder (default `results`). */
  readonly resultsDir?: string;
  readonly budget: Budget;
}

function controlsOf(o: StudyControls): StudyControls {
  return { ...(o.reference ? { reference: o.reference } : {}), ...(o.positiveControl ? { positiveControl: o.positiveControl } : {}) };
}

/**
 * Decides one finding from what the run store holds at a budget; trains
 * nothing (the runner's `study` command trains what is missing first).
 * Pass the study's `reference` and `positiveControl` (or spread the study)
 * for its gate to read them.
 *
 * @example
 * expect(await evaluateFinding(f, { budget: BUDGETS.smoke })).toHold();
 * expect(await evaluateFinding(f, { ...seedStudy, budget: BUDGETS.cpu })).not.toBeRefuted();
 */
export async function evaluateFinding(f: Finding, options: EvaluateOptions): Promise<FindingResult> {
  const store = new RunStore(path.resolve(options.resultsDir ?? "results"));
  const controls = controlsOf(options);
  const plans = studyPlans([f], options.budget, controls);
  return decideFinding(f, [...(await loadStudyRuns(store, plans, options.budget)), ...notTrainedRuns([f], options.budget, controls)], options.budget, controls);
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
  const trained = await loadStudyRuns(store, plans, options.budget);
  const unique = new Map(trained.map((r) => [r.runId, r]));
  const runs = [...trained, ...notTrainedRuns(s.findings, options.budget, s)];
  const controls = controlsOf(s);
  const backends = countBackends([...unique.values()].filter((r) => r.finished));
  return {
    study: s.name,
    description: s.description,
    budget: options.budget,
    budgetLine: describeBudget(options.budget),
    generatedAt: new Date().toISOString(),
    ...(options.commit ? { commit: options.commit } : {}),
    command: options.command,
    runs: { planned: unique.size, finished: [...unique.values()].filter((r) => r.finished).length },
    trainHours: [...unique.values()].reduce((sum, r) => sum + (r.trainSecs ?? 0), 0) / 3600,
    findings: s.findings.map((f) => decideFinding(f, runs, options.budget, controls)),
    ...(s.reference ? { reference: s.reference.label } : {}),
    ...(s.positiveControl ? { positiveControl: s.positiveControl.label } : {}),
    ...(mixesBackends(backends) ? { backends } : {}),
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
