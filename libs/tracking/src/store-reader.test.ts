import { spawnSync } from "node:child_process";
import { promises as fs, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EpochRecord } from "./store-formats.js";
import { RunStore } from "./run-store.js";
import { StoreReader, readRecordsLenient } from "./store-reader.js";

/**
 * The read-only reader on stores a real RunStore wrote, in the states a
 * reader beside a runner meets: a run being trained (this process holds its
 * lock), a killed one (its lock's process is gone), torn and replayed lines,
 * links, missing and corrupt files.
 */
let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "store-reader-"));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function deadPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
}

const record = (epoch: number, d_loss = 1 / epoch): EpochRecord => ({ epoch, d_loss, g_loss: epoch / 10, d_real: 0.6, d_fake: 0.4, d_grad_norm: 1, g_grad_norm: 2, steps: 2, secs: 0.5 });

describe("readRecordsLenient", () => {
  it("skips a torn last line in silence and never rewrites the file", async () => {
    const file = path.join(tmp, "metrics.jsonl");
    const text = JSON.stringify(record(1)) + "\n" + JSON.stringify(record(2)) + "\n" + '{"epoch":3,"d_lo';
    writeFileSync(file, text);
    const before = statSync(file).mtimeMs;
    const warnings: string[] = [];
    expect((await readRecordsLenient(file, warnings)).map((r) => r.epoch)).toEqual([1, 2]);
    expect(warnings).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(text);
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it("names an unreadable line in the middle, and lets a replayed epoch's later line win", async () => {
    const file = path.join(tmp, "metrics.jsonl");
    writeFileSync(file, [JSON.stringify(record(1)), "garbage", JSON.stringify(record(2, 9)), JSON.stringify(record(2, 7))].join("\n") + "\n");
    const warnings: string[] = [];
    expect((await readRecordsLenient(file, warnings)).map((r) => [r.epoch, r.d_loss])).toEqual([
      [1, 1],
      [2, 7],
    ]);
    expect(warnings).toEqual([`${file}:2: unreadable line skipped`]);
    expect(await readRecordsLenient(path.join(tmp, "none.jsonl"), warnings)).toEqual([]);
  });

  it("reads whatever a runner's appends left, torn or not, as RunDir.readRecords does", async () => {
    // A fresh run folder per case: fast-check may draw the same (n, cut, torn) twice, and appending
    // to the earlier case's records would make the file repeat its epochs.
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 12 }), fc.nat({ max: 200 }), fc.boolean(), async (n, cut, torn) => {
        const run = new RunStore(tmp).run("prop", `case-${++cases}`);
        await fs.mkdir(run.dir, { recursive: true });
        for (let e = 1; e <= n; e++) await run.appendRecord(record(e));
        // A kill mid-append leaves part of the next line, without its newline.
        if (torn) await fs.appendFile(run.file("metrics.jsonl"), JSON.stringify(record(n + 1)).slice(0, 1 + (cut % 40)));
        const warnings: string[] = [];
        expect(await readRecordsLenient(run.file("metrics.jsonl"), warnings)).toEqual(await run.readRecords());
        expect(warnings).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });
});

describe("StoreReader", () => {
  it("reads each run's files and where it stands: its lock's holder alive, gone, or never started", async () => {
    const store = new RunStore(path.join(tmp, "results"));
    const live = store.run("e", "live");
    const lock = await live.lock();
    await live.writeStatus({ state: "running", epochsDone: 1, epochs: 3 });
    await live.appendRecord(record(1));
    await live.writeSample(1, new Uint8Array([1, 2, 3]));
    const killed = store.run("e", "killed");
    await killed.writeStatus({ state: "running", epochsDone: 1, epochs: 3 });
    // What kill -9 leaves: the lock of a process that is gone (status.json's pid is this live test's).
    writeFileSync(killed.file(".lock"), JSON.stringify({ pid: deadPid(), host: os.hostname(), since: "t", nonce: "n" }));
    const done = store.run("e", "done");
    await done.writeStatus({ state: "done", epochsDone: 3, epochs: 3 });
    await done.writeSummary({ verdict: "converged" });

    const reader = new StoreReader(store.root);
    const [l, k, d, never] = await Promise.all(["live", "killed", "done", "never"].map((id) => reader.run("e", id)));
    expect(l!.standing).toEqual({ state: "running", holder: { pid: process.pid, host: os.hostname() } });
    expect(l!.records.map((r) => r.epoch)).toEqual([1]);
    expect(l!.samples).toEqual([{ epoch: 1, file: live.file("samples/epoch-0001.png") }]);
    expect(k!.standing).toMatchObject({ state: "interrupted", why: expect.stringMatching(/^pid \d+ on .* is gone$/) });
    expect(d!.standing).toEqual({ state: "done" });
    expect(d!.summary).toEqual({ verdict: "converged" });
    expect(never).toMatchObject({ exists: false, records: [], samples: [] });
    expect(never!.standing).toBeUndefined();
    expect(reader.warnings).toEqual([]);
    expect(await reader.runFolders("e")).toEqual(["done", "killed", "live"]);
    if ("release" in lock) await lock.release();
    expect((await reader.run("e", "live")).standing).toEqual({ state: "interrupted", why: "no process holds its lock" });
  });

  it("follows a link to another experiment's run, and warns about a dangling link and a corrupt file without throwing", async () => {
    const store = new RunStore(path.join(tmp, "results"));
    const a = store.run("a", "shared");
    await a.writeStatus({ state: "done", epochsDone: 2, epochs: 2 });
    await store.linkRun("b", "shared", "a");
    await fs.mkdir(store.experimentDir("c"), { recursive: true });
    await fs.symlink(path.join("..", "deleted", "gone"), path.join(store.experimentDir("c"), "gone"), "dir");
    await fs.mkdir(store.run("d", "bad").dir, { recursive: true });
    writeFileSync(store.run("d", "bad").file("status.json"), "{torn");

    const reader = new StoreReader(store.root);
    expect(await reader.folders()).toEqual(["a", "b", "c", "d"]);
    const linked = await reader.run("b", "shared");
    expect(linked).toMatchObject({ linkedFrom: "a", exists: true, standing: { state: "done" } });
    expect(linked.realDir).toBe(await fs.realpath(a.dir));
    expect((await reader.run("c", "gone")).exists).toBe(false);
    const bad = await reader.run("d", "bad");
    expect(bad.status).toBeUndefined();
    expect(reader.warnings).toEqual([`${path.join(store.root, "c", "gone")}: link to a run that no longer exists`, expect.stringMatching(/d\/bad\/status\.json: not valid JSON/)]);
    expect(await new StoreReader(path.join(tmp, "missing")).folders()).toEqual([]);
  });
});
