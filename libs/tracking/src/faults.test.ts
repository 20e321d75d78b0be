/**
 * The tracking side of faults: a web server that is not MLflow, and a run
 * whose status.json is corrupt as the index and the sync see it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MlflowClient } from "./mlflow-client.js";
import { MlflowSync } from "./mlflow-sync.js";
import { RunStore } from "./run-store.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-tracking-faults-"));
let server: Server;
let uri = "";
const PAGE = `<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>${"<p>lots of markup</p>".repeat(200)}</body></html>`;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(404, { "Content-Type": "text/html" });
    res.end(PAGE);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("a server that is not MLflow", () => {
  // Before: the whole HTML page was printed.
  it("is named by its page title, not printed page and all", async () => {
    const client = new MlflowClient({ trackingUri: uri }, { retries: 0 });
    const e = await client.getOrCreateExperiment("x").then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(e?.message).toMatch(/HTTP 404: an HTML page titled "404 Not Found" instead of MLflow's JSON — is MLFLOW_TRACKING_URI the MLflow tracking server\?$/);
    expect(e?.message).not.toContain("<p>");
  });
});

describe("a corrupt status.json", () => {
  // Before: the index and the sync called it "not started".
  it("is listed as interrupted with why, and the sync says why it skips it", async () => {
    const store = new RunStore(tmp);
    await store.writePlan({ experiment: "e", description: "", axes: [], createdAt: new Date().toISOString(), runs: [{ runId: "r1", varied: {} }] });
    const run = store.run("e", "r1");
    await run.writeStatus({ state: "running", epochsDone: 1, epochs: 2 });
    writeFileSync(run.file("status.json"), "{ torn");
    const entry = (await store.index("e")).runs[0]!;
    expect(entry.state).toBe("interrupted");
    expect(entry.unreadable).toMatch(/status\.json is not valid JSON .*; the next `runner exp` of this plan keeps it aside and rebuilds it from the checkpoint$/);
    const report = await new MlflowSync(new MlflowClient({ trackingUri: uri }, { retries: 0 }), store).syncRun("e", "r1");
    expect(report.skipped).toBe(entry.unreadable);
  });
});
