/** The page's building blocks: badges, tables, pickers, chart boxes and sample grids. */
import type { ExperimentView, RunDisplayState, RunView } from "../src/site-data.js";
import { KNOWN_VERDICTS, metricLabel, shortLabel } from "../src/site-data.js";
import type { BandKind } from "@ganscope/findings/seed-summary";
import { BAND_LABELS, SEED_AXIS, groupValue, type RunGroup } from "./aggregate.js";
import { isNumeric } from "./colours.js";
import { h, type Child } from "./dom.js";
import { fmt, fmtSecs, label, valueText } from "./format.js";

const STATE_LABELS: Record<RunDisplayState, string> = {
  done: "done",
  running: "running",
  interrupted: "interrupted",
  stopped: "stopped",
  failed: "failed",
  pending: "pending",
};
export function stateBadge(run: RunView): HTMLElement {
  return h("span", { class: `badge state-${run.state}`, "data-state": run.state, title: run.note }, STATE_LABELS[run.state]);
}

const KNOWN = new Set(KNOWN_VERDICTS);

export function verdictClass(v: string): string {
  return `verdict-${KNOWN.has(v) ? v : "other"}`;
}

export function verdictBadge(run: RunView): HTMLElement | string {
  if (!run.verdict) return "—";
  const v = run.verdict.label;
  return h(
    "span",
    { class: `badge verdict ${verdictClass(v)}`, "data-verdict": v, title: run.verdict.evidence },
    v.replace(/_/g, " "),
  );
}

/** A link to the run's page in the MLflow UI, when the run store knows it. */
export function mlflowLink(run: RunView): HTMLElement | null {
  if (!run.mlflowUrl) return null;
  return h("a", { class: "mlflow", href: run.mlflowUrl, target: "_blank", rel: "noopener", "data-mlflow": run.runId, title: "this run in MLflow" }, " MLflow ↗");
}

/** A column of a sortable table over rows of type R: its sort value (null sorts last either way) and its cell. */
export interface Column<R = RunView> {
  key: string;
  title: string;
  value: (r: R) => number | string | null;
  cell: (r: R) => Child | Node;
  numeric: boolean;
}

export function runColumns(exp: ExperimentView): Column[] {
  const has = (k: string) => exp.runs.some((r) => r.final[k] !== undefined || r.best[k] !== undefined);
  const cols: Column[] = [
    {
      key: "run",
      title: "run",
      value: (r) => r.runId,
      cell: (r) =>
        h(
          "span",
          {},
          h("code", {}, r.runId),
          r.linkedFrom ? h("span", { class: "muted", title: `same config already trained in ${r.linkedFrom}` }, ` ↪ ${r.linkedFrom}`) : null,
          r.inPlan ? null : h("span", { class: "badge earlier", "data-earlier": "1", title: `not in the latest plan${r.file ? `; planned by ${r.file}` : ""}` }, "earlier plan"),
          mlflowLink(r),
        ),
      numeric: false,
    },
    ...exp.axes.map<Column>((a) => ({
      key: `axis:${a}`,
      title: a,
      value: (r) => (typeof r.varied[a] === "number" ? (r.varied[a] as number) : r.varied[a] === null || r.varied[a] === undefined ? null : String(r.varied[a])),
      cell: (r) => valueText(r.varied[a]),
      numeric: isNumeric(exp.runs.map((r) => r.varied[a])),
    })),
    ...outcomeColumns(),
  ];
  const metric = metricColumn;
  // Short titles keep a 16-run table with every metric within a laptop's width; the header's tooltip says it in full.
  // Titles are the record schema's column headers (its labels for the losses).
  if (has("fid_lite")) cols.push(metric("fid_lite", "final", shortLabel("fid_lite")), metric("fid_lite", "best", "best FID"));
  for (const k of ["modes", "kl_uniform", "is_lite"] as const) if (has(k)) cols.push(metric(k, "final", shortLabel(k)));
  cols.push(metric("d_loss", "final", metricLabel("d_loss")), metric("g_loss", "final", metricLabel("g_loss")));
  cols.push(...progressColumns());
  return cols;
}

/** Where a run stands (unfinished first when sorted) and its verdict badge. */
export function outcomeColumns<R extends RunView>(): Column<R>[] {
  const stateOrder: RunDisplayState[] = ["running", "interrupted", "pending", "failed", "stopped", "done"];
  return [
    { key: "state", title: "state", value: (r) => stateOrder.indexOf(r.state), cell: stateBadge, numeric: true },
    { key: "verdict", title: "verdict", value: (r) => r.verdict?.label ?? null, cell: verdictBadge, numeric: false },
  ];
}

/** A run's final or best value of a record key, as a sortable column. */
export function metricColumn<R extends RunView>(key: string, kind: "final" | "best", title: string): Column<R> {
  return { key: `${kind}:${key}`, title, value: (r) => r[kind][key] ?? null, cell: (r) => fmt(r[kind][key]), numeric: true };
}

/** How far a run got: epochs done of its target, and its training time. */
export function progressColumns<R extends RunView>(): Column<R>[] {
  return [
    { key: "epochs", title: "epochs", value: (r) => r.epochsDone, cell: (r) => `${r.epochsDone}${r.epochs !== null ? ` / ${r.epochs}` : ""}`, numeric: true },
    { key: "wall", title: "wall time", value: (r) => r.wallSecs, cell: (r) => fmtSecs(r.wallSecs), numeric: true },
  ];
}

function compareValues(a: number | string | null, b: number | string | null): number {
  // Missing values sort last whichever the direction (handled by the caller).
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export function runTable(exp: ExperimentView, selected: Set<string>, onSelect: () => void): HTMLElement {
  return sortableTable("runs", runColumns(exp), exp.runs, (r) => ({ "data-run": r.runId }), (r) => {
    const box = h("input", { type: "checkbox", "aria-label": `select ${r.runId}`, "data-select": r.runId }) as HTMLInputElement;
    box.checked = selected.has(r.runId);
    box.addEventListener("change", () => {
      if (box.checked) selected.add(r.runId);
      else selected.delete(r.runId);
      onSelect();
    });
    return box;
  });
}

/** The header's tooltip: an axis by its name, a metric column by its kind and label ("sort by final FID-lite"). */
function sortTitle(c: { key: string; title: string }): string {
  return `sort by ${c.key.startsWith("axis:") ? c.title : c.key.replace(":", " ").replace(/(final|best) (\w+)/, (_, kind: string, k: string) => `${kind} ${label(k)}`)}`;
}

/**
 * A table sorted by a click on any header (again: the other way), numbers as
 * numbers, missing values last either way; `leading` fills an unsorted first
 * column (the run table's checkboxes).
 */
export function sortableTable<R>(id: string, cols: Column<R>[], rows: readonly R[], rowAttrs: (r: R) => Record<string, string>, leading?: (r: R) => Node): HTMLElement {
  const tbody = h("tbody");
  let sortKey: string | undefined;
  let dir: 1 | -1 = 1;
  const headerCells = cols.map((c) => h("th", { class: "sortable", "data-sort-key": c.key, scope: "col", title: sortTitle(c) }, c.title));
  const fill = () => {
    const sorted = [...rows];
    const col = cols.find((c) => c.key === sortKey);
    if (col) {
      sorted.sort((a, b) => {
        const va = col.value(a);
        const vb = col.value(b);
        if (va === null && vb === null) return 0;
        if (va === null) return 1;
        if (vb === null) return -1;
        return dir * compareValues(va, vb);
      });
    }
    tbody.replaceChildren(
      ...sorted.map((r) =>
        h("tr", rowAttrs(r), leading ? h("td", {}, leading(r)) : null, ...cols.map((c) => h("td", { class: c.numeric && c.key !== "state" ? "num" : undefined, "data-col": c.key }, c.cell(r)))),
      ),
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
  return h("div", { class: "table-wrap" }, h("table", { class: "data", id }, h("thead", {}, h("tr", {}, leading ? h("th", {}, "") : null, ...headerCells)), tbody));
}

export function select(id: string, options: { value: string; text: string }[], value: string | undefined, onChange: (v: string) => void): HTMLSelectElement {
  const el = h("select", { id }, ...options.map((o) => h("option", { value: o.value }, o.text))) as HTMLSelectElement;
  if (value !== undefined) el.value = value;
  el.addEventListener("change", () => onChange(el.value));
  return el;
}

/** A sample grid with a stepper over the run's saved epochs (real digits are the grid's bottom row). */
export function gridCard(run: RunView, title: string, attrs: Record<string, string> = {}): HTMLElement {
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
  // The card shows the grid at the column's width; a click opens it at a size where single pixels read.
  img.title = "click to enlarge";
  img.addEventListener("click", () => openLightbox(img.src, `${title} · ${epochText.textContent ?? ""}`));
  card.append(img, h("div", { class: "stepper" }, prev, range, next, epochText));
  return card;
}

/** One <dialog> for enlarged sample grids: Escape, the close button or a click closes it. */
export function openLightbox(src: string, caption: string): void {
  let dialog = document.getElementById("lightbox") as HTMLDialogElement | null;
  if (!dialog) {
    dialog = h("dialog", { id: "lightbox", "aria-label": "enlarged sample grid" }) as HTMLDialogElement;
    dialog.addEventListener("click", () => dialog!.close());
    document.body.append(dialog);
  }
  dialog.replaceChildren(
    h("img", { src, alt: caption }),
    h("div", { class: "caption" }, h("span", {}, caption), h("button", { type: "button", "aria-label": "close" }, "✕")),
  );
  dialog.showModal();
}

export function chartBox(title: string, name: string, controls: Child[] = [], tall = false): { box: HTMLElement; el: HTMLElement } {
  const el = h("div", { class: tall ? "chart tall" : "chart", id: `chart-${name}` });
  return { box: h("div", { class: "chart-box" }, h("h3", {}, h("span", {}, title), h("span", {}, ...controls)), el), el };
}

/** A group's value of a metric: its mean over seeds, the band in brackets when it has more than one. */
function groupCell(g: RunGroup, band: BandKind, value: (r: RunView) => number | undefined): HTMLElement | string {
  const s = groupValue(g, band, value);
  if (!s) return "—";
  return h("span", { title: `mean over ${s.n} seed(s); ${BAND_LABELS[band]} [${fmt(s.lo)}, ${fmt(s.hi)}]` }, fmt(s.mean), s.n > 1 ? h("span", { class: "band" }, band === "range" ? ` [${fmt(s.lo)}, ${fmt(s.hi)}]` : ` ± ${fmt(s.hi - s.mean)}`) : null);
}

function counted(values: readonly string[], cls: (v: string) => string, attr: string): HTMLElement {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return h("span", { class: "chips" }, ...[...counts.entries()].map(([v, n]) => h("span", { class: `badge ${cls(v)}`, [attr]: v }, `${v.replace(/_/g, " ")}${counts.size > 1 || n > 1 ? ` ${n}` : ""}`)));
}

/**
 * The run table grouped over seeds: one row per config (the varied values
 * less the seed) with n, its seeds, the states and verdicts of its runs, and
 * each metric's mean with its band. Ticking a row picks all its runs.
 */
export function groupTable(exp: ExperimentView, groups: readonly RunGroup[], band: BandKind, selected: Set<string> | undefined, onSelect: () => void): HTMLElement {
  const axes = exp.axes.filter((a) => a !== SEED_AXIS);
  const has = (k: string) => exp.runs.some((r) => r.final[k] !== undefined);
  const metrics: { title: string; value: (r: RunView) => number | undefined }[] = [];
  if (has("fid_lite")) metrics.push({ title: "FID-lite", value: (r) => r.final["fid_lite"] }, { title: "best FID", value: (r) => r.best["fid_lite"] });
  for (const [k, t] of [["modes", "modes"], ["kl_uniform", "KL(unif)"], ["max_class_share", "largest class"]] as const) if (has(k)) metrics.push({ title: t, value: (r) => r.final[k] });
  metrics.push({ title: "D loss", value: (r) => r.final["d_loss"] }, { title: "G loss", value: (r) => r.final["g_loss"] });
  const rows = groups.map((g) => {
    const box = h("input", { type: "checkbox", "aria-label": "select this group's runs", "data-select-group": g.key }) as HTMLInputElement;
    box.checked = selected !== undefined && g.runs.every((r) => selected.has(r.runId));
    box.addEventListener("change", () => {
      for (const r of g.runs) (box.checked ? selected?.add(r.runId) : selected?.delete(r.runId));
      onSelect();
    });
    const epochs = g.runs.map((r) => r.epochsDone);
    const lo = Math.min(...epochs);
    const hi = Math.max(...epochs);
    return h(
      "tr",
      { "data-group": g.key, "data-n": g.runs.length },
      selected ? h("td", {}, box) : null,
      ...axes.map((a) => h("td", { "data-col": `axis:${a}` }, valueText(g.varied[a]))),
      h("td", { class: "num", "data-col": "n" }, g.runs.length),
      h("td", { "data-col": "seeds" }, g.seeds.map(String).join(", ")),
      h("td", {}, counted(g.runs.map((r) => r.state), (v) => `state-${v}`, "data-state")),
      h("td", {}, g.runs.some((r) => r.verdict) ? counted(g.runs.map((r) => r.verdict?.label ?? "no verdict"), verdictClass, "data-verdict") : "—"),
      ...metrics.map((m) => h("td", { class: "num" }, groupCell(g, band, m.value))),
      h("td", { class: "num" }, lo === hi ? String(lo) : `${lo}–${hi}`),
    );
  });
  const head = [...(selected ? [""] : []), ...axes, "n", "seeds", "states", "verdicts", ...metrics.map((m) => m.title), "epochs"];
  return h("div", { class: "table-wrap" }, h("table", { class: "data", id: "runs-grouped" }, h("thead", {}, h("tr", {}, ...head.map((t) => h("th", {}, t)))), h("tbody", {}, ...rows)));
}
