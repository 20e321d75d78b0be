import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { recordSpan, timed, type Span } from "./span-log.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-spans-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

const spans = (file: string): Span[] =>
  readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Span);

describe("span log", () => {
  it("GANSCOPE_SPANS set: each timed part is one line with its name, run, epoch, pid and duration", async () => {
    const file = path.join(tmp, "on.jsonl");
    vi.stubEnv("GANSCOPE_SPANS", file);
    const value = await timed("checkpoint", { runId: "r1", epoch: 3 }, async () => {
      await new Promise((r) => setTimeout(r, 20));
      return 42;
    });
    recordSpan("worker.boot", 1234.5);
    expect(value).toBe(42);
    const [a, b] = spans(file);
    expect(a).toMatchObject({ span: "checkpoint", runId: "r1", epoch: 3, pid: process.pid });
    expect(a!.ms).toBeGreaterThanOrEqual(15);
    expect(b).toMatchObject({ span: "worker.boot", ms: 1234.5, pid: process.pid });
    expect(b).not.toHaveProperty("runId");
  });

  it("a part that throws is still timed, and its error reaches the caller unchanged", async () => {
    const file = path.join(tmp, "throws.jsonl");
    vi.stubEnv("GANSCOPE_SPANS", file);
    const boom = new Error("disk full");
    await expect(timed("grid", { runId: "r2" }, () => Promise.reject(boom))).rejects.toBe(boom);
    expect(spans(file).map((s) => s.span)).toEqual(["grid"]);
  });

  it("GANSCOPE_SPANS unset or empty: nothing more is written, the value passes through", async () => {
    const file = path.join(tmp, "off.jsonl");
    vi.stubEnv("GANSCOPE_SPANS", file);
    recordSpan("worker.boot", 1);
    vi.stubEnv("GANSCOPE_SPANS", "");
    expect(await timed("evaluate", {}, async () => "x")).toBe("x");
    recordSpan("worker.boot", 2);
    vi.stubEnv("GANSCOPE_SPANS", undefined);
    expect(await timed("evaluate", {}, async () => "y")).toBe("y");
    expect(spans(file).map((s) => s.ms)).toEqual([1]);
  });
});
