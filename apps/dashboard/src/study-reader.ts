import { promises as fs } from "node:fs";
import path from "node:path";
import { FINDING_VERDICT_SCHEMA } from "@ganscope/dsl/verdict-names";
import { formatReportIssue, parseStudyReport, type ParsedArm, type ParsedClaim, type ParsedComparison, type ParsedFinding } from "@ganscope/findings/report-parser";
import type { ArmRunRef, ArmView, ClaimView, CompareClaimView, ExperimentView, FindingVerdictView, FindingView, SampleRef, StudyView } from "./site-data.js";

/**
 * Study reports for the Findings page: every `<results>/<study>/report.json`
 * that `runner:study` wrote, read by the findings lib (parseStudyReport: what
 * is wrong is a warning naming the file, the key and what was expected; a bad
 * finding inside a good report is shown with what could be read). Here: the
 * page's view of it — grids at their site paths, runs an older report does
 * not list, verdicts in the words shown. Read-only, like the store reader.
 */

export const REPORT_FILE = "report.json";

/** Where each run's grids went in the site, to show an arm's median-run grid. */
export type SampleIndex = (experiment: string, runId: string) => readonly SampleRef[] | undefined;

interface Context {
  samples: SampleIndex;
  experiments: ReadonlyMap<string, ExperimentView>;
  seen: Set<string>;
}

/**
 * A report written before arms listed their runs names only the median run:
 * its config less the seed, over every seed in its experiment, stands in (an
 * arm that pools several configs then shows one of them; the page says so).
 */
function inferRuns(median: ArmView["medianRun"], ctx: Context): ArmRunRef[] {
  if (!median) return [];
  const exp = ctx.experiments.get(median.experiment);
  const own = exp?.runs.find((r) => r.runId === median.runId);
  if (!exp || !own) return [{ experiment: median.experiment, runId: median.runId, seed: null, value: median.value }];
  const key = (v: Record<string, unknown>) => JSON.stringify(Object.keys(v).filter((k) => k !== "seed").sort().map((k) => [k, v[k]]));
  const mine = key(own.varied);
  return exp.runs
    .filter((r) => key(r.varied) === mine)
    .map((r) => ({ experiment: exp.name, runId: r.runId, seed: typeof r.varied.seed === "number" ? r.varied.seed : null, ...(r.runId === median.runId ? { value: median.value } : {}) }));
}

function armView(arm: ParsedArm, ctx: Context): ArmView {
  const { runs: listed, medianRun: m, ...rest } = arm;
  let medianRun: ArmView["medianRun"];
  if (m) {
    // The report names the grid by its path where it was written (maybe another machine); the site has the run's grids by run.
    const name = m.sample !== undefined ? path.basename(m.sample) : undefined;
    const sample = name ? ctx.samples(m.experiment, m.runId)?.find((s) => path.basename(s.src) === name) : undefined;
    medianRun = { experiment: m.experiment, runId: m.runId, value: m.value, ...(sample ? { sample } : {}) };
  }
  const runs: ArmRunRef[] = listed ?? inferRuns(medianRun, ctx);
  for (const r of runs) ctx.seen.add(r.experiment);
  return {
    ...rest,
    runs,
    ...(listed === undefined && runs.length > 0 ? { runsInferred: true } : {}),
    ...(medianRun ? { medianRun } : {}),
  };
}

/** A verdict in the words shown: dsl's for the findings lib's names, "not tested" for older spellings, any other word with spaces. */
function shown(verdict: string): FindingVerdictView {
  if (/^not[ _]tested$/.test(verdict)) return "not tested";
  return Object.hasOwn(FINDING_VERDICT_SCHEMA, verdict) ? FINDING_VERDICT_SCHEMA[verdict as keyof typeof FINDING_VERDICT_SCHEMA].shown : verdict.replace(/_/g, " ");
}

function compareView(c: ParsedComparison, ctx: Context): CompareClaimView {
  return { ...c, a: armView(c.a, ctx), b: armView(c.b, ctx), verdict: shown(c.verdict) };
}

function claimView(c: ParsedClaim, ctx: Context): ClaimView {
  if (c.kind === "compare") return compareView(c, ctx);
  if (c.kind === "rate") return { ...c, arm: armView(c.arm, ctx), verdict: shown(c.verdict) };
  return { ...c, pairs: c.pairs.map((p) => compareView(p, ctx)), verdict: shown(c.verdict) };
}

function findingView(f: ParsedFinding, ctx: Context): FindingView {
  return { ...f, verdict: shown(f.verdict), claims: f.claims.map((c) => claimView(c, ctx)) };
}

/** One report.json; undefined (with a warning) when it is not a study report at all. */
export function studyOf(raw: unknown, file: string, folder: string, samples: SampleIndex, experiments: ReadonlyMap<string, ExperimentView>, warnings: string[]): StudyView | undefined {
  const { report, issues } = parseStudyReport(raw);
  for (const issue of issues) warnings.push(`${file}: ${formatReportIssue(issue)}${report ? "" : "; study not shown"}`);
  if (!report) return undefined;
  const ctx: Context = { samples, experiments, seen: new Set() };
  const findings = report.findings.map((f) => findingView(f, ctx));
  const { budgetLine, budget } = report;
  return {
    name: report.study !== undefined && report.study !== "" ? report.study : folder,
    description: report.description ?? "",
    budgetLine,
    budgetName: budget.name ?? budgetLine.split(":")[0] ?? "",
    ...(budget.purpose !== undefined ? { budgetPurpose: budget.purpose } : {}),
    ...(report.generatedAt ? { generatedAt: report.generatedAt } : {}),
    ...(report.commit ? { commit: report.commit } : {}),
    ...(report.command ? { command: report.command } : {}),
    ...(report.runs ? { runs: report.runs } : {}),
    ...(report.reference ? { reference: report.reference } : {}),
    ...(report.positiveControl ? { positiveControl: report.positiveControl } : {}),
    findings,
    experiments: [...ctx.seen].sort(),
    reportFile: file,
  };
}

/** Every `<root>/<folder>/report.json`, in folder order. A missing root has none. */
export async function readStudies(root: string, samples: SampleIndex, experiments: readonly ExperimentView[], warnings: string[]): Promise<StudyView[]> {
  let names: string[];
  try {
    names = (await fs.readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).sort();
  } catch {
    return []; // the store reader already said what is wrong with the root
  }
  const byName = new Map(experiments.map((e) => [e.name, e]));
  const out: StudyView[] = [];
  for (const name of names) {
    const file = path.join(root, name, REPORT_FILE);
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") warnings.push(`${file}: ${(e as Error).message}`);
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      warnings.push(`${file}: not valid JSON (${(e as Error).message}); study not shown`);
      continue;
    }
    const study = studyOf(raw, file, name, samples, byName, warnings);
    if (study) out.push(study);
  }
  return out;
}
