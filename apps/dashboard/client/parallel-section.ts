/**
 * The experiment page's parallel coordinates (parallel-options.ts draws
 * them): which metrics get an axis, and brushing. A brushed stretch of a
 * metric axis can become the page's filter, so what the chart singled out
 * is what the table, the curves and the grids then show.
 */
import { shortLabel, type ExperimentView } from "../src/site-data.js";
import { SEED_AXIS } from "./aggregate.js";
import { chart } from "./charts.js";
import { h } from "./dom.js";
import { label } from "./format.js";
import { DEFAULT_PARALLEL_METRICS, inBrushed, parallelDims, parallelHyperAxes, parallelMetricChoices, parallelOption, parallelRuns } from "./parallel-options.js";
import { readRunQuery, roundedRange, writeRunQuery, type MetricRange } from "./run-filter.js";
import { chartBox } from "./widgets.js";

const METRIC_AXIS = "metric:";

export function parallelSection(exp: ExperimentView, query: URLSearchParams, hashFor: (q: URLSearchParams) => string): { el: HTMLElement; draw: () => Promise<void> } {
  const hyperAxes = parallelHyperAxes(exp.axes);
  const choices = parallelMetricChoices(exp.runs);
  const picked = new Set(choices.filter((k) => DEFAULT_PARALLEL_METRICS.includes(k)));
  if (picked.size === 0) for (const k of choices.slice(0, 4)) picked.add(k);
  const box = chartBox("one line per run, coloured by verdict", "parallel", [], true);
  const note = h("span", { class: "muted", id: "parallel-note" });
  const brushText = h("span", { class: "muted", id: "parallel-brushed" });
  const apply = h("button", { type: "button", id: "parallel-apply", hidden: true }, "filter the page to the brushed metric ranges") as HTMLButtonElement;
  // Axis id → brushed stretches, as the chart's events report them.
  const brushed = new Map<string, [number, number][]>();
  const metrics = () => choices.filter((k) => picked.has(k));

  const showBrushed = () => {
    const drawn = parallelRuns(exp.runs, metrics());
    const dims = parallelDims(drawn, hyperAxes, metrics());
    const active = [...brushed.values()].some((v) => v.length > 0);
    const inside = drawn.filter((r) => inBrushed(r, drawn, dims, brushed)).length;
    brushText.textContent = active ? `${inside} of ${drawn.length} runs in the brushed ranges` : "";
    apply.hidden = ![...brushed.entries()].some(([id, v]) => id.startsWith(METRIC_AXIS) && v.length > 0);
  };
  apply.addEventListener("click", () => {
    const q = readRunQuery(query);
    const ranges: MetricRange[] = [];
    for (const [id, intervals] of brushed) {
      if (!id.startsWith(METRIC_AXIS) || intervals.length === 0) continue;
      // Several stretches on one axis: the filter holds one range per metric, so the span over them.
      const { min, max } = roundedRange(Math.min(...intervals.map((i) => i[0])), Math.max(...intervals.map((i) => i[1])));
      ranges.push({ key: id.slice(METRIC_AXIS.length), min, max });
    }
    location.hash = hashFor(writeRunQuery(query, { ...q, ranges: [...q.ranges.filter((r) => !ranges.some((x) => x.key === r.key)), ...ranges] }));
  });

  const draw = async () => {
    const left = exp.runs.length - parallelRuns(exp.runs, metrics()).length;
    note.textContent = left > 0 ? `${left} run(s) without these final metrics are not drawn.` : "";
    const c = await chart("parallel", box.el, parallelOption(exp.runs, hyperAxes, metrics(), exp.axes));
    // A redraw starts unbrushed.
    brushed.clear();
    showBrushed();
    c.off("axisareaselected");
    c.on("axisareaselected", (p) => {
      const e = p as { parallelAxisId?: string; intervals?: [number, number][] };
      if (e.parallelAxisId === undefined) return;
      brushed.set(e.parallelAxisId, e.intervals ?? []);
      showBrushed();
    });
  };

  const metricBoxes = choices.map((k) => {
    const input = h("input", { type: "checkbox", "data-parallel-metric": k }) as HTMLInputElement;
    input.checked = picked.has(k);
    input.addEventListener("change", () => {
      if (input.checked) picked.add(k);
      else picked.delete(k);
      void draw();
    });
    return h("label", { title: label(k) }, input, ` ${shortLabel(k)}`);
  });
  const el = h(
    "section",
    { id: "parallel-section" },
    h("h2", {}, "Hyperparameters and final metrics"),
    h(
      "p",
      { class: "muted" },
      `An axis per varied hyperparameter${exp.axes.includes(SEED_AXIS) ? " (the seed left out)" : ""}, then one per final metric (↓ lower is better, ↑ higher is better); drag along an axis to highlight the runs in a range, click a verdict in the legend to hide its runs. `,
      note,
    ),
    h("div", { class: "toolbar", id: "parallel-metrics" }, h("span", { class: "muted" }, "metric axes:"), ...metricBoxes),
    h("div", { class: "charts" }, box.box),
    h("div", { class: "toolbar" }, brushText, apply),
  );
  return { el, draw };
}
