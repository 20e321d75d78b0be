/**
 * The bar that filters a view's runs by verdict and by ranges of final
 * metrics. Each change rewrites the hash and the router redraws the view, so
 * the filter is in the link (run-filter.ts reads and writes it).
 */
import { RANKED_KEYS, TRAINING_KEYS, type RunView } from "../src/site-data.js";
import { h } from "./dom.js";
import { fmt, label } from "./format.js";
import { NO_VERDICT, isFiltering, readRunQuery, verdictOf, verdictOrder, verdictText, writeRunQuery, type MetricRange, type RunQuery } from "./run-filter.js";
import { select, verdictClass } from "./widgets.js";

/** Final values one may filter on: the evaluated metrics with a better direction, then the training statistics (losses, D outputs). */
export function filterMetricChoices(runs: readonly RunView[]): string[] {
  return [...RANKED_KEYS, ...TRAINING_KEYS].filter((k) => runs.some((r) => r.final[k] !== undefined));
}

export function rangeText(r: MetricRange): string {
  const name = label(r.key);
  if (r.min !== undefined && r.max !== undefined) return `${fmt(r.min)} ≤ ${name} ≤ ${fmt(r.max)}`;
  return r.min !== undefined ? `${name} ≥ ${fmt(r.min)}` : `${name} ≤ ${fmt(r.max)}`;
}

/**
 * `runs` are the view's runs before this filter (its counts are theirs);
 * `shown` how many pass it.
 */
export function runFilterBar(runs: readonly RunView[], shown: number, query: URLSearchParams, hashFor: (q: URLSearchParams) => string): HTMLElement {
  const q = readRunQuery(query);
  const go = (next: RunQuery) => {
    location.hash = hashFor(writeRunQuery(query, next));
  };
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(verdictOf(r), (counts.get(verdictOf(r)) ?? 0) + 1);
  // A verdict the link names but no run has still shows (with 0), or it could not be unticked.
  const verdicts = verdictOrder([...counts.keys(), ...q.verdicts]);
  const verdictBoxes = verdicts.map((v) => {
    const box = h("input", { type: "checkbox", "data-filter-verdict": v }) as HTMLInputElement;
    box.checked = q.verdicts.includes(v);
    box.addEventListener("change", () => go({ ...q, verdicts: box.checked ? [...q.verdicts, v] : q.verdicts.filter((x) => x !== v) }));
    return h("label", { class: "filter-chip" }, box, h("span", { class: `badge ${v === NO_VERDICT ? "state-pending" : verdictClass(v)}` }, `${verdictText(v)} ${counts.get(v) ?? 0}`));
  });

  const keys = filterMetricChoices(runs);
  let key = keys[0];
  const min = h("input", { type: "number", step: "any", id: "filter-min", "aria-label": "lowest value", size: 8 }) as HTMLInputElement;
  const max = h("input", { type: "number", step: "any", id: "filter-max", "aria-label": "highest value", size: 8 }) as HTMLInputElement;
  const problem = h("span", { class: "filter-problem", id: "filter-problem", role: "alert" });
  // The placeholders show the range the runs span, so a bound is typed against what is there.
  const hint = () => {
    const values = runs.map((r) => (key === undefined ? undefined : r.final[key])).filter((v): v is number => v !== undefined && Number.isFinite(v));
    min.placeholder = values.length ? `min ${fmt(Math.min(...values))}` : "min";
    max.placeholder = values.length ? `max ${fmt(Math.max(...values))}` : "max";
  };
  hint();
  const add = () => {
    if (key === undefined) return;
    const lo = min.value.trim() === "" ? undefined : Number(min.value);
    const hi = max.value.trim() === "" ? undefined : Number(max.value);
    if (lo === undefined && hi === undefined) return void (problem.textContent = "type a lowest or a highest value");
    if ((lo !== undefined && !Number.isFinite(lo)) || (hi !== undefined && !Number.isFinite(hi))) return void (problem.textContent = "not a number");
    if (lo !== undefined && hi !== undefined && lo > hi) return void (problem.textContent = `the lowest value (${fmt(lo)}) is above the highest (${fmt(hi)})`);
    const range: MetricRange = { key, ...(lo !== undefined ? { min: lo } : {}), ...(hi !== undefined ? { max: hi } : {}) };
    go({ ...q, ranges: [...q.ranges.filter((r) => r.key !== key), range] });
  };
  for (const input of [min, max]) input.addEventListener("keydown", (e) => e.key === "Enter" && add());
  const keySelect = select("filter-metric", keys.map((k) => ({ value: k, text: `final ${label(k)}` })), key, (v) => {
    key = v;
    hint();
  });
  const ranges = q.ranges.map((r) => {
    const remove = h("button", { type: "button", class: "chip-remove", "aria-label": `remove ${rangeText(r)}`, "data-remove-range": r.key }, "✕");
    remove.addEventListener("click", () => go({ ...q, ranges: q.ranges.filter((x) => x.key !== r.key) }));
    return h("span", { class: "range-chip", "data-range": r.key }, rangeText(r), remove);
  });
  const clear = h("button", { type: "button", id: "filter-clear" }, "clear filter");
  clear.addEventListener("click", () => go({ verdicts: [], ranges: [] }));
  const addBtn = h("button", { type: "button", id: "filter-add" }, "add range");
  addBtn.addEventListener("click", add);

  return h(
    "div",
    { class: "filter-bar", id: "filter-bar" },
    h("div", { class: "toolbar" }, h("strong", {}, "Filter runs"), h("span", { class: "muted" }, "verdict:"), ...verdictBoxes),
    h(
      "div",
      { class: "toolbar" },
      ...(keys.length > 0 ? [h("span", { class: "muted" }, "range:"), keySelect, "from", min, "to", max, addBtn, problem, ...ranges] : []),
      h("span", { id: "filter-count", "data-shown": shown, "data-total": runs.length }, isFiltering(q) ? `showing ${shown} of ${runs.length} runs` : `all ${runs.length} runs shown`),
      isFiltering(q) ? clear : null,
    ),
  );
}
