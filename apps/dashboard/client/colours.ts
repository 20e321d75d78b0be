/** Colours of runs on the charts. Pure: unit-tested in Node. */
import type { RunView } from "../src/site-data.js";
import { NO_VERDICT } from "./run-filter.js";

/** Distinct colours for unordered values and for the compare view (Tableau 10). */
export const CATEGORICAL = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
/** Viridis stops, for ordered (numeric) values: low = purple, high = yellow-green. */
const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b"];
export const DASHES: (string | number[])[] = ["solid", "dashed", "dotted", [10, 4, 2, 4]];
/**
 * The least contrast a line keeps against the white page (WCAG's 3:1 for
 * graphics). Viridis' light end (#b5de2b is 1.6:1) made the top value of a
 * two-value axis nearly invisible; such colours are darkened, hue kept.
 */
export const MIN_CONTRAST = 3;

type Rgb = [number, number, number];

function parseColour(c: string): Rgb {
  const m = /^rgb\((\d+), (\d+), (\d+)\)$/.exec(c);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
}

/** WCAG relative luminance. */
function luminance([r, g, b]: Rgb): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Contrast ratio of a colour against white. */
export function contrastOnWhite(colour: string): number {
  return 1.05 / (luminance(parseColour(colour)) + 0.05);
}

function rgb([r, g, b]: Rgb): string {
  return `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
}

/** The colour, darkened towards black just enough to reach {@link MIN_CONTRAST} on white. */
export function readableOnWhite(colour: string): string {
  const c = parseColour(colour);
  if (contrastOnWhite(colour) >= MIN_CONTRAST) return rgb(c);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 20; i++) {
    const mid = (lo + hi) / 2;
    if (contrastOnWhite(rgb(c.map((v) => v * (1 - mid)) as Rgb)) >= MIN_CONTRAST) hi = mid;
    else lo = mid;
  }
  return rgb(c.map((v) => Math.floor(v * (1 - hi))) as Rgb);
}

export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  const mix = (o: number) => Math.round(parseInt(a.slice(o, o + 2), 16) * (1 - f) + parseInt(b.slice(o, o + 2), 16) * f);
  return readableOnWhite(`rgb(${mix(1)}, ${mix(3)}, ${mix(5)})`);
}

export function isNumeric(values: readonly unknown[]): boolean {
  return values.length > 0 && values.every((v) => typeof v === "number");
}

export function sortedDistinct(values: readonly unknown[]): unknown[] {
  const distinct = [...new Set(values.map((v) => (v === undefined ? null : v)))];
  return isNumeric(distinct) ? (distinct as number[]).sort((a, b) => a - b) : distinct.sort((a, b) => String(a).localeCompare(String(b)));
}

export interface RunStyle {
  color: string;
  dash: string | number[];
}

/**
 * Colour by one varied axis (sequential for numbers, categorical otherwise),
 * dash by another, so a 4×4 grid stays readable: same colour = same value of
 * the chosen axis.
 */
export function runStyles(runs: readonly RunView[], colourAxis: string | undefined, dashAxis: string | undefined): Map<string, RunStyle> {
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

/**
 * A line colour per verdict, near its badge's hue (style.css) so a legend and
 * a table read alike: green converged, red mode collapse, orange no digits,
 * amber vanishing gradients, near-black diverged, steel blue not converged,
 * grey for no verdict yet; purple for a label the page does not know.
 */
const VERDICT_HUES: Record<string, string> = {
  converged: "#2e8b3e",
  not_converged: "#5b7fa6",
  no_digits: "#e8590c",
  mode_collapse: "#c0262d",
  vanishing_gradients: "#d4a106",
  diverged: "#3b1111",
  [NO_VERDICT]: "#9aa3ab",
};
const OTHER_VERDICT = "#7b4fc4";

export function verdictColour(label: string): string {
  return readableOnWhite(VERDICT_HUES[label] ?? OTHER_VERDICT);
}
