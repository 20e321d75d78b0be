import { spawnSync } from "node:child_process";
import os from "node:os";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { localLiveness } from "./process-alive.js";
import { RUN_STATES, STANDINGS, countStandings, outcomeStatus, settled, standing, type Holder, type Liveness, type RunState } from "./run-state.js";

const states: RunState[] = [...RUN_STATES];

describe("settled", () => {
  it("a done run is settled exactly for targets up to its epochs; running and failed runs never are", () => {
    fc.assert(
      fc.property(fc.constantFrom(...states), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 200 }), fc.boolean(), (state, epochsDone, target, resumeStopped) => {
        const why = settled({ state, epochsDone }, target, { resumeStopped });
        if (state === "done") expect(why !== undefined).toBe(epochsDone >= target);
        if (state === "running" || state === "failed") expect(why).toBeUndefined();
        if (state === "stopped") expect(why !== undefined).toBe(!resumeStopped);
      }),
    );
  });

  it("says why, in the words the runner prints", () => {
    expect(settled({ state: "done", epochsDone: 1 }, 1)).toBe("done to 1 epoch");
    expect(settled({ state: "done", epochsDone: 4 }, 6)).toBeUndefined();
    expect(settled({ state: "stopped", epochsDone: 3, stopReason: "saturated" }, 10)).toBe("stopped at epoch 3: saturated (--resume-stopped extends it)");
    expect(settled(undefined, 1)).toBeUndefined();
  });

  it("reads back from an outcome what the status said: a skip settled by a status settles the same target", () => {
    fc.assert(
      fc.property(fc.constantFrom<RunState>("done", "stopped"), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), (state, epochsDone, target) => {
        const reason = settled({ state, epochsDone, stopReason: "saturated" }, target);
        fc.pre(reason !== undefined);
        const back = outcomeStatus({ status: "skipped", reason: reason!, last: undefined });
        expect(back).toMatchObject({ state, epochsDone });
        expect(settled(back, target)).toBeDefined();
      }),
    );
    expect(outcomeStatus({ status: "skipped", reason: "being trained by pid 1 on h since t", last: undefined })).toBeUndefined();
  });
});

const HOST = "this-host";
const liveness = (alivePids: readonly number[]): Liveness => ({ host: HOST, alive: (pid) => alivePids.includes(pid) });

describe("standing", () => {
  it("a running status stands running while its lock's holder lives (or is on another host), interrupted otherwise", () => {
    const live = liveness([42]);
    expect(standing({ state: "running" }, { pid: 42, host: HOST }, live)).toEqual({ state: "running", holder: { pid: 42, host: HOST } });
    expect(standing({ state: "running" }, { pid: 7, host: HOST }, live)).toEqual({ state: "interrupted", why: `pid 7 on ${HOST} is gone` });
    // Another machine's pids cannot be checked from here: its lock is trusted.
    expect(standing({ state: "running" }, { pid: 7, host: "elsewhere" }, live)).toEqual({ state: "running", holder: { pid: 7, host: "elsewhere" } });
    // No lock at all: nobody is training it, whatever status.json's pid says.
    expect(standing({ state: "running" }, undefined, live)).toEqual({ state: "interrupted", why: "no process holds its lock" });
    expect(standing(undefined, { pid: 42, host: HOST }, live)).toEqual({ state: "pending" });
  });

  it("only a running status consults the lock; every other state stands as written", () => {
    const holder: fc.Arbitrary<Holder | undefined> = fc.option(fc.record({ pid: fc.integer({ min: 1, max: 10 }), host: fc.constantFrom(HOST, "elsewhere") }), { nil: undefined });
    fc.assert(
      fc.property(fc.constantFrom(...states), holder, fc.subarray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), (state, lock, alive) => {
        const s = standing({ state }, lock, liveness(alive));
        expect(STANDINGS).toContain(s.state);
        if (state !== "running") expect(s).toEqual({ state });
        else expect(s.state).toBe(lock !== undefined && (lock.host !== HOST || alive.includes(lock.pid)) ? "running" : "interrupted");
        expect(s.holder !== undefined).toBe(s.state === "running");
      }),
    );
  });

  it("checks real processes on this host: this one lives, an exited one is gone", () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(dead.stdout);
    expect(standing({ state: "running" }, { pid: process.pid, host: os.hostname() }, localLiveness()).state).toBe("running");
    expect(standing({ state: "running" }, { pid: deadPid, host: os.hostname() }, localLiveness()).state).toBe("interrupted");
  });

  it("counts every standing, zeros included", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STANDINGS)), (xs) => {
        const counts = countStandings(xs.map((state) => ({ state })));
        expect(Object.keys(counts)).toEqual([...STANDINGS]);
        expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(xs.length);
      }),
    );
  });
});
