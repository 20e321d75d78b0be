import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultCacheDir } from "@ganscope/metrics";

// Inside the repo so that the experiment file resolves @ganscope/dsl.
const dir = mkdtempSync(path.join(process.cwd(), "tmp-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = path.join(import.meta.dirname, "main.ts");

function cli(...args: string[]) {
  return cliWith({}, ...args);
}
function cliWith(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, "exp", ...args], { encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tiny = path.join(dir, "tiny.exp.ts");
writeFileSync(
  tiny,
  `import { experiment } from "@ganscope/dsl";
export default experiment("cli-tiny")
  .describe("two tiny runs")
  .fix({ limit: 128, batch_size: 64, gen_width: 32, dis_width: 32, max_width: 64 })
  .vary("dis_lr", [2e-4, 1e-3])
  .epochs(1);
`,
);

describe("runner CLI", () => {
  it("--dry-run prints the plan: runs, varied values, ids and total steps", () => {
    const r = cli(`--file=${tiny}`, "--dry-run", "--epochs", "3");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/experiment "cli-tiny": 2 runs — two tiny runs/);
    expect(r.out).toMatch(/varied: dis_lr ∈ \{0\.0002, 0\.001\}/);
    expect(r.out.match(/^ {2}[0-9a-f]{12} {2}dis_lr=/gm)).toHaveLength(2);
    expect(r.out).toMatch(/3 epochs × 2 steps = 6 steps/);
    expect(r.out).toMatch(/total: 12 training steps/);
  });

  it("exits 2 with a message naming the file for a bad experiment or flag", () => {
    const missing = cli("--file=experiments/typo.exp.ts");
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/experiments\/typo\.exp\.ts: no such experiment file/);
    const badLimit = cli(`--file=${tiny}`, "--limit", "70000", "--dry-run");
    expect(badLimit.code).toBe(2);
    expect(badLimit.err).toMatch(/tiny\.exp\.ts: limit 70000 exceeds the 60000 training images of mnist/);
    const badFlag = cli(`--file=${tiny}`, "--epochs", "zero");
    expect(badFlag.code).toBe(2);
    expect(badFlag.err.trim()).toMatch(/^error: option '--epochs <n>' argument 'zero' is invalid\. --epochs must be an integer ≥ 1, got "zero"; see `runner exp --help`$/);
  });

  it("trains every run on worker processes and prints the summary table; a second invocation skips them", () => {
    const results = path.join(dir, "results");
    const receipt = path.join(dir, "receipt.json");
    const r = cli(`--file=${tiny}`, "--results", results, "--concurrency", "2", "--receipt", receipt);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/backend: \w+/);
    // Workers' stderr comes through, less libtensorflow's start-up notices (one pair per worker).
    expect(r.err).not.toMatch(/absl::InitializeLog|oneDNN custom operations/);
    // --backend auto asks Dawn for an adapter in a child whose complaints (no Vulkan driver) are its own.
    expect(r.err).not.toMatch(/vkCreateInstance|Found no drivers/);
    expect(r.out).toMatch(/│ run +│ dis_lr │ status │/);
    expect(r.out.match(/│ done +│ 1\/1/g)).toHaveLength(2);
    const plan = JSON.parse(readFileSync(path.join(results, "cli-tiny", "plan.json"), "utf8"));
    expect(plan.runs).toHaveLength(2);
    const got = JSON.parse(readFileSync(receipt, "utf8"));
    expect(got.runs.map((x: { runId: string; status: string }) => [x.runId, x.status])).toEqual(plan.runs.map((x: { runId: string }) => [x.runId, "done"]));

    const again = cli(`--file=${tiny}`, "--results", results);
    expect(again.code).toBe(0);
    expect(again.err.match(/skipped \(done to 1 epoch\)/g)).toHaveLength(2);
  });

  it("--fuse trains same-shape runs as one fused model, each run with its own store entries; auto measures once per machine and records its pick", () => {
    const bad = cli(`--file=${tiny}`, "--fuse", "zero", "--dry-run");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--fuse must be auto, off or a group size ≥ 1, got "zero"/);

    const results = path.join(dir, "fused");
    const fixed = cli(`--file=${tiny}`, "--results", results, "--concurrency", "1", "--fuse", "2");
    expect(fixed.code, fixed.err).toBe(0);
    expect(fixed.err).toMatch(/fusion: 2 runs per fused group/);
    expect(fixed.out.match(/│ done +│ 1\/1/g)).toHaveLength(2);
    const plan = JSON.parse(readFileSync(path.join(results, "cli-tiny", "plan.json"), "utf8"));
    const ids = plan.runs.map((r: { runId: string }) => r.runId);
    for (const id of ids) {
      const config = JSON.parse(readFileSync(path.join(results, "cli-tiny", id, "config.json"), "utf8"));
      expect(config.fusion).toEqual({ group: ids, k: 2, chosen: { mode: "fixed", k: 2 } });
      expect(readFileSync(path.join(results, "cli-tiny", id, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(1);
    }

    // auto: measured in a worker the first time (into the cache folder, $GANSCOPE_CACHE), reused the second.
    // The fresh cache holds only the metrics' classifiers, copied, so the runs' evaluations train none.
    const cache = path.join(dir, "cache");
    mkdirSync(cache);
    for (const name of readdirSync(defaultCacheDir()).filter((n) => n.startsWith("digit-classifier-"))) copyFileSync(path.join(defaultCacheDir(), name), path.join(cache, name));
    const auto = cliWith({ GANSCOPE_CACHE: cache }, `--file=${tiny}`, "--results", path.join(dir, "auto"), "--concurrency", "1", "--epochs", "2");
    expect(auto.code, auto.err).toBe(0);
    expect(auto.err).toMatch(/fusion: measuring group sizes 1, 2 for 2 runs/);
    const pick = /fusion: auto picked K=(\d)/.exec(auto.err);
    expect(pick).not.toBeNull();
    const id0 = JSON.parse(readFileSync(path.join(dir, "auto", "cli-tiny", "plan.json"), "utf8")).runs[0].runId;
    const config = JSON.parse(readFileSync(path.join(dir, "auto", "cli-tiny", id0, "config.json"), "utf8"));
    if (pick![1] === "2") expect(config.fusion.chosen.picks[0].measured.map((m: { k: number }) => m.k)).toEqual([1, 2]);
    else expect(config.fusion).toBeUndefined();
    expect(readdirSync(path.join(cache, "fusion"))).toHaveLength(1);
    const again = cliWith({ GANSCOPE_CACHE: cache }, `--file=${tiny}`, "--results", path.join(dir, "auto2"), "--concurrency", "1", "--epochs", "2");
    expect(again.err).toMatch(/measured earlier/);
  });
});
