/**
 * Bad input to the runner CLI, as a new user gives it: each gets one line
 * naming the file or flag and what was expected, exit code 2, no stack
 * trace — and nothing is trained or written.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeIdx } from "@ganscope/data";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { RunStore } from "@ganscope/tracking";
import { canMount, mountReadOnly, mountTmpfs } from "@ganscope/tracking/testing";
import { concurrencyWarning } from "./preflight.js";

const REPO = path.resolve(import.meta.dirname, "../../..");
mkdirSync(path.join(REPO, "tmp"), { recursive: true });
// Inside the repo so that experiment files resolve @ganscope/dsl.
const dir = mkdtempSync(path.join(REPO, "tmp", "cli-faults-"));
const outside = mkdtempSync(path.join(os.tmpdir(), "ganscope-outside-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});
const MAIN = path.join(import.meta.dirname, "main.ts");

function runner(args: string[], env: Record<string, string> = {}) {
  const e = { ...process.env, ...env };
  if (!("MLFLOW_TRACKING_URI" in env)) delete e["MLFLOW_TRACKING_URI"];
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: REPO, encoding: "utf8", timeout: 120_000, env: e });
  return { code: r.status, err: r.stderr.trim(), out: r.stdout };
}

/** As `runner`, without blocking this process's event loop (for a server the test itself runs); killed after 60 s. */
function runnerAsync(args: string[]): Promise<{ code: number | null; err: string; out: string }> {
  const e = { ...process.env };
  delete e["MLFLOW_TRACKING_URI"];
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: REPO, env: e, timeout: 60_000 });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, err: err.trim(), out })));
}

/** One line, "error: …", exit 2, no stack trace. */
function expectOneLine(r: { code: number | null; err: string }, message: RegExp): void {
  expect(r.err, r.err).toMatch(/^error: [^\n]*$/);
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(2);
}

const exp = (name: string, body: string, where = dir) => {
  const file = path.join(where, `${name}.exp.ts`);
  writeFileSync(file, `import { experiment } from "@ganscope/dsl";\nexport default ${body};\n`);
  return file;
};
const tiny = exp("tiny", `experiment("cli-faults").fix({ ...${JSON.stringify(TINY_GAN)}, limit: 128, batch_size: 64 }).epochs(1)`);
const results = path.join(dir, "results");

describe("runner exp: one clear line, exit 2", () => {
  it("a 300-character experiment name (before: ENAMETOOLONG with a stack)", () => {
    const f = exp("long", `experiment("${"n".repeat(300)}").epochs(1)`);
    // The DSL's own format: the file, then every problem on its own line.
    const r = runner(["exp", `--file=${f}`, "--results", results]);
    expect(r.err).toMatch(/^error: \S+long\.exp\.ts: invalid experiment \(1 problem\):\n {2}- experiment\("n+"\): the name must be a non-empty name of at most 100 letters/);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(2);
  });

  it("--results that is a file", () => {
    const file = path.join(dir, "a-file");
    writeFileSync(file, "x");
    expectOneLine(runner(["exp", `--file=${tiny}`, "--results", file]), /^error: --results \S+a-file: is a file; expected the run store's folder/);
  });

  it("--receipt that is a folder", () => {
    expectOneLine(runner(["exp", `--file=${tiny}`, "--results", results, "--receipt", dir]), /^error: --receipt \S+: is a folder; expected a file/);
    expect(readdirSync(dir)).not.toContain("results");
  });

  it("MLFLOW_TRACKING_URI that is not a URL, for exp and for sync", () => {
    const env = { MLFLOW_TRACKING_URI: "localhost:5000 " };
    expectOneLine(runner(["exp", `--file=${tiny}`, "--results", results], env), /MLFLOW_TRACKING_URI must be an http\(s\) URL of an MLflow tracking server, e\.g\. http:\/\/127\.0\.0\.1:5000/);
    expectOneLine(runner(["sync", "--results", results], env), /MLFLOW_TRACKING_URI must be an http\(s\) URL/);
  });

  it("a folder, an empty file, a file outside the checkout (before: ES-module resolution errors)", () => {
    expectOneLine(runner(["exp", `--file=${dir}`]), /: is a folder; expected an experiment file, e\.g\. experiments\/quickstart\.exp\.ts$/);
    const empty = path.join(dir, "empty.exp.ts");
    writeFileSync(empty, "\n");
    expectOneLine(runner(["exp", `--file=${empty}`]), /empty\.exp\.ts: is empty; expected/);
    const far = exp("far", `experiment("far").epochs(1)`, outside);
    expectOneLine(runner(["exp", `--file=${far}`]), /far\.exp\.ts: could not load: it imports a @ganscope package, which resolves only inside the ganscope checkout/);
  });

  it("the dry run reads the dataset's headers and labels (before: labels 0–255 trained to the end)", () => {
    const data = path.join(dir, "bad-labels");
    mkdirSync(data);
    writeFileSync(path.join(data, "train-images-idx3-ubyte"), encodeIdx([4, 28, 28], new Uint8Array(4 * 784)));
    writeFileSync(path.join(data, "train-labels-idx1-ubyte"), encodeIdx([4], Uint8Array.from([1, 2, 255, 3])));
    writeFileSync(path.join(data, "t10k-images-idx3-ubyte"), encodeIdx([2, 28, 28], new Uint8Array(2 * 784)));
    writeFileSync(path.join(data, "t10k-labels-idx1-ubyte"), encodeIdx([2], Uint8Array.from([0, 1])));
    const f = exp("labels", `experiment("labels").dataset("idx:${data}").epochs(1)`);
    expectOneLine(runner(["exp", `--file=${f}`, "--dry-run"]), /train-labels-idx1-ubyte has label 255 at item 2; expected digits 0–9$/);
  });

  it("two files naming the same experiment: the second is refused, naming both (before: they shared results/dup/)", async () => {
    const a = exp("dup-a", `experiment("dup").epochs(1)`);
    const b = exp("dup-b", `experiment("dup").fix({ limit: 128 }).epochs(1)`);
    const store = new RunStore(results);
    await store.writePlan({ experiment: "dup", description: "", axes: [], file: path.relative(REPO, a), createdAt: new Date().toISOString(), runs: [] });
    expectOneLine(runner(["exp", `--file=${b}`, "--results", results]), /dup-b\.exp\.ts: experiment\("dup"\) is also defined by \S+dup-a\.exp\.ts, which already writes \S+\/dup\/; give one of them another name/);
    expect((await store.readPlan("dup"))?.file).toBe(path.relative(REPO, a));
  });
});

describe("runner: commander's usage errors, one line with a hint to --help, exit 2", () => {
  // Before: the message, then the whole usage (29 lines), exit 1; an unknown word was reported as a missing --file or "too many arguments".
  it("a bad value, an unknown flag, a missing required flag, a bad choice", () => {
    expectOneLine(runner(["exp", `--file=${tiny}`, "--epochs", "zero"]), /^error: option '--epochs <n>' argument 'zero' is invalid\. --epochs must be an integer ≥ 1, got "zero"; see `runner exp --help`$/);
    expectOneLine(runner(["exp", `--file=${tiny}`, "--dry-runn"]), /^error: unknown option '--dry-runn' \(Did you mean --dry-run\?\); see `runner exp --help`$/);
    expectOneLine(runner(["exp", "--dry-run"]), /^error: required option '--file <path>' not specified; see `runner exp --help`$/);
    expectOneLine(runner(["exp", `--file=${tiny}`, "--backend", "gpu"]), /^error: option '--backend <name>' argument 'gpu' is invalid\. Allowed choices are auto, tensorflow, webgpu, wasm, cpu; see `runner exp --help`$/);
    // The default command, reached without its name, says the same.
    expectOneLine(runner([`--file=${tiny}`, "--epochs", "0"]), /--epochs must be an integer ≥ 1, got "0"; see `runner exp --help`$/);
    expectOneLine(runner(["pull"]), /^error: required option '--experiment <name\.\.\.>' not specified; see `runner pull --help`$/);
  });

  it("a word that is no command is named as one, with or without other flags", () => {
    const commands = /\(commands: exp, worker, pull, study, step-times, sync\)/;
    for (const args of [["frobnicate"], ["frobnicate", `--file=${tiny}`, "--dry-run"]]) {
      const r = runner(args);
      expectOneLine(r, /^error: unknown command "frobnicate" /);
      expect(r.err).toMatch(commands);
      expect(r.err).toMatch(/; see `runner --help`$/);
    }
    // A file given where the command goes: the command that trains it.
    expectOneLine(runner([path.relative(REPO, tiny)]), /^error: unknown command "\S+tiny\.exp\.ts" .*; to train that file: runner exp --file=\S+tiny\.exp\.ts; see `runner --help`$/);
  });

  it("--help still prints the usage, exit 0", () => {
    const r = runner(["exp", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: runner exp \[options\]/);
    expect(r.err).toBe("");
  });
});

describe("runner --queue at a server that is not Redis", () => {
  // Before: "Redis at … is unreachable (Unknown RESP type 60 "<". Please report this.); retrying every 5 s", for ever.
  it("an HTTP server on the port: one line saying so, exit 2, for the coordinator and for a worker", async () => {
    // A real HTTP server, answering in this process while the runner runs as a child (so not spawnSync).
    const web = http.createServer((_req, res) => res.end("<!doctype html><title>not redis</title>"));
    await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
    const url = `redis://127.0.0.1:${(web.address() as AddressInfo).port}`;
    const said = `error: --queue ${url}: the server there does not speak Redis (it answered "H…", as an HTTP server does); point --queue at a Redis server's host and port (redis-server listens on 6379 by default)`;
    try {
      const store = path.join(dir, "queue-http");
      const coordinator = await runnerAsync(["exp", `--file=${tiny}`, "--results", store, `--queue=${url}`]);
      expect(coordinator.err).toBe(said);
      expect(coordinator.code).toBe(2);
      // What was written before the queue was asked is kept: the plan, no run.
      expect(JSON.parse(readFileSync(path.join(store, "cli-faults", "plan.json"), "utf8")).runs).toHaveLength(1);
      const worker = await runnerAsync(["worker", `--queue=${url}`, "--results", store]);
      expect(worker.err.split("\n").filter((l) => !/^warning: MLFLOW_TRACKING_URI is not set|^worker \S+: serving /.test(l))).toEqual([said]);
      expect(worker.code).toBe(2);
    } finally {
      await new Promise((resolve) => web.close(resolve));
    }
  });
});

describe("runner sync: a store or experiment that is not there", () => {
  // Before: "0 runs checked", exit 0.
  it("a missing store and an unknown --experiment are refused", async () => {
    const env = { MLFLOW_TRACKING_URI: "http://127.0.0.1:9" };
    expectOneLine(runner(["sync", "--results", path.join(dir, "nowhere")], env), /^error: --results \S+nowhere: no such folder; expected a run store/);
    await new RunStore(results).writePlan({ experiment: "known", description: "", axes: [], createdAt: new Date().toISOString(), runs: [] });
    expectOneLine(runner(["sync", "--results", results, "--experiment", "nope"], env), /^error: --experiment nope: not in \S+ \(it holds .*known/);
  });
});

describe("codemod", () => {
  it("a missing --root folder (before: ENOENT with a stack)", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "tools/src/codemod/main.ts"), "rename", "dis_lr", "d_lr", "--root", path.join(dir, "nowhere"), "--dry-run"], { cwd: REPO, encoding: "utf8" });
    expectOneLine({ code: r.status, err: r.stderr.trim() }, /^error: --root \S+nowhere: no such folder; expected the workspace folder/);
  });
});

describe("--concurrency", () => {
  it("above the core count warns; at or below it, or with fewer runs, says nothing", () => {
    expect(concurrencyWarning(1000, 1000, 2)).toMatch(/^warning: --concurrency 1000 starts 1000 workers on 2 cores; they will share the cores/);
    expect(concurrencyWarning(2, 10, 2)).toBeUndefined();
    expect(concurrencyWarning(1000, 2, 2)).toBeUndefined();
  });
});

describe("runner exp on a broken disk", () => {
  // Before: a truncated checkpoint no rerun could resume from, and a stack trace.
  it.runIf(canMount)("a full 2 MiB disk: the run fails in one line, exit 1, no temp file; with space freed the rerun resumes to epoch 12; read-only, the done plan is still answered", () => {
    const disk = mountTmpfs("2m");
    try {
      const f = exp("disk", `experiment("cli-disk").fix({ ...${JSON.stringify(TINY_GAN)}, limit: 256, batch_size: 64, sample_every: 1, eval_every: 100 }).epochs(12)`);
      const first = runner(["exp", `--file=${f}`, "--results", disk.dir, "--concurrency", "1"]);
      expect(first.code).toBe(1);
      const lines = first.err.split("\n").filter((l) => /no space left on device/.test(l));
      expect(lines.length, first.err).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(/cannot (write|append to) .*: no space left on device \(ENOSPC\); free some space and run again/);
      expect(first.err + first.out).not.toMatch(/\n\s+at /);
      const all = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? all(path.join(d, e.name)) : [e.name]));
      expect(all(disk.dir).filter((n) => n.includes(".tmp-"))).toEqual([]);
      disk.resize("16m");
      const second = runner(["exp", `--file=${f}`, "--results", disk.dir, "--concurrency", "1"]);
      expect(second.code, second.err).toBe(0);
      expect(second.err).toMatch(/resuming after epoch \d+/);
      const runDir = path.join(disk.dir, "cli-disk", readdirSync(path.join(disk.dir, "cli-disk")).find((n) => /^[0-9a-f]{12}$/.test(n))!);
      const epochs = readFileSync(path.join(runDir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { epoch: number }).epoch);
      expect(epochs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      const ro = mountReadOnly(disk.dir);
      try {
        const third = runner(["exp", `--file=${f}`, "--results", ro.dir]);
        expect(third.code, third.err).toBe(0);
        expect(third.err).toMatch(/note: cannot write \S+plan\.json: read-only file system \(EROFS\); every run is settled for this plan's epochs, so nothing needs writing/);
        expect(third.err).toMatch(/skipped \(done to 12 epochs\)/);
        // Asked for more epochs than the runs hold: they need writing, so no "nothing needs writing" note, one line, and the records stay as they were.
        const more = runner(["exp", `--file=${f}`, "--results", ro.dir, "--epochs", "14"]);
        expect(more.code).toBe(2);
        expectOneLine({ code: more.code, err: more.err.trim() }, /^error: cannot write \S+plan\.json: read-only file system \(EROFS\)/);
        expect(readFileSync(path.join(runDir, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(12);
      } finally {
        ro.unmount();
      }
    } finally {
      disk.unmount();
    }
  });
});
