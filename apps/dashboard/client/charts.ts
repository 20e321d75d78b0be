/** The charts on the current view: created, replaced and disposed together. */
import { echartsLib } from "./dom.js";
import type { ECharts, EChartsOption } from "./globals.js";

let charts: Record<string, ECharts> = {};

export function currentCharts(): Record<string, ECharts> {
  return charts;
}

export function disposeCharts(): void {
  for (const c of Object.values(charts)) c.dispose();
  charts = {};
}

window.addEventListener("resize", () => {
  for (const c of Object.values(charts)) c.resize();
});

export async function chart(name: string, el: HTMLElement, option: EChartsOption): Promise<ECharts> {
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
