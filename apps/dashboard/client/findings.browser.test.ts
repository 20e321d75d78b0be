import { spawn } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The Findings page and the group-over-seeds toggle in a real browser
 * (Debian's chromium via playwright-core, as app.browser.test.ts), on a store
 * that `runner study` wrote in this file's setup: the tiny study in
 * test-fixtures/dashboard-study.ts at the smoke budget (4 runs of 16-wide
 * nets: 2 configs × 2 seeds × 2 epochs). What the page must show is read from the
 * report.json the findings lib wrote, never typed in here. Screenshots land
 * in test-artifacts/dashboard-findings/ (ignored by git).
 */

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const CHROMIUM = process.env.GANSCOPE_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = path.join(REPO, "test-artifacts", "dashboard-findings");
const STUDY_FILE = "apps/dashboard/test-fixtures/dashboard-study.ts";
/** The experiment the study's runs are in (test-fixtures/dashboard-study.exp.ts). */
const EXPERIMENT = "dashboard-study-runs";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** The parts of report.json this test checks the page against (libs/findings' StudyReport). */
interface Arm {
  label: string;
  n: number;
  runs: { experiment: string; runId: string }[];
  medianRun?: { runId: string; sample?: string };
  verdicts?: Record<string, number>;
  judged?: number;
}
interface Compare {
  kind: "compare";
  a: Arm;
  b: Arm;
  lo?: number;
  hi?: number;
  mde?: { d: number };
  verdict: string;
  reason: string;
}
interface Rate {
  kind: "rate";
  arm: Arm;
  lo: number;
  hi: number;
  verdict: string;
  reason: string;
}
interface Rank {
  kind: "rank";
  pairs: Compare[];
  verdict: string;
}
interface Report {
  study: string;
  budgetLine: string;
  reference?: string;
  findings: { id: string; verdict: string; budgetLine: string; claims: (Compare | Rate | Rank)[] }[];
}

/** How the page words the findings lib's verdicts. */
const shown = (v: string): string => (v === "untested" ? "not tested" : v === "undecidable" ? "not decidable at this budget" : v.replace(/_/g, " "));

let tmp: string;
let results: string;
let site: string;
let browser: Browser;
let report: Report;

/** Children still running when the file ends (a setup that timed out): stopped in afterAll, not left to train on. */
const children = new Set<ReturnType<typeof spawn>>();

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GANSCOPE_CLASSIFIER: "test" } });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    children.add(child);
    child.on("error", reject);
    child.on("close", (code) => {
      children.delete(child);
      resolve({ code, output });
    });
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`The dashboard's browser tests need Chromium at ${CHROMIUM}: apt-get update && apt-get install -y chromium, or point GANSCOPE_CHROMIUM at one.`);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "dash-findings-"));
  results = path.join(tmp, "results");
  site = path.join(tmp, "site");
  await fs.rm(ARTIFACTS, { recursive: true, force: true });
  await fs.mkdir(ARTIFACTS, { recursive: true });
  const study = await runCli(["apps/runner/src/main.ts", "study", `--file=${STUDY_FILE}`, "--budget=smoke", "--results", results, "--concurrency", "2"]);
  if (study.code !== 0) throw new Error(`runner study failed (exit ${study.code}):\n${study.output}`);
  report = JSON.parse(await fs.readFile(path.join(results, "dashboard-study", "report.json"), "utf8")) as Report;
  const built = await runCli(["apps/dashboard/src/cli.ts", "build", "--results", results, "--out", site]);
  if (built.code !== 0) throw new Error(`dashboard build failed (exit ${built.code}):\n${built.output}`);
  expect(built.output).toContain("1 study report(s)");
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  // Four tiny runs take about a minute on an idle 2-core machine; a loaded one needs more.
}, 900_000);

afterAll(async () => {
  for (const c of children) c.kill();
  await browser?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

async function openTab(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  return { page, errors };
}

const siteUrl = (hash = "") => pathToFileURL(path.join(site, "index.html")).href + hash;

/** The view, drawn for the current link (after a hash change the old view is still "ready" until the router redraws). */
async function waitForView(page: Page, view: string): Promise<void> {
  await page.waitForFunction((v) => {
    const d = document.documentElement.dataset;
    return d.view === v && d.ready === "1" && d.hash === location.hash;
  }, view, { timeout: 30_000 });
}

/** Per series of a named chart: its type and how many points it holds. */
function seriesOf(page: Page, chart: string): Promise<{ type: string; name: string; n: number; widths: number[] }[]> {
  return page.evaluate((name) => {
    const c = window.__ganscope?.charts[name];
    const series = ((c?.getOption() as { series?: { type: string; name: string; data?: number[][] }[] } | undefined)?.series ?? []);
    // A band's row is [epoch, lo, hi]; its width per epoch says whether seeds spread.
    return series.map((s) => ({ type: s.type, name: s.name, n: s.data?.length ?? 0, widths: s.type === "custom" ? (s.data ?? []).map((d) => d[2]! - d[1]!) : [] }));
  }, chart);
}

/** Pixels of a chart's canvas near one of its line colours: the curves were drawn, not only the axes. */
function linePixels(page: Page, chart: string): Promise<number> {
  return page.evaluate((name) => {
    const c = window.__ganscope?.charts[name];
    const canvas = c?.getDom().querySelector("canvas");
    if (!c || !canvas) return 0;
    // Categorical colours are hex, viridis ones (a numeric axis) rgb().
    const parse = (x: string): number[] | undefined => {
      const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(x);
      if (hex) return hex.slice(1).map((v) => parseInt(v, 16));
      const rgb = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(x);
      return rgb ? rgb.slice(1, 4).map(Number) : undefined;
    };
    const colours = ((c.getOption() as { series?: { lineStyle?: { color?: string } }[] }).series ?? [])
      .map((s) => s.lineStyle?.color)
      .filter((x): x is string => typeof x === "string")
      .map(parse)
      .filter((x): x is number[] => x !== undefined);
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! < 200) continue;
      if (colours.some(([r, g, b]) => Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - g!) + Math.abs(data[i + 2]! - b!) < 60)) n++;
    }
    return n;
  }, chart);
}

describe("Findings page in chromium", () => {
  it("shows each finding of the report: its verdict badge, each effect's interval drawn, n per arm, the budget, curves over seeds and median-run grids", async () => {
    const { page, errors } = await openTab();
    await page.goto(siteUrl());
    await waitForView(page, "experiments");
    // The experiments page lists the study; its link opens the Findings page.
    await page.click(`#studies a[href="#/findings/${report.study}"]`);
    await waitForView(page, "study");
    expect(await page.locator(".budget-line").textContent()).toContain(report.budgetLine);
    // The study's reference, which the gate read, is named.
    expect(await page.locator("[data-reference]").textContent()).toBe(`reference: ${report.reference}`);

    expect(await page.locator("section.finding").count()).toBe(report.findings.length);
    // The fixture's convergence claim (finding 4) cannot be decided in 8 steps: the page has the new verdict to show.
    expect(report.findings.flatMap((f) => f.claims.flatMap((c) => (c.kind === "rank" ? c.pairs : [c]))).filter((c) => c.verdict === "undecidable").length).toBeGreaterThan(0);
    for (const f of report.findings) {
      const card = page.locator(`section.finding[data-finding="${f.id}"]`);
      // The finding's badge, as the report says it.
      expect(await card.locator("h2 [data-finding-verdict]").getAttribute("data-finding-verdict"), `finding ${f.id}`).toBe(shown(f.verdict));
      expect(await card.locator("[data-budget]").first().textContent()).toContain(f.budgetLine);
      // One drawn interval per effect the report measured an interval for, carrying the report's bounds.
      const effects = f.claims.flatMap((c) => (c.kind === "rank" ? c.pairs : [c]));
      const plots = card.locator("svg.interval-plot");
      const drawn = effects.filter((c) => c.lo !== undefined && c.hi !== undefined);
      expect(await plots.count(), `finding ${f.id}`).toBe(drawn.length);
      // A claim not decidable at this budget shows its own badge and its reason.
      for (const c of effects.filter((e) => e.verdict === "undecidable")) {
        expect(await card.locator('.effect-row [data-finding-verdict="not decidable at this budget"]').count()).toBeGreaterThan(0);
        expect(await card.textContent()).toContain(c.reason);
      }
      if (f.verdict === "undecidable") expect(await card.locator("[data-undecidable]").textContent()).toContain("Not decidable at this budget: ");
      // The minimum detectable effect, where the report has one.
      expect(await card.locator("[data-mde]").count(), `finding ${f.id}`).toBe(effects.filter((c) => c.kind === "compare" && c.mde !== undefined).length);
      for (const [i, c] of drawn.entries()) {
        const plot = plots.nth(i);
        expect(await plot.isVisible()).toBe(true);
        expect(await plot.getAttribute("data-verdict")).toBe(shown(c.verdict));
        expect(Number(await plot.getAttribute("data-lo"))).toBe(c.lo);
        expect(Number(await plot.getAttribute("data-hi"))).toBe(c.hi);
        const whisker = await plot.locator('[data-part="interval"]').boundingBox();
        expect(whisker, `finding ${f.id} effect ${i}`).not.toBeNull();
        if (c.hi! > c.lo!) expect(whisker!.width).toBeGreaterThan(1);
      }
      // n per arm, and each arm's runs linked.
      const arms = f.claims.flatMap((c) => (c.kind === "compare" ? [c.a, c.b] : c.kind === "rate" ? [c.arm] : c.pairs.flatMap((p) => [p.a, p.b])));
      for (const a of arms) {
        const row = card.locator(`table.arms tr[data-arm="${a.label}"]`);
        expect(Number(await row.locator("[data-arm-n]").textContent()), a.label).toBe(a.n);
        // The arm's verdict mix at the report's budget, as the report counts it.
        const mix = await row.locator('[data-verdict-mix="report"] [data-verdict]').evaluateAll((els) => Object.fromEntries(els.map((e) => [e.getAttribute("data-verdict"), Number(e.getAttribute("data-count"))])));
        expect(mix, a.label).toEqual(a.verdicts);
        const link = row.locator("a[data-arm-runs]").first();
        expect(await link.getAttribute("href")).toBe(`#/e/${a.runs[0]!.experiment}/compare/${a.runs.filter((r) => r.experiment === a.runs[0]!.experiment).map((r) => r.runId).join(",")}`);
      }
      // Per claim a chart: per arm a band and a mean line over both epochs, drawn.
      for (const [ci, c] of f.claims.entries()) {
        const name = `finding-${f.id}-${ci}`;
        const series = await seriesOf(page, name);
        const armCount = new Set((c.kind === "compare" ? [c.a, c.b] : c.kind === "rate" ? [c.arm] : c.pairs.flatMap((p) => [p.a, p.b])).map((a) => a.label)).size;
        expect(series.filter((s) => s.type === "custom")).toHaveLength(armCount);
        expect(series.filter((s) => s.type === "line")).toHaveLength(armCount);
        for (const s of series) expect(s.n, `${name} ${s.name}`).toBeGreaterThan(0);
        expect(series.every((s) => / \(n = \d+\)$/.test(s.name))).toBe(true);
        await card.locator(`#chart-${name}`).scrollIntoViewIfNeeded();
        expect(await linePixels(page, name), name).toBeGreaterThan(20);
      }
      // Each arm's median-run grid, loaded.
      const grids = card.locator("[data-arm-grid] img");
      const withGrid = new Set(arms.filter((a) => a.medianRun?.sample).map((a) => a.label)).size;
      expect(await grids.count()).toBe(withGrid);
      for (let i = 0; i < withGrid; i++) await grids.nth(i).scrollIntoViewIfNeeded();
      await page.waitForFunction((id) => [...document.querySelectorAll<HTMLImageElement>(`section[data-finding="${id}"] [data-arm-grid] img`)].every((img) => img.complete && img.naturalWidth > 0), f.id, { timeout: 15_000 });
      await card.screenshot({ path: path.join(ARTIFACTS, `finding-${f.id}.png`) });
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(ARTIFACTS, "10-findings.png"), fullPage: true });

    // The band's kind is in the URL too.
    await page.selectOption("#band-kind", "range");
    await waitForView(page, "study");
    expect(page.url()).toContain(`#/findings/${report.study}?band=range`);
    expect(await page.locator(".chart-box h3").first().textContent()).toContain("min–max over seeds");

    // An arm's runs open side by side.
    const first = report.findings[0]!.claims[0] as Compare;
    await page.click(`section.finding[data-finding="${report.findings[0]!.id}"] tr[data-arm="${first.a.label}"] a[data-arm-runs]`);
    await waitForView(page, "compare");
    expect((await page.locator("#compare-table tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-run")))).sort()).toEqual(first.a.runs.map((r) => r.runId).sort());
    expect(errors).toEqual([]);
    await page.close();
  });

  it("groups runs over seeds on the experiment page, and the URL keeps the toggle", async () => {
    const { page, errors } = await openTab();
    await page.goto(siteUrl(`#/e/${EXPERIMENT}`));
    await waitForView(page, "experiment");
    const runs = await page.locator("#runs tbody tr").count();
    expect(runs).toBe(4);
    expect(await page.locator("#runs-grouped").count()).toBe(0);
    expect(await seriesOf(page, "d_loss")).toHaveLength(4);

    await page.check("#group-seeds");
    await waitForView(page, "experiment");
    expect(page.url()).toMatch(new RegExp(`#/e/${EXPERIMENT}\\?seeds=grouped$`));
    // Two configs of two seeds each: one row and one band per config.
    const rows = page.locator("#runs-grouped tbody tr");
    expect(await rows.count()).toBe(2);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-n")))).toEqual(["2", "2"]);
    expect(await page.locator('#runs-grouped td[data-col="seeds"]').allTextContents()).toEqual(["0, 1", "0, 1"]);
    const series = await seriesOf(page, "d_loss");
    expect(series.filter((s) => s.type === "line").map((s) => s.n)).toEqual([2, 2]);
    expect(series.filter((s) => s.type === "line").every((s) => s.name.endsWith("(n = 2)"))).toBe(true);
    // Two seeds of a GAN do not train alike: every band has width.
    for (const s of series.filter((x) => x.type === "custom")) for (const w of s.widths) expect(w).toBeGreaterThan(0);
    expect(await linePixels(page, "d_loss")).toBeGreaterThan(50);
    expect(await page.locator("#grids .grid-group").count()).toBe(2);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(ARTIFACTS, "11-grouped.png"), fullPage: true });

    // The link reproduces the view in a fresh tab, band kind included.
    await page.selectOption("#band-kind", "sd");
    await waitForView(page, "experiment");
    const link = page.url();
    expect(link).toContain("seeds=grouped&band=sd");
    const other = await openTab();
    await other.page.goto(link);
    await waitForView(other.page, "experiment");
    expect(await other.page.locator("#runs-grouped tbody tr").count()).toBe(2);
    expect(await other.page.inputValue("#band-kind")).toBe("sd");
    expect(await other.page.isChecked("#group-seeds")).toBe(true);
    await other.page.close();

    // Comparing grouped rows keeps the grouping; ungrouping brings the runs back.
    await page.check(`#runs-grouped tbody tr:first-child input[type="checkbox"]`);
    await page.click("#compare-btn");
    await waitForView(page, "compare");
    expect(page.url()).toContain("?seeds=grouped&band=sd");
    expect(await page.locator("#runs-grouped tbody tr").count()).toBe(1);
    expect((await seriesOf(page, "d_loss")).map((s) => s.type)).toEqual(["custom", "line"]);
    await page.goto(siteUrl(`#/e/${EXPERIMENT}?seeds=grouped`));
    await waitForView(page, "experiment");
    await page.uncheck("#group-seeds");
    await waitForView(page, "experiment");
    expect(page.url()).toMatch(new RegExp(`#/e/${EXPERIMENT}$`));
    expect(await page.locator("#runs tbody tr").count()).toBe(runs);
    expect(errors).toEqual([...other.errors]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
