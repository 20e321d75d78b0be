/**
 * The Findings page: a study's report (report.json), one card per finding —
 * the quote, the verdict badge with its reason ("not decidable at this
 * budget" among them), each claim's effect with its 95% interval drawn, p
 * raw and Holm-adjusted, the minimum detectable effect, n and the verdict
 * mix per arm, the budget — then per claim the arms' curves of its metric
 * over epochs as mean ± band over seeds (computed here from the runs'
 * records), and the final grid of each arm's median run.
 */
import type { ArmView, ClaimView, CompareClaimView, ExperimentView, FindingView, RunView, SiteIndex, StudyView } from "../src/site-data.js";
import { BAND_KINDS, type BandKind } from "@ganscope/findings/seed-summary";
import { BAND_LABELS, bandOverSeeds } from "./aggregate.js";
import { bandOption, type BandCurve } from "./band-options.js";
import { chart } from "./charts.js";
import { CATEGORICAL } from "./colours.js";
import { h } from "./dom.js";
import { fmt, label } from "./format.js";
import { intervalSvg, type IntervalSpec } from "./interval-plot.js";
import { findingBadge, findingsHash, studyTable, verdictClassOf } from "./findings-widgets.js";
import { compareHash, ready, setView } from "./pages.js";
import { chartBox, select, verdictClass } from "./widgets.js";

/** Curves for a claim whose metric is a verdict (not a per-epoch record): the record key that shows it best. */
const VERDICT_CURVE: Record<string, string> = { converged: "fid_lite", mode_collapse: "max_class_share", vanishing_gradients: "d_loss", no_digits: "coverage", diverged: "d_loss" };

function curveKey(c: ClaimView): string {
  if (c.kind === "compare") return c.metric.startsWith("verdict:") ? (VERDICT_CURVE[c.metric.slice("verdict:".length)] ?? "fid_lite") : c.metric;
  if (c.kind === "rate") return VERDICT_CURVE[c.verdicts[0] ?? ""] ?? "fid_lite";
  return c.pairs[0] ? curveKey(c.pairs[0]) : "fid_lite";
}

function armsOf(c: ClaimView): ArmView[] {
  const all = c.kind === "compare" ? [c.a, c.b] : c.kind === "rate" ? [c.arm] : c.pairs.flatMap((p) => [p.a, p.b]);
  const seen = new Set<string>();
  return all.filter((a) => !seen.has(a.label) && (seen.add(a.label), true));
}

function metricName(metric: string): string {
  return metric.startsWith("verdict:") ? `share judged ${metric.slice("verdict:".length).replace(/_/g, " ")}` : label(metric);
}

function compareSpec(c: CompareClaimView): IntervalSpec {
  return {
    ...(c.effect !== undefined ? { point: c.effect } : {}),
    ...(c.lo !== undefined ? { lo: c.lo } : {}),
    ...(c.hi !== undefined ? { hi: c.hi } : {}),
    ref: 0,
    // effect = mean(a) − mean(b): "a lower than b" claims a negative effect.
    claimed: c.direction === "higher" ? "above" : "below",
    verdict: c.verdict,
  };
}

/** p two-sided, Holm-adjusted within the finding, and the one-sided p each way. */
function pLine(c: { p?: number; pClaimed?: number; pReverse?: number; pAdjusted?: number; family?: number }): HTMLElement | null {
  if (c.p === undefined) return null;
  return h(
    "div",
    { class: "muted small", "data-p": String(c.p), "data-p-adjusted": String(c.pAdjusted ?? "") },
    `p = ${fmtP(c.p)} (Holm ${c.pAdjusted === undefined ? "—" : fmtP(c.pAdjusted)}${c.family !== undefined ? ` of ${c.family}` : ""}) · one-sided ${c.pClaimed === undefined ? "—" : fmtP(c.pClaimed)} claimed, ${c.pReverse === undefined ? "—" : fmtP(c.pReverse)} reverse`,
  );
}

function fmtP(p: number): string {
  return p >= 0.001 ? p.toPrecision(2) : p === 0 ? "0" : p.toExponential(1);
}

/** One row per effect the claim decides: a comparison, a rate, or each pair of a ranking. */
function effectRows(c: ClaimView): HTMLElement[] {
  if (c.kind === "rank") {
    return [
      h("div", { class: "claim-head" }, findingBadge(c.verdict), " ", h("span", {}, `ranking ${c.statement}`), h("span", { class: "muted" }, ` — ${c.reason}`)),
      ...c.pairs.flatMap(effectRows).map((r) => (r.classList.add("pair"), r)),
    ];
  }
  if (c.kind === "compare") {
    // Reports before issue 24 carried the bootstrap's interval as lo/hi; a claim the gate stopped has none.
    const welch = c.test === "fisher" ? "Newcombe" : c.test === "welch" ? "Welch" : "bootstrap";
    const ci = c.lo !== undefined ? `, 95% ${welch} CI${c.df !== undefined ? ` (df ${fmt(c.df)})` : ""}` : "";
    const text = c.effect === undefined ? "no effect measured" : `effect ${fmt(c.effect)} [${fmt(c.lo)}, ${fmt(c.hi)}]`;
    return [
      h(
        "div",
        { class: "effect-row", "data-claim": c.kind },
        h(
          "div",
          { class: "effect-text" },
          findingBadge(c.verdict),
          " ",
          h("span", {}, `${c.a.label} ${c.direction} than ${c.b.label} on ${metricName(c.metric)}`),
          h("div", { class: "muted small", "data-reason": "1" }, c.reason),
          c.note ? h("div", { class: "muted small", "data-note": "1" }, c.note) : null,
        ),
        c.lo !== undefined && c.hi !== undefined
          ? intervalSvg(compareSpec(c), `${text}; 95% ${welch} interval of mean(${c.a.label}) − mean(${c.b.label})`)
          : h("span", { class: "no-interval muted" }, c.verdict === "not decidable at this budget" ? "not compared: nothing the claim is about was learned at this budget" : "no interval: too few seeds with a value"),
        h(
          "div",
          { class: "effect-numbers" },
          h("div", {}, h("b", {}, c.effect === undefined ? "—" : fmt(c.effect)), c.lo !== undefined ? ` [${fmt(c.lo)}, ${fmt(c.hi)}]` : ""),
          h("div", { class: "muted small" }, `mean difference${ci}${c.probabilityOfImprovement !== undefined ? ` · P(improvement) ${fmt(c.probabilityOfImprovement)}` : ""}`),
          pLine(c),
          c.mde ? h("div", { class: "muted small", "data-mde": String(c.mde.d) }, `would have needed d ≥ ${fmt(c.mde.d)} (≈ ${fmt(c.mde.value)} ${metricName(c.metric)}) for 80% power`) : null,
          h("div", { class: "muted small" }, `n = ${c.a.n} vs ${c.b.n}`),
        ),
      ),
    ];
  }
  const threshold = "atLeast" in c.bound ? c.bound.atLeast : c.bound.atMost;
  const spec: IntervalSpec = { ...(c.rate !== undefined ? { point: c.rate } : {}), lo: c.lo, hi: c.hi, ref: threshold, claimed: "atLeast" in c.bound ? "above" : "below", domain: [0, 1], verdict: c.verdict };
  return [
    h(
      "div",
      { class: "effect-row", "data-claim": c.kind },
      h("div", { class: "effect-text" }, findingBadge(c.verdict), " ", h("span", {}, c.statement), h("div", { class: "muted small" }, c.reason)),
      intervalSvg(spec, `${c.successes} of ${c.n} runs judged ${c.verdicts.join(" or ")}; Wilson 95% interval [${fmt(c.lo)}, ${fmt(c.hi)}] against ${threshold}`),
      h(
        "div",
        { class: "effect-numbers" },
        h("div", {}, h("b", {}, `${c.successes}/${c.n}`), ` [${fmt(c.lo)}, ${fmt(c.hi)}]`),
        h("div", { class: "muted small" }, `share judged ${c.verdicts.join(" or ").replace(/_/g, " ")}, 95% Wilson interval (shown; the exact binomial test decides)`),
        pLine(c),
        c.detectableRate !== undefined ? h("div", { class: "muted small" }, `decided with 80% power at a true share ${"atLeast" in c.bound ? "≥" : "≤"} ${fmt(c.detectableRate)}`) : null,
        h("div", { class: "muted small" }, `n = ${c.n}`),
      ),
    ),
  ];
}

/** The reasons a finding's claims gave for not being decidable, once each. */
function undecidableReasons(f: FindingView): string[] {
  const leaves = f.claims.flatMap((c): { verdict: string; reason: string }[] => (c.kind === "rank" ? c.pairs : [c]));
  return [...new Set(leaves.filter((c) => c.verdict === "not decidable at this budget").map((c) => c.reason))];
}

function runLinks(a: ArmView, query: URLSearchParams, experiments: ReadonlyMap<string, ExperimentView>): HTMLElement {
  const byExp = new Map<string, string[]>();
  for (const r of a.runs) byExp.set(r.experiment, [...(byExp.get(r.experiment) ?? []), r.runId]);
  const grouped = new URLSearchParams(query);
  grouped.set("seeds", "grouped");
  return h(
    "span",
    { class: "run-links" },
    ...[...byExp.entries()].flatMap(([exp, ids]): (HTMLElement | string)[] => !experiments.has(exp) ? [h("span", { class: "muted", title: "this experiment is not in the run store the site was built from" }, `${ids.length} run(s) of ${exp}, not in this build `)] : [
      h("a", { href: compareHash(exp, ids), "data-arm-runs": exp, title: `the arm's ${ids.length} run(s) of ${exp}, side by side` }, `${ids.length} run(s) of ${exp}`),
      " (",
      h("a", { href: `${compareHash(exp, ids)}?${grouped.toString()}`, title: "the same runs grouped over seeds" }, "over seeds"),
      ") ",
    ]),
  );
}

/** The arm's verdict mix at the report's budget (`no_digits 3/3`); a report written before it had one falls back to the runs' own verdicts. */
function verdictChips(a: ArmView, runs: readonly RunView[]): HTMLElement | string {
  const counts = new Map<string, number>();
  let of: number | undefined;
  if (a.verdicts) {
    for (const [v, n] of Object.entries(a.verdicts)) counts.set(v, n);
    of = a.judged ?? [...counts.values()].reduce((s, n) => s + n, 0);
  } else for (const r of runs) if (r.verdict) counts.set(r.verdict.label, (counts.get(r.verdict.label) ?? 0) + 1);
  if (counts.size === 0) return "—";
  return h(
    "span",
    { class: "chips", "data-verdict-mix": a.verdicts ? "report" : "runs" },
    ...[...counts.entries()].sort((x, y) => y[1] - x[1]).map(([v, n]) => h("span", { class: `badge ${verdictClass(v)}`, "data-verdict": v, "data-count": n }, `${v.replace(/_/g, " ")} ${n}${of !== undefined ? `/${of}` : ""}`)),
  );
}

/** Runs an arm misses and why: imputed at the worst value (finished without it) or not in the test. */
function missingCell(a: ArmView): (HTMLElement | string)[] {
  const why = a.missingWhy && Object.keys(a.missingWhy).length > 0 ? ` (${Object.entries(a.missingWhy).map(([k, n]) => `${k.replace(/_/g, " ")} ${n}`).join(", ")})` : "";
  const parts: (HTMLElement | string)[] = [];
  if (a.imputed) parts.push(h("span", { "data-imputed": a.imputed, title: "finished without the value: counted at the worst value either arm measured" }, `${a.imputed} counted as worst`));
  if (a.missing) parts.push(`${parts.length ? "; " : ""}${a.missing} not in the test`);
  if (parts.length > 0 && why) parts.push(h("span", { class: "muted" }, why));
  return parts;
}

function armTable(arms: readonly ArmView[], colours: Map<string, string>, query: URLSearchParams, experiments: ReadonlyMap<string, ExperimentView>): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data arms" },
      h("thead", {}, h("tr", {}, ...["arm", "n", "configs", "seeds / config", "missing", "mean", "IQM", "verdicts at this budget", "median run", "runs"].map((t) => h("th", {}, t)))),
      h(
        "tbody",
        {},
        ...arms.map((a) =>
          h(
            "tr",
            { "data-arm": a.label },
            h("td", {}, h("span", { class: "swatch", style: `background:${colours.get(a.label) ?? "#999"}` }), a.label),
            h("td", { class: "num", "data-arm-n": a.n }, a.n),
            h("td", { class: "num" }, a.strata),
            h("td", { class: "num" }, `≥ ${a.minSeeds}`),
            h("td", { class: "num" }, ...missingCell(a), a.notTrained?.length ? h("span", { class: "muted", "data-not-trained": "1", title: a.notTrained.join("; ") }, `${a.missing || a.imputed ? "; " : ""}${a.notTrained.length} config(s) not trained at this budget`) : null),
            h("td", { class: "num" }, fmt(a.mean)),
            h("td", { class: "num" }, fmt(a.iqm)),
            h("td", {}, verdictChips(a, armRuns(a, experiments))),
            h("td", {}, a.medianRun ? h("a", { href: compareHash(a.medianRun.experiment, [a.medianRun.runId]) }, h("code", {}, a.medianRun.runId)) : "—"),
            h("td", {}, runLinks(a, query, experiments), a.runsInferred ? h("span", { class: "muted", title: "report.json lists no runs for this arm (written before it did): these are the median run's config over every seed" }, " (inferred)") : null),
          ),
        ),
      ),
    ),
  );
}

function armRuns(a: ArmView, experiments: ReadonlyMap<string, ExperimentView>): RunView[] {
  return a.runs.flatMap((ref) => experiments.get(ref.experiment)?.runs.find((r) => r.runId === ref.runId) ?? []);
}

function gridOf(a: ArmView, colour: string): HTMLElement {
  const m = a.medianRun;
  const head = h("h4", {}, h("span", { class: "swatch", style: `background:${colour}` }), h("span", { class: "label" }, a.label));
  const card = h("div", { class: "grid-card", "data-arm-grid": a.label }, head);
  if (!m?.sample) {
    card.append(h("div", { class: "noimg" }, m ? "no sample grid for the median run" : "no run with a value"));
    return card;
  }
  const img = h("img", { src: m.sample.src, alt: `final samples of ${a.label}'s median run`, loading: "lazy", decoding: "async", "data-epoch": m.sample.epoch });
  card.append(img, h("div", { class: "muted small" }, "median run ", h("a", { href: compareHash(m.experiment, [m.runId]) }, h("code", {}, m.runId)), ` · value ${fmt(m.value)} · epoch ${m.sample.epoch}`));
  return card;
}

function present(...nodes: (Node | null)[]): Node[] {
  return nodes.filter((n): n is Node => n !== null);
}

interface Pending {
  name: string;
  el: HTMLElement;
  draw: () => Parameters<typeof chart>[2];
}

function findingCard(f: FindingView, experiments: ReadonlyMap<string, ExperimentView>, kind: BandKind, query: URLSearchParams, charts: Pending[]): HTMLElement {
  const card = h("section", { class: "finding", id: `finding-${f.id}`, "data-finding": f.id });
  card.append(
    ...present(
      h("h2", {}, h("span", { class: "finding-id" }, `${f.id}.`), " ", f.title, " ", findingBadge(f.verdict)),
      f.verdict === "not decidable at this budget" ? h("p", { class: "undecidable-reason", "data-undecidable": "1" }, h("b", {}, "Not decidable at this budget: "), undecidableReasons(f).join(" · ")) : null,
      f.quote ? h("blockquote", {}, f.quote) : null,
      h("div", { class: "meta" }, h("span", { "data-budget": "1" }, `budget: ${f.budgetLine}`), f.reason ? h("span", {}, f.reason) : null),
      f.assumptions ? h("p", { class: "assumptions muted" }, h("b", {}, "Assumptions: "), f.assumptions) : null,
    ),
  );
  if (f.claims.length === 0) {
    card.append(h("p", { class: "muted" }, f.verdict === "not tested" ? "Not tested at this budget." : "The report holds no claims for this finding."));
    return card;
  }
  const colours = new Map<string, string>();
  const allArms = f.claims.flatMap(armsOf).filter((a, i, all) => all.findIndex((b) => b.label === a.label) === i);
  allArms.forEach((a, i) => colours.set(a.label, CATEGORICAL[i % CATEGORICAL.length]!));
  card.append(h("div", { class: "effects" }, ...f.claims.flatMap(effectRows)));
  card.append(armTable(allArms, colours, query, experiments));

  const chartsHost = h("div", { class: "charts" });
  f.claims.forEach((c, ci) => {
    const arms = armsOf(c);
    const runsOf = new Map(arms.map((a) => [a.label, armRuns(a, experiments)]));
    const keys = [...new Set([...runsOf.values()].flat().flatMap((r) => Object.keys(r.series)))].filter((k) => !k.startsWith("class_share_"));
    let key = curveKey(c);
    if (!keys.includes(key)) key = keys.includes("fid_lite") ? "fid_lite" : (keys[0] ?? key);
    const name = `finding-${f.id}-${ci}`;
    if ([...runsOf.values()].every((r) => r.length === 0)) {
      chartsHost.append(h("p", { class: "muted no-curves", "data-no-curves": name }, `${c.kind === "compare" ? metricName(c.metric) : "curves"}: no run of ${arms.map((a) => a.label).join(", ")} is in this build yet.`));
      return;
    }
    const picker = keys.length > 1 ? select(`${name}-metric`, keys.map((k) => ({ value: k, text: label(k) })), key, (v) => ((key = v), void chart(name, box.el, draw()))) : null;
    const box = chartBox(`${c.kind === "compare" ? metricName(c.metric) : c.kind === "rate" ? "runs of the arm" : "ranked arms"}: over epochs, mean and ${BAND_LABELS[kind]}`, name, [picker]);
    const draw = () => {
      const curves: BandCurve[] = arms.map((a) => ({ name: `${a.label} (n = ${runsOf.get(a.label)!.length})`, color: colours.get(a.label)!, dash: "solid", points: bandOverSeeds(runsOf.get(a.label)!, key, kind) }));
      return bandOption(curves, BAND_LABELS[kind]);
    };
    chartsHost.append(box.box);
    charts.push({ name, el: box.el, draw });
  });
  card.append(h("h3", {}, "Curves over seeds"), chartsHost);
  card.append(
    h("h3", {}, "Final sample grids (each arm's median run)"),
    allArms.some((a) => a.medianRun)
      ? h("div", { class: "grids arm-grids" }, ...allArms.map((a) => gridOf(a, colours.get(a.label)!)))
      : h("p", { class: "muted" }, "No arm has a run with a value yet."),
  );
  return card;
}

export function renderFindingsIndex(index: SiteIndex): void {
  setView("findings", "/ ", h("a", { href: findingsHash() }, "findings"));
  document.title = "ganscope · findings";
  const app = document.getElementById("app")!;
  app.append(h("h1", {}, "Findings"));
  app.append(studyTable(index));
  ready();
}

export async function renderStudy(study: StudyView, loadExperiment: (name: string) => Promise<ExperimentView | undefined>, query: URLSearchParams): Promise<void> {
  setView("study", "/ ", h("a", { href: findingsHash() }, "findings"), " / ", h("a", { href: findingsHash(study.name) }, study.name));
  document.title = `ganscope · ${study.name} · findings`;
  const app = document.getElementById("app")!;
  const kind: BandKind = BAND_KINDS.find((k) => k === query.get("band")) ?? "ci95";
  const experiments = new Map<string, ExperimentView>();
  for (const name of study.experiments) {
    const exp = await loadExperiment(name);
    if (exp) experiments.set(name, exp);
  }
  const missing = study.experiments.filter((e) => !experiments.has(e));
  const counts: Record<string, number> = {};
  for (const f of study.findings) counts[f.verdict] = (counts[f.verdict] ?? 0) + 1;
  app.append(
    ...present(
    h("h1", {}, `Findings: ${study.name}`),
    study.description ? h("p", { class: "desc" }, study.description) : null,
    h("p", { class: "budget-line", "data-budget": "1" }, h("b", {}, "Budget: "), study.budgetLine, study.budgetPurpose ? h("span", { class: "muted" }, ` — ${study.budgetPurpose}`) : null),
    h(
      "div",
      { class: "meta" },
      h("span", { class: "chips" }, ...Object.entries(counts).map(([v, n]) => h("span", { class: `badge ${verdictClassOf(v)}` }, `${v} ${n}`))),
      study.runs ? h("span", {}, `${study.runs.finished} of ${study.runs.planned} planned runs finished`) : null,
      study.reference ? h("span", { "data-reference": "1" }, `reference: ${study.reference}`) : null,
      study.positiveControl ? h("span", {}, `positive control: ${study.positiveControl}`) : null,
      study.commit ? h("span", {}, "commit ", h("code", {}, study.commit.slice(0, 12))) : null,
      study.generatedAt ? h("span", {}, `generated ${study.generatedAt.replace("T", " ").slice(0, 16)} UTC`) : null,
      study.command ? h("span", {}, h("code", {}, study.command)) : null,
      h("span", {}, "from ", h("code", {}, study.reportFile)),
    ),
    h(
      "p",
      { class: "muted small method" },
      "Verdicts, effects, intervals and p-values are the report's: Welch's t (stratified by config) on differences of means, Fisher's exact test on verdict shares, the exact binomial test for rates, each read as two one-sided decisions with Holm across a finding's tests (family-wise error ≤ 5%); ",
      "“not decidable at this budget” is decided from the runs' verdicts before any test (generators that draw no digits are not compared on quality); Wilson and bootstrap intervals are shown, not used (libs/findings/README.md). ",
      "The shaded side of each interval plot is the one the claim expects; the line is no effect (0, or the rate's bound). ",
      "The curves are computed here from each run's records: per epoch the mean over the arm's runs and a band — ",
      h("label", {}, select("band-kind", BAND_KINDS.map((k) => ({ value: k, text: BAND_LABELS[k] })), kind, (v) => {
        const q = new URLSearchParams(query);
        q.set("band", v);
        location.hash = findingsHash(study.name, q);
      })),
      ".",
    ),
    missing.length > 0 ? h("p", { class: "warnings" }, `Not in this build (no curves or grids for their runs): ${missing.join(", ")}`) : null,
    ),
  );
  const pending: Pending[] = [];
  for (const f of study.findings) app.append(findingCard(f, experiments, kind, query, pending));
  for (const p of pending) await chart(p.name, p.el, p.draw());
  ready();
}
