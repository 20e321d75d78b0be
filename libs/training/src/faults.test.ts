/**
 * A run's life under real faults: a full tmpfs, a read-only bind mount,
 * corrupt and deleted files in the run store, a lock held by another
 * runner. Each case asserts the one line the user gets and that nothing
 * already written is lost. One small run is trained once and copied for
 * each case, so the whole file takes seconds.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { experiment, type RunSpec } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { parseCheckpoint, selectBackend, type BackendInfo } from "@ganscope/models";
import { RunStore, type EpochRecord } from "@ganscope/tracking";
import { canMount, mountReadOnly, mountTmpfs } from "@ganscope/tracking/testing";
import type { RunEvent, RunOutcome } from "./run-outcome.js";
import { trainRun } from "./train-run.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-faults-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let backend: BackendInfo;

const tiny = (name: string, epochs: number, sampleEvery = 1) =>
  experiment(name)
    .fix({ ...TINY_GAN, limit: 128, batch_size: 64, sample_every: sampleEvery, seed: 5 })
    .epochs(epochs)
    .compile().runs[0]!;

const EXP = "faults";
let spec: RunSpec;
/** A finished 3-epoch run, copied into each case's store. */
let doneStore: string;

beforeAll(async () => {
  backend = await selectBackend();
  spec = tiny(EXP, 3);
  doneStore = path.join(tmp, "done");
  const o = await trainRun(spec, { resultsDir: doneStore, experiment: EXP, backend });
  expect(o.status).toBe("done");
  // findFinished looks for finished runs in experiments that have a plan.
  await new RunStore(doneStore).writePlan({ experiment: EXP, description: "", axes: [], createdAt: new Date().toISOString(), runs: [{ runId: spec.runId, varied: {} }] });
});

function copyOf(name: string): { root: string; dir: string } {
  const root = path.join(tmp, name);
  cpSync(doneStore, root, { recursive: true });
  return { root, dir: path.join(root, EXP, spec.runId) };
}

const run = (s: RunSpec, root: string, events: RunEvent[] = [], experimentName = EXP) => trainRun(s, { resultsDir: root, experiment: experimentName, backend, onEvent: (e) => events.push(e) });
const epochs = (dir: string) => readFileSync(path.join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as EpochRecord).epoch);
const temps = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? temps(path.join(dir, e.name)) : e.name.includes(".tmp-") ? [path.join(dir, e.name)] : []));
/** Turns a finished run back into one killed after `epoch`'s checkpoint (its lock holder long gone). */
function interrupt(dir: string, epoch: number): void {
  const status = JSON.parse(readFileSync(path.join(dir, "status.json"), "utf8"));
  writeFileSync(path.join(dir, "status.json"), JSON.stringify({ ...status, state: "running", epochsDone: epoch, epochs: 3 }));
  rmSync(path.join(dir, "summary.json"));
}
const failedError = (o: RunOutcome) => (o.status === "failed" ? o.error : `not failed: ${JSON.stringify(o)}`);

describe("full disk", () => {
  // Before: a 69,632-byte checkpoint where 489,993 were needed, and every rerun failed on it.
  it.runIf(canMount)("2 MiB, a grid every epoch, 12 epochs: one line, no temp file, a valid checkpoint; after freeing space the rerun resumes to the end", async () => {
    const disk = mountTmpfs("2m");
    try {
      const s = tiny("disk", 12);
      const first = await run(s, disk.dir, [], "disk");
      const error = failedError(first);
      expect(error).toMatch(/^\/\S+: cannot write checkpoint: no space left on device \(ENOSPC\); free some space and run again \(it resumes from the previous checkpoint\)$|^cannot (write|append to) \S+: no space left on device \(ENOSPC\); free some space and run again \(finished epochs are kept\)$/);
      const dir = path.join(disk.dir, "disk", s.runId);
      expect(temps(disk.dir)).toEqual([]);
      const ck = parseCheckpoint<{ epoch: number }>(readFileSync(path.join(dir, "checkpoint.bin")), "checkpoint.bin").header.meta.epoch;
      expect(ck).toBeGreaterThan(0);
      expect(epochs(dir).slice(0, ck)).toEqual(Array.from({ length: ck }, (_, i) => i + 1));
      disk.resize("16m");
      const events: RunEvent[] = [];
      const second = await run(s, disk.dir, events, "disk");
      expect(second.status).toBe("done");
      expect(events.find((e) => e.type === "start")).toMatchObject({ fromEpoch: ck });
      expect(epochs(dir)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(temps(disk.dir)).toEqual([]);
    } finally {
      disk.unmount();
    }
  });
});

describe("corrupt records", () => {
  // Before: "skipped (already done)" and the file rewritten without line 2 (epochs [1, 3]).
  it("a finished run with a garbage line 2 is skipped with the line named, and the file is not touched", async () => {
    const { root, dir } = copyOf("garbage-done");
    const lines = readFileSync(path.join(dir, "metrics.jsonl"), "utf8").split("\n");
    lines[1] = "garbage";
    writeFileSync(path.join(dir, "metrics.jsonl"), lines.join("\n"));
    const before = readFileSync(path.join(dir, "metrics.jsonl"));
    const o = await run(spec, root);
    expect(o).toMatchObject({ status: "skipped" });
    expect(o.status === "skipped" && o.reason).toMatch(/^done to \d+ epochs; but \S+metrics\.jsonl:2: not valid JSON/);
    expect(readFileSync(path.join(dir, "metrics.jsonl")).equals(before)).toBe(true);
  });

  // Before: it ended "done" with epochs [2, 3, 4].
  it("an interrupted run with a garbage line 1 stops naming file:line and keeps every byte", async () => {
    const { root, dir } = copyOf("garbage-resume");
    interrupt(dir, 2);
    const lines = readFileSync(path.join(dir, "metrics.jsonl"), "utf8").split("\n");
    lines[0] = "{not json";
    writeFileSync(path.join(dir, "metrics.jsonl"), lines.join("\n"));
    const before = readFileSync(path.join(dir, "metrics.jsonl"));
    const error = failedError(await run(spec, root));
    expect(error).toMatch(/metrics\.jsonl:1: not valid JSON .*; the file is left as it is — repair or remove that line, or move the run's folder aside to train it again$/);
    expect(error).not.toContain("\n");
    expect(readFileSync(path.join(dir, "metrics.jsonl")).equals(before)).toBe(true);
  });
});

describe("linking a run another experiment finished", () => {
  // Before: linkRun deleted the folder before the lock was taken, under a runner training it.
  it("leaves a run another runner is training alone, checkpoint and all", async () => {
    const { root } = copyOf("link-held");
    const other = path.join(root, "other", spec.runId);
    cpSync(path.join(root, EXP, spec.runId), other, { recursive: true });
    interrupt(other, 2);
    const held = await new RunStore(root).run("other", spec.runId).lock();
    expect("release" in held).toBe(true);
    const before = readFileSync(path.join(other, "checkpoint.bin"));
    const o = await run(spec, root, [], "other");
    expect(o.status === "skipped" && o.reason).toMatch(/^being trained by pid \d+/);
    expect(readFileSync(path.join(other, "checkpoint.bin")).equals(before)).toBe(true);
    if ("release" in held) await held.release();
  });

  it("moves an interrupted folder's records aside instead of deleting them, then links", async () => {
    const { root } = copyOf("link-aside");
    const other = path.join(root, "other", spec.runId);
    cpSync(path.join(root, EXP, spec.runId), other, { recursive: true });
    interrupt(other, 2);
    const records = readFileSync(path.join(other, "metrics.jsonl"));
    const events: RunEvent[] = [];
    const o = await run(spec, root, events, "other");
    expect(o.status === "skipped" && o.reason).toMatch(new RegExp(`^done to \\d+ epochs, trained in ${EXP}$`));
    const aside = readdirSync(path.join(root, "other")).find((n) => n.startsWith(`.${spec.runId}.aside-`));
    expect(aside).toBeDefined();
    expect(readFileSync(path.join(root, "other", aside!, "metrics.jsonl")).equals(records)).toBe(true);
    expect(events.some((e) => e.type === "notice" && e.message.includes(aside!))).toBe(true);
  });
});

describe("damaged run folders", () => {
  it("an invalid status.json is kept aside and rebuilt from the checkpoint; the run ends done with every epoch once", async () => {
    const { root, dir } = copyOf("bad-status");
    interrupt(dir, 3);
    writeFileSync(path.join(dir, "status.json"), '{"state": "runn');
    const events: RunEvent[] = [];
    const o = await run(spec, root, events);
    expect(o.status).toBe("done");
    expect(epochs(dir)).toEqual([1, 2, 3]);
    const aside = readdirSync(dir).find((n) => n.startsWith("status.json.corrupt-"));
    expect(readFileSync(path.join(dir, aside!), "utf8")).toBe('{"state": "runn');
    expect(events.some((e) => e.type === "notice" && /status\.json was not valid JSON/.test(e.message))).toBe(true);
  });

  it("an interrupted run whose checkpoint was deleted says so, keeps the old records aside and trains from epoch 1", async () => {
    const { root, dir } = copyOf("no-checkpoint");
    interrupt(dir, 2);
    const records = readFileSync(path.join(dir, "metrics.jsonl"));
    rmSync(path.join(dir, "checkpoint.bin"));
    const events: RunEvent[] = [];
    const o = await run(spec, root, events);
    expect(o.status).toBe("done");
    expect(events.find((e) => e.type === "start")).toMatchObject({ fromEpoch: 0 });
    const notice = events.find((e) => e.type === "notice");
    expect(notice && notice.type === "notice" && notice.message).toMatch(/checkpoint\.bin is missing: training again from epoch 1; the old records are kept in \S+metrics\.jsonl\.aside-/);
    const aside = readdirSync(dir).find((n) => n.startsWith("metrics.jsonl.aside-"));
    expect(readFileSync(path.join(dir, aside!)).equals(records)).toBe(true);
    expect(epochs(dir)).toEqual([1, 2, 3]);
  });

  it("a corrupt checkpoint stops the run with what is wrong and what to do", async () => {
    const { root, dir } = copyOf("bad-checkpoint");
    interrupt(dir, 2);
    const ck = readFileSync(path.join(dir, "checkpoint.bin"));
    writeFileSync(path.join(dir, "checkpoint.bin"), ck.subarray(0, 69_632 > ck.length ? ck.length >> 1 : 69_632));
    const error = failedError(await run(spec, root));
    expect(error).toMatch(/checkpoint\.bin: truncated checkpoint at tensor \S+: \d+ bytes where \d+ are needed; move it aside \(mv \S+ \S+\.bad\) to train this run again from epoch 1/);
    expect(error).not.toContain("\n");
  });

  it.each([
    ["config.json deleted", (dir: string) => rmSync(path.join(dir, "config.json")), /config\.json is missing/],
    ["metrics.jsonl deleted", (dir: string) => rmSync(path.join(dir, "metrics.jsonl")), /metrics\.jsonl is missing/],
    ["summary.json invalid", (dir: string) => writeFileSync(path.join(dir, "summary.json"), "{"), /summary\.json is not valid JSON/],
  ])("a finished run with %s is skipped with a word about it, and nothing is changed", async (what, damage, message) => {
    const { root, dir } = copyOf(`done-${what.replace(/\W/g, "")}`);
    damage(dir);
    const before = readdirSync(dir).sort();
    const o = await run(spec, root);
    expect(o.status === "skipped" && o.reason).toMatch(message);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});

describe("read-only run store", () => {
  // Before: EROFS even for a skip.
  it.runIf(canMount)("a finished run is skipped; an unfinished one fails in one line naming EROFS, its files intact", async () => {
    const { root, dir } = copyOf("ro");
    const ro = mountReadOnly(root);
    try {
      expect((await run(spec, ro.dir)).status).toBe("skipped");
      // The same run asked for a 4th epoch: extending it needs to write.
      const more = tiny(EXP, 4);
      const error = failedError(await run(more, ro.dir));
      expect(error).toMatch(/^cannot (write|create the folder) \S+: read-only file system \(EROFS\); pass a writable --results folder$/);
      expect(existsSync(dir)).toBe(true);
    } finally {
      ro.unmount();
    }
  });
});
