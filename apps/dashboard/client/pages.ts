/** The pages: experiments, one experiment, runs compared (the Findings page is findings-page.ts). */
import { TRAINING_KEYS, type ExperimentView, type FixedRecordKey, type RunView, type SiteIndex } from "../src/site-data.js";
import { BAND_KINDS, type BandKind } from "@ganscope/findings/seed-summary";
import { BAND_LABELS, SEED_AXIS, bandOverSeeds, groupBySeeds, groupedRun, type RunGroup } from "./aggregate.js";
import { bandOption, type BandCurve } from "./band-options.js";
import { chart, currentCharts, disposeCharts } from "./charts.js";
import { classOption, classShares, curveOption, hyperOption, summaryMetricChoices } from "./chart-options.js";
import { runStyles, type RunStyle } from "./colours.js";
import { h, type Child } from "./dom.js";
import { fmt, fmtSecs, label, runLabel } from "./format.js";
import { studyTable } from "./findings-widgets.js";
import { runFilterBar } from "./filter-bar.js";
import { parallelSection } from "./parallel-section.js";
import { applyRunQuery, readRunQuery } from "./run-filter.js";
import { chartBox, gridCard, groupTable, mlflowLink, runTable, select, stateBadge, verdictBadge, verdictClass } from "./widgets.js";

const TRAINING: readonly string[] = TRAINING_KEYS;

export function experimentHash(name: string, query?: URLSearchParams): string {
  return `#/e/${encodeURIComponent(name)}${queryText(query)}`;
}

export function compareHash(name: string, runIds: readonly string[], query?: URLSearchParams): string {
  return `#/e/${encodeURIComponent(name)}/compare/${runIds.map(encodeURIComponent).join(",")}${queryText(query)}`;
}

function queryText(query: URLSearchParams | undefined): string {
  const text = query?.toString() ?? "";
  return text === "" ? "" : `?${text}`;
}

/**
 * Grouping over seeds, as the URL says (`?seeds=grouped&band=ci95`), so a
 * link reproduces the view: runs that differ only in seed become one row and
 * one curve (mean and band, n shown).
 */
export interface SeedView {
  grouped: boolean;
  band: BandKind;
}

export function seedViewOf(query: URLSearchParams): SeedView {
  return { grouped: query.get("seeds") === "grouped", band: BAND_KINDS.find((k) => k === query.get("band")) ?? "ci95" };
}

/** The toggle and, when grouped, the band's kind; each change rewrites the hash (the router redraws). */
function seedToolbar(query: URLSearchParams, hashFor: (q: URLSearchParams) => string, runs: readonly RunView[]): HTMLElement {
  const view = seedViewOf(query);
  const box = h("input", { type: "checkbox", id: "group-seeds" }) as HTMLInputElement;
  box.checked = view.grouped;
  box.addEventListener("change", () => {
    const q = new URLSearchParams(query);
    if (box.checked) q.set("seeds", "grouped");
    else q.delete("seeds");
    location.hash = hashFor(q);
  });
  const groups = groupBySeeds(runs);
  const seeds = new Set(runs.map((r) => r.varied[SEED_AXIS] ?? null));
  return h(
    "div",
    { class: "toolbar seed-toolbar" },
    h("label", { title: "runs that differ only in seed collapse into one row and one curve" }, box, ` group runs over seeds (${groups.length} group(s) of ${runs.length} runs, ${seeds.size} seed(s))`),
    view.grouped
      ? h(
          "label",
          {},
          "band ",
          select("band-kind", BAND_KINDS.map((k) => ({ value: k, text: BAND_LABELS[k] })), view.band, (v) => {
            const q = new URLSearchParams(query);
            q.set("band", v);
            location.hash = hashFor(q);
          }),
        )
      : null,
  );
}

/** Band curves of a key over each group, styled like the group's runs would be. */
function groupCurves(groups: readonly RunGroup[], key: string, axes: readonly string[], styles: Map<string, RunStyle>, band: BandKind): BandCurve[] {
  return groups.map((g) => {
    const st = styles.get(g.key)!;
    return { name: `${runLabel(groupedRun(g), axes)} (n = ${g.runs.length})`, color: st.color, dash: st.dash, points: bandOverSeeds(g.runs, key, band) };
  });
}

const app = document.getElementById("app")!;
const crumbs = document.getElementById("crumbs")!;
const footer = document.getElementById("footer")!;

export function setView(view: string, ...breadcrumbs: Child[]): void {
  disposeCharts();
  app.replaceChildren();
  crumbs.replaceChildren(...breadcrumbs.filter((c): c is Node | string => c !== null && c !== undefined && c !== false).map((c) => (typeof c === "number" ? String(c) : c)));
  document.documentElement.dataset.view = view;
  delete document.documentElement.dataset.ready;
  window.__ganscope = { view, get charts() { return currentCharts(); } };
}

export function ready(): void {
  document.documentElement.dataset.ready = "1";
  // Which link this view answers: a test (or script) waiting on a hash change waits for this to catch up.
  document.documentElement.dataset.hash = location.hash;
}

export function renderIndex(index: SiteIndex): void {
  setView("experiments");
  document.title = "ganscope · experiments";
  if (index.studies.length > 0) app.append(h("h1", {}, "Findings"), studyTable(index));
  app.append(h("h1", {}, "Experiments"));
  // No count on the link: the experiments' run counts add reused runs twice, the table lists them once.
  if (index.experiments.length > 0) {
    app.append(h("p", {}, h("a", { href: "#/runs", id: "all-runs-link" }, "All runs in one table →"), h("span", { class: "muted" }, " every experiment's runs side by side, sortable and filtered by verdict or metric")));
  }
  if (index.experiments.length === 0) {
    app.append(
      h(
        "div",
        { class: "empty", "data-empty": "1" },
        h("p", {}, h("strong", {}, "No experiments in the run store yet.")),
        h("p", {}, "Train one, then rebuild: ", h("code", {}, "npx nx run runner:exp --file=experiments/quickstart.exp.ts"), " then ", h("code", {}, "npx nx run dashboard:build"), "."),
      ),
    );
  } else {
    const rows = index.experiments.map((e) => {
      const verdicts = Object.entries(e.verdicts).sort((a, b) => b[1] - a[1]);
      return h(
        "tr",
        { "data-experiment": e.name },
        h("td", {}, h("a", { href: experimentHash(e.name) }, e.name)),
        h("td", { class: "desc-cell" }, e.description || h("span", { class: "muted" }, "—")),
        h("td", { class: "num" }, e.runCount, e.inPlanCount < e.runCount ? h("span", { class: "muted", title: "runs of earlier plans still in the store" }, ` (${e.inPlanCount} in the latest plan)`) : null),
        h("td", { class: "num", "data-count": "done" }, e.counts.done),
        h("td", { class: "num", "data-count": "running" }, e.counts.running + e.counts.interrupted, e.counts.interrupted ? h("span", { class: "muted", title: "interrupted: killed, will resume" }, ` (${e.counts.interrupted} interrupted)`) : null),
        h("td", { class: "num", "data-count": "failed" }, e.counts.failed),
        h("td", { class: "num" }, e.counts.pending),
        h(
          "td",
          {},
          verdicts.length === 0
            ? h("span", { class: "muted" }, "—")
            : h("span", { class: "chips" }, ...verdicts.map(([v, n]) => h("span", { class: `badge ${verdictClass(v)}`, "data-verdict": v }, `${v.replace(/_/g, " ")} ${n}`))),
        ),
      );
    });
    app.append(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data", id: "experiments" },
          h("thead", {}, h("tr", {}, ...["experiment", "description", "runs", "done", "running", "failed", "pending", "verdicts"].map((t) => h("th", {}, t)))),
          h("tbody", {}, ...rows),
        ),
      ),
    );
  }
  if (index.warnings.length > 0) {
    app.append(h("h2", {}, "Warnings"), h("ul", { class: "warnings" }, ...index.warnings.map((w) => h("li", {}, w))));
  }
  ready();
}

function experimentHeader(exp: ExperimentView): HTMLElement {
  const counts = { done: 0, stopped: 0, running: 0, interrupted: 0, failed: 0, pending: 0 };
  for (const r of exp.runs) counts[r.state]++;
  return h(
    "section",
    {},
    h("h1", {}, exp.name),
    exp.description ? h("p", { class: "desc" }, exp.description) : null,
    h(
      "div",
      { class: "meta" },
      h("span", {}, `${exp.runs.length} runs in the store: ${counts.done} done, ${counts.stopped} stopped early, ${counts.running} running, ${counts.interrupted} interrupted, ${counts.failed} failed, ${counts.pending} pending`),
      h("span", {}, `varied: ${exp.axes.length ? exp.axes.join(" × ") : "nothing"}`),
      exp.file ? h("span", {}, "latest plan: ", h("code", {}, exp.file)) : null,
      exp.createdAt ? h("span", {}, `planned ${exp.createdAt.replace("T", " ").slice(0, 16)}`) : null,
    ),
  );
}

/** Which runs of the store the experiment page shows: all, the latest plan's or earlier plans'; from every file or one. */
export interface RunFilter {
  plan: "all" | "latest" | "earlier";
  file: string;
}

export function filterRuns(exp: ExperimentView, f: RunFilter): ExperimentView {
  const runs = exp.runs.filter(
    (r) => (f.plan === "all" || (f.plan === "latest") === r.inPlan) && (f.file === "" || (r.file ?? exp.file) === f.file),
  );
  return { ...exp, runs };
}

let runFilter: RunFilter = { plan: "all", file: "" };

function filterBar(exp: ExperimentView, onChange: () => void): HTMLElement | null {
  const earlier = exp.runs.filter((r) => !r.inPlan).length;
  if (earlier === 0 && exp.files.length <= 1) return null;
  const latest = exp.runs.length - earlier;
  return h(
    "div",
    { class: "toolbar", id: "run-filter" },
    h(
      "label",
      {},
      "runs ",
      select(
        "filter-plan",
        [
          { value: "all", text: `every run in the store (${exp.runs.length})` },
          { value: "latest", text: `latest plan (${latest})` },
          { value: "earlier", text: `earlier plans (${earlier})` },
        ],
        runFilter.plan,
        (v) => ((runFilter = { ...runFilter, plan: v as RunFilter["plan"] }), onChange()),
      ),
    ),
    exp.files.length > 1
      ? h("label", {}, "file ", select("filter-file", [{ value: "", text: "any file" }, ...exp.files.map((f) => ({ value: f, text: f }))], runFilter.file, (v) => ((runFilter = { ...runFilter, file: v }), onChange())))
      : null,
  );
}

export async function renderExperiment(full: ExperimentView, query: URLSearchParams = new URLSearchParams()): Promise<void> {
  setView("experiment", "/ ", h("a", { href: experimentHash(full.name) }, full.name));
  document.title = `ganscope · ${full.name}`;
  if (!full.files.includes(runFilter.file)) runFilter = { ...runFilter, file: "" };
  const planned = filterRuns(full, runFilter);
  // The verdict and metric filter (in the link) narrows every view of the page: tables, charts and grids.
  const exp = { ...planned, runs: applyRunQuery(planned.runs, readRunQuery(query)) };
  const seedView = seedViewOf(query);
  const groups = groupBySeeds(exp.runs);
  // Grouped, the seed is what is collapsed: labels and colours follow the other axes.
  const axes = seedView.grouped ? exp.axes.filter((a) => a !== SEED_AXIS) : exp.axes;
  const groupRuns = groups.map(groupedRun);
  app.append(experimentHeader(full));
  const bar = filterBar(full, () => void renderExperiment(full, query));
  if (bar) app.append(bar);
  app.append(runFilterBar(planned.runs, exp.runs.length, query, (q) => experimentHash(full.name, q)));
  app.append(seedToolbar(query, (q) => experimentHash(full.name, q), exp.runs));

  const selected = new Set<string>();
  const compareBtn = h("button", { type: "button", id: "compare-btn", disabled: true }, "Compare selected") as HTMLButtonElement;
  const onSelect = () => {
    compareBtn.disabled = selected.size === 0;
    compareBtn.textContent = `Compare selected (${selected.size}${seedView.grouped ? " runs" : ""})`;
  };
  compareBtn.addEventListener("click", () => {
    location.hash = compareHash(exp.name, exp.runs.filter((r) => selected.has(r.runId)).map((r) => r.runId), seedView.grouped ? query : undefined);
  });
  app.append(
    h("h2", {}, seedView.grouped ? "Runs, grouped over seeds" : "Runs"),
    h(
      "div",
      { class: "toolbar" },
      compareBtn,
      h("span", { class: "muted" }, seedView.grouped ? `One row per config: the mean over its seeds and its ${BAND_LABELS[seedView.band]} (hover a value for the interval); tick groups to compare their runs.` : "Click a column to sort; tick runs to compare them."),
    ),
    seedView.grouped ? groupTable(exp, groups, seedView.band, selected, onSelect) : runTable(exp, selected, onSelect),
  );
  if (exp.runs.length === 0) {
    app.append(h("p", { class: "empty" }, full.runs.length === 0 ? "This plan has no runs." : "No run matches the filter."));
    ready();
    return;
  }

  // Loss curves, colour-coded by a varied value.
  let colourAxis = axes[0];
  const curvesHost = h("div", { class: "charts" });
  const lossD = chartBox("D loss", "d_loss");
  const lossG = chartBox("G loss", "g_loss");
  const otherKeys = exp.metricKeys.filter((k) => k !== "d_loss" && k !== "g_loss");
  let otherKey = otherKeys.find((k) => !TRAINING.includes(k)) ?? otherKeys.find((k) => k === "d_fake") ?? otherKeys[0];
  const otherSelect = otherKeys.length
    ? select("other-metric", otherKeys.map((k) => ({ value: k, text: label(k) })), otherKey, (v) => {
        otherKey = v;
        void drawCurves();
      })
    : null;
  const other = chartBox("over epochs", "other", [otherSelect]);
  curvesHost.append(lossD.box, lossG.box, ...(otherKey ? [other.box] : []));
  const colourSelect =
    axes.length > 1
      ? select("colour-axis", axes.map((a) => ({ value: a, text: a })), colourAxis, (v) => {
          colourAxis = v;
          void drawCurves();
        })
      : null;
  const curveHint = axes.length > 1 ? "line style follows the other varied value; scroll on a chart to zoom" : axes.length === 1 ? `colour follows ${axes[0]}; scroll on a chart to zoom` : "scroll on a chart to zoom";
  app.append(
    h("h2", {}, "Training curves"),
    h(
      "div",
      { class: "toolbar" },
      colourSelect ? h("label", {}, "colour by ", colourSelect) : null,
      h("span", { class: "muted" }, seedView.grouped ? `mean over seeds with the ${BAND_LABELS[seedView.band]} shaded; ${curveHint}` : curveHint),
    ),
    curvesHost,
  );
  const drawCurves = async () => {
    const dashAxis = axes.find((a) => a !== colourAxis);
    if (seedView.grouped) {
      const styles = runStyles(groupRuns, colourAxis, dashAxis);
      const draw = (key: string) => bandOption(groupCurves(groups, key, axes, styles, seedView.band), BAND_LABELS[seedView.band]);
      await chart("d_loss", lossD.el, draw("d_loss"));
      await chart("g_loss", lossG.el, draw("g_loss"));
      if (otherKey) await chart("other", other.el, draw(otherKey));
      return;
    }
    const styles = runStyles(exp.runs, colourAxis, dashAxis);
    await chart("d_loss", lossD.el, curveOption(exp.runs, "d_loss", axes, styles));
    await chart("g_loss", lossG.el, curveOption(exp.runs, "g_loss", axes, styles));
    if (otherKey) await chart("other", other.el, curveOption(exp.runs, otherKey, axes, styles));
  };

  // Metric vs hyperparameter: a line for one axis, a heatmap for two.
  const choices = summaryMetricChoices(exp);
  let choice = choices.find((c) => c.value === "final:fid_lite")?.value ?? choices.find((c) => c.value === "final:d_loss")?.value ?? choices[0]?.value;
  let xAxis = axes[0];
  let yAxis = axes[1];
  const hyperHost = h("div", { class: "charts" });
  if (axes.length === 0 || !choice) {
    hyperHost.append(h("p", { class: "muted" }, axes.length === 0 ? "Nothing is varied in this experiment." : "No run has recorded an epoch yet."));
  }
  const hyper = chartBox("", "hyper", [], true);
  const drawHyper = async () => {
    if (!choice || !xAxis) return;
    await chart("hyper", hyper.el, hyperOption(exp, choice, xAxis, yAxis));
  };
  if (axes.length > 0 && choice) {
    const axisOptions = axes.map((a) => ({ value: a, text: a }));
    const controls = h(
      "div",
      { class: "toolbar" },
      h("label", {}, "metric ", select("hyper-metric", choices, choice, (v) => ((choice = v), void drawHyper()))),
      h("label", {}, axes.length > 1 ? "x " : "against ", select("hyper-x", axisOptions, xAxis, (v) => ((xAxis = v), void drawHyper()))),
      axes.length > 1
        ? h("label", {}, "y ", select("hyper-y", [{ value: "", text: "(none: line)" }, ...axisOptions], yAxis, (v) => ((yAxis = v === "" ? undefined : v), void drawHyper())))
        : null,
    );
    hyperHost.append(hyper.box);
    app.append(h("h2", {}, "Metric vs hyperparameter"), controls, hyperHost);
  } else {
    app.append(h("h2", {}, "Metric vs hyperparameter"), hyperHost);
  }

  // Parallel coordinates: each run through its varied values and final metrics, coloured by verdict.
  const parallel = parallelSection(exp, query, (q) => experimentHash(full.name, q));
  app.append(parallel.el);

  // Class histogram, when the metrics lib evaluated the runs (grouped: the mean share over each config's seeds).
  const classSource = seedView.grouped ? groupRuns : exp.runs;
  const classRuns = classSource.filter((r) => classShares(r) !== undefined);
  const classes = chartBox(seedView.grouped ? "share of samples per digit, last evaluation, mean over seeds" : "share of samples per digit, last evaluation", "classes");
  if (classRuns.length > 0) {
    classes.el.style.height = `${Math.max(200, 70 + 26 * classRuns.length)}px`;
    app.append(h("h2", {}, "Digits generated"), h("div", { class: "charts" }, classes.box));
  }

  // Sample grids; grouped, each config's seeds side by side.
  app.append(
    h("h2", {}, "Sample grids"),
    h("p", { class: "muted" }, "Nine rows of generated digits from fixed noise; the bottom row is real digits. Step through the saved epochs under each grid; click a grid to enlarge it."),
  );
  if (seedView.grouped) {
    app.append(
      h(
        "div",
        { id: "grids" },
        ...groups.map((g, i) =>
          h(
            "section",
            { class: "grid-group", "data-group": g.key },
            h("h3", {}, `${runLabel(groupRuns[i]!, axes)} `, h("span", { class: "muted" }, `n = ${g.runs.length}, seeds ${g.seeds.map(String).join(", ")}`)),
            h("div", { class: "grids" }, ...g.runs.map((r) => gridCard(r, `seed ${String(r.varied[SEED_AXIS] ?? "—")}`))),
          ),
        ),
      ),
    );
  } else {
    app.append(h("div", { class: "grids", id: "grids" }, ...exp.runs.map((r) => gridCard(r, runLabel(r, exp.axes)))));
  }

  await drawCurves();
  await drawHyper();
  await parallel.draw();
  if (classRuns.length > 0) await chart("classes", classes.el, classOption(classSource, axes));
  ready();
}

export async function renderCompare(exp: ExperimentView, runIds: readonly string[], query: URLSearchParams = new URLSearchParams()): Promise<void> {
  setView(
    "compare",
    "/ ",
    h("a", { href: experimentHash(exp.name) }, exp.name),
    " / compare",
  );
  document.title = `ganscope · ${exp.name} · compare`;
  const picked = new Set(runIds.filter((id) => exp.runs.some((r) => r.runId === id)));
  const runs = exp.runs.filter((r) => picked.has(r.runId));
  const seedView = seedViewOf(query);
  app.append(h("h1", {}, `Compare runs of ${exp.name}`));
  app.append(seedToolbar(query, (q) => compareHash(exp.name, [...picked], q), runs));

  // Picking here rewrites the hash, so a comparison is a link one can share.
  const picker = h(
    "div",
    { class: "picker", id: "picker" },
    ...exp.runs.map((r) => {
      const box = h("input", { type: "checkbox", "data-pick": r.runId }) as HTMLInputElement;
      box.checked = picked.has(r.runId);
      box.addEventListener("change", () => {
        if (box.checked) picked.add(r.runId);
        else picked.delete(r.runId);
        location.hash = compareHash(exp.name, exp.runs.filter((x) => picked.has(x.runId)).map((x) => x.runId), query);
      });
      return h("label", {}, box, " ", runLabel(r, exp.axes), " ", h("code", {}, r.runId));
    }),
  );
  app.append(picker);
  if (runs.length === 0) {
    app.append(h("p", { class: "empty" }, "Pick runs above to compare them."));
    ready();
    return;
  }

  // Distinct colours per run here: the point is telling a handful apart.
  const styles = runStyles(runs, undefined, undefined);
  // The record schema's keys (a key it lacks fails to compile here).
  const metrics = (["fid_lite", "modes", "kl_uniform", "is_lite", "d_loss", "g_loss", "d_real", "d_fake"] as const satisfies readonly FixedRecordKey[]).filter((k) => runs.some((r) => r.final[k] !== undefined));
  const groups = groupBySeeds(runs);
  const groupRuns = groups.map(groupedRun);
  const axes = seedView.grouped ? exp.axes.filter((a) => a !== SEED_AXIS) : exp.axes;
  if (seedView.grouped) app.append(h("h2", {}, "Final values, grouped over seeds"), groupTable({ ...exp, runs }, groups, seedView.band, undefined, () => undefined));
  else app.append(
    h("h2", {}, "Final values"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data", id: "compare-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "run"), h("th", {}, "state"), h("th", {}, "verdict"), ...metrics.map((k) => h("th", {}, label(k))), h("th", {}, "epochs"), h("th", {}, "wall time"))),
        h(
          "tbody",
          {},
          ...runs.map((r) =>
            h(
              "tr",
              { "data-run": r.runId },
              h("td", {}, h("span", { class: "badge", style: `background:${styles.get(r.runId)!.color};color:#fff` }, runLabel(r, exp.axes)), mlflowLink(r)),
              h("td", {}, stateBadge(r)),
              h("td", {}, verdictBadge(r)),
              ...metrics.map((k) => h("td", { class: "num" }, fmt(r.final[k]))),
              h("td", { class: "num" }, `${r.epochsDone}${r.epochs !== null ? ` / ${r.epochs}` : ""}`),
              h("td", { class: "num" }, fmtSecs(r.wallSecs)),
            ),
          ),
        ),
      ),
    ),
  );
  // The metrics lib's reasons, in full: the evidence behind each badge.
  const why = runs.filter((r) => r.verdict?.evidence || r.note);
  if (why.length > 0) {
    app.append(
      h(
        "ul",
        { class: "why", id: "why" },
        ...why.map((r) => h("li", {}, h("strong", {}, runLabel(r, exp.axes)), ": ", r.verdict ? `${r.verdict.label.replace(/_/g, " ")} — ${r.verdict.evidence ?? ""}` : "", r.note ? ` (${r.note})` : "")),
      ),
    );
  }

  const lossD = chartBox("D loss", "d_loss");
  const lossG = chartBox("G loss", "g_loss");
  const extra = exp.metricKeys.includes("fid_lite") ? chartBox("FID-lite", "fid_lite") : null;
  const classes = runs.some((r) => classShares(r) !== undefined) ? chartBox("share of samples per digit, last evaluation", "classes") : null;
  if (classes) classes.el.style.height = `${Math.max(200, 70 + 26 * runs.length)}px`;
  app.append(h("h2", {}, "Curves"), h("div", { class: "charts" }, lossD.box, lossG.box, extra?.box, classes?.box));
  app.append(h("h2", {}, "Final sample grids"), h("div", { class: "grids compare-grids", id: "grids" }, ...runs.map((r) => gridCard(r, runLabel(r, exp.axes)))));

  if (seedView.grouped) {
    const gStyles = runStyles(groupRuns, undefined, undefined);
    const draw = (key: string) => bandOption(groupCurves(groups, key, axes, gStyles, seedView.band), BAND_LABELS[seedView.band]);
    await chart("d_loss", lossD.el, draw("d_loss"));
    await chart("g_loss", lossG.el, draw("g_loss"));
    if (extra) await chart("fid_lite", extra.el, draw("fid_lite"));
    if (classes) await chart("classes", classes.el, classOption(groupRuns, axes));
  } else {
    await chart("d_loss", lossD.el, curveOption(runs, "d_loss", exp.axes, styles));
    await chart("g_loss", lossG.el, curveOption(runs, "g_loss", exp.axes, styles));
    if (extra) await chart("fid_lite", extra.el, curveOption(runs, "fid_lite", exp.axes, styles));
    if (classes) await chart("classes", classes.el, classOption(runs, exp.axes));
  }
  ready();
}

export function renderError(message: string): void {
  setView("error");
  app.append(h("div", { class: "empty" }, h("p", {}, h("strong", {}, message)), h("p", {}, h("a", { href: "#/" }, "Back to the experiments"))));
  ready();
}
