/**
 * MLflow end to end, against a real `mlflow server` (the pinned version from
 * .venv/mlflow, SQLite and an artifacts folder in a temp dir): the runner CLI
 * trains with MLFLOW_TRACKING_URI set, and everything is checked through the
 * REST API, as the MLflow UI would show it — runs, params, every epoch's
 * metric history, artifacts (a sample grid downloaded and compared with the
 * local file), status. Also: an outage (the plan runs while the server is
 * down, then `runner sync` replays it, twice without duplicates), a kill -9
 * while logging live, and no network traffic at all without the variable.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mlflowMetricName, valueAt } from "@ganscope/dsl";
import { MlflowClient, RunStore, summaryTagsOf, type EpochRecord, type StoredConfig } from "@ganscope/tracking";
import { ensureMlflow, freePort, startMlflowServer, type MlflowServer } from "@ganscope/tracking/testing";

const REPO = path.resolve(import.meta.dirname, "../../..");
const MAIN = path.join(import.meta.dirname, "main.ts");
mkdirSync(path.join(REPO, "tmp"), { recursive: true });
const dir = mkdtempSync(path.join(REPO, "tmp", "mlflow-"));

const DESCRIPTION = "Two discriminator learning rates on a tiny GAN, for the MLflow tests.";

function expFile(name: string, fix: string, vary: string, epochs: number): string {
  const file = path.join(dir, `${name}.exp.ts`);
  writeFileSync(
    file,
    `import { experiment } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
export default experiment("${name}")
  .describe("${DESCRIPTION}")
  .fix({ ...TINY_GAN, limit: 256, batch_size: 64, ${fix} })${vary}
  .epochs(${epochs});
`,
  );
  return file;
}

interface Cli {
  code: number | null;
  out: string;
}

function cli(args: string[], env: Record<string, string | undefined>, opts: { onChild?: (pid: number) => void } = {}): Promise<Cli> {
  const full: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ["MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"]) delete full[k];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) full[k] = v;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: REPO, env: full, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    opts.onChild?.(child.pid!);
    let out = "";
    child.stdout.on("data", (d) => (out += String(d)));
    child.stderr.on("data", (d) => (out += String(d)));
    child.on("close", (code) => resolve({ code, out }));
  });
}

/** The REST API, read the way the UI reads it (no ganscope code involved). */
async function rest<T>(server: MlflowServer, endpoint: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.uri}/api/2.0/mlflow/${endpoint}`, body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${endpoint}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface RestRun {
  info: { run_id: string; run_name: string; status: string; end_time?: number; experiment_id: string };
  data: { params?: { key: string; value: string }[]; tags?: { key: string; value: string }[] };
}

async function runsOf(server: MlflowServer, experiment: string): Promise<RestRun[]> {
  const { experiment: exp } = await rest<{ experiment: { experiment_id: string } }>(server, `experiments/get-by-name?experiment_name=${encodeURIComponent(experiment)}`);
  return (await rest<{ runs?: RestRun[] }>(server, "runs/search", { experiment_ids: [exp.experiment_id], max_results: 1000 })).runs ?? [];
}

async function history(server: MlflowServer, runId: string, key: string): Promise<{ step: number; value: number | string }[]> {
  return (await rest<{ metrics?: { step: number; value: number | string }[] }>(server, `metrics/get-history?run_id=${runId}&metric_key=${key}`)).metrics ?? [];
}

async function artifacts(server: MlflowServer, runId: string, p = ""): Promise<{ path: string; file_size?: number }[]> {
  const r = await rest<{ files?: { path: string; is_dir: boolean; file_size?: number }[] }>(server, `artifacts/list?run_id=${runId}${p ? `&path=${encodeURIComponent(p)}` : ""}`);
  const out: { path: string; file_size?: number }[] = [];
  for (const f of r.files ?? []) out.push(...(f.is_dir ? await artifacts(server, runId, f.path) : [f]));
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Everything the store holds for every run of the experiment is in MLflow,
 * exactly once: one MLflow run per ganscope run, its params, each metric's
 * history = the records' epochs, one value each, the artifacts, the status.
 */
async function expectMirrored(server: MlflowServer, results: string, experiment: string, relTolerance = 0): Promise<void> {
  const store = new RunStore(results);
  const index = await store.index(experiment);
  const runs = await runsOf(server, experiment);
  expect(runs).toHaveLength(index.runs.length);
  // MLflow 3's UI opens an experiment of this kind on its runs; its description is the plan's.
  const { experiment: exp } = await rest<{ experiment: { tags?: { key: string; value: string }[] } }>(server, `experiments/get-by-name?experiment_name=${encodeURIComponent(experiment)}`);
  const expTags = Object.fromEntries((exp.tags ?? []).map((t) => [t.key, t.value]));
  expect(expTags).toMatchObject({ "mlflow.experimentKind": "custom_model_development", "mlflow.note.content": DESCRIPTION });
  for (const entry of index.runs) {
    const tagged = runs.filter((r) => r.data.tags?.some((t) => t.key === "ganscope.run_id" && t.value === entry.runId));
    expect(tagged, `MLflow runs for ${entry.runId}`).toHaveLength(1);
    const mlRun = tagged[0]!;
    const run = store.run(experiment, entry.runId);
    const config = (await run.readConfig()) as StoredConfig;
    const tags = Object.fromEntries((mlRun.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({ "ganscope.plan": experiment, "ganscope.experiment_file": config.file, "mlflow.source.git.commit": expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(tags["ganscope.backend"]).toMatch(/^(wasm|cpu|tensorflow) /);
    // The UI's conventions: the experiment's description on the run, the user, the verdict as a searchable tag.
    // …and the run's own data budget (--limit overrides the file's), not the experiment's words alone.
    const data = `Trains on the first ${(config.config["limit"] as number).toLocaleString("en-US")} mnist training images, batch ${String(config.config["batch_size"])}; its epochs are the metrics' steps.`;
    expect(tags["mlflow.note.content"]).toBe(Object.keys(entry.varied).length > 0 ? `${DESCRIPTION}\n\nThis run: ${Object.entries(entry.varied).map(([k, v]) => `${k}=${String(v)}`).join(", ")}. ${data}` : `${DESCRIPTION}\n\n${data}`);
    expect(tags["mlflow.user"]).toBe(os.userInfo().username);
    const summary = await run.readSummary();
    if (typeof summary?.["verdict"] === "string") {
      expect(tags["verdict"]).toBe(summary["verdict"]);
      const found = (await rest<{ runs?: RestRun[] }>(server, "runs/search", { experiment_ids: [mlRun.info.experiment_id], filter: `tags.verdict = '${summary["verdict"]}' and tags.\`ganscope.run_id\` = '${entry.runId}'` })).runs ?? [];
      expect(found.map((r) => r.info.run_id)).toEqual([mlRun.info.run_id]);
    }
    // The best values as tags (`best.fid_lite` = "55.24 (epoch 4)"), no one-value metrics: the metric keys are the records' alone.
    const best = summaryTagsOf(summary);
    expect(best.length).toBeGreaterThan(0);
    for (const t of best) expect(tags[t.key], t.key).toBe(t.value);
    expect(tags["best.fid_lite"]).toMatch(/^\d+(\.\d+)? \(epoch \d+\)$/);
    const got = await rest<{ run: { data: { metrics?: { key: string }[] }; inputs?: { dataset_inputs?: { tags?: { key: string; value: string }[]; dataset: { name: string; digest: string; source_type: string; profile: string } }[] } } }>(server, `runs/get?run_id=${mlRun.info.run_id}`);
    expect((got.run.data.metrics ?? []).filter((m) => /^(final|best)\//.test(m.key))).toEqual([]);
    // The training data as the run's input, with the run's budget: --limit images of mnist.
    const limit = config.config["limit"] as number;
    expect(got.run.inputs?.dataset_inputs).toEqual([
      {
        tags: [{ key: "mlflow.data.context", value: "training" }],
        dataset: expect.objectContaining({ name: `mnist-train[:${limit}]`, digest: config.data!.digest, source_type: "local" }),
      },
    ]);
    expect(JSON.parse(got.run.inputs!.dataset_inputs![0]!.dataset.profile)).toMatchObject({ training_images: limit, split_images: 60_000, features_shape: [limit, 28, 28] });
    // Each sample grid as an MLflow image at its epoch (image and thumbnail), and the tag the UI's image cards look for.
    const grids = (await run.samples()).map((x) => x.epoch);
    const images = (await artifacts(server, mlRun.info.run_id, "images")).map((f) => f.path);
    for (const epoch of grids) {
      expect(images.filter((p) => new RegExp(`^images/samples~grid\\+step\\+${epoch}\\+timestamp\\+\\d+\\+[^+]+\\.png$`).test(p)), `image of epoch ${epoch}`).toHaveLength(1);
      expect(images.filter((p) => new RegExp(`^images/samples~grid\\+step\\+${epoch}\\+timestamp\\+\\d+\\+[^+]+\\+compressed\\.png$`).test(p)), `thumbnail of epoch ${epoch}`).toHaveLength(1);
    }
    expect(images).toHaveLength(2 * grids.length);
    expect(tags["mlflow.loggedImages"]).toBe(grids.length > 0 ? "True" : undefined);
    expect(mlRun.info.run_name).toContain(entry.runId);
    for (const [k, v] of Object.entries(entry.varied)) expect(mlRun.info.run_name).toContain(`${k}=${String(v)}`);
    expect(mlRun.info.status).toBe("FINISHED");
    expect(mlRun.info.end_time).toBeGreaterThan(0);
    // Params: every hyperparameter, once.
    const params = Object.fromEntries((mlRun.data.params ?? []).map((p) => [p.key, p.value]));
    expect(Object.keys(params).sort()).toEqual(Object.keys(config.config).sort());
    for (const [k, v] of Object.entries(config.config)) expect(params[k]).toBe(typeof v === "string" ? v : JSON.stringify(v));
    // Metrics: each epoch once, with the store's value.
    const records: EpochRecord[] = await run.readRecords();
    // Every key any record has (evaluation metrics only on eval epochs), at exactly the epochs that have it.
    const keys = [...new Set(records.flatMap((r) => Object.keys(r)))].filter((k) => k !== "epoch");
    expect(keys).toEqual(expect.arrayContaining(["d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm", "steps", "secs"]));
    for (const key of keys) {
      const h = await history(server, mlRun.info.run_id, mlflowMetricName(key));
      const want = records.filter((r) => key in r);
      expect(h.map((m) => m.step).sort((a, b) => a - b), `${entry.runId} ${key} steps`).toEqual(want.map((r) => r.epoch));
      for (const m of h) {
        const v = valueAt(want.find((r) => r.epoch === m.step)!, key);
        if (typeof v !== "number" || !Number.isFinite(v)) continue;
        // An epoch logged live and then replayed after a kill trains to the same values bit for bit, but not in the same wall time:
        // MLflow keeps the first attempt's seconds (each epoch is logged once).
        if (key === "secs") continue;
        if (relTolerance === 0) expect(m.value, `${key} at epoch ${m.step}`).toBe(v);
        else expect(Math.abs(Number(m.value) - v), `${key} at epoch ${m.step}`).toBeLessThanOrEqual(relTolerance * Math.max(1, Math.abs(v)));
      }
    }
    // Artifacts: config, summary and every sample grid, at their sizes; a grid downloaded equals the local PNG.
    const local = readdirSync(run.file("samples")).sort();
    const all = await artifacts(server, mlRun.info.run_id);
    // Checkpoints logged live (for a queue worker to resume from) are checked apart: the tag names the last, at the local size.
    const ckptTag = mlRun.data.tags?.find((t) => t.key === "ganscope.checkpoint_epoch")?.value;
    if (ckptTag) {
      const named = all.find((f) => f.path === `checkpoints/epoch-${ckptTag.padStart(4, "0")}.bin`);
      expect(named?.file_size, `checkpoint of epoch ${ckptTag}`).toBe(readFileSync(run.checkpointFile).length);
    }
    const remote = all.filter((f) => !f.path.startsWith("checkpoints/") && !f.path.startsWith("images/"));
    expect(remote.map((f) => f.path)).toEqual(["config.json", ...local.map((f) => `samples/${f}`), "summary.json"]);
    for (const f of remote) {
      const file = f.path.startsWith("samples/") ? path.join(run.dir, f.path) : run.file(f.path);
      expect(f.file_size, f.path).toBe(readFileSync(file).length);
    }
    const last = local.at(-1)!;
    const png = await fetch(`${server.uri}/get-artifact?path=${encodeURIComponent(`samples/${last}`)}&run_uuid=${mlRun.info.run_id}`);
    expect(png.ok).toBe(true);
    expect(Buffer.from(await png.arrayBuffer()).equals(readFileSync(path.join(run.dir, "samples", last)))).toBe(true);
    // The store remembers which MLflow run it is.
    expect(entry.mlflow).toMatchObject({ trackingUri: server.uri, experimentName: experiment, runId: mlRun.info.run_id });
  }
}

let server: MlflowServer | undefined;
let port = 0;
const t0 = Date.now();
const timings: string[] = [];
const time = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
  const s = Date.now();
  try {
    return await f();
  } finally {
    timings.push(`${what} ${((Date.now() - s) / 1000).toFixed(1)} s`);
  }
};

beforeAll(async () => {
  await time("venv check/setup", ensureMlflow);
  port = await freePort();
}, 300_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
  console.info(`mlflow e2e: ${timings.join(", ")}; file total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

describe("MLflow outage, then runner sync", () => {
  const results = path.join(dir, "outage-results");
  const file = expFile("mlflow-outage", "sample_every: 2", `\n  .vary("dis_lr", [2e-4, 1e-3])`, 3);

  it("trains the whole plan while the server is down, keeping everything in the store and saying how to catch up", async () => {
    const r = await time("plan with server down", () => cli(["exp", `--file=${file}`, "--results", results, "--concurrency", "1"], { MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}` }));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/MLflow at http:\/\/127\.0\.0\.1:\d+ failed \(.*ECONNREFUSED.*\); training continues/);
    expect(r.out).toMatch(/rerun `runner sync` when the server is back/);
    const index = await new RunStore(results).index("mlflow-outage");
    expect(index.counts.done).toBe(2);
    for (const run of index.runs) expect(run.mlflow).toBeUndefined();
  });

  it("once the server is up, `runner sync` replays everything exactly once; a second sync sends nothing", async () => {
    server = await time("server start", () => startMlflowServer({ port }));
    const env = { MLFLOW_TRACKING_URI: server.uri };
    const first = await time("sync", () => cli(["sync", "--results", results], env));
    expect(first.code, first.out).toBe(0);
    const store = new RunStore(results);
    for (const { runId } of (await store.index("mlflow-outage")).runs) {
      const run = store.run("mlflow-outage", runId);
      const records = await run.readRecords();
      const values = records.reduce((n, r) => n + Object.keys(r).length - 1, 0);
      const grids = readdirSync(run.file("samples")).length;
      const files = 2 + grids; // config.json, summary.json, grids
      expect(first.out).toMatch(
        new RegExp(`mlflow-outage/${runId} → MLflow run [0-9a-f]{32}: created, 21 params, ${values} metric values, ${files} artifacts, ${grids} sample grids as images, its training data as input, status FINISHED`),
      );
    }
    await expectMirrored(server, results, "mlflow-outage");
    const second = await time("sync again", () => cli(["sync", "--results", results], env));
    expect(second.code, second.out).toBe(0);
    expect(second.out).not.toMatch(/→ MLflow run/);
    expect(second.out).toMatch(/2 runs checked, 0 with errors/);
    await expectMirrored(server, results, "mlflow-outage");
    // Without MLFLOW_TRACKING_URI: the server the store's runs were logged to, said so; still nothing to send.
    const third = await cli(["sync", "--results", results], {});
    expect(third.code, third.out).toBe(0);
    expect(third.out).toContain(`MLFLOW_TRACKING_URI is not set; syncing to ${server.uri}, where the store's runs were logged`);
    expect(third.out).not.toMatch(/→ MLflow run/);
    expect(third.out).toMatch(/2 runs checked, 0 with errors/);
  }, 400_000);
});

describe("runner pull: what is not there is refused in one line, exit 2", () => {
  // Before: `--experiment <typo>` printed "0 of 0 runs copied", exit 0; `--results <a file>` blamed the server ("when it is back"), exit 1.
  it("an experiment the server does not have, named with those it has; a --results that is a file; the right name pulls", async () => {
    server ??= await startMlflowServer({ port });
    const env = { MLFLOW_TRACKING_URI: server.uri };
    await new MlflowClient({ trackingUri: server.uri }).getOrCreateExperiment("pull-known");
    const results = path.join(dir, "pull-results");

    const typo = await cli(["pull", "--experiment", "pull-knwon", "--results", results], env);
    expect(typo.out.trim()).toMatch(new RegExp(`^error: --experiment pull-knwon: no such experiment on ${server.uri.replace(/\./g, "\\.")} \\(it has [^)]*\\bpull-known\\b[^)]*\\)$`));
    expect(typo.out).not.toMatch(/\bDefault\b/);
    expect(typo.code).toBe(2);
    expect(existsSync(results)).toBe(false);

    const file = path.join(dir, "pull-results-file");
    writeFileSync(file, "not a folder");
    const notDir = await cli(["pull", "--experiment", "pull-known", "--results", file], env);
    expect(notDir.out.trim()).toBe(`error: --results ${file}: is a file; expected the run store's folder (created if missing), e.g. results`);
    expect(notDir.code).toBe(2);
    expect(readFileSync(file, "utf8")).toBe("not a folder");

    const known = await cli(["pull", "--experiment", "pull-known", "--results", results], env);
    expect(known.out.trim()).toBe(`pulled from ${server.uri}: 0 of 0 runs of pull-known copied into ${results}`);
    expect(known.code).toBe(0);
  }, 400_000);
});

describe("MLflow live", () => {
  it("logs every run while it trains (server up): params, each epoch, grids, status; the end-of-plan sync adds nothing", async () => {
    server ??= await startMlflowServer({ port });
    const results = path.join(dir, "live-results");
    const file = expFile("mlflow-live", "sample_every: 1", `\n  .vary("gen_lr", [2e-4, 1e-3])`, 3);
    const r = await time("plan with server up", () => cli(["exp", `--file=${file}`, "--results", results, "--concurrency", "2"], { MLFLOW_TRACKING_URI: server!.uri }));
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toMatch(/MLflow at .* failed/);
    // The live sink sent it all; the sync at the end found nothing missing.
    expect(r.out).not.toMatch(/→ MLflow run/);
    expect(r.out).toMatch(/MLflow sync to .*: 2 runs checked, 0 with errors/);
    // A link that lands on the experiment's runs, in the training view (not MLflow 3's GenAI traces).
    expect(r.out).toMatch(new RegExp(`MLflow: ${server!.uri.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/#/experiments/\\d+\\?workflowType=machine_learning`));
    await expectMirrored(server, results, "mlflow-live");
  }, 400_000);

  it("a run killed with SIGKILL while logging resumes into the same MLflow run, each epoch once", async () => {
    server ??= await startMlflowServer({ port });
    const results = path.join(dir, "kill-results");
    const file = expFile("mlflow-kill", "sample_every: 1, limit: 512, batch_size: 32", "", 5);
    const env = { MLFLOW_TRACKING_URI: server!.uri };
    let pid = 0;
    let exited = false;
    const running = cli(["exp", `--file=${file}`, "--results", results, "--concurrency", "1"], env, { onChild: (p) => (pid = p) });
    void running.then(() => (exited = true));
    // Kill the whole runner right after epoch 3's record (logged live, not yet checkpointed).
    const expDir = path.join(results, "mlflow-kill");
    for (;;) {
      const runDir = existsSync(expDir) ? readdirSync(expDir).find((d) => /^[0-9a-f]{12}$/.test(d)) : undefined;
      const metrics = runDir ? path.join(expDir, runDir, "metrics.jsonl") : "";
      if (metrics && existsSync(metrics) && readFileSync(metrics, "utf8").split("\n").filter((l) => l.endsWith("}")).length >= 3) break;
      if (exited) throw new Error(`runner ended before epoch 3: ${(await running).out}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    process.kill(-pid, "SIGKILL");
    await running;
    const before = await runsOf(server!, "mlflow-kill");
    expect(before).toHaveLength(1);
    expect(before[0]!.info.status).toBe("RUNNING");
    await new Promise((r) => setTimeout(r, 200)); // the group is gone; its lock is stale
    const r = await time("resume with server up", () => cli(["exp", `--file=${file}`, "--results", results, "--concurrency", "1"], env));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/resuming after epoch \d/);
    // Epoch 3 may have reached MLflow live before the kill; it was trained again from epoch 2's checkpoint and
    // not logged twice, so MLflow keeps the first value, equal to float32 rounding (see resume.test.ts on Adam).
    await expectMirrored(server!, results, "mlflow-kill", 1e-4);
    expect((await runsOf(server!, "mlflow-kill"))[0]!.info.run_id).toBe(before[0]!.info.run_id);
  }, 400_000);
});

describe("without MLFLOW_TRACKING_URI", () => {
  // A preload that records every outgoing socket connection of the runner and its workers.
  const spy = path.join(dir, "net-spy.mjs");
  const spyLog = path.join(dir, "net-spy.log");
  writeFileSync(
    spy,
    `import net from "node:net";
import { appendFileSync } from "node:fs";
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  // net.connect passes its normalised [options, callback] array.
  const o = Array.isArray(args[0]) ? args[0][0] : args[0];
  const to = typeof o === "object" && o !== null ? { host: o.host, port: o.port, path: o.path } : { port: o };
  appendFileSync(${JSON.stringify(spyLog)}, JSON.stringify({ pid: process.pid, ...to }) + "\\n");
  return connect.apply(this, args);
};
`,
  );
  const connections = () => (existsSync(spyLog) ? readFileSync(spyLog, "utf8").trim().split("\n").filter(Boolean) : []);
  const file = expFile("mlflow-off", "sample_every: 1", "", 1);

  it("the spy sees a runner's connection when MLflow is configured (so silence below means something)", async () => {
    rmSync(spyLog, { force: true });
    const r = await cli(["exp", `--file=${file}`, "--results", path.join(dir, "spy-on"), "--concurrency", "1"], {
      MLFLOW_TRACKING_URI: `http://127.0.0.1:${await freePort()}`,
      NODE_OPTIONS: `--import=${spy}`,
    });
    expect(r.code, r.out).toBe(0);
    expect(connections().map((l) => JSON.parse(l) as { port?: number }).filter((c) => c.port !== undefined).length).toBeGreaterThan(0);
  });

  it("a plan makes no network connection at all", async () => {
    rmSync(spyLog, { force: true });
    const r = await cli(["exp", `--file=${file}`, "--results", path.join(dir, "spy-off"), "--concurrency", "1"], { NODE_OPTIONS: `--import=${spy}` });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/done/);
    // tsx's loader talks to its parent over a Unix socket in the temp dir; that is not network, TCP is.
    const all = connections().map((l) => JSON.parse(l) as { host?: string; port?: number; path?: string });
    expect(all.filter((c) => c.port !== undefined || c.host !== undefined)).toEqual([]);
    for (const c of all) expect(c.path).toMatch(/tsx-\d+\/\d+\.pipe$/);
  });

  it("`runner sync` says what to set, and exits 2", async () => {
    const r = await cli(["sync", "--results", path.join(dir, "spy-off")], {});
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/set MLFLOW_TRACKING_URI/);
  });
});
