/** The Findings page's badges and the study table (also on the experiments page). */
import type { SiteIndex } from "../src/site-data.js";
import { h } from "./dom.js";

export function findingsHash(study?: string, query?: URLSearchParams): string {
  const q = query && [...query.keys()].length > 0 ? `?${query.toString()}` : "";
  return study === undefined ? `#/findings${q}` : `#/findings/${encodeURIComponent(study)}${q}`;
}

const VERDICT_CLASS: Record<string, string> = { confirmed: "confirmed", refuted: "refuted", inconclusive: "inconclusive", "not tested": "not-tested", "not decidable at this budget": "undecidable" };

export function verdictClassOf(verdict: string): string {
  return `finding-${VERDICT_CLASS[verdict] ?? "other"}`;
}

export function findingBadge(verdict: string): HTMLElement {
  return h("span", { class: `badge ${verdictClassOf(verdict)}`, "data-finding-verdict": verdict }, verdict);
}

export function studyTable(index: SiteIndex): HTMLElement {
  if (index.studies.length === 0) {
    return h("div", { class: "empty", "data-empty-studies": "1" }, h("p", {}, "No study report in the run store yet: ", h("code", {}, "npx nx run runner:study --file=experiments/seed/findings.ts --budget=smoke"), ", then rebuild."));
  }
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data", id: "studies" },
      h("thead", {}, h("tr", {}, ...["study", "description", "findings", "verdicts", "budget", "generated"].map((t) => h("th", {}, t)))),
      h(
        "tbody",
        {},
        ...index.studies.map((s) =>
          h(
            "tr",
            { "data-study": s.name },
            h("td", {}, h("a", { href: findingsHash(s.name) }, s.name)),
            h("td", { class: "desc-cell" }, s.description),
            h("td", { class: "num" }, s.findings),
            h("td", {}, h("span", { class: "chips" }, ...Object.entries(s.verdicts).map(([v, n]) => h("span", { class: `badge ${verdictClassOf(v)}` }, `${v} ${n}`)))),
            h("td", {}, s.budgetLine),
            h("td", {}, s.generatedAt ? s.generatedAt.replace("T", " ").slice(0, 16) : "—"),
          ),
        ),
      ),
    ),
  );
}

