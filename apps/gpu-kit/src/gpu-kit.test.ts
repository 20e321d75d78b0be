/**
 * The GPU kit end to end on this machine: scripts/build-gpu-kit.sh builds it
 * from the registries (downloads and compressed parts are cached under
 * ~/.cache/ganscope/gpu-kit: ~2 minutes of xz the first time on 2 cores,
 * seconds after), it fits the device machines' 64 MiB together with the
 * repository's tracked files, it unpacks with python3 alone, and its launcher
 * runs the device check on Mesa's lavapipe (Dawn's software adapter, allowed
 * by name): tiny sizes, then a smoke-budget piece of the seed study trained on
 * webgpu and stopped by the time budget, its finished runs exported as an
 * evidence bundle that this checkout imports.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUDGETS, importEvidence } from "@ganscope/findings";
import { useSoftwareWebgpu } from "@ganscope/models/testing";

const ROOT = path.resolve(import.meta.dirname, "../../..");
/** What travels with each command to a lent machine (DEVELOPERS.md): the archive counts at its compressed size. */
const DEVICE_LIMIT = 64 * 2 ** 20;

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-gpu-kit-"));
const out = path.join(tmp, "dist");
const kit = path.join(tmp, "unpacked", "ganscope-gpu-kit");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Sizes {
  bytes: number;
  parts: Record<string, { files: number; bytes: number; xz: number }>;
}

function trackedBytes(): number {
  const files = spawnSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).stdout.split("\0").filter(Boolean);
  // A file deleted in the working tree but not yet in git does not travel.
  return files.reduce((sum, f) => sum + (statSync(path.join(ROOT, f), { throwIfNoEntry: false })?.size ?? 0), 0);
}

beforeAll(() => {
  // VK_DRIVER_FILES at lavapipe and GANSCOPE_WEBGPU_ADAPTER=software, inherited by the launcher.
  useSoftwareWebgpu();
  const build = spawnSync("bash", ["scripts/build-gpu-kit.sh", out], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`build-gpu-kit.sh failed (${build.status}):\n${build.stderr}`);
}, 600_000);

describe("the GPU kit", () => {
  it("holds Node, Dawn, the Vulkan loader, the bundled runner and MNIST, and fits 64 MiB with the repository's tracked files", () => {
    const sizes = JSON.parse(readFileSync(path.join(out, "ganscope-gpu-kit.sizes.json"), "utf8")) as Sizes;
    expect(statSync(path.join(out, "ganscope-gpu-kit.tar.xz")).size).toBe(sizes.bytes);
    expect(Object.keys(sizes.parts)).toEqual(expect.arrayContaining(["node", "dawn", "loader", "app", "mnist"]));
    const tracked = trackedBytes();
    expect(tracked).toBeGreaterThan(1e6);
    expect(sizes.bytes + tracked, `archive ${sizes.bytes} B + tracked files ${tracked} B`).toBeLessThan(DEVICE_LIMIT);
  });

  it("unpacks with python3's tarfile (no xz needed) into what tar lists, and holds only linux-x64's dawn.node", () => {
    const archive = path.join(out, "ganscope-gpu-kit.tar.xz");
    const py = spawnSync("python3", ["-c", "import sys, tarfile; t = tarfile.open(sys.argv[1], 'r:xz'); t.extractall(sys.argv[2]); print(len(t.getnames()))", archive, path.dirname(kit)], { encoding: "utf8" });
    expect(py.stderr).toBe("");
    const listed = spawnSync("tar", ["-tJf", archive], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    expect(Number(py.stdout.trim())).toBe(listed.length);
    expect(listed.filter((f) => f.endsWith("dawn.node"))).toEqual(["ganscope-gpu-kit/node_modules/webgpu/dist/linux-x64/dawn.node"]);
    expect(listed).toEqual(expect.arrayContaining(["ganscope-gpu-kit/run.sh", "ganscope-gpu-kit/bin/node", "ganscope-gpu-kit/lib/libvulkan.so.1", "ganscope-gpu-kit/app/worker-process.mjs"]));
    // The kit trains on webgpu: no native TensorFlow in it.
    expect(listed.some((f) => f.includes("tfjs-node") || f.includes("tensorflow.so"))).toBe(false);
  });

  it("runs the device check on lavapipe through its launcher: adapter, correctness against cpu, speed, and a study piece stopped by its time budget with its finished runs exported", async () => {
    const check = path.join(tmp, "device-check");
    const args = ["device-check", "--out", check, "--work", path.join(tmp, "work"), "--size", "3x2/32", "--widths", "16,16,32", "--ks", "1,2", "--correctness-steps", "4"];
    const study = ["--budget", "smoke", "--only", "5", "--fuse", "2", "--concurrency", "1", "--minutes", "1.5"];
    const r = spawnSync(path.join(kit, "run.sh"), [...args, ...study], { cwd: tmp, encoding: "utf8", timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(path.join(check, "device-check.json"), "utf8")) as {
      machine: { cores: number; node: string; kit: { node: string } };
      adapter: { provider: string; adapter: { vendor: string; software: boolean } };
      correctness: { maxRelative: Record<string, number> };
      stepTimes: { msPerStep: number }[];
      fused: { k: number; runStepsPerSec: number }[];
      study: { stoppedAt?: string; exported: { runs: number; budget: { name: string } } | null };
      errors: string[];
    };
    expect(result.errors).toEqual([]);
    // The kit's own Node, not the one running this test.
    expect(result.machine.node).toBe(`v${result.machine.kit.node}`);
    expect(result.adapter.adapter).toMatchObject({ vendor: "mesa", software: true });
    expect(result.adapter.provider).toMatch(/^@tensorflow\/tfjs-backend-webgpu@4\.22\.0 on Dawn \(webgpu@0\.6\.2\): mesa /);
    // libs/training/src/webgpu-run.test.ts's bound for step statistics.
    expect(Object.keys(result.correctness.maxRelative).length).toBeGreaterThan(0);
    for (const [key, d] of Object.entries(result.correctness.maxRelative)) expect(d, key).toBeLessThan(1e-5);
    expect(result.stepTimes).toHaveLength(1);
    expect(result.stepTimes[0]!.msPerStep).toBeGreaterThan(0);
    expect(result.fused.map((f) => f.k)).toEqual([1, 2]);
    expect(result.fused.every((f) => f.runStepsPerSec > 0)).toBe(true);
    expect(readFileSync(path.join(check, "summary.txt"), "utf8")).toMatch(/^correctness: 4 steps, webgpu against cpu/m);

    // The piece: finding 5's 6 smoke runs (3 fused groups of 2) took ~2 minutes on 2 cores, so the time budget
    // stops it; the first group fits. A faster machine that trains all 6 in time exports all 6.
    const exported = result.study.exported!;
    expect(exported.budget.name).toBe("smoke");
    expect(exported.runs).toBeGreaterThanOrEqual(1);
    if (result.study.stoppedAt) expect(exported.runs).toBeLessThan(6);
    else expect(exported.runs).toBe(6);
    const runs = gunzipSync(readFileSync(path.join(check, "evidence", "runs.jsonl.gz"))).toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { backend: { name: string }; records: unknown[] });
    expect(runs).toHaveLength(exported.runs);
    for (const run of runs) {
      expect(run.backend.name).toBe("webgpu");
      expect(run.records).toHaveLength(BUDGETS.smoke.epochs);
    }
    // This checkout reads what the kit exported, as the lead would after a device run.
    const imported = await importEvidence(path.join(check, "evidence"), BUDGETS.smoke, path.join(tmp, "imported"));
    expect(imported.imported).toBe(exported.runs);
  }, 300_000);
});
