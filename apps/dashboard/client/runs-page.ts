/** The All runs page (`#/runs`): every run of the store in one sortable table, across experiments, filtered like an experiment's runs. */
import { RANKED_KEYS, shortLabel, type ExperimentView } from "../src/site-data.js";
import { h } from "./dom.js";
import { runFilterBar } from "./filter-bar.js";
import { valueText } from "./format.js";
import { experimentHash, ready, setView } from "./pages.js";
import { applyRunQuery, filterParams, readRunQuery } from "./run-filter.js";
import { storeAxes, storeRuns, type StoreRun } from "./store-runs.js";
import { metricColumn, mlflowLink, outcomeColumns, progressColumns, sortableTable, type Column } from "./widgets.js";

const app = document.getElementById("app")!;

export function runsHash(query?: URLSearchParams): string {
  const text = query?.toString() ?? "";
  return `#/runs${text === "" ? "" : `?${text}`}`;
}

/** The final metrics the table shows when some run has them: sample quality, coverage of the real digits, the class measures. */
const TABLE_METRICS = ["fid_lite", "kid", "density", "coverage", "modes", "kl_uniform", "is_lite"] as const satisfies readonly (typeof RANKED_KEYS)[number][];

/** A run's varied values in the store's axis order (seed last): `activation=elu · seed=3`. */
export function variedText(r: StoreRun, axes: readonly string[]): string {
  return axes.filter((a) => a in r.varied).map((a) => `${a}=${valueText(r.varied[a])}`).join(" · ");
}

function columns(runs: readonly StoreRun[], axes: readonly string[], query: URLSearchParams): Column<StoreRun>[] {
  const link = filterParams(query);
  return [
    {
      key: "experiment",
      title: "experiment",
      value: (r) => r.experiment,
      cell: (r) =>
        h(
          "span",
          {},
          h("a", { href: experimentHash(r.experiment, link) }, r.experiment),
          r.alsoIn.length > 0 ? h("span", { class: "also-in muted", title: "the same run (config and run id), reused by these experiments" }, `also in ${r.alsoIn.join(", ")}`) : null,
        ),
      numeric: false,
    },
    { key: "run", title: "run", value: (r) => r.runId, cell: (r) => h("span", {}, h("code", {}, r.runId), mlflowLink(r)), numeric: false },
    {
      key: "varied",
      title: "varied hyperparameters",
      // Sorted as text, numbers within it as numbers: runs of one config sit together.
      value: (r) => variedText(r, axes),
      // The reader ships a run's varied values only; what its experiment fixed is in the experiment's description and the run's config.json.
      cell: (r) => h("span", { class: "varied" }, variedText(r, axes) || h("span", { class: "muted" }, "nothing varied")),
      numeric: false,
    },
    ...outcomeColumns<StoreRun>(),
    ...TABLE_METRICS.filter((k) => runs.some((r) => r.final[k] !== undefined)).map((k) => metricColumn<StoreRun>(k, "final", shortLabel(k))),
    ...progressColumns<StoreRun>(),
  ];
}

export function renderAllRuns(experiments: readonly ExperimentView[], query: URLSearchParams): void {
  setView("runs", "/ ", h("a", { href: runsHash() }, "all runs"));
  document.title = "ganscope · all runs";
  const all = storeRuns(experiments);
  const shown = applyRunQuery(all, readRunQuery(query));
  const reused = all.filter((r) => r.alsoIn.length > 0).length;
  app.append(
    h("h1", {}, "All runs"),
    h(
      "p",
      { class: "muted" },
      `${all.length} runs in ${experiments.length} experiment(s), one row each with its experiment, varied hyperparameters, verdict and final metrics. Click a column to sort.`,
      reused > 0 ? ` ${reused} run(s) reused by another experiment (same config, same run id) are listed once, under the experiment that trained them.` : "",
    ),
    runFilterBar(all, shown.length, query, runsHash),
  );
  if (all.length === 0) app.append(h("p", { class: "empty" }, "No runs in the store yet."));
  else if (shown.length === 0) app.append(h("p", { class: "empty" }, "No run matches the filter."));
  else app.append(sortableTable("all-runs", columns(all, storeAxes(experiments), query), shown, (r) => ({ "data-run": r.runId, "data-experiment": r.experiment })));
  ready();
}
