/**
 * A study's report: report.json (everything, for the dashboard and diffs) and
 * report.md (one row per finding, then each finding's claims with arms,
 * effects, intervals, n and each arm's median-run grid). Every line states
 * the budget it was measured at.
 */
import path from "node:path";
import type { Budget } from "./budgets.js";
import { describeBudget } from "./budgets.js";
import type { ArmSummary, ClaimResult, ComparisonResult, FindingResult } from "./evaluate.js";
import { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED } from "./statistics.js";

export interface StudyReport {
  readonly study: string;
  readonly description: string;
  readonly budget: Budget;
  readonly budgetLine: string;
  readonly generatedAt: string;
  readonly commit?: string;
  /** The command that regenerates this report. */
  readonly command: string;
  readonly runs: { readonly planned: number; readonly finished: number };
  readonly findings: readonly FindingResult[];
}

const BADGE = { confirmed: "✅ confirmed", refuted: "❌ refuted", inconclusive: "❔ inconclusive", untested: "⏸ not tested" } as const;

function num(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : a === 0 ? "0" : x.toPrecision(2);
}

function interval(lo: number | undefined, hi: number | undefined): string {
  return lo === undefined || hi === undefined ? "–" : `[${num(lo)}, ${num(hi)}]`;
}

/** The headline numbers of a claim: its effect and interval, or its rate and interval. */
export function claimHeadline(c: ClaimResult): { effect: string; interval: string; n: string } {
  if (c.kind === "compare") return { effect: num(c.effect), interval: interval(c.lo, c.hi), n: `${c.a.n} vs ${c.b.n}` };
  if (c.kind === "rate") return { effect: c.rate === undefined ? "–" : `${c.successes}/${c.n} = ${num(c.rate)}`, interval: interval(c.lo, c.hi), n: String(c.n) };
  const decided = c.pairs.filter((p) => p.effect !== undefined);
  const worst = [...decided].sort((x, y) => support(x) - support(y))[0];
  return {
    effect: worst ? `weakest pair ${num(worst.effect)}` : "–",
    interval: worst ? interval(worst.lo, worst.hi) : "–",
    n: c.pairs.length > 0 ? `${Math.min(...c.pairs.map((p) => Math.min(p.a.n, p.b.n)))}+ per arm` : "–",
  };
}

/** How far a pair's interval lies on the claimed side of 0 (negative: it reaches across); the weakest pair has the least. */
function support(p: ComparisonResult): number {
  return p.direction === "higher" ? (p.lo ?? -Infinity) : -(p.hi ?? Infinity);
}

/** Where the report is written; `undefined` for a copy kept away from the run store (docs/), which names the median run's grid instead of embedding it. */
type ReportDir = string | undefined;

function armLine(a: ArmSummary, reportDir: ReportDir): string {
  const sample = a.medianRun?.sample;
  const grid = a.medianRun
    ? sample
      ? reportDir !== undefined
        ? ` · median run ${a.medianRun.runId}: ![${a.label}](${path.relative(reportDir, sample)})`
        : ` · median run's grid: \`<results>/${sample.split(path.sep).slice(-4).join("/")}\``
      : ` · median run ${a.medianRun.runId}`
    : "";
  const missing = a.missing > 0 ? ` · ${a.missing} run(s) unfinished or without a value` : "";
  const left = a.notTrained.length > 0 ? ` · ${a.notTrained.length} config(s) not trained at this budget` : "";
  return `  - **${a.label}**: n = ${a.n} (${a.strata} config(s), ≥ ${a.minSeeds} seed(s) each), mean ${num(a.mean)}, IQM ${num(a.iqm)}${missing}${left}${grid}`;
}

function claimSection(c: ClaimResult, reportDir: ReportDir): string[] {
  if (c.kind === "compare") {
    return [
      `- ${BADGE[c.verdict]} — ${c.statement}: effect (mean difference) ${num(c.effect)}, 95% CI ${interval(c.lo, c.hi)}, P(improvement) ${num(c.probabilityOfImprovement)}; ${c.reason}`,
      armLine(c.a, reportDir),
      armLine(c.b, reportDir),
    ];
  }
  if (c.kind === "rate") {
    return [`- ${BADGE[c.verdict]} — ${c.statement}: ${c.reason}`, armLine(c.arm, reportDir)];
  }
  return [`- ${BADGE[c.verdict]} — ranking ${c.statement}: ${c.reason}`, ...c.pairs.flatMap((p) => claimSection(p, reportDir).map((l) => `  ${l}`))];
}

export function renderMarkdown(r: StudyReport, reportDir: ReportDir): string {
  const lines: string[] = [
    `# ${r.study}: the seed report's findings, re-tested over seeds`,
    "",
    r.description,
    "",
    `- **Budget**: ${r.budgetLine} — ${r.budget.purpose}`,
    `- **Commit**: ${r.commit ?? "unknown"} · **generated** ${r.generatedAt}`,
    `- **Runs**: ${r.runs.finished} of ${r.runs.planned} planned runs finished at this budget`,
    `- **Regenerate**: \`${r.command}\``,
    `- **Method**: per arm the metric's mean and IQM over seeds; effect = difference of means with a 95% stratified percentile bootstrap (${BOOTSTRAP_RESAMPLES} resamples, seed ${BOOTSTRAP_SEED}, strata = configs); verdict rates with 95% Wilson intervals; confirmed when the interval excludes no effect on the claimed side, refuted when on the other, else inconclusive; not tested when the budget trains none of an arm's configs; verdicts judged from each run's records up to the budget's epochs; never decided with fewer than 2 seeds per config (libs/findings/README.md).`,
    "",
    "| # | finding | verdict | effect | 95% interval | n | budget |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const f of r.findings) {
    const parts = f.claims.map(claimHeadline);
    lines.push(
      `| ${f.id} | ${f.title} | ${BADGE[f.verdict]} | ${parts.map((p) => p.effect).join("; ")} | ${parts.map((p) => p.interval).join("; ")} | ${parts.map((p) => p.n).join("; ")} | ${f.budget.name} |`,
    );
  }
  lines.push("");
  for (const f of r.findings) {
    lines.push(`## ${f.id}. ${f.title} — ${BADGE[f.verdict]}`, "", `> ${f.quote}`, "", `Budget: ${describeBudget(f.budget)}.`, "");
    if (f.assumptions) lines.push(`Assumptions: ${f.assumptions}`, "");
    for (const c of f.claims) lines.push(...claimSection(c, reportDir));
    lines.push("");
  }
  return lines.join("\n");
}
