import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// Inside the repo so that the experiment file resolves @ganscope/dsl.
const dir = mkdtempSync(path.join(process.cwd(), "tmp-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = path.join(import.meta.dirname, "main.ts");

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, "exp", ...args], { encoding: "utf8", timeout: 120_000 });
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
    expect(badFlag.code).not.toBe(0);
    expect(badFlag.err).toMatch(/--epochs must be an integer ≥ 1, got "zero"/);
  });

  it("trains every run on worker processes and prints the summary table; a second invocation skips them", () => {
    const results = path.join(dir, "results");
    const receipt = path.join(dir, "receipt.json");
    const r = cli(`--file=${tiny}`, "--results", results, "--concurrency", "2", "--receipt", receipt);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/backend: \w+/);
    // Workers' stderr comes through, less libtensorflow's start-up notices (one pair per worker).
    expect(r.err).not.toMatch(/absl::InitializeLog|oneDNN custom operations/);
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
});
