/**
 * `runner sync` replays the checkpoint too, not only the records: a run
 * logged live to a real MLflow server, then extended while the server is
 * down, then synced, must leave the server's `ganscope.checkpoint_epoch` tag
 * (and artifact) at the store's newest checkpoint. Otherwise `runner pull` on
 * another machine restores the old checkpoint under records that go further,
 * and the next extension trains the outage's epochs again.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStore } from "@ganscope/tracking";
import { startMlflowServer, type MlflowServer } from "@ganscope/tracking/testing";

const REPO = path.resolve(import.meta.dirname, "../../..");
const MAIN = path.join(import.meta.dirname, "main.ts");
mkdirSync(path.join(REPO, "tmp"), { recursive: true });
const dir = mkdtempSync(path.join(REPO, "tmp", "sync-ckpt-"));
const EXPERIMENT = "sync-ckpt";
const file = path.join(dir, "sync-ckpt.exp.ts");
writeFileSync(
  file,
  `import { experiment } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
export default experiment("${EXPERIMENT}")
  .fix({ ...TINY_GAN, limit: 256, batch_size: 64, sample_every: 100, eval_every: 100 })
  .epochs(2);
`,
);

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const full: NodeJS.ProcessEnv = { ...process.env, ...env };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: REPO, env: full, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += String(d)));
    child.stderr.on("data", (d) => (out += String(d)));
    child.on("close", (code) => resolve({ code, out }));
  });
}

async function rest<T>(endpoint: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.uri}/api/2.0/mlflow/${endpoint}`, body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${endpoint}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The one run's checkpoint tag and checkpoint artifacts, as the REST API shows them. */
async function serverCheckpoint(): Promise<{ tag: string | undefined; artifacts: string[] }> {
  const { experiment } = await rest<{ experiment: { experiment_id: string } }>(`experiments/get-by-name?experiment_name=${EXPERIMENT}`);
  const { runs } = await rest<{ runs: { info: { run_id: string }; data: { tags: { key: string; value: string }[] } }[] }>("runs/search", { experiment_ids: [experiment.experiment_id] });
  expect(runs).toHaveLength(1);
  const run = runs[0]!;
  const { files } = await rest<{ files?: { path: string }[] }>(`artifacts/list?run_id=${run.info.run_id}&path=checkpoints`);
  return { tag: run.data.tags.find((t) => t.key === "ganscope.checkpoint_epoch")?.value, artifacts: (files ?? []).map((f) => f.path).sort() };
}

const epochsOf = (f: string) =>
  readFileSync(f, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { epoch: number }).epoch);

let server: MlflowServer;
beforeAll(async () => {
  server = await startMlflowServer();
}, 300_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("runner sync after an outage", () => {
  it("moves the server's checkpoint tag to the store's newest checkpoint, so a pull on another machine extends from it", { timeout: 600_000 }, async () => {
    const here = path.join(dir, "here");
    const there = path.join(dir, "there");
    const env = { MLFLOW_TRACKING_URI: server.uri };

    // Logged live to epoch 2: the tag names epoch 2.
    const first = await cli(["exp", `--file=${file}`, "--results", here], env);
    expect(first.code, first.out).toBe(0);
    expect((await serverCheckpoint()).tag).toBe("2");

    // The server goes down; the run is extended to 5 on this machine meanwhile.
    await server.kill();
    const during = await cli(["exp", `--file=${file}`, "--results", here, "--epochs", "5"], env);
    expect(during.code, during.out).toBe(0);
    expect(during.out).toMatch(/MLflow at .* failed \(.*\); training continues/);
    const store = new RunStore(here);
    const [entry] = (await store.index(EXPERIMENT)).runs;
    const runId = entry!.runId;
    expect(await store.run(EXPERIMENT, runId).checkpointEpoch()).toBe(5);

    // Back up: the sync sends epochs 3–5 and the checkpoint of epoch 5, then the tag.
    await server.restart();
    const sync = await cli(["sync", "--results", here], env);
    expect(sync.code, sync.out).toBe(0);
    expect(sync.out).toMatch(new RegExp(`${EXPERIMENT}/${runId} → MLflow run [0-9a-f]{32}: .*checkpoint of epoch 5`));
    const after = await serverCheckpoint();
    expect(after.tag).toBe("5");
    // The new checkpoint, and the one the tag named until now (a reader may be downloading it).
    expect(after.artifacts).toEqual(["checkpoints/epoch-0002.bin", "checkpoints/epoch-0005.bin"]);
    const again = await cli(["sync", "--results", here], env);
    expect(again.out).not.toMatch(/→ MLflow run/);

    // Another machine pulls the run and extends it to 7: it trains epochs 6 and 7 only.
    const pull = await cli(["pull", "--experiment", EXPERIMENT, "--results", there], env);
    expect(pull.code, pull.out).toBe(0);
    expect(pull.out).toMatch(/5 epochs, \d+ sample grids, checkpoint of epoch 5/);
    const pulled = new RunStore(there).run(EXPERIMENT, runId);
    expect(await pulled.checkpointEpoch()).toBe(5);
    const extend = await cli(["exp", `--file=${file}`, "--results", there, "--epochs", "7"], env);
    expect(extend.code, extend.out).toBe(0);
    expect(extend.out).toContain(`${runId}: resuming after epoch 5`);
    expect(epochsOf(pulled.file("metrics.jsonl"))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Nothing lost or changed on the way: epochs 1–5 are the ones trained here, bit for bit.
    const mine = readFileSync(store.run(EXPERIMENT, runId).file("metrics.jsonl"), "utf8").split("\n").filter(Boolean);
    const theirs = readFileSync(pulled.file("metrics.jsonl"), "utf8").split("\n").filter(Boolean);
    expect(theirs.slice(0, 5).map((l) => JSON.parse(l) as object)).toEqual(mine.map((l) => JSON.parse(l) as object));
    expect((await serverCheckpoint()).tag).toBe("7");
  });
});
