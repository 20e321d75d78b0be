/**
 * The run protocol as a state machine (fc.commands), driving the real
 * trainRun: each invocation may "die" at any point the protocol has between
 * its writes — before an epoch's record (optionally leaving half a line),
 * after the record, after the sample grid, after the checkpoint — by never
 * returning from a hook there and leaving its lock to a dead process, which
 * is what kill -9 leaves. Whatever the sequence of deaths, resumes, second
 * runners and extensions, every epoch ends up in metrics.jsonl exactly once,
 * in order, with the values an uninterrupted run computes, bit for bit
 * (the real kill -9 tests are apps/runner/src/resume.test.ts).
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { experiment, type RunSpec } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { selectBackend, type BackendInfo } from "@ganscope/models";
import { RunStore, type EpochRecord, type RunDir } from "@ganscope/tracking";
import type { RunHooks } from "./hooks.js";
import { trainRun } from "./train-run.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-model-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const EPOCHS = 4;
const spec = experiment("model").fix({ ...TINY_GAN, limit: 128, batch_size: 64, sample_every: 1 }).epochs(EPOCHS).compile().runs[0]!;
const withEpochs = (epochs: number): RunSpec => ({ ...spec, config: { ...spec.config, epochs } });
let backend: BackendInfo;
let reference: EpochRecord[];
let dead = 0;
beforeAll(async () => {
  backend = await selectBackend();
  const r = await trainRun(spec, { resultsDir: path.join(tmp, "reference"), experiment: "model", backend });
  expect(r.status).toBe("done");
  reference = await new RunStore(path.join(tmp, "reference")).run("model", spec.runId).readRecords();
  dead = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
});

type Point = "before-record" | "after-record" | "after-sample" | "after-checkpoint";
interface Kill {
  epoch: number;
  point: Point;
  torn: boolean;
}
const trajectory = (records: readonly EpochRecord[]) => records.map(({ secs: _s, ...r }) => r);

/** A hook that "dies" at the kill point: it never returns, so nothing after it in the protocol happens. */
function dying(kill: Kill, run: RunDir, died: () => void): RunHooks {
  const die = (epoch: number, point: Point) => {
    if (epoch !== kill.epoch || point !== kill.point) return Promise.resolve();
    if (point === "before-record" && kill.torn) appendFileSync(run.file("metrics.jsonl"), `{"epoch":${epoch},"d_lo`);
    // What kill -9 leaves: a lock whose process is gone.
    writeFileSync(run.file(".lock"), JSON.stringify({ pid: dead, host: os.hostname(), since: new Date().toISOString(), nonce: `dead-${Math.random()}` }));
    died();
    return new Promise<never>(() => {});
  };
  return {
    name: "dies",
    evaluate: async (ctx) => (await die(ctx.epoch, "before-record"), {}),
    onEpoch: (_ctx, record) => die(record.epoch, "after-record"),
    onSample: (_ctx, epoch) => die(epoch, "after-sample"),
    onCheckpoint: (_ctx, epoch) => die(epoch, "after-checkpoint"),
  };
}

interface Model {
  /** The epoch the run can resume from. */
  checkpoint: number;
  /** The epochs the store was last asked for (it grows when a command extends the run). */
  target: number;
  done: boolean;
}
interface Real {
  store: RunStore;
  run: RunDir;
}

/** One runner invocation, to `target` epochs, dying at `kill` if it gets there. */
class Invoke implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly kill: Kill | undefined,
    readonly target: number,
  ) {}
  check = (m: Readonly<Model>) => this.target >= m.target;
  async run(m: Model, r: Real): Promise<void> {
    let died = false;
    let signal!: () => void;
    const killed = new Promise<"killed">((resolve) => (signal = () => resolve("killed")));
    const hooks = this.kill ? [dying(this.kill, r.run, () => ((died = true), signal()))] : [];
    const outcome = await Promise.race([trainRun(withEpochs(this.target), { resultsDir: r.store.root, experiment: "model", backend, hooks }), killed]);
    const reached = this.kill !== undefined && this.kill.epoch > m.checkpoint && this.kill.epoch <= this.target;
    if (m.done && m.checkpoint >= this.target) {
      expect(outcome).toMatchObject({ status: "skipped", reason: `done to ${m.checkpoint} epochs` });
    } else if (reached) {
      expect(outcome).toBe("killed");
      expect(died).toBe(true);
      m.checkpoint = this.kill!.point === "after-checkpoint" ? this.kill!.epoch : this.kill!.epoch - 1;
      m.done = false;
    } else {
      expect(outcome).toMatchObject({ status: "done", epochs: this.target });
      m.checkpoint = this.target;
      m.done = true;
    }
    m.target = this.target;
    // However it ended, what the store holds up to the checkpoint is what an uninterrupted run computes.
    expect(trajectory((await r.run.readRecords()).filter((x) => x.epoch <= m.checkpoint))).toEqual(trajectory(reference.slice(0, m.checkpoint)));
  }
  toString = () => `invoke(to ${this.target}${this.kill ? `, dies at epoch ${this.kill.epoch} ${this.kill.point}${this.kill.torn ? " torn" : ""}` : ""})`;
}

/** A second runner while a live one holds the run: told who has it, it takes nothing. */
class SecondRunner implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const held = await r.run.lock();
    if (!("release" in held)) throw new Error("a run nobody trains must be lockable");
    const other = await trainRun(withEpochs(Math.max(m.target, 1)), { resultsDir: r.store.root, experiment: "model", backend });
    await held.release();
    if (m.done && m.checkpoint >= m.target) expect(other).toMatchObject({ status: "skipped", reason: `done to ${m.checkpoint} epochs` });
    else expect(other).toMatchObject({ status: "skipped", reason: expect.stringMatching(/^being trained by pid \d+/) });
  }
  toString = () => "secondRunnerWhileHeld()";
}

describe("the run protocol under deaths, resumes, second runners and extensions (fc.commands over trainRun)", () => {
  it("ends with every epoch once, in order, bit-identical to an uninterrupted run", async () => {
    let n = 0;
    const kill = fc.option(
      fc.record({ epoch: fc.integer({ min: 1, max: EPOCHS }), point: fc.constantFrom<Point>("before-record", "after-record", "after-sample", "after-checkpoint"), torn: fc.boolean() }),
      { nil: undefined },
    );
    const invoke = fc.tuple(kill, fc.integer({ min: 2, max: EPOCHS })).map(([k, target]) => new Invoke(k, target));
    await fc.assert(
      fc.asyncProperty(fc.commands([invoke, fc.constant(new SecondRunner())], { maxCommands: 5 }), async (cmds) => {
        const store = new RunStore(path.join(tmp, "model", String(n++)));
        const real: Real = { store, run: store.run("model", spec.runId) };
        await fc.asyncModelRun(() => ({ model: { checkpoint: 0, target: 2, done: false }, real }), [...cmds, new Invoke(undefined, EPOCHS)]);
        // The last invocation always finishes it, to the reference's epochs.
        expect(trajectory(await real.run.readRecords())).toEqual(trajectory(reference));
        expect((await real.run.readStatus())?.state).toBe("done");
      }),
      { numRuns: 12 },
    );
  });
});
