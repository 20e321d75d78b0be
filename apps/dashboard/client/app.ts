/**
 * The dashboard's browser code. Runs as a classic script (build-site.ts
 * transpiles it and wraps it in a function): pages opened from disk may not
 * load modules. Routes live in the hash so every view works from file://:
 *   #/                          experiments
 *   #/e/<name>                  one experiment
 *   #/e/<name>/compare/<a,b,…>  runs side by side
 */
import type { ExperimentView, RunDisplayState, RunView, SiteIndex } from "../src/site-data.js";

type EChartsModule = typeof import("echarts");
type ECharts = import("echarts").ECharts;
type EChartsOption = import("echarts").EChartsOption;

declare global {
  interface Window {
    GANSCOPE_INDEX?: SiteIndex;
    GANSCOPE_EXPERIMENTS?: Record<string, ExperimentView>;
    echarts?: EChartsModule;
    /** For tests and the curious: the charts on the current view, by name. */
    __ganscope?: { view: string; charts: Record<string, ECharts> };
  }
}

const TRAINING = ["d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"];
const HIGHER_IS_BETTER = new Set(["is_lite", "modes", "modes_covered", "diversity", "diversity_ratio", "accuracy"]);
const METRIC_LABELS: Record<string, string> = {
  d_loss: "D loss",
  g_loss: "G loss",
  d_real: "D(x)",
  d_fake: "D(G(z))",
  d_grad_norm: "D grad norm",
  g_grad_norm: "G grad norm",
  fid_lite: "FID-lite",
  modes: "modes covered",
  modes_covered: "modes covered",
  kl_uniform: "KL to uniform",
  is_lite: "IS-lite",
  max_class_share: "largest class share",
  diversity: "diversity ratio",
  collapsed: "collapsed (0/1)",
};
const STATE_LABELS: Record<RunDisplayState, string> = {
  done: "done",
  running: "running",
  interrupted: "interrupted",
  failed: "failed",
  pending: "pending",
};
/** Distinct colours for unordered values and for the compare view (Tableau 10). */
const CATEGORICAL = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
/** Viridis stops, for ordered (numeric) values: low = purple, high = yellow-green. The lightest end is cut so lines stay visible on white. */
const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b"];
const DASHES: (string | number[])[] = ["solid", "dashed", "dotted", [10, 4, 2, 4]];

// ---------------------------------------------------------------- helpers

type Child = Node | string | number | null | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === "class") el.className = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === "number" ? String(c) : c);
  return el;
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1000) return v.toFixed(0);
  if (a >= 0.001) return String(Number(v.toPrecision(4)));
  if (a >= 1e-6) return String(Number(v.toPrecision(3)));
  return v.toExponential(2);
}

function fmtSecs(s: number | null): string {
  if (s === null) return "—";
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.round((s % 3600) / 60)).padStart(2, "0")}m`;
}

function label(key: string): string {
  return METRIC_LABELS[key] ?? key;
}

/** A varied value as the experiment file wrote it (0.0002, not 2.00e-4: it names the run). */
function valueText(v: unknown): string {
  return v === null || v === undefined ? "—" : String(v);
}

function runLabel(run: RunView, axes: readonly string[]): string {
  if (axes.length === 0) return run.runId;
  return axes.map((a) => `${a}=${valueText(run.varied[a])}`).join(" · ");
}

function stateBadge(run: RunView): HTMLElement {
  return h("span", { class: `badge state-${run.state}`, "data-state": run.state, title: run.note }, STATE_LABELS[run.state]);
}

const KNOWN_VERDICTS = new Set(["converged", "no_digits", "mode_collapse", "vanishing_gradients", "diverged", "not_converged"]);

function verdictBadge(run: RunView): HTMLElement | string {
  if (!run.verdict) return "—";
  const v = run.verdict.label;
  return h(
    "span",
    { class: `badge verdict verdict-${KNOWN_VERDICTS.has(v) ? v : "other"}`, "data-verdict": v, title: run.verdict.evidence },
    v.replace(/_/g, " "),
  );
}

function experimentHash(name: string): string {
  return `#/e/${encodeURIComponent(name)}`;
}

function compareHash(name: string, runIds: readonly string[]): string {
  return `${experimentHash(name)}/compare/${runIds.map(encodeURIComponent).join(",")}`;
}

const scriptLoads = new Map<string, Promise<void>>();

/** Loads a script once; data and echarts come in this way because file:// pages may not fetch(). */
function loadScript(src: string): Promise<void> {
  let p = scriptLoads.get(src);
  if (!p) {
    p = new Promise<void>((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = () => resolve();
      s.onerror = () => {
        scriptLoads.delete(src);
        reject(new Error(`could not load ${src}`));
      };
      document.head.append(s);
    });
    scriptLoads.set(src, p);
  }
  return p;
}

async function echartsLib(): Promise<EChartsModule> {
  if (!window.echarts) await loadScript("vendor/echarts.min.js");
  return window.echarts!;
}

// ---------------------------------------------------------------- colours

function isNumeric(values: readonly unknown[]): boolean {
  return values.length > 0 && values.every((v) => typeof v === "number");
}

function sortedDistinct(values: readonly unknown[]): unknown[] {
  const distinct = [...new Set(values.map((v) => (v === undefined ? null : v)))];
  return isNumeric(distinct) ? (distinct as number[]).sort((a, b) => a - b) : distinct.sort((a, b) => String(a).localeCompare(String(b)));
}

function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  const mix = (o: number) => Math.round(parseInt(a.slice(o, o + 2), 16) * (1 - f) + parseInt(b.slice(o, o + 2), 16) * f);
  return `rgb(${mix(1)}, ${mix(3)}, ${mix(5)})`;
}

interface RunStyle {
  color: string;
  dash: string | number[];
}

/**
 * Colour by one varied axis (sequential for numbers, categorical otherwise),
 * dash by another, so a 4×4 grid stays readable: same colour = same value of
 * the chosen axis.
 */
function runStyles(runs: readonly RunView[], colourAxis: string | undefined, dashAxis: string | undefined): Map<string, RunStyle> {
  const styles = new Map<string, RunStyle>();
  const colourValues = colourAxis ? sortedDistinct(runs.map((r) => r.varied[colourAxis])) : [];
  const dashValues = dashAxis ? sortedDistinct(runs.map((r) => r.varied[dashAxis])) : [];
  const numeric = isNumeric(colourValues);
  runs.forEach((r, i) => {
    let color: string;
    if (!colourAxis) color = CATEGORICAL[i % CATEGORICAL.length]!;
    else {
      const k = colourValues.indexOf(r.varied[colourAxis] ?? null);
      color = numeric ? viridis(colourValues.length > 1 ? k / (colourValues.length - 1) : 0.5) : CATEGORICAL[k % CATEGORICAL.length]!;
    }
    const d = dashAxis ? dashValues.indexOf(r.varied[dashAxis] ?? null) : 0;
    styles.set(r.runId, { color, dash: DASHES[Math.max(0, d) % DASHES.length]! });
  });
  return styles;
}

// ---------------------------------------------------------------- charts

let charts: Record<string, ECharts> = {};

function disposeCharts(): void {
  for (const c of Object.values(charts)) c.dispose();
  charts = {};
}

window.addEventListener("resize", () => {
  for (const c of Object.values(charts)) c.resize();
});

async function chart(name: string, el: HTMLElement, option: EChartsOption): Promise<ECharts> {
  const ec = await echartsLib();
  let c = charts[name];
  if (c && c.getDom() !== el) {
    c.dispose();
    c = undefined;
  }
  c ??= ec.init(el, undefined, { renderer: "canvas" });
  c.setOption(option, { notMerge: true });
  charts[name] = c;
  el.dataset.chart = name;
  return c;
}

function pairs(run: RunView, key: string): [number, number][] {
  const s = run.series[key];
  if (!s) return [];
  const xs = s.x ?? run.epochs_x;
  const out: [number, number][] = [];
  s.y.forEach((y, i) => {
    const x = xs[i];
    if (y !== null && x !== undefined) out.push([x, y]);
  });
  return out;
}

function emptyGraphic(text: string): EChartsOption["graphic"] {
  return { type: "text", left: "center", top: "middle", style: { text, fill: "#66717c", fontSize: 13 } };
}

function curveOption(runs: readonly RunView[], key: string, axes: readonly string[], styles: Map<string, RunStyle>): EChartsOption {
  const series = runs
    .map((r) => ({ r, data: pairs(r, key) }))
    .filter(({ data }) => data.length > 0)
    .map(({ r, data }) => {
      const st = styles.get(r.runId)!;
      return {
        type: "line" as const,
        name: runLabel(r, axes),
        data,
        // Few points: show them, or a one-epoch run draws nothing.
        showSymbol: data.length < 12,
        symbolSize: 5,
        sampling: "lttb" as const,
        lineStyle: { color: st.color, type: st.dash as "solid", width: 1.6 },
        itemStyle: { color: st.color },
        emphasis: { focus: "series" as const },
      };
    });
  return {
    animation: false,
    color: runs.map((r) => styles.get(r.runId)!.color),
    tooltip: { trigger: "axis", confine: true, valueFormatter: (v) => fmt(Number(v)) },
    legend: { type: "scroll", top: 0, textStyle: { fontSize: 11 } },
    grid: { left: 56, right: 18, top: 34, bottom: 40 },
    xAxis: { type: "value", name: "epoch", nameLocation: "middle", nameGap: 24, minInterval: 1, min: "dataMin", max: "dataMax" },
    // The chart's title names the metric; a y-axis name would sit under the legend.
    yAxis: { type: "value", scale: true },
    dataZoom: [{ type: "inside" }],
    series,
    ...(series.length === 0 ? { graphic: emptyGraphic("no epochs recorded yet") } : {}),
  };
}

// ---------------------------------------------------------------- views

const app = document.getElementById("app")!;
const crumbs = document.getElementById("crumbs")!;
const footer = document.getElementById("footer")!;

function setView(view: string, ...breadcrumbs: Child[]): void {
  disposeCharts();
  app.replaceChildren();
  crumbs.replaceChildren(...breadcrumbs.filter((c): c is Node | string => c !== null && c !== undefined && c !== false).map((c) => (typeof c === "number" ? String(c) : c)));
  document.documentElement.dataset.view = view;
  delete document.documentElement.dataset.ready;
  window.__ganscope = { view, get charts() { return charts; } };
}

function ready(): void {
  document.documentElement.dataset.ready = "1";
}

function renderIndex(index: SiteIndex): void {
  setView("experiments");
  document.title = "ganscope · experiments";
  app.append(h("h1", {}, "Experiments"));
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
        h("td", { class: "num" }, e.runCount),
        h("td", { class: "num", "data-count": "done" }, e.counts.done),
        h("td", { class: "num", "data-count": "running" }, e.counts.running + e.counts.interrupted, e.counts.interrupted ? h("span", { class: "muted", title: "interrupted: killed, will resume" }, ` (${e.counts.interrupted} interrupted)`) : null),
        h("td", { class: "num", "data-count": "failed" }, e.counts.failed),
        h("td", { class: "num" }, e.counts.pending),
        h(
          "td",
          {},
          verdicts.length === 0
            ? h("span", { class: "muted" }, "—")
            : h("span", { class: "chips" }, ...verdicts.map(([v, n]) => h("span", { class: `badge verdict-${KNOWN_VERDICTS.has(v) ? v : "other"}`, "data-verdict": v }, `${v.replace(/_/g, " ")} ${n}`))),
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

interface Column {
  key: string;
  title: string;
  value: (r: RunView) => number | string | null;
  cell: (r: RunView) => Child | Node;
  numeric: boolean;
}

function runColumns(exp: ExperimentView): Column[] {
  const has = (k: string) => exp.runs.some((r) => r.final[k] !== undefined || r.best[k] !== undefined);
  const stateOrder: RunDisplayState[] = ["running", "interrupted", "pending", "failed", "done"];
  const cols: Column[] = [
    { key: "run", title: "run", value: (r) => r.runId, cell: (r) => h("span", {}, h("code", {}, r.runId), r.linkedFrom ? h("span", { class: "muted", title: `same config already trained in ${r.linkedFrom}` }, ` ↪ ${r.linkedFrom}`) : null), numeric: false },
    ...exp.axes.map<Column>((a) => ({
      key: `axis:${a}`,
      title: a,
      value: (r) => (typeof r.varied[a] === "number" ? (r.varied[a] as number) : r.varied[a] === null || r.varied[a] === undefined ? null : String(r.varied[a])),
      cell: (r) => valueText(r.varied[a]),
      numeric: isNumeric(exp.runs.map((r) => r.varied[a])),
    })),
    { key: "state", title: "state", value: (r) => stateOrder.indexOf(r.state), cell: stateBadge, numeric: true },
    { key: "verdict", title: "verdict", value: (r) => r.verdict?.label ?? null, cell: verdictBadge, numeric: false },
  ];
  const metric = (key: string, kind: "final" | "best", title: string): Column => ({
    key: `${kind}:${key}`,
    title,
    value: (r) => r[kind][key] ?? null,
    cell: (r) => fmt(r[kind][key]),
    numeric: true,
  });
  // Short titles keep a 16-run table with every metric within a laptop's width; the header's tooltip says it in full.
  if (has("fid_lite")) cols.push(metric("fid_lite", "final", "FID-lite"), metric("fid_lite", "best", "best FID"));
  const short: Record<string, string> = { modes: "modes", modes_covered: "modes", kl_uniform: "KL(unif)", is_lite: "IS-lite" };
  for (const k of ["modes", "modes_covered", "kl_uniform", "is_lite"]) if (has(k)) cols.push(metric(k, "final", short[k]!));
  cols.push(metric("d_loss", "final", "D loss"), metric("g_loss", "final", "G loss"));
  cols.push(
    { key: "epochs", title: "epochs", value: (r) => r.epochsDone, cell: (r) => `${r.epochsDone}${r.epochs !== null ? ` / ${r.epochs}` : ""}`, numeric: true },
    { key: "wall", title: "wall time", value: (r) => r.wallSecs, cell: (r) => fmtSecs(r.wallSecs), numeric: true },
  );
  return cols;
}

function compareValues(a: number | string | null, b: number | string | null): number {
  // Missing values sort last whichever the direction (handled by the caller).
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

function runTable(exp: ExperimentView, selected: Set<string>, onSelect: () => void): HTMLElement {
  const cols = runColumns(exp);
  const tbody = h("tbody");
  let sortKey: string | undefined;
  let dir: 1 | -1 = 1;
  const headerCells = cols.map((c) =>
    h("th", { class: "sortable", "data-sort-key": c.key, scope: "col", title: `sort by ${c.key.startsWith("axis:") ? c.title : c.key.replace(":", " ").replace(/(final|best) (\w+)/, (_, kind: string, k: string) => `${kind} ${label(k)}`)}` }, c.title),
  );
  const fill = () => {
    let runs = [...exp.runs];
    const col = cols.find((c) => c.key === sortKey);
    if (col) {
      runs.sort((a, b) => {
        const va = col.value(a);
        const vb = col.value(b);
        if (va === null && vb === null) return 0;
        if (va === null) return 1;
        if (vb === null) return -1;
        return dir * compareValues(va, vb);
      });
    }
    tbody.replaceChildren(
      ...runs.map((r) => {
        const box = h("input", { type: "checkbox", "aria-label": `select ${r.runId}`, "data-select": r.runId }) as HTMLInputElement;
        box.checked = selected.has(r.runId);
        box.addEventListener("change", () => {
          if (box.checked) selected.add(r.runId);
          else selected.delete(r.runId);
          onSelect();
        });
        return h("tr", { "data-run": r.runId }, h("td", {}, box), ...cols.map((c) => h("td", { class: c.numeric && c.key !== "state" ? "num" : undefined, "data-col": c.key }, c.cell(r))));
      }),
    );
    headerCells.forEach((th, i) => {
      if (cols[i]!.key === sortKey) th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
  };
  headerCells.forEach((th, i) =>
    th.addEventListener("click", () => {
      const key = cols[i]!.key;
      dir = sortKey === key ? (dir === 1 ? -1 : 1) : 1;
      sortKey = key;
      fill();
    }),
  );
  fill();
  return h("div", { class: "table-wrap" }, h("table", { class: "data", id: "runs" }, h("thead", {}, h("tr", {}, h("th", {}, ""), ...headerCells)), tbody));
}

function select(id: string, options: { value: string; text: string }[], value: string | undefined, onChange: (v: string) => void): HTMLSelectElement {
  const el = h("select", { id }, ...options.map((o) => h("option", { value: o.value }, o.text))) as HTMLSelectElement;
  if (value !== undefined) el.value = value;
  el.addEventListener("change", () => onChange(el.value));
  return el;
}

/** A sample grid with a stepper over the run's saved epochs (real digits are the grid's bottom row). */
function gridCard(run: RunView, title: string, attrs: Record<string, string> = {}): HTMLElement {
  const card = h("div", { class: "grid-card", "data-grid": run.runId, ...attrs });
  card.append(h("h4", {}, h("span", { class: "label", title }, title), stateBadge(run)));
  if (run.samples.length === 0) {
    card.append(h("div", { class: "noimg" }, run.state === "pending" ? "not started" : "no sample grid yet"));
    return card;
  }
  let i = run.samples.length - 1;
  const img = h("img", { alt: `samples of ${title}`, loading: "lazy", decoding: "async" }) as HTMLImageElement;
  const epochText = h("span", { class: "epoch" });
  const range = h("input", { type: "range", min: 0, max: run.samples.length - 1, step: 1, "aria-label": "epoch" }) as HTMLInputElement;
  const prev = h("button", { type: "button", "aria-label": "previous epoch", "data-step": "-1" }, "◀") as HTMLButtonElement;
  const next = h("button", { type: "button", "aria-label": "next epoch", "data-step": "1" }, "▶") as HTMLButtonElement;
  const show = () => {
    const s = run.samples[i]!;
    img.src = s.src;
    img.dataset.epoch = String(s.epoch);
    range.value = String(i);
    epochText.textContent = `epoch ${s.epoch}${run.epochs !== null ? ` / ${run.epochs}` : ""}`;
    prev.disabled = i === 0;
    next.disabled = i === run.samples.length - 1;
  };
  prev.addEventListener("click", () => {
    i = Math.max(0, i - 1);
    show();
  });
  next.addEventListener("click", () => {
    i = Math.min(run.samples.length - 1, i + 1);
    show();
  });
  range.addEventListener("input", () => {
    i = Number(range.value);
    show();
  });
  show();
  card.append(img, h("div", { class: "stepper" }, prev, range, next, epochText));
  return card;
}

/** Metrics that make sense across runs for the hyperparameter plots: final values, and best for evaluated ones. */
function summaryMetricChoices(exp: ExperimentView): { value: string; text: string }[] {
  const out: { value: string; text: string }[] = [];
  for (const k of exp.metricKeys) {
    if (!exp.runs.some((r) => r.final[k] !== undefined)) continue;
    out.push({ value: `final:${k}`, text: `final ${label(k)}` });
    if (!TRAINING.includes(k) && exp.runs.some((r) => r.best[k] !== undefined)) out.push({ value: `best:${k}`, text: `best ${label(k)}` });
  }
  return out;
}

function metricValue(r: RunView, choice: string): number | undefined {
  const [kind, key] = choice.split(":") as ["final" | "best", string];
  return r[kind][key];
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function hyperOption(exp: ExperimentView, choice: string, xAxis: string, yAxis: string | undefined): EChartsOption {
  const key = choice.split(":")[1] ?? "";
  const better = HIGHER_IS_BETTER.has(key) ? "higher is better" : "lower is better";
  const name = `${choice.replace(":", " ").replace(key, label(key))}`;
  const xs = sortedDistinct(exp.runs.map((r) => r.varied[xAxis]));
  if (!yAxis) {
    // One axis: the metric as a line over the varied value; the mean where other axes vary too.
    const data = xs.map((x) => mean(exp.runs.filter((r) => r.varied[xAxis] === x).map((r) => metricValue(r, choice)).filter((v): v is number => v !== undefined)));
    const points = exp.runs
      .map((r) => [String(r.varied[xAxis] ?? "—"), metricValue(r, choice)] as const)
      .filter((p): p is readonly [string, number] => p[1] !== undefined)
      .map((p) => [p[0], p[1]]);
    const any = data.some((v) => v !== null);
    return {
      animation: false,
      tooltip: { trigger: "item", valueFormatter: (v) => fmt(Number(v)) },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 34, bottom: 44 },
      xAxis: { type: "category", data: xs.map((x) => valueText(x)), name: xAxis, nameLocation: "middle", nameGap: 26 },
      yAxis: { type: "value", name: `${name} (${better})`, scale: true },
      series: [
        { type: "line", name: `mean ${name}`, data, connectNulls: true, symbolSize: 8, lineStyle: { width: 2 } },
        { type: "scatter", name: "runs", data: points, symbolSize: 6, itemStyle: { opacity: 0.55 } },
      ],
      ...(any ? {} : { graphic: emptyGraphic("no run has this metric yet") }),
    };
  }
  // Two axes: a heatmap of the mean over any remaining axes; a missing cell is a run not done yet.
  const ys = sortedDistinct(exp.runs.map((r) => r.varied[yAxis]));
  const cells: [number, number, number][] = [];
  xs.forEach((x, i) =>
    ys.forEach((y, j) => {
      const m = mean(
        exp.runs
          .filter((r) => r.varied[xAxis] === x && r.varied[yAxis] === y)
          .map((r) => metricValue(r, choice))
          .filter((v): v is number => v !== undefined),
      );
      if (m !== null) cells.push([i, j, Number(m.toPrecision(4))]);
    }),
  );
  const values = cells.map((c) => c[2]);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  // Good = green end, whichever direction is good for this metric.
  const scale = ["#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027"];
  return {
    animation: false,
    tooltip: { position: "top", formatter: (p) => {
      const d = (p as unknown as { data: [number, number, number] }).data;
      return `${xAxis}=${valueText(xs[d[0]])}, ${yAxis}=${valueText(ys[d[1]])}<br>${name}: <b>${fmt(d[2])}</b>`;
    } },
    grid: { left: 70, right: 150, top: 20, bottom: 50 },
    xAxis: { type: "category", data: xs.map((x) => valueText(x)), name: xAxis, nameLocation: "middle", nameGap: 26, splitArea: { show: true } },
    yAxis: { type: "category", data: ys.map((y) => valueText(y)), name: yAxis, nameLocation: "middle", nameGap: 46, splitArea: { show: true } },
    visualMap: {
      min: Number.isFinite(lo) ? lo : 0,
      max: Number.isFinite(hi) ? (hi > lo ? hi : lo + 1) : 1,
      calculable: true,
      orient: "vertical",
      right: 10,
      top: "middle",
      formatter: (v) => fmt(Number(v)),
      text: [HIGHER_IS_BETTER.has(key) ? "better" : "worse", HIGHER_IS_BETTER.has(key) ? "worse" : "better"],
      inRange: { color: HIGHER_IS_BETTER.has(key) ? [...scale].reverse() : scale },
    },
    series: [{ type: "heatmap", name, data: cells, label: { show: true, formatter: (p) => fmt((p as unknown as { data: [number, number, number] }).data[2]) }, emphasis: { itemStyle: { borderColor: "#000", borderWidth: 1 } } }],
    ...(cells.length === 0 ? { graphic: emptyGraphic("no run has this metric yet") } : {}),
  };
}

const CLASS_SHARE = "class_share_";

function classShares(run: RunView): number[] | undefined {
  const shares = Array.from({ length: 10 }, (_, k) => run.final[`${CLASS_SHARE}${k}`]);
  return shares.every((v) => v === undefined) ? undefined : shares.map((v) => v ?? 0);
}

/**
 * Which digits each run generates at its last evaluation (the classifier's
 * shares): a run that "mostly generates the digit 1" is one bright cell.
 */
function classOption(runs: readonly RunView[], axes: readonly string[]): EChartsOption {
  const rows = runs.map((r) => ({ r, shares: classShares(r) })).filter((x): x is { r: RunView; shares: number[] } => x.shares !== undefined);
  const cells: [number, number, number][] = [];
  rows.forEach(({ shares }, j) => shares.forEach((v, k) => cells.push([k, j, Number(v.toFixed(3))])));
  return {
    animation: false,
    tooltip: {
      position: "top",
      formatter: (p) => {
        const d = (p as unknown as { data: [number, number, number] }).data;
        return `${runLabel(rows[d[1]]!.r, axes)}<br>digit ${d[0]}: <b>${(d[2] * 100).toFixed(1)}%</b> of samples`;
      },
    },
    grid: { left: 8, right: 120, top: 10, bottom: 40, containLabel: true },
    xAxis: { type: "category", data: Array.from({ length: 10 }, (_, k) => String(k)), name: "digit the classifier sees", nameLocation: "middle", nameGap: 26 },
    yAxis: { type: "category", data: rows.map(({ r }) => runLabel(r, axes)), inverse: true, axisLabel: { fontSize: 11 } },
    visualMap: { min: 0, max: 1, calculable: true, orient: "vertical", right: 10, top: "middle", text: ["all samples", "none"], inRange: { color: ["#f7fbff", "#6baed6", "#08306b"] } },
    series: [{ type: "heatmap", name: "class share", data: cells, label: { show: rows.length <= 8, formatter: (p) => { const v = (p as unknown as { data: [number, number, number] }).data[2]; return v >= 0.005 ? `${Math.round(v * 100)}` : ""; } } }],
  };
}

function chartBox(title: string, name: string, controls: Child[] = [], tall = false): { box: HTMLElement; el: HTMLElement } {
  const el = h("div", { class: tall ? "chart tall" : "chart", id: `chart-${name}` });
  return { box: h("div", { class: "chart-box" }, h("h3", {}, h("span", {}, title), h("span", {}, ...controls)), el), el };
}

function experimentHeader(exp: ExperimentView): HTMLElement {
  const counts = { done: 0, running: 0, interrupted: 0, failed: 0, pending: 0 };
  for (const r of exp.runs) counts[r.state]++;
  return h(
    "section",
    {},
    h("h1", {}, exp.name),
    exp.description ? h("p", { class: "desc" }, exp.description) : null,
    h(
      "div",
      { class: "meta" },
      h("span", {}, `${exp.runs.length} runs: ${counts.done} done, ${counts.running} running, ${counts.interrupted} interrupted, ${counts.failed} failed, ${counts.pending} pending`),
      h("span", {}, `varied: ${exp.axes.length ? exp.axes.join(" × ") : "nothing"}`),
      exp.file ? h("span", {}, "file: ", h("code", {}, exp.file)) : null,
      exp.createdAt ? h("span", {}, `planned ${exp.createdAt.replace("T", " ").slice(0, 16)}`) : null,
    ),
  );
}

async function renderExperiment(exp: ExperimentView): Promise<void> {
  setView("experiment", "/ ", h("a", { href: experimentHash(exp.name) }, exp.name));
  document.title = `ganscope · ${exp.name}`;
  app.append(experimentHeader(exp));

  const selected = new Set<string>();
  const compareBtn = h("button", { type: "button", id: "compare-btn", disabled: true }, "Compare selected") as HTMLButtonElement;
  const onSelect = () => {
    compareBtn.disabled = selected.size === 0;
    compareBtn.textContent = `Compare selected (${selected.size})`;
  };
  compareBtn.addEventListener("click", () => {
    location.hash = compareHash(exp.name, exp.runs.filter((r) => selected.has(r.runId)).map((r) => r.runId));
  });
  app.append(
    h("h2", {}, "Runs"),
    h("div", { class: "toolbar" }, compareBtn, h("span", { class: "muted" }, "Click a column to sort; tick runs to compare them.")),
    runTable(exp, selected, onSelect),
  );
  if (exp.runs.length === 0) {
    app.append(h("p", { class: "empty" }, "This plan has no runs."));
    ready();
    return;
  }

  // Loss curves, colour-coded by a varied value.
  let colourAxis = exp.axes[0];
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
    exp.axes.length > 1
      ? select("colour-axis", exp.axes.map((a) => ({ value: a, text: a })), colourAxis, (v) => {
          colourAxis = v;
          void drawCurves();
        })
      : null;
  app.append(
    h("h2", {}, "Training curves"),
    h(
      "div",
      { class: "toolbar" },
      colourSelect ? h("label", {}, "colour by ", colourSelect) : null,
      h("span", { class: "muted" }, exp.axes.length > 1 ? "line style follows the other varied value; scroll on a chart to zoom" : exp.axes.length === 1 ? `colour follows ${exp.axes[0]}; scroll on a chart to zoom` : "scroll on a chart to zoom"),
    ),
    curvesHost,
  );
  const drawCurves = async () => {
    const dashAxis = exp.axes.find((a) => a !== colourAxis);
    const styles = runStyles(exp.runs, colourAxis, dashAxis);
    await chart("d_loss", lossD.el, curveOption(exp.runs, "d_loss", exp.axes, styles));
    await chart("g_loss", lossG.el, curveOption(exp.runs, "g_loss", exp.axes, styles));
    if (otherKey) await chart("other", other.el, curveOption(exp.runs, otherKey, exp.axes, styles));
  };

  // Metric vs hyperparameter: a line for one axis, a heatmap for two.
  const choices = summaryMetricChoices(exp);
  let choice = choices.find((c) => c.value === "final:fid_lite")?.value ?? choices.find((c) => c.value === "final:d_loss")?.value ?? choices[0]?.value;
  let xAxis = exp.axes[0];
  let yAxis = exp.axes[1];
  const hyperHost = h("div", { class: "charts" });
  if (exp.axes.length === 0 || !choice) {
    hyperHost.append(h("p", { class: "muted" }, exp.axes.length === 0 ? "Nothing is varied in this experiment." : "No run has recorded an epoch yet."));
  }
  const hyper = chartBox("", "hyper", [], true);
  const drawHyper = async () => {
    if (!choice || !xAxis) return;
    await chart("hyper", hyper.el, hyperOption(exp, choice, xAxis, yAxis));
  };
  if (exp.axes.length > 0 && choice) {
    const axisOptions = exp.axes.map((a) => ({ value: a, text: a }));
    const controls = h(
      "div",
      { class: "toolbar" },
      h("label", {}, "metric ", select("hyper-metric", choices, choice, (v) => ((choice = v), void drawHyper()))),
      h("label", {}, exp.axes.length > 1 ? "x " : "against ", select("hyper-x", axisOptions, xAxis, (v) => ((xAxis = v), void drawHyper()))),
      exp.axes.length > 1
        ? h("label", {}, "y ", select("hyper-y", [{ value: "", text: "(none: line)" }, ...axisOptions], yAxis, (v) => ((yAxis = v === "" ? undefined : v), void drawHyper())))
        : null,
    );
    hyperHost.append(hyper.box);
    app.append(h("h2", {}, "Metric vs hyperparameter"), controls, hyperHost);
  } else {
    app.append(h("h2", {}, "Metric vs hyperparameter"), hyperHost);
  }

  // Class histogram, when the metrics lib evaluated the runs.
  const classRuns = exp.runs.filter((r) => classShares(r) !== undefined);
  const classes = chartBox("share of samples per digit, last evaluation", "classes");
  if (classRuns.length > 0) {
    classes.el.style.height = `${Math.max(200, 70 + 26 * classRuns.length)}px`;
    app.append(h("h2", {}, "Digits generated"), h("div", { class: "charts" }, classes.box));
  }

  // Sample grids.
  app.append(
    h("h2", {}, "Sample grids"),
    h("p", { class: "muted" }, "Nine rows of generated digits from fixed noise; the bottom row is real digits. Step through the saved epochs under each grid."),
    h("div", { class: "grids", id: "grids" }, ...exp.runs.map((r) => gridCard(r, runLabel(r, exp.axes)))),
  );

  await drawCurves();
  await drawHyper();
  if (classRuns.length > 0) await chart("classes", classes.el, classOption(exp.runs, exp.axes));
  ready();
}

async function renderCompare(exp: ExperimentView, runIds: readonly string[]): Promise<void> {
  setView(
    "compare",
    "/ ",
    h("a", { href: experimentHash(exp.name) }, exp.name),
    " / compare",
  );
  document.title = `ganscope · ${exp.name} · compare`;
  const picked = new Set(runIds.filter((id) => exp.runs.some((r) => r.runId === id)));
  const runs = exp.runs.filter((r) => picked.has(r.runId));
  app.append(h("h1", {}, `Compare runs of ${exp.name}`));

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
        location.hash = compareHash(exp.name, exp.runs.filter((x) => picked.has(x.runId)).map((x) => x.runId));
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
  const metrics = ["fid_lite", "modes", "kl_uniform", "is_lite", "d_loss", "g_loss", "d_real", "d_fake"].filter((k) => runs.some((r) => r.final[k] !== undefined));
  app.append(
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
              h("td", {}, h("span", { class: "badge", style: `background:${styles.get(r.runId)!.color};color:#fff` }, runLabel(r, exp.axes))),
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

  await chart("d_loss", lossD.el, curveOption(runs, "d_loss", exp.axes, styles));
  await chart("g_loss", lossG.el, curveOption(runs, "g_loss", exp.axes, styles));
  if (extra) await chart("fid_lite", extra.el, curveOption(runs, "fid_lite", exp.axes, styles));
  if (classes) await chart("classes", classes.el, classOption(runs, exp.axes));
  ready();
}

function renderError(message: string): void {
  setView("error");
  app.append(h("div", { class: "empty" }, h("p", {}, h("strong", {}, message)), h("p", {}, h("a", { href: "#/" }, "Back to the experiments"))));
  ready();
}

async function loadExperiment(index: SiteIndex, name: string): Promise<ExperimentView | undefined> {
  const entry = index.experiments.find((e) => e.name === name);
  if (!entry) return undefined;
  if (!window.GANSCOPE_EXPERIMENTS?.[name]) await loadScript(entry.dataScript);
  return window.GANSCOPE_EXPERIMENTS?.[name];
}

let routeSeq = 0;

async function route(): Promise<void> {
  const seq = ++routeSeq;
  const index = window.GANSCOPE_INDEX;
  if (!index) {
    renderError("data/index.js is missing: build the site with `npx nx run dashboard:build`.");
    return;
  }
  footer.textContent = `Built ${index.generatedAt.replace("T", " ").slice(0, 19)} UTC from ${index.resultsDir} · charts by Apache ECharts`;
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) {
    renderIndex(index);
    return;
  }
  if (parts[0] === "e" && parts[1] !== undefined) {
    const exp = await loadExperiment(index, parts[1]);
    if (seq !== routeSeq) return; // a newer navigation won
    if (!exp) {
      renderError(`No experiment named "${parts[1]}" in this build.`);
      return;
    }
    if (parts[2] === "compare") await renderCompare(exp, (parts[3] ?? "").split(",").filter(Boolean));
    else await renderExperiment(exp);
    return;
  }
  renderError(`Unknown page ${location.hash}`);
}

window.addEventListener("hashchange", () => void route().catch((e: unknown) => renderError(String(e))));
void route().catch((e: unknown) => renderError(String(e)));
