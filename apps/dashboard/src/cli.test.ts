import { spawnSync } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

/**
 * The dashboard CLI as a user runs it: a real run store on disk, a real
 * build, and the mistakes that used to delete folders (`--out` naming the
 * store) or print a stack trace (an unknown flag).
 */
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = path.join(REPO, "apps/dashboard/src/cli.ts");

function dashboard(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: REPO, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir` with its content, to prove nothing was touched. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await fs.readdir(dir, { recursive: true })) {
    const p = path.join(dir, f);
    if ((await fs.stat(p)).isFile()) out[f] = await fs.readFile(p, "utf8");
  }
  return out;
}

let tmp: string;
let results: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "dash-cli-"));
  results = path.join(tmp, "results");
  const run = path.join(results, "exp", "r1");
  await fs.mkdir(run, { recursive: true });
  await fs.writeFile(path.join(results, "exp", "plan.json"), JSON.stringify({ experiment: "exp", description: "", axes: [], createdAt: "2026-01-01T00:00:00Z", runs: [{ runId: "r1", varied: {} }] }));
  await fs.writeFile(path.join(run, "status.json"), JSON.stringify({ state: "done", epochsDone: 1, epochs: 1, updatedAt: "2026-01-01T00:00:00Z" }));
  await fs.writeFile(path.join(run, "metrics.jsonl"), `${JSON.stringify({ epoch: 1, d_loss: 1, g_loss: 1, steps: 2, secs: 0.1 })}\n`);
  await fs.writeFile(path.join(run, "checkpoint.bin"), "weights");
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("dashboard build --out", () => {
  it("refuses an --out that is, lies inside or contains the results folder, and deletes nothing", async () => {
    const before = await snapshot(results);
    const cases: [string, RegExp][] = [
      [results, /--out .*results: is the results folder/],
      [path.join(results, "exp"), /--out .*exp: lies inside the results folder/],
      [path.join(results, "site"), /lies inside the results folder/],
      [tmp, /contains the results folder .*a rebuild would delete the run store/],
    ];
    for (const [out, message] of cases) {
      const r = dashboard("build", "--results", results, "--out", out);
      expect(r.code, out).toBe(2);
      expect(r.stderr.trim().split("\n"), out).toHaveLength(1);
      expect(r.stderr, out).toMatch(message);
      expect(await snapshot(results), out).toEqual(before);
    }
    expect(existsSync(path.join(results, "site"))).toBe(false);
  });

  it("also sees through a symlink to the results folder", async () => {
    await fs.symlink(results, path.join(tmp, "alias"));
    const r = dashboard("build", "--results", results, "--out", path.join(tmp, "alias"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is the results folder/);
    expect(existsSync(path.join(results, "exp", "r1", "checkpoint.bin"))).toBe(true);
  });

  it("never empties a folder it did not build (keep.txt survives), and rebuilds its own", async () => {
    const mine = path.join(tmp, "mine");
    await fs.mkdir(mine);
    await fs.writeFile(path.join(mine, "keep.txt"), "keep me");
    const refused = dashboard("build", "--results", results, "--out", mine);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/holds 1 file\(s\) the dashboard did not write \(no \.ganscope-dashboard marker\)/);
    expect(await fs.readFile(path.join(mine, "keep.txt"), "utf8")).toBe("keep me");

    const site = path.join(tmp, "site");
    expect(dashboard("build", "--results", results, "--out", site).code).toBe(0);
    await fs.writeFile(path.join(site, "stale.js"), "from an older build");
    const again = dashboard("build", "--results", results, "--out", site);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(path.join(site, "stale.js"))).toBe(false);
    expect(existsSync(path.join(site, "index.html"))).toBe(true);

    // A site built before the marker existed is recognised by its files alone.
    await fs.rm(path.join(site, ".ganscope-dashboard"));
    expect(dashboard("build", "--results", results, "--out", site).code).toBe(0);
  });
});

describe("dashboard flags", () => {
  it("an unknown flag, a bad port or an unknown command is one line and exit 2", () => {
    const typo = dashboard("build", "--resluts", results);
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim()).toBe("dashboard: unknown option '--resluts' (Did you mean --results?)");
    const port = dashboard("serve", "--port", "99999");
    expect(port.code).toBe(2);
    expect(port.stderr.trim()).toMatch(/^dashboard: option '--port <n>' argument '99999' is invalid\. must be an integer in \[0, 65535\]/);
    const unknown = dashboard("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe(`dashboard: unknown command "frobnicate" (build | serve | liveness)`);
  });

  it("a port another server holds is one line naming the port and what to do, exit 2 (before: a stack trace from listen EADDRINUSE)", async () => {
    const site = path.join(tmp, "site");
    await fs.mkdir(site);
    await fs.writeFile(path.join(site, "index.html"), "<!doctype html>");
    const holder = http.createServer((_req, res) => res.end("the other server"));
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const taken = (holder.address() as AddressInfo).port;
    try {
      const r = dashboard("serve", "--port", String(taken), "--dir", site);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(`dashboard serve: port ${taken} on 127.0.0.1 is already in use (another dashboard serve?); stop that server, or pass --port <n> (--port 0 picks a free one)`);
      expect(r.stdout).toBe("");
      // The other server is untouched.
      const body = await fetch(`http://127.0.0.1:${taken}/`).then((res) => res.text());
      expect(body).toBe("the other server");
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("tells a user serving an unbuilt folder what to do", () => {
    const r = dashboard("serve", "--dir", path.join(tmp, "nothing"));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/nothing\/index\.html not found; build first \(npx nx run dashboard:build\) or pass --watch$/);
  });
});
