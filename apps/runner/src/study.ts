/**
 * `runner study`: train what a study's findings read at a budget, through the
 * same scheduler as `runner exp` (parallel, resumable; @ganscope/training's
 * trainStudy), then decide every finding and write results/<study>/report.md
 * and report.json. The logic of plans, statistics and reports lives in
 * @ganscope/findings; this file wires.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { existsSync } from "node:fs";
import { readFile, readdir, rm } from "node:fs/promises";
import { BUDGETS, BUDGET_NAMES, type EvidenceManifest, evaluateStudy, isBudgetName, isStudy, renderMarkdown, writeStudyReport, type ArmSummary, type Budget, type ClaimResult, type Study, type StudyReport } from "@ganscope/findings";
import { gitCommit, writeFileAtomic } from "@ganscope/tracking";
import { ExperimentFileError } from "./load-experiment.js";

export async function loadStudy(file: string): Promise<Study> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new ExperimentFileError(`${file}: no such findings file`);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (e) {
    throw new ExperimentFileError(`${file}: could not load: ${(e as Error).message}`);
  }
  if (!isStudy(mod.default)) {
    throw new ExperimentFileError(`${file}: default export is not a study (expected \`export default study("name", "description", findings)\` from @ganscope/findings)`);
  }
  return mod.default;
}

export function budgetOf(name: string): Budget {
  if (!isBudgetName(name)) throw new ExperimentFileError(`--budget must be one of ${BUDGET_NAMES.join(", ")}, got "${name}"`);
  return BUDGETS[name];
}

export interface StudyCommandOptions {
  file: string;
  budget: string;
  results: string;
}

/** The study cut to `only`, with the error naming an unknown id. */
export function selectFindings(study: Study, only: readonly string[] | undefined, file: string): Study {
  if (!only || only.length === 0) return study;
  const unknown = only.filter((id) => !study.findings.some((f) => f.id === id));
  if (unknown.length > 0) throw new ExperimentFileError(`${file}: --only: no finding ${unknown.join(", ")} (findings: ${study.findings.map((f) => f.id).join(", ")})`);
  const findings = study.findings.filter((f) => only.includes(f.id));
  return { ...study, findings, experiments: study.experiments };
}

/** Every arm's median run in a report (a ranking's through its pairs). */
export function mediansOf(report: StudyReport): NonNullable<ArmSummary["medianRun"]>[] {
  const arms = (c: ClaimResult): ArmSummary[] => (c.kind === "compare" ? [c.a, c.b] : c.kind === "rate" ? [c.arm] : c.pairs.flatMap(arms));
  return report.findings.flatMap((f) => f.claims.flatMap(arms)).flatMap((a) => (a.medianRun ? [a.medianRun] : []));
}

export async function reportStudy(
  study: Study,
  budget: Budget,
  opts: Pick<StudyCommandOptions, "file" | "budget" | "results"> & { doc?: string; evidence?: EvidenceManifest; evidenceDir?: string },
): Promise<{ report: StudyReport; json: string; md: string }> {
  // A report from an evidence bundle states the bundle's commit and date, so the same bundle regenerates the same report.
  // A run from an exported copy of the tree (no .git) names its commit through GANSCOPE_COMMIT.
  const commit = opts.evidence ? opts.evidence.commit : (process.env["GANSCOPE_COMMIT"] ?? gitCommit());
  const evaluated = await evaluateStudy(study, {
    resultsDir: opts.results,
    budget,
    ...(commit ? { commit } : {}),
    command: `npx nx run runner:study --file=${opts.file} --budget=${budget.name}${opts.evidence ? ` --evidence=${opts.evidenceDir ?? "<bundle>"} --report-only` : ""}${opts.doc ? ` --doc=${opts.doc}` : ""}`,
  });
  const report = opts.evidence ? { ...evaluated, generatedAt: opts.evidence.exportedAt } : evaluated;
  const written = await writeStudyReport(report, opts.results);
  if (opts.doc) {
    // The copy kept with the code (docs/seed-study.md) shows each arm's median grid from a folder beside it
    // (docs/seed-study/), copied out of the store, which stays outside the repo.
    const doc = path.resolve(opts.doc);
    const gridDir = path.join(path.dirname(doc), path.basename(doc, path.extname(doc)));
    const copied = new Map<string, string>();
    for (const sample of new Set(mediansOf(report).flatMap((m) => (m.sample ? [m.sample] : [])))) {
      const name = `${path.basename(path.dirname(path.dirname(sample)))}-${path.basename(sample)}`;
      await writeFileAtomic(path.join(gridDir, name), await readFile(sample));
      copied.set(sample, path.join(gridDir, name));
    }
    // Grids this command wrote for an earlier median are not the report's any more: only those are removed.
    const keep = new Set([...copied.values()].map((f) => path.basename(f)));
    for (const name of await readdir(gridDir).catch(() => [] as string[])) {
      if (/^[0-9a-f]{12}-epoch-\d{4}\.png$/.test(name) && !keep.has(name)) await rm(path.join(gridDir, name));
    }
    const inDocs = JSON.parse(JSON.stringify(report), (key, value: unknown) => (key === "sample" && typeof value === "string" ? (copied.get(value) ?? value) : value)) as StudyReport;
    await writeFileAtomic(doc, renderMarkdown(inDocs, path.dirname(doc)) + "\n");
  }
  return { report, ...written };
}
