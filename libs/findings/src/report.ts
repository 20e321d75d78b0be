/**
 * A study's report: report.json (everything, for the dashboard and diffs) and
 * report.md (one row per finding, then each finding's claims with arms,
 * effects, Welch intervals, raw and Holm-adjusted p, n, verdict mixes, the
 * minimum detectable effect and each arm's median-run grid). Every line
 * states the budget it was measured at.
 */
import path from "node:path";
import type { Budget } from "./budgets.js";
import { describeBudget } from "./budgets.js";
import { FINDING_VERDICT_SCHEMA, metricLabel } from "@ganscope/dsl";
import { FAMILY_ALPHA, MIN_SEEDS, fmtP, verdictMixLine, type ArmSummary, type ClaimResult, type ComparisonResult, type FindingResult, type FindingVerdict, type RateResult } from "./decide-claims.js";
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
  /** Hours of training the finished runs took up to the budget's epochs, summed (a fused run counts its share of its group). */
  readonly trainHours?: number;
  /** Labels of the study's reference config and positive control, which the gate read. */
  readonly reference?: string;
  readonly positiveControl?: string;
  /** The finished runs by the backend they trained on: only where there is more than one (backend-mix.ts). */
  readonly backends?: Readonly<Record<string, number>>;
  readonly findings: readonly FindingResult[];
}

const EMOJI: Record<FindingVerdict, string> = { confirmed: "✅", refuted: "❌", inconclusive: "❔", untested: "⏸", undecidable: "⛔" };
/** The verdict as report.md shows it: its emoji and the words every reader is shown (dsl's verdict names). */
const BADGE = Object.fromEntries(Object.entries(EMOJI).map(([v, e]) => [v, `${e} ${FINDING_VERDICT_SCHEMA[v as FindingVerdict].shown}`])) as Record<FindingVerdict, string>;

function num(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : a === 0 ? "0" : x.toPrecision(2);
}

function interval(lo: number | undefined, hi: number | undefined): string {
  return lo === undefined || hi === undefined ? "–" : `[${num(lo)}, ${num(hi)}]`;
}

function pWords(c: { p?: number; pAdjusted?: number }): string {
  return c.p === undefined ? "–" : `${fmtP(c.p)} (Holm ${c.pAdjusted === undefined ? "–" : fmtP(c.pAdjusted)})`;
}

/** The headline numbers of a claim: its effect and interval, p raw and Holm-adjusted, and n; for a ranking, its weakest pair. */
export function claimHeadline(c: ClaimResult): { effect: string; interval: string; p: string; n: string } {
  if (c.kind === "compare") return { effect: num(c.effect), interval: interval(c.lo, c.hi), p: pWords(c), n: `${c.a.n} vs ${c.b.n}` };
  if (c.kind === "rate") return { effect: c.rate === undefined ? "–" : `${c.successes}/${c.n} = ${num(c.rate)}`, interval: interval(c.lo, c.hi), p: pWords(c), n: String(c.n) };
  const tested = c.pairs.filter((p) => p.p !== undefined);
  const worst = [...tested].sort((x, y) => support(y) - support(x))[0] ?? c.pairs.find((p) => p.effect !== undefined);
  return {
    effect: worst ? `weakest pair ${num(worst.effect)}` : "–",
    interval: worst ? interval(worst.lo, worst.hi) : "–",
    p: worst ? pWords(worst) : "–",
    n: c.pairs.length > 0 ? `${Math.min(...c.pairs.map((p) => Math.min(p.a.n, p.b.n)))}+ per arm` : "–",
  };
}

/** The weakest pair of a ranking has the largest one-sided p in its claimed direction. */
function support(p: ComparisonResult): number {
  return p.pClaimed ?? 1;
}

/** "would have needed d ≥ 1.9 (≈ 12.3 FID-lite)". */
export function mdeLine(c: ComparisonResult): string | undefined {
  return c.mde ? `MDE at 80% power (α ${fmtP(c.mde.alpha)}): would have needed d ≥ ${num(c.mde.d)} (≈ ${num(c.mde.value)} ${metricLabel(c.metric)}; pooled SD ${num(c.mde.pooledSd)})` : undefined;
}

/** The numbers of a comparison, in one line: effect with its Welch interval, p raw and adjusted, n, MDE. */
export function comparisonNumbers(c: ComparisonResult): string {
  const ci = c.lo !== undefined ? `, 95% ${c.test === "fisher" ? "Newcombe" : "Welch"} CI ${interval(c.lo, c.hi)}${c.df !== undefined ? ` (df ${num(c.df)})` : ""}` : "";
  const ps = c.p !== undefined ? `; p = ${fmtP(c.p)} two-sided (one-sided ${fmtP(c.pClaimed!)} claimed, ${fmtP(c.pReverse!)} reverse), Holm-adjusted ${fmtP(c.pAdjusted!)} of ${c.family} test(s)` : "";
  // An inconclusive claim's reason already says what it would have needed.
  const mde = c.verdict === "inconclusive" ? undefined : mdeLine(c);
  const boot = c.bootstrapLo !== undefined ? `; bootstrap CI ${interval(c.bootstrapLo, c.bootstrapHi)}` : "";
  const poi = c.probabilityOfImprovement !== undefined ? `, P(improvement) ${num(c.probabilityOfImprovement)}` : "";
  return `effect ${num(c.effect)}${ci}${ps}; n ${c.a.n} vs ${c.b.n}${mde ? `; ${mde}` : ""}${boot}${poi}`;
}

/** The numbers of a rate claim, in one line. */
export function rateNumbers(c: RateResult): string {
  const ps = c.p !== undefined ? `; exact binomial p = ${fmtP(c.p)} two-sided (one-sided ${fmtP(c.pClaimed!)} claimed, ${fmtP(c.pReverse!)} reverse), Holm-adjusted ${fmtP(c.pAdjusted!)} of ${c.family} test(s)` : "";
  const detect = c.detectableRate !== undefined ? `; decided with 80% power at a true share ${"atLeast" in c.bound ? "≥" : "≤"} ${num(c.detectableRate)}` : "";
  return `${c.successes}/${c.n} runs, Wilson 95% ${interval(c.lo, c.hi)}${ps}${detect}`;
}

/** Where the report is written; `undefined` for a copy kept away from the run store (docs/), which names the median run's grid instead of embedding it. */
type ReportDir = string | undefined;

function counts(x: Readonly<Record<string, number>>): string {
  return Object.entries(x)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
}

/** Runs an arm misses and why: counted as worst (finished without the value) or not in the test (unfinished). */
export function missingLine(a: ArmSummary): string | undefined {
  const parts: string[] = [];
  if (a.imputed > 0) parts.push(`${a.imputed} run(s) without the value counted as worst`);
  if (a.missing > 0) parts.push(`${a.missing} run(s) not in the test`);
  return parts.length === 0 ? undefined : `${parts.join(", ")} (${counts(a.missingWhy)})`;
}

function armLine(a: ArmSummary, reportDir: ReportDir): string {
  const sample = a.medianRun?.sample;
  const grid = a.medianRun
    ? sample
      ? reportDir !== undefined
        ? ` · median run ${a.medianRun.runId}: ![${a.label}](${path.relative(reportDir, sample)})`
        : ` · median run's grid: \`<results>/${sample.split(path.sep).slice(-4).join("/")}\``
      : ` · median run ${a.medianRun.runId}`
    : "";
  const missing = missingLine(a);
  const left = a.notTrained.length > 0 ? ` · ${a.notTrained.length} config(s) not trained at this budget` : "";
  const backends = a.backends ? ` · trained on ${counts(a.backends)}` : "";
  return `  - **${a.label}**: n = ${a.n} (${a.strata} config(s), ≥ ${a.minSeeds} seed(s) each), mean ${num(a.mean)}, IQM ${num(a.iqm)} · verdicts ${verdictMixLine(a)}${missing ? ` · ${missing}` : ""}${left}${backends}${grid}`;
}

function claimSection(c: ClaimResult, reportDir: ReportDir): string[] {
  if (c.kind === "compare") {
    return [`- ${BADGE[c.verdict]} — ${c.statement}: ${comparisonNumbers(c)}; ${c.reason}${c.note ? ` (${c.note})` : ""}`, armLine(c.a, reportDir), armLine(c.b, reportDir)];
  }
  if (c.kind === "rate") {
    return [`- ${BADGE[c.verdict]} — ${c.statement}: ${rateNumbers(c)}; ${c.reason}`, armLine(c.arm, reportDir)];
  }
  return [`- ${BADGE[c.verdict]} — ranking ${c.statement}: ${c.reason}`, ...c.pairs.flatMap((p) => claimSection(p, reportDir).map((l) => `  ${l}`))];
}

/** How the verdicts are reached, for the report's head and the dashboard. */
export const METHOD =
  `Comparisons of a metric: Welch's t on the difference of means, stratified by config for arms that pool several (Welch–Satterthwaite df); ` +
  `of a verdict's share: Fisher's exact test; rate claims: the exact one-sided binomial test against the bound (Wilson intervals shown, not used). ` +
  `Each test is read as two one-sided decisions: confirmed when the one-sided p in the claimed direction is below half its Holm threshold, refuted when the reverse is (never because an interval contains 0), else inconclusive; ` +
  `Holm (1979) across every test of a finding keeps its family-wise error ≤ ${FAMILY_ALPHA}. ` +
  `Fewer than ${MIN_SEEDS} seeds per config in a compared arm: inconclusive, "needs seeds"; rate claims pool runs and need only as many as the exact test needs to reach its level. ` +
  `Before any test, run verdicts decide whether a claim is decidable at this budget: not when the study's reference config mostly draws no digits (for claims on drawings), when both arms of a quality comparison (either arm of a class-metric one) mostly draw none, or when no positive control converges (for convergence claims). ` +
  `A finished run without the value (diverged, or stopped before its evaluation) counts as the worst value either arm measured. ` +
  `Means, IQM, ${BOOTSTRAP_RESAMPLES}-resample stratified bootstrap intervals (seed ${BOOTSTRAP_SEED}) and the probability of improvement are for display (libs/findings/README.md).`;

export function renderMarkdown(r: StudyReport, reportDir: ReportDir): string {
  const lines: string[] = [
    `# ${r.study}: the seed report's findings, re-tested over seeds`,
    "",
    r.description,
    "",
    `- **Budget**: ${r.budgetLine} — ${r.budget.purpose}`,
    `- **Commit**: ${r.commit ?? "unknown"} · **generated** ${r.generatedAt}`,
    `- **Runs**: ${r.runs.finished} of ${r.runs.planned} planned runs finished at this budget${r.runs.finished < r.runs.planned ? ` (the rest are not trained yet: their claims say "needs seeds" or are not tested, and a decision made now may turn inconclusive when more of a finding's tests can run)` : ""}`,
    ...(r.trainHours !== undefined ? [`- **Training**: ${r.trainHours.toFixed(2)} h of one worker for the finished runs (each run's share of its fused group's time; evaluations, checkpoints and start-up not counted)`] : []),
    `- **Regenerate**: \`${r.command}\``,
    `- **Method**: ${METHOD} Verdicts are judged from each run's records up to the budget's epochs.`,
    ...(r.backends ? [`- **Backends**: the finished runs were trained on more than one backend (${counts(r.backends)}): the same backend, config and seed train the same records bit for bit, other backends agree within a measured tolerance, not exactly (README, "Bit-identical, and across backends"); arms whose runs mix backends say so`] : []),
    ...(r.reference || r.positiveControl ? [`- **Gate**: reference ${r.reference ?? "none declared"}; positive control ${r.positiveControl ?? "none declared (a convergence claim's own arms stand in)"}`] : []),
    `- **Error rate**: each finding's tests share one Holm family at ${FAMILY_ALPHA}, so under a complete null each finding is decided wrongly at most ${FAMILY_ALPHA * 100}% of the time: with ${r.findings.length} findings at most ${num(FAMILY_ALPHA * r.findings.length)} false findings are expected.`,
    "",
    "| # | finding | verdict | effect | 95% interval | p (Holm) | n | budget |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const f of r.findings) {
    const parts = f.claims.map(claimHeadline);
    lines.push(
      `| ${f.id} | ${f.title} | ${BADGE[f.verdict]} | ${parts.map((p) => p.effect).join("; ")} | ${parts.map((p) => p.interval).join("; ")} | ${parts.map((p) => p.p).join("; ")} | ${parts.map((p) => p.n).join("; ")} | ${f.budget.name} |`,
    );
  }
  lines.push("");
  for (const f of r.findings) {
    lines.push(
      `## ${f.id}. ${f.title} — ${BADGE[f.verdict]}`,
      "",
      "**The seed saw** (one run a config, 100 epochs × 60,000 digits, judged by eye):",
      "",
      `> ${f.quote}`,
      "",
      `**We find** (${describeBudget(f.budget)}): ${BADGE[f.verdict]} — ${f.reason}.`,
      "",
    );
    if (f.assumptions) lines.push(`Assumptions: ${f.assumptions}`, "");
    for (const c of f.claims) lines.push(...claimSection(c, reportDir));
    lines.push("");
  }
  return lines.join("\n");
}
