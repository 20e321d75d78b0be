import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The dashboard in a real browser (Debian's chromium, driven by
 * playwright-core), against a site built from a run store that a real tiny
 * training run wrote in this file's setup. Screenshots land in
 * test-artifacts/dashboard/ (ignored by git) for a human to look at.
 *
 * The site is built and served through the CLI, as the Nx targets do; this
 * file imports nothing from the dashboard's sources (it is type-checked with
 * the DOM's types, which the Node-side libraries are not written against).
 */

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const CHROMIUM = process.env.GANSCOPE_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = path.join(REPO, "test-artifacts", "dashboard");
const FIXTURE_EXP = "apps/dashboard/test-fixtures/dashboard-fixture.exp.ts";
const REUSE_EXP = "apps/dashboard/test-fixtures/dashboard-fixture-reuse.exp.ts";
// Flags that keep a headless chromium off the network and quiet in a container.
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let tmp: string;
let results: string;
let site: string;
let browser: Browser;
/** Run ids of the fixture experiment, by "gen_dropout/dis_dropout". */
const runIds: Record<string, string> = {};
/** Verdicts that flag a run's samples (the badge test needs one), and words their reasons use. */
const FLAGGED = new Set(["mode_collapse", "no_digits"]);
const FLAGGED_REASON = /classes covered|recognises few drawings|neighbourhoods/;
/** The metrics lib's verdict for each trained run, as its summary.json says. */
const verdicts: Record<string, string> = {};
/** Each trained run's final FID-lite, as its summary.json says. */
const fids: Record<string, number> = {};
const EPOCHS = 4;

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

async function train(file: string): Promise<void> {
  const { code, output } = await runCli(["apps/runner/src/main.ts", "exp", `--file=${file}`, "--results", results, "--concurrency", "2"], {
    // The metrics lib's small test classifier (trained once per machine, cached): the tests check the page, not calibrated numbers.
    GANSCOPE_CLASSIFIER: "test",
  });
  if (code !== 0) throw new Error(`training ${file} failed (exit ${code}):\n${output}`);
}

/** The fields of status.json this file rewrites (the run store's RunStatus). */
interface StatusFile {
  state: string;
  epochsDone: number;
  pid: number;
  host: string;
}

async function buildSite(resultsDir: string, outDir: string): Promise<string> {
  const { code, output } = await runCli(["apps/dashboard/src/cli.ts", "build", "--results", resultsDir, "--out", outDir]);
  if (code !== 0) throw new Error(`dashboard build failed (exit ${code}):\n${output}`);
  return output;
}

/** Starts `cli.ts serve` on a free port; resolves once it says where. */
function serve(dir: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "apps/dashboard/src/cli.ts", "serve", "--dir", dir, "--port", "0"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (m) resolve({ child, port: Number(m[1]) });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => reject(new Error(`dashboard serve exited (${code}) before listening:\n${output}`)));
  });
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, "utf8")) as T;
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.writeFile(file, JSON.stringify(value, null, 2) + "\n");
}

/** A pid that surely belongs to no process: one that just exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "0"]);
  await new Promise((r) => child.on("close", r));
  return child.pid!;
}

/**
 * A store caught mid-sweep, made from the real runs: one still training (its
 * process is this test, so alive, with a torn last metrics line as if an
 * append were in flight), one whose process was killed, one not started.
 */
async function makePartialExperiment(): Promise<void> {
  const exp = path.join(results, "dashboard-fixture-partial");
  await fs.mkdir(exp, { recursive: true });
  const live = runIds["0/0"]!;
  const killed = runIds["0/0.5"]!;
  for (const id of [live, killed]) await fs.cp(path.join(results, "dashboard-fixture", id), path.join(exp, id), { recursive: true });
  const stalled = async (id: string, pid: number) => {
    const dir = path.join(exp, id);
    const status = await readJson<StatusFile>(path.join(dir, "status.json"));
    await writeJson(path.join(dir, "status.json"), { ...status, state: "running", epochsDone: 2, pid, host: os.hostname() });
    const lines = (await fs.readFile(path.join(dir, "metrics.jsonl"), "utf8")).split("\n").filter(Boolean);
    await fs.writeFile(path.join(dir, "metrics.jsonl"), lines.slice(0, 2).join("\n") + "\n" + lines[2]!.slice(0, 25));
    await fs.rm(path.join(dir, "summary.json"));
    for (const e of [3, 4]) await fs.rm(path.join(dir, "samples", `epoch-000${e}.png`));
  };
  await stalled(live, process.pid);
  await stalled(killed, await deadPid());
  await writeJson(path.join(exp, "plan.json"), {
    experiment: "dashboard-fixture-partial",
    description: "A sweep caught halfway: one run training, one killed, one not started.",
    axes: ["dis_dropout"],
    createdAt: new Date().toISOString(),
    runs: [
      { runId: live, varied: { dis_dropout: 0 } },
      { runId: killed, varied: { dis_dropout: 0.5 } },
      { runId: "0123456789ab", varied: { dis_dropout: 0.9 } },
    ],
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The dashboard's browser tests need Chromium at ${CHROMIUM}. Install Debian's package: apt-get update && apt-get install -y chromium (.ci/run does this), or point GANSCOPE_CHROMIUM at another Chromium binary.`,
    );
  }
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "dash-browser-"));
  results = path.join(tmp, "results");
  site = path.join(tmp, "site");
  await fs.rm(ARTIFACTS, { recursive: true, force: true });
  await fs.mkdir(ARTIFACTS, { recursive: true });

  // Real training: three tiny runs, then an experiment that reuses one of them (a symlink in the store).
  await train(FIXTURE_EXP);
  await train(REUSE_EXP);
  const plan = await readJson<{ runs: { runId: string; varied: { gen_dropout: number; dis_dropout: number } }[] }>(path.join(results, "dashboard-fixture", "plan.json"));
  for (const r of plan.runs) runIds[`${r.varied.gen_dropout}/${r.varied.dis_dropout}`] = r.runId;

  // Verdicts come from the metrics lib's runner hook. Four epochs of a
  // 16-wide generator draw noise that the classifier files under one digit
  // (no digits yet, or mode collapse when the noise settles on one shape);
  // the 150× faster discriminator saturates (vanishing gradients). The page
  // must show whatever the summaries say.
  for (const exp of ["dashboard-fixture", "dashboard-fixture-reuse"]) {
    for (const id of await fs.readdir(path.join(results, exp))) {
      const summary = await readJson<{ verdict?: string; final?: { fid_lite?: number } }>(path.join(results, exp, id, "summary.json")).catch(() => undefined);
      if (summary?.verdict) verdicts[id] = summary.verdict;
      if (summary?.final?.fid_lite !== undefined) fids[id] = summary.final.fid_lite;
    }
  }
  if (!Object.values(verdicts).some((v) => FLAGGED.has(v))) {
    throw new Error(`no fixture run was judged mode_collapse or no_digits by the metrics lib (verdicts: ${JSON.stringify(verdicts)}); the flagged-badge test needs one`);
  }
  await makePartialExperiment();

  console.log((await buildSite(results, site)).trim());
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

interface Tab {
  page: Page;
  errors: string[];
}

async function openTab(): Promise<Tab> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  return { page, errors };
}

function siteUrl(hash = ""): string {
  return pathToFileURL(path.join(site, "index.html")).href + hash;
}

async function waitForView(page: Page, view: string): Promise<void> {
  await page.waitForSelector(`html[data-view="${view}"][data-ready="1"]`, { timeout: 30_000 });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Data points per series of a named chart, as echarts holds them. */
function seriesSizes(page: Page, chart: string): Promise<number[]> {
  return page.evaluate((name) => {
    const c = window.__ganscope?.charts[name];
    if (!c) return [];
    const series = (c.getOption() as { series?: { data?: unknown[] }[] }).series ?? [];
    return series.map((s) => s.data?.length ?? 0);
  }, chart);
}

/**
 * Pixels of a chart's canvas close to one of its series' colours: proof that
 * lines or cells were drawn, not only axes and a legend.
 */
function seriesPixels(page: Page, chart: string): Promise<number> {
  return page.evaluate((name) => {
    const c = window.__ganscope?.charts[name];
    const canvas = c?.getDom().querySelector("canvas");
    if (!c || !canvas) return 0;
    const parse = (s: string): number[] | undefined => {
      const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(s);
      if (hex) return hex.slice(1).map((x) => parseInt(x, 16));
      const rgb = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(s);
      return rgb ? rgb.slice(1, 4).map(Number) : undefined;
    };
    const opt = c.getOption() as { series?: { lineStyle?: { color?: string } }[]; visualMap?: { inRange?: { color?: string[] } }[] };
    const colours = [
      ...(opt.series ?? []).map((s) => s.lineStyle?.color),
      ...(opt.visualMap?.[0]?.inRange?.color ?? []),
      ...((opt as { color?: string[] }).color ?? []),
    ]
      .filter((x): x is string => typeof x === "string")
      .map(parse)
      .filter((x): x is number[] => x !== undefined);
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! < 200) continue;
      const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      if (colours.some(([cr, cg, cb]) => Math.abs(r - cr!) + Math.abs(g - cg!) + Math.abs(b - cb!) < 60)) n++;
    }
    return n;
  }, chart);
}

/** Scrolls every sample grid into view (they load lazily) and waits until each has decoded. */
async function loadedImages(page: Page, selector: string): Promise<{ n: number; widths: number[] }> {
  const imgs = page.locator(selector);
  const n = await imgs.count();
  for (let i = 0; i < n; i++) await imgs.nth(i).scrollIntoViewIfNeeded();
  await page.waitForFunction((sel) => [...document.querySelectorAll<HTMLImageElement>(sel)].every((img) => img.complete), selector, { timeout: 15_000 });
  const widths = await imgs.evaluateAll((els) => (els as HTMLImageElement[]).map((img) => img.naturalWidth));
  return { n, widths };
}

describe("dashboard in chromium", () => {
  it("lists the experiments with run counts and verdict counts", async () => {
    const { page, errors } = await openTab();
    await page.goto(siteUrl());
    await waitForView(page, "experiments");
    const rows = page.locator("#experiments tbody tr");
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-experiment")))).toEqual([
      "dashboard-fixture",
      "dashboard-fixture-partial",
      "dashboard-fixture-reuse",
    ]);
    const fixture = page.locator('tr[data-experiment="dashboard-fixture"]');
    expect(await fixture.locator('[data-count="done"]').textContent()).toBe("3");
    // One chip per verdict, with its count, as the summaries say.
    const expected: Record<string, number> = {};
    for (const id of Object.values(runIds)) expected[verdicts[id]!] = (expected[verdicts[id]!] ?? 0) + 1;
    const chips = await fixture.locator("[data-verdict]").evaluateAll((els) => els.map((e) => [e.getAttribute("data-verdict"), e.textContent]));
    expect(Object.fromEntries(chips.map(([v, text]) => [v, Number(text!.split(" ").at(-1))]))).toEqual(expected);
    const partial = page.locator('tr[data-experiment="dashboard-fixture-partial"]');
    expect(await partial.locator('[data-count="running"]').textContent()).toBe("2 (1 interrupted)");
    await shot(page, "01-experiments");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows an experiment: verdict badges (collapse included), curves, heatmap, digit histogram and sample grids with a stepper", async () => {
    const { page, errors } = await openTab();
    await page.goto(siteUrl("#/e/dashboard-fixture"));
    await waitForView(page, "experiment");

    expect(await page.locator("#runs tbody tr").count()).toBe(3);
    for (const id of Object.values(runIds)) {
      const badge = page.locator(`#runs tr[data-run="${id}"] [data-verdict]`);
      expect(await badge.getAttribute("data-verdict"), id).toBe(verdicts[id]);
      expect(await badge.isVisible()).toBe(true);
    }
    const flagged = Object.values(runIds).find((id) => FLAGGED.has(verdicts[id]!));
    if (flagged) {
      const badge = page.locator(`#runs tr[data-run="${flagged}"] [data-verdict="${verdicts[flagged]}"]`);
      expect(await badge.textContent()).toBe(verdicts[flagged]!.replace(/_/g, " "));
      // The reasons the metrics lib gave travel with the badge.
      expect(await badge.getAttribute("title")).toMatch(FLAGGED_REASON);
    }

    // Four epochs per run, three runs, drawn; FID-lite (the default "other" curve) every second epoch.
    for (const chart of ["d_loss", "g_loss"]) {
      expect(await seriesSizes(page, chart), chart).toEqual([EPOCHS, EPOCHS, EPOCHS]);
      expect(await seriesPixels(page, chart), chart).toBeGreaterThan(50);
    }
    expect(await page.inputValue("#other-metric")).toBe("fid_lite");
    expect(await seriesSizes(page, "other")).toEqual([2, 2, 2]);
    expect(await seriesPixels(page, "other")).toBeGreaterThan(50);
    // Two varied axes: a heatmap of final FID-lite with the filtered-out corner missing.
    expect(await page.inputValue("#hyper-metric")).toBe("final:fid_lite");
    expect(await seriesSizes(page, "hyper")).toEqual([3]);
    expect(await seriesPixels(page, "hyper")).toBeGreaterThan(1000);
    // Ten digits per run in the class histogram.
    expect(await seriesSizes(page, "classes")).toEqual([30]);
    expect(await seriesPixels(page, "classes")).toBeGreaterThan(100);

    const { n, widths } = await loadedImages(page, "#grids img");
    expect(n).toBe(3);
    for (const w of widths) expect(w).toBeGreaterThan(0);
    const first = page.locator("#grids .grid-card").first();
    expect(await first.locator("img").getAttribute("data-epoch")).toBe(String(EPOCHS));
    for (let i = 1; i < EPOCHS; i++) await first.locator('button[data-step="-1"]').click();
    expect(await first.locator("img").getAttribute("data-epoch")).toBe("1");
    expect(await first.locator('button[data-step="-1"]').isDisabled()).toBe(true);
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>("#grids .grid-card img");
      return img?.complete && img.naturalWidth > 0;
    });
    expect(await first.locator(".epoch").textContent()).toBe(`epoch 1 / ${EPOCHS}`);

    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "02-experiment");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("sorts the run table by any column, both ways", async () => {
    const { page, errors } = await openTab();
    await page.goto(siteUrl("#/e/dashboard-fixture"));
    await waitForView(page, "experiment");
    const column = (key: string) => page.locator(`#runs tbody td[data-col="${key}"]`).allTextContents();

    await page.click('#runs th[data-sort-key="axis:gen_dropout"]');
    expect(await column("axis:gen_dropout")).toEqual(["0", "0", "0.5"]);
    expect(await page.getAttribute('#runs th[data-sort-key="axis:gen_dropout"]', "aria-sort")).toBe("ascending");
    await page.click('#runs th[data-sort-key="axis:gen_dropout"]');
    expect(await column("axis:gen_dropout")).toEqual(["0.5", "0", "0"]);
    expect(await page.getAttribute('#runs th[data-sort-key="axis:gen_dropout"]', "aria-sort")).toBe("descending");

    // Numbers sort as numbers, both ways.
    for (const key of ["final:d_loss", "final:fid_lite"]) {
      await page.click(`#runs th[data-sort-key="${key}"]`);
      const values = (await column(key)).map(Number);
      expect(values, key).toEqual([...values].sort((a, b) => a - b));
      await page.click(`#runs th[data-sort-key="${key}"]`);
      expect((await column(key)).map(Number), key).toEqual([...values].reverse());
    }
    await shot(page, "03-sorted");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("compares picked runs: curves and final grids side by side", async () => {
    const { page, errors } = await openTab();
    await page.goto(siteUrl("#/e/dashboard-fixture"));
    await waitForView(page, "experiment");
    expect(await page.isDisabled("#compare-btn")).toBe(true);
    await page.check(`[data-select="${runIds["0/0"]}"]`);
    await page.check(`[data-select="${runIds["0.5/0"]}"]`);
    await page.click("#compare-btn");
    await waitForView(page, "compare");
    expect(page.url()).toContain(`/compare/${runIds["0/0"]},${runIds["0.5/0"]}`);

    expect(await page.locator("#compare-table tbody tr").count()).toBe(2);
    expect(await page.locator("#compare-table [data-verdict]").evaluateAll((els) => els.map((e) => e.getAttribute("data-verdict")))).toEqual([
      verdicts[runIds["0/0"]!],
      verdicts[runIds["0.5/0"]!],
    ]);
    for (const chart of ["d_loss", "g_loss"]) {
      expect(await seriesSizes(page, chart)).toEqual([EPOCHS, EPOCHS]);
      expect(await seriesPixels(page, chart)).toBeGreaterThan(50);
    }
    const first = verdicts[runIds["0/0"]!]!;
    if (FLAGGED.has(first)) expect(await page.locator("#why").textContent()).toMatch(new RegExp(`${first.replace(/_/g, " ")} — .*(${FLAGGED_REASON.source})`));
    expect(await seriesSizes(page, "fid_lite")).toEqual([2, 2]);
    expect(await seriesSizes(page, "classes")).toEqual([20]);
    const { n, widths } = await loadedImages(page, "#grids img");
    expect(n).toBe(2);
    for (const w of widths) expect(w).toBeGreaterThan(0);
    expect(await page.locator("#grids img").evaluateAll((imgs) => imgs.map((i) => i.getAttribute("data-epoch")))).toEqual([String(EPOCHS), String(EPOCHS)]);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "04-compare");

    // Unpicking a run narrows the comparison (and its link).
    await page.uncheck(`[data-pick="${runIds["0.5/0"]}"]`);
    await page.waitForFunction(() => location.hash.endsWith("/compare/" + document.querySelector<HTMLInputElement>("[data-pick]:checked")?.dataset.pick));
    await waitForView(page, "compare");
    expect(await seriesSizes(page, "d_loss")).toEqual([EPOCHS]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a sweep caught halfway: running, interrupted and pending runs, torn last line skipped", async () => {
    const { page, errors } = await openTab();
    await page.goto(siteUrl("#/e/dashboard-fixture-partial"));
    await waitForView(page, "experiment");
    const states = await page.locator("#runs tbody td[data-col='state'] [data-state]").evaluateAll((els) => els.map((e) => e.getAttribute("data-state")));
    expect(states).toEqual(["running", "interrupted", "pending"]);
    // Two epochs survive in each stalled run; the pending one has none and is simply absent.
    expect(await seriesSizes(page, "d_loss")).toEqual([2, 2]);
    expect(await page.locator("#runs [data-verdict]").count()).toBe(0);
    const { widths } = await loadedImages(page, "#grids img");
    expect(widths.length).toBe(2);
    for (const w of widths) expect(w).toBeGreaterThan(0);
    expect(await page.locator("#grids .grid-card .noimg").textContent()).toBe("not started");
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "05-partial");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a run linked from another experiment beside a saturated one, one varied axis as a line", async () => {
    const { page, errors } = await openTab();
    await page.goto(siteUrl("#/e/dashboard-fixture-reuse"));
    await waitForView(page, "experiment");
    const rows = page.locator("#runs tbody tr");
    expect(await rows.count()).toBe(2);
    expect(await rows.first().textContent()).toContain("↪ dashboard-fixture");
    for (const id of await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-run")!))) {
      expect(await page.locator(`#runs tr[data-run="${id}"] [data-verdict]`).getAttribute("data-verdict"), id).toBe(verdicts[id]);
    }
    // One axis: the mean line has a point per value and the scatter one per run.
    expect(await seriesSizes(page, "hyper")).toEqual([2, 2]);
    expect(await seriesPixels(page, "hyper")).toBeGreaterThan(20);
    const { widths } = await loadedImages(page, "#grids img");
    expect(widths).toHaveLength(2);
    for (const w of widths) expect(w).toBeGreaterThan(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "06-linked");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("draws parallel coordinates: an axis per varied hyperparameter and final metric, a line per run coloured by verdict", async () => {
    const { page, errors } = await openTab();
    await page.goto(siteUrl("#/e/dashboard-fixture"));
    await waitForView(page, "experiment");
    const axisNames = () =>
      page.evaluate(() => ((window.__ganscope?.charts["parallel"]?.getOption() as { parallelAxis?: { name: string; type: string }[] }).parallelAxis ?? []).map((a) => `${a.name}:${a.type}`));
    const seriesNames = () => page.evaluate(() => ((window.__ganscope?.charts["parallel"]?.getOption() as { series?: { name: string }[] }).series ?? []).map((s) => s.name));
    expect((await axisNames()).slice(0, 3)).toEqual(["gen_dropout:value", "dis_dropout:value", "FID-lite ↓:value"]);
    // Three runs, each a line in its verdict's series.
    expect((await seriesSizes(page, "parallel")).reduce((a, b) => a + b, 0)).toBe(3);
    const runVerdicts = Object.values(runIds).map((id) => verdicts[id]!.replace(/_/g, " "));
    expect((await seriesNames()).sort()).toEqual([...new Set(runVerdicts)].sort());
    expect(await seriesPixels(page, "parallel")).toBeGreaterThan(50);
    // Unticking a metric takes its axis away.
    await page.uncheck('[data-parallel-metric="fid_lite"]');
    await page.waitForFunction(() => !JSON.stringify(window.__ganscope?.charts["parallel"]?.getOption().parallelAxis).includes("FID-lite"));
    expect(await axisNames()).not.toContain("FID-lite ↓:value");
    await page.check('[data-parallel-metric="fid_lite"]');
    await page.waitForFunction(() => JSON.stringify(window.__ganscope?.charts["parallel"]?.getOption().parallelAxis).includes("FID-lite"));

    // Brushing the FID-lite axis from its bottom to between the best run and the next highlights the best
    // run alone, and turns into the page's filter.
    const ids = Object.values(runIds).sort((a, b) => fids[a]! - fids[b]!);
    const cut = (fids[ids[0]!]! + fids[ids[1]!]!) / 2;
    const section = page.locator("#parallel-section");
    await section.scrollIntoViewIfNeeded();
    const box = (await page.locator("#chart-parallel").boundingBox())!;
    const [x, bottom, top] = await page.evaluate((value) => {
      // ECharts' own geometry (not in its public types): where the axis stands and where a value lies on it.
      type Axis = { dataToCoord(v: number): number; model: { id: string } };
      type Coord = { dimensions: string[]; getAxis(d: string): Axis; getAxisLayout(d: string): { position: [number, number] } };
      const model = (window.__ganscope!.charts["parallel"] as unknown as { getModel(): { getComponent(t: string): { coordinateSystem: Coord } } }).getModel();
      const coord = model.getComponent("parallel").coordinateSystem;
      const dim = coord.dimensions.find((d) => coord.getAxis(d).model.id === "metric:fid_lite")!;
      const [px, py] = coord.getAxisLayout(dim).position;
      return [px, py, py - coord.getAxis(dim).dataToCoord(value)];
    }, cut);
    await page.mouse.move(box.x + x, box.y + bottom - 1);
    await page.mouse.down();
    await page.mouse.move(box.x + x, box.y + top, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelector("#parallel-brushed")?.textContent !== "");
    expect(await page.locator("#parallel-brushed").textContent()).toBe("1 of 3 runs in the brushed ranges");
    await section.screenshot({ path: path.join(ARTIFACTS, "10-parallel.png") });
    await page.click("#parallel-apply");
    await page.waitForFunction(() => location.hash.includes("final.fid_lite=") && document.documentElement.dataset.hash === location.hash && document.documentElement.dataset.ready === "1");
    expect(await page.locator("#runs tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-run")))).toEqual([ids[0]]);

    // Learning rates 150× apart lie on a log axis, as in the metric-vs-hyperparameter plot.
    await page.goto(siteUrl("#/e/dashboard-fixture-reuse"));
    await waitForView(page, "experiment");
    expect((await axisNames())[0]).toBe("dis_lr (log):log");
    expect((await seriesSizes(page, "parallel")).reduce((a, b) => a + b, 0)).toBe(2);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("filters runs by verdict and by a final metric's range: table, charts and grids follow, and the link keeps the filter", async () => {
    const { page, errors } = await openTab();
    await page.goto(siteUrl("#/e/dashboard-fixture"));
    await waitForView(page, "experiment");
    const rowIds = async () => (await page.locator("#runs tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-run")!))).sort();
    const lines = async () => (await seriesSizes(page, "parallel")).reduce((a, b) => a + b, 0);
    const settle = async (hashPart: string) => {
      await page.waitForFunction((part) => location.hash.includes(part) && document.documentElement.dataset.hash === location.hash && document.documentElement.dataset.ready === "1", hashPart);
    };
    const all = Object.values(runIds);
    expect(await rowIds()).toEqual([...all].sort());

    // By verdict: the verdict of the first run, whatever the metrics lib said.
    const verdict = verdicts[runIds["0/0"]!]!;
    const withVerdict = all.filter((id) => verdicts[id] === verdict).sort();
    // A click, not check(): the change redraws the page, box and all.
    await page.click(`[data-filter-verdict="${verdict}"]`);
    await settle(`verdict=${verdict}`);
    expect(await rowIds()).toEqual(withVerdict);
    expect(await seriesSizes(page, "d_loss")).toHaveLength(withVerdict.length);
    expect(await lines()).toBe(withVerdict.length);
    expect(await page.locator("#grids .grid-card").count()).toBe(withVerdict.length);
    expect(await page.locator("#filter-count").textContent()).toBe(`showing ${withVerdict.length} of ${all.length} runs`);
    await page.click("#filter-clear");
    await settle("");
    expect(page.url()).not.toContain("verdict=");

    // By range: final FID-lite at most the middle run's, typed as a person would.
    const sorted = all.map((id) => fids[id]!).sort((a, b) => a - b);
    const max = sorted[1]!;
    const under = all.filter((id) => fids[id]! <= max).sort();
    expect(under.length).toBe(2);
    await page.selectOption("#filter-metric", "fid_lite");
    await page.fill("#filter-max", String(max));
    await page.click("#filter-add");
    await settle("final.fid_lite=");
    expect(await rowIds()).toEqual(under);
    expect(await lines()).toBe(2);
    expect(await page.locator('[data-range="fid_lite"]').textContent()).toContain("FID-lite ≤");
    await shot(page, "11-filtered");

    // The link reproduces the view in a fresh tab.
    const link = page.url();
    const other = await openTab();
    await other.page.goto(link);
    await waitForView(other.page, "experiment");
    expect((await other.page.locator("#runs tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-run")!))).sort()).toEqual(under);
    await other.page.close();

    // A lowest value above the highest is refused with a reason, the filter unchanged.
    await page.fill("#filter-min", "10");
    await page.fill("#filter-max", "1");
    await page.click("#filter-add");
    expect(await page.locator("#filter-problem").textContent()).toContain("above the highest");
    expect(await rowIds()).toEqual(under);

    await page.click('[data-remove-range="fid_lite"]');
    await page.waitForFunction(() => !location.hash.includes("final."));
    await settle("");
    expect(await rowIds()).toEqual([...all].sort());
    expect(errors).toEqual([]);
    expect(other.errors).toEqual([]);
    await page.close();
  });

  it("lists every run of the store in one table across experiments: sortable, filtered, a reused run once", async () => {
    const { page, errors } = await openTab();
    await page.goto(siteUrl());
    await waitForView(page, "experiments");
    await page.click("#all-runs-link");
    await waitForView(page, "runs");
    const rows = () => page.locator("#all-runs tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-experiment")!, tr.getAttribute("data-run")!] as const));
    const reuse = await readJson<{ runs: { runId: string; varied: { dis_lr: number } }[] }>(path.join(results, "dashboard-fixture-reuse", "plan.json"));
    const fast = reuse.runs.find((r) => r.varied.dis_lr === 0.03)!.runId;
    const shared = reuse.runs.find((r) => r.varied.dis_lr !== 0.03)!.runId;
    // The fixture's three runs, the reuse experiment's own run, and the partial sweep's run not started; the
    // reused run and the partial sweep's copies are the fixture's runs (same run ids): listed once, under it.
    const listed = await rows();
    expect(listed.filter(([e]) => e === "dashboard-fixture").map(([, id]) => id).sort()).toEqual(Object.values(runIds).sort());
    expect(listed.filter(([e]) => e === "dashboard-fixture-reuse").map(([, id]) => id)).toEqual([fast]);
    expect(listed.filter(([e]) => e === "dashboard-fixture-partial").map(([, id]) => id)).toEqual(["0123456789ab"]);
    expect(listed).toHaveLength(5);
    // Reused by the reuse experiment (a symlink) and copied into the partial sweep: named in the "also in" list.
    expect(await page.locator(`#all-runs tr[data-run="${shared}"] [data-col="experiment"]`).textContent()).toMatch(/^dashboard-fixturealso in .*dashboard-fixture-reuse/);
    expect(await page.locator(`#all-runs tr[data-run="${fast}"] [data-col="varied"]`).textContent()).toBe("dis_lr=0.03");
    expect(await page.locator(`#all-runs tr[data-run="${fast}"] [data-verdict]`).getAttribute("data-verdict")).toBe(verdicts[fast]);

    // Sorted by final FID-lite across experiments, both ways; the run without one last either way.
    const fidColumn = () => page.locator('#all-runs tbody td[data-col="final:fid_lite"]').allTextContents();
    await page.click('#all-runs th[data-sort-key="final:fid_lite"]');
    const up = await fidColumn();
    expect(up.at(-1)).toBe("—");
    const numbers = up.slice(0, -1).map(Number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    await page.click('#all-runs th[data-sort-key="final:fid_lite"]');
    expect(await fidColumn()).toEqual([...numbers].reverse().map(String).concat("—"));
    await shot(page, "12-all-runs");

    // The filter works here too, and a run's experiment link carries it.
    const verdict = verdicts[fast]!;
    await page.click(`[data-filter-verdict="${verdict}"]`);
    await page.waitForFunction((v) => location.hash.includes(`verdict=${v}`) && document.documentElement.dataset.hash === location.hash && document.documentElement.dataset.ready === "1", verdict);
    const judged = Object.entries(verdicts).filter(([, v]) => v === verdict).map(([id]) => id);
    expect((await rows()).map(([, id]) => id).sort()).toEqual([...new Set(judged)].sort());
    expect(await page.locator(`#all-runs tr[data-run="${fast}"] [data-col="experiment"] a`).getAttribute("href")).toBe(`#/e/dashboard-fixture-reuse?verdict=${verdict}`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("renders an empty results folder (and a missing one) without errors", async () => {
    const empty = path.join(tmp, "empty-results");
    await fs.mkdir(empty);
    for (const [store, out] of [
      [empty, path.join(tmp, "site-empty")],
      [path.join(tmp, "no-such-results"), path.join(tmp, "site-missing")],
    ] as const) {
      expect(await buildSite(store, out)).toContain("0 experiment(s), 0 run(s)");
      const { page, errors } = await openTab();
      await page.goto(pathToFileURL(path.join(out, "index.html")).href);
      await waitForView(page, "experiments");
      expect(await page.locator("[data-empty]").isVisible()).toBe(true);
      // An experiment link into an empty site says so instead of breaking.
      await page.goto(pathToFileURL(path.join(out, "index.html")).href + "#/e/nothing");
      await waitForView(page, "error");
      expect(await page.locator("main").textContent()).toContain('No experiment named "nothing"');
      if (store === empty) {
        await page.goto(pathToFileURL(path.join(out, "index.html")).href);
        await waitForView(page, "experiments");
        await shot(page, "07-empty");
      }
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it("works served over http too, and the server keeps to its folder", async () => {
    const { child, port } = await serve(site);
    try {
      const { page, errors } = await openTab();
      await page.goto(`http://127.0.0.1:${port}/`);
      await waitForView(page, "experiments");
      await page.click('a[href="#/e/dashboard-fixture"]');
      await waitForView(page, "experiment");
      expect(await seriesSizes(page, "d_loss")).toEqual([EPOCHS, EPOCHS, EPOCHS]);
      const { widths } = await loadedImages(page, "#grids img");
      for (const w of widths) expect(w).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      await page.close();

      const status = (p: string) =>
        new Promise<number>((resolve, reject) => {
          http.get({ host: "127.0.0.1", port, path: p }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          }).on("error", reject);
        });
      // An encoded slash survives URL parsing and decodes to a path outside the site.
      expect(await status("/..%2f..%2f..%2fetc%2fpasswd")).toBe(403);
      expect(await status("/%2e%2e/%2e%2e/etc/passwd")).toBe(404);
      expect(await status("/nope.js")).toBe(404);
      expect(await status("/vendor/echarts.min.js")).toBe(200);
    } finally {
      child.kill();
    }
  });
  it("shows every run of the store: earlier plans' runs filtered by plan and file, links to MLflow, grids enlarge", async () => {
    // A store whose latest plan lists one run of three; the others are left by earlier plans (one from another file).
    const store = path.join(tmp, "history-results");
    const exp = path.join(store, "history");
    await fs.mkdir(exp, { recursive: true });
    const [latest, older, oldest] = [runIds["0/0"]!, runIds["0.5/0"]!, runIds["0/0.5"]!];
    for (const id of [latest, older, oldest]) await fs.cp(path.join(results, "dashboard-fixture", id), path.join(exp, id), { recursive: true });
    await writeJson(path.join(exp, "plan.json"), { experiment: "history", description: "rerun with other flags", axes: ["gen_dropout", "dis_dropout"], file: FIXTURE_EXP, createdAt: new Date().toISOString(), runs: [{ runId: latest, varied: { gen_dropout: 0, dis_dropout: 0 } }] });
    const oldConfig = await readJson<Record<string, unknown>>(path.join(exp, oldest, "config.json"));
    await writeJson(path.join(exp, oldest, "config.json"), { ...oldConfig, file: "experiments/older.exp.ts" });
    await writeJson(path.join(exp, latest, "mlflow.json"), { links: [{ trackingUri: "http://127.0.0.1:5000", experimentName: "history", experimentId: "3", runId: "0f1e2d" }] });
    const out = path.join(tmp, "history-site");
    await buildSite(store, out);

    const { page, errors } = await openTab();
    await page.goto(pathToFileURL(path.join(out, "index.html")).href + "#/e/history");
    await waitForView(page, "experiment");
    const rowIds = () => page.locator("#runs tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-run")));
    expect((await rowIds()).sort()).toEqual([latest, older, oldest].sort());
    expect(await page.locator("#runs [data-earlier]").count()).toBe(2);
    expect(await page.locator(`#runs tr[data-run="${latest}"] a[data-mlflow]`).getAttribute("href")).toBe("http://127.0.0.1:5000/#/experiments/3/runs/0f1e2d?workflowType=machine_learning");
    expect(await page.locator("#runs a[data-mlflow]").count()).toBe(1);
    await shot(page, "08-history-all-runs");

    await page.selectOption("#filter-plan", "latest");
    await waitForView(page, "experiment");
    expect(await rowIds()).toEqual([latest]);
    expect(await seriesSizes(page, "d_loss")).toEqual([EPOCHS]);
    await page.selectOption("#filter-plan", "earlier");
    await waitForView(page, "experiment");
    expect((await rowIds()).sort()).toEqual([older, oldest].sort());
    await page.selectOption("#filter-file", "experiments/older.exp.ts");
    await waitForView(page, "experiment");
    expect(await rowIds()).toEqual([oldest]);
    await page.selectOption("#filter-plan", "all");
    await page.selectOption("#filter-file", "");
    await waitForView(page, "experiment");

    // A click enlarges a grid to at least its own pixel size (302 px), where the card shows it smaller.
    await loadedImages(page, "#grids img");
    const card = page.locator("#grids .grid-card img").first();
    const cardWidth = (await card.boundingBox())!.width;
    const natural = await card.evaluate((img) => (img as HTMLImageElement).naturalWidth);
    await card.click();
    const big = page.locator("#lightbox[open] img");
    await big.waitFor();
    const bigWidth = (await big.boundingBox())!.width;
    expect(bigWidth).toBeGreaterThan(cardWidth);
    expect(bigWidth).toBeGreaterThanOrEqual(natural);
    await shot(page, "09-grid-enlarged");
    await page.keyboard.press("Escape");
    expect(await page.locator("#lightbox[open]").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("serve --watch rebuilds when the store changes, and the open page reloads itself", async () => {
    const store = path.join(tmp, "watch-results");
    await fs.mkdir(path.join(store, "watched"), { recursive: true });
    const plan = { experiment: "watched", description: "first", axes: [], createdAt: new Date().toISOString(), runs: [] };
    await writeJson(path.join(store, "watched", "plan.json"), plan);
    const out = path.join(tmp, "watch-site");
    const child = spawn(process.execPath, ["--import", "tsx", "apps/dashboard/src/cli.ts", "serve", "--watch", "--results", store, "--dir", out, "--port", "0", "--interval", "0.3"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let output = "";
        child.stdout.on("data", (d: Buffer) => {
          output += d.toString();
          const m = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
          if (m) resolve(Number(m[1]));
        });
        child.on("close", (code) => reject(new Error(`serve --watch exited (${code}):\n${output}`)));
      });
      const { page, errors } = await openTab();
      await page.goto(`http://127.0.0.1:${port}/`);
      await waitForView(page, "experiments");
      expect(await page.locator('tr[data-experiment="watched"] .desc-cell').textContent()).toBe("first");
      await writeJson(path.join(store, "watched", "plan.json"), { ...plan, description: "second, after a rebuild" });
      await page.waitForFunction(() => document.querySelector('tr[data-experiment="watched"] .desc-cell')?.textContent === "second, after a rebuild", undefined, { timeout: 30_000 });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      child.kill();
    }
  });
});
