/**
 * A claim's interval drawn, not only printed: the effect (or rate) as a dot,
 * its 95% interval as a whisker, the no-effect line (0, or the rate's bound)
 * and the side the claim expects shaded. The geometry is pure (tested in
 * Node, band-options.test.ts); `intervalSvg` turns it into an <svg>.
 */
import { fmt } from "./format.js";

export interface IntervalSpec {
  /** The estimate: an effect mean(a) − mean(b), or a rate. Absent when nothing was measured. */
  point?: number;
  lo?: number;
  hi?: number;
  /** No effect: 0 for a comparison, the bound for a rate. */
  ref: number;
  /** Which side of `ref` the claim says the estimate lies on. */
  claimed: "above" | "below";
  /** A rate lives in [0, 1]; an effect's axis fits its interval. */
  domain?: readonly [number, number];
  verdict: string;
}

export interface IntervalGeometry {
  width: number;
  height: number;
  /** x of the no-effect line and its label. */
  refX: number;
  refLabel: string;
  /** The shaded claimed side, from x0 to x1. */
  claimed: { x0: number; x1: number };
  /** Whisker ends and the dot; absent when the claim has no interval. */
  whisker?: { x0: number; x1: number; loLabel: string; hiLabel: string };
  dotX?: number;
  /** The axis' value range, after padding. */
  domain: [number, number];
}

export const PLOT_WIDTH = 300;
export const PLOT_HEIGHT = 46;
const PAD = 12;

export function intervalGeometry(s: IntervalSpec, width = PLOT_WIDTH, height = PLOT_HEIGHT): IntervalGeometry {
  const values = [s.ref, s.point, s.lo, s.hi].filter((v): v is number => v !== undefined && Number.isFinite(v));
  let [d0, d1] = s.domain ?? [Math.min(...values), Math.max(...values)];
  if (!s.domain) {
    const span = d1 - d0 || Math.max(Math.abs(d0), 1);
    d0 -= span * 0.12;
    d1 += span * 0.12;
  }
  const x = (v: number) => PAD + ((v - d0) / (d1 - d0)) * (width - 2 * PAD);
  const refX = x(s.ref);
  const has = s.lo !== undefined && s.hi !== undefined && Number.isFinite(s.lo) && Number.isFinite(s.hi);
  return {
    width,
    height,
    refX,
    refLabel: fmt(s.ref),
    claimed: s.claimed === "above" ? { x0: refX, x1: width - PAD } : { x0: PAD, x1: refX },
    ...(has ? { whisker: { x0: x(s.lo!), x1: x(s.hi!), loLabel: fmt(s.lo), hiLabel: fmt(s.hi) } } : {}),
    ...(s.point !== undefined && Number.isFinite(s.point) ? { dotX: x(s.point) } : {}),
    domain: [d0, d1],
  };
}

const SVG = "http://www.w3.org/2000/svg";

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The plot as an <svg> (data-lo / data-hi carry the interval for tests and the curious). */
export function intervalSvg(s: IntervalSpec, title: string): SVGSVGElement {
  const g = intervalGeometry(s);
  const svg = el("svg", { class: "interval-plot", width: g.width, height: g.height, viewBox: `0 0 ${g.width} ${g.height}`, role: "img", "aria-label": title }) as SVGSVGElement;
  svg.dataset.verdict = s.verdict;
  if (s.lo !== undefined) svg.dataset.lo = String(s.lo);
  if (s.hi !== undefined) svg.dataset.hi = String(s.hi);
  svg.append(el("title", {}, title));
  const axisY = g.height - 14;
  const y = 17;
  svg.append(el("rect", { class: "claimed-side", x: g.claimed.x0, y: 4, width: Math.max(0, g.claimed.x1 - g.claimed.x0), height: axisY - 4 }));
  svg.append(el("line", { class: "axis", x1: PAD, x2: g.width - PAD, y1: axisY, y2: axisY }));
  svg.append(el("line", { class: "ref", x1: g.refX, x2: g.refX, y1: 2, y2: axisY + 3 }));
  svg.append(el("text", { class: "ref-label", x: g.refX, y: g.height - 2, "text-anchor": "middle" }, g.refLabel));
  if (g.whisker) {
    const w = g.whisker;
    svg.append(el("line", { class: "whisker", "data-part": "interval", x1: w.x0, x2: w.x1, y1: y, y2: y }));
    for (const wx of [w.x0, w.x1]) svg.append(el("line", { class: "tick", x1: wx, x2: wx, y1: axisY, y2: axisY + 3 }));
    for (const wx of [w.x0, w.x1]) svg.append(el("line", { class: "whisker", x1: wx, x2: wx, y1: y - 6, y2: y + 6 }));
    // End labels sit under the axis below the whisker's ends, unless they would collide with the reference's label or each other.
    const clear = (lx: number) => Math.abs(lx - g.refX) > 26;
    if (clear(w.x0)) svg.append(el("text", { class: "end-label", x: w.x0, y: g.height - 2, "text-anchor": "middle" }, w.loLabel));
    if (clear(w.x1) && Math.abs(w.x1 - w.x0) > 34) svg.append(el("text", { class: "end-label", x: w.x1, y: g.height - 2, "text-anchor": "middle" }, w.hiLabel));
  }
  if (g.dotX !== undefined) svg.append(el("circle", { class: "point", cx: g.dotX, cy: y, r: 4.5 }));
  return svg;
}
