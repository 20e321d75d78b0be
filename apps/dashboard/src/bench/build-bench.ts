#!/usr/bin/env -S npx tsx
/**
 * Times the dashboard on a synthetic sweep (default 16 runs × 100 epochs,
 * metrics every 5 epochs, a sample grid every 5) written to a temporary
 * folder: build time (in-process and through the CLI, as Nx runs it), page
 * weight, and, when Chromium is installed, how long the experiment page takes
 * to draw in it.
 *
 *   npx tsx apps/dashboard/src/bench/build-bench.ts [--side 4] [--epochs 100] [--reps 3]
 *   npx nx run dashboard:bench
 */
import { spawnSync } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { buildSite } from "../build-site.js";
import { writeSyntheticStore } from "./synthetic-store.js";

const { values } = parseArgs({
  options: {
    side: { type: "string", default: "4" },
    epochs: { type: "string", default: "100" },
    "sample-every": { type: "string", default: "5" },
    reps: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
  },
});
const side = Number(values.side);
const epochs = Number(values.epochs);
const reps = Number(values.reps);
const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const CHROMIUM = process.env.GANSCOPE_CHROMIUM ?? "/usr/bin/chromium";

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "dash-bench-"));
const results = path.join(tmp, "results");
const site = path.join(tmp, "site");
const name = `synthetic-${side * side}x${epochs}`;
try {
  const t0 = performance.now();
  const runs = await writeSyntheticStore(results, name, { side, epochs, sampleEvery: Number(values["sample-every"]), evalEvery: 5 });
  console.log(`store: ${runs} runs × ${epochs} epochs written in ${((performance.now() - t0) / 1000).toFixed(2)} s (${tmp})`);

  const times: number[] = [];
  let report: Awaited<ReturnType<typeof buildSite>> | undefined;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    report = await buildSite({ resultsDir: results, outDir: site });
    times.push((performance.now() - t) / 1000);
  }
  console.log(`build (in-process, ${reps} reps): ${times.map((t) => t.toFixed(2)).join(", ")} s; median ${median(times).toFixed(2)} s`);

  const cliTimes: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", "apps/dashboard/src/cli.ts", "build", "--results", results, "--out", site], { cwd: REPO, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cli build failed: ${r.stderr}`);
    cliTimes.push((performance.now() - t) / 1000);
  }
  console.log(`build (CLI process as the Nx target runs it, ${reps} reps): ${cliTimes.map((t) => t.toFixed(2)).join(", ")} s; median ${median(cliTimes).toFixed(2)} s`);

  const b = report!.bytes;
  const gz = async (rel: string) => gzipSync(await fs.readFile(path.join(site, rel))).length;
  const dataFile = (await fs.readdir(path.join(site, "data"))).find((f) => f.startsWith("exp-"))!;
  const expData = (await fs.stat(path.join(site, "data", dataFile))).size;
  const finals = await Promise.all(
    (await fs.readdir(path.join(site, "s"))).map(async (d) => {
      const files = (await fs.readdir(path.join(site, "s", d))).sort();
      return (await fs.stat(path.join(site, "s", d, files.at(-1)!))).size;
    }),
  );
  const shell = b.html + b.css + b.app;
  const listPage = shell + (await fs.stat(path.join(site, "data", "index.js"))).size;
  const expPage = listPage + b.echarts + expData + finals.reduce((a, c) => a + c, 0);
  console.log(`site on disk: ${kib(shell + b.echarts + b.data + b.samples)} (echarts ${kib(b.echarts)}, app ${kib(b.app)}, html+css ${kib(b.html + b.css)}, data ${kib(b.data)}, ${report!.samples} sample grids ${kib(b.samples)})`);
  console.log(`experiments page transfers: ${kib(listPage)} (no charts, so no echarts)`);
  console.log(
    `experiment page transfers: ${kib(expPage)} = shell ${kib(shell)} + echarts ${kib(b.echarts)} (${kib(await gz("vendor/echarts.min.js"))} gzipped) + data ${kib(expData)} (${kib(await gz(`data/${dataFile}`))} gzipped) + ${finals.length} latest sample grids ${kib(finals.reduce((a, c) => a + c, 0))}`,
  );

  if (existsSync(CHROMIUM)) {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const draws: number[] = [];
    for (let i = 0; i < reps; i++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const t = performance.now();
      await page.goto(pathToFileURL(path.join(site, "index.html")).href + `#/e/${name}`);
      await page.waitForSelector('html[data-view="experiment"][data-ready="1"]', { timeout: 60_000 });
      draws.push(performance.now() - t);
      if (i === 0) {
        // Sample grids load lazily: bring each into view so the screenshot shows them.
        for (const img of await page.locator("#grids img").all()) await img.scrollIntoViewIfNeeded();
        // Strings, not functions: this file is type-checked without the DOM's types.
        await page.waitForFunction('[...document.querySelectorAll("#grids img")].every((im) => im.complete)');
        await page.evaluate("window.scrollTo(0, 0)");
        const out = path.join(REPO, "test-artifacts", "dashboard");
        await fs.mkdir(out, { recursive: true });
        await page.screenshot({ path: path.join(out, `bench-${name}.png`), fullPage: true });
      }
      await page.close();
    }
    await browser.close();
    console.log(`experiment page in chromium (file://, load → every chart drawn, ${reps} reps): ${draws.map((d) => d.toFixed(0)).join(", ")} ms; median ${median(draws).toFixed(0)} ms`);
  } else {
    console.log(`chromium not found at ${CHROMIUM}: page draw time not measured`);
  }
} finally {
  if (!values.keep) await fs.rm(tmp, { recursive: true, force: true });
}
