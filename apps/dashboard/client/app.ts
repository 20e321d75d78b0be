/**
 * The dashboard's browser code, bundled by build-site.ts (esbuild) into one
 * classic script: pages opened from disk (file://) may not load modules.
 * Routes live in the hash so every view works from file://:
 *   #/                          experiments
 *   #/e/<name>                  one experiment
 *   #/e/<name>/compare/<a,b,…>  runs side by side
 *   #/runs                      every run of the store, across experiments
 *   #/findings                  study reports
 *   #/findings/<study>          one study's findings
 * A query after the path (`?seeds=grouped&band=ci95`, the run filter's
 * `verdict=converged&final.fid_lite=..50`) keeps a view's toggles, so a link reproduces what it showed.
 * Modules: format/colours/chart-options (pure, unit-tested in Node), dom,
 * charts (the current view's charts), widgets, pages, and this router.
 */
import { BUILD_STAMP_SCRIPT, type ExperimentView, type SiteIndex, type StudyView } from "../src/site-data.js";
import { loadScript } from "./dom.js";
import type {} from "./globals.js";
import { renderFindingsIndex, renderStudy } from "./findings-page.js";
import { renderCompare, renderError, renderExperiment, renderIndex } from "./pages.js";
import { renderAllRuns } from "./runs-page.js";

const footer = document.getElementById("footer")!;

async function loadExperiment(index: SiteIndex, name: string): Promise<ExperimentView | undefined> {
  const entry = index.experiments.find((e) => e.name === name);
  if (!entry) return undefined;
  if (!window.GANSCOPE_EXPERIMENTS?.[name]) await loadScript(entry.dataScript);
  return window.GANSCOPE_EXPERIMENTS?.[name];
}

async function loadStudy(index: SiteIndex, name: string): Promise<StudyView | undefined> {
  const entry = index.studies.find((s) => s.name === name);
  if (!entry) return undefined;
  if (!window.GANSCOPE_STUDIES?.[name]) await loadScript(entry.dataScript);
  return window.GANSCOPE_STUDIES?.[name];
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
  watchForRebuilds(index);
  const [pathPart = "", queryPart = ""] = location.hash.replace(/^#\/?/, "").split("?", 2);
  const parts = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(queryPart);
  if (parts.length === 0) {
    renderIndex(index);
    return;
  }
  if (parts[0] === "runs") {
    // Every experiment's data: the table is across them all.
    const exps = await Promise.all(index.experiments.map((e) => loadExperiment(index, e.name)));
    if (seq !== routeSeq) return;
    renderAllRuns(exps.filter((e): e is ExperimentView => e !== undefined), query);
    return;
  }
  if (parts[0] === "findings") {
    if (parts[1] === undefined) {
      renderFindingsIndex(index);
      return;
    }
    const study = await loadStudy(index, parts[1]);
    if (seq !== routeSeq) return;
    if (!study) {
      renderError(`No study report named "${parts[1]}" in this build.`);
      return;
    }
    await renderStudy(study, (name) => loadExperiment(index, name), query);
    return;
  }
  if (parts[0] === "e" && parts[1] !== undefined) {
    const exp = await loadExperiment(index, parts[1]);
    if (seq !== routeSeq) return; // a newer navigation won
    if (!exp) {
      renderError(`No experiment named "${parts[1]}" in this build.`);
      return;
    }
    if (parts[2] === "compare") await renderCompare(exp, (parts[3] ?? "").split(",").filter(Boolean), query);
    else await renderExperiment(exp, query);
    return;
  }
  renderError(`Unknown page ${location.hash}`);
}

window.addEventListener("hashchange", () => void route().catch((e: unknown) => renderError(String(e))));
void route().catch((e: unknown) => renderError(String(e)));

/** Polls for a newer build while served over HTTP (`dashboard serve --watch` rebuilds in place); from file:// there is nothing to wait for. */
let watching = false;
function watchForRebuilds(index: SiteIndex): void {
  if (watching || !location.protocol.startsWith("http")) return;
  watching = true;
  setInterval(() => {
    const s = document.createElement("script");
    s.src = `${BUILD_STAMP_SCRIPT}?t=${Date.now()}`;
    s.onload = () => {
      s.remove();
      if (window.GANSCOPE_BUILD && window.GANSCOPE_BUILD !== index.generatedAt) location.reload();
    };
    s.onerror = () => s.remove(); // mid-rebuild: try again next time
    document.head.append(s);
  }, 3000);
}
