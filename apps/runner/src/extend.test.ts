/**
 * Issue 12's "done means", through the real CLI: `--epochs 2` then
 * `--epochs 4` on the same file keeps the run ids, trains epochs 3–4 only,
 * leaves epochs 1–2 of metrics.jsonl byte for byte, and ends where an
 * uninterrupted 4-epoch run ends.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// Inside the repo so that the experiment file resolves @ganscope/dsl.
const dir = mkdtempSync(path.join(process.cwd(), "tmp-extend-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = path.join(import.meta.dirname, "main.ts");
const file = path.join(dir, "grow.exp.ts");
writeFileSync(
  file,
  `import { experiment } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
export default experiment("cli-grow")
  .fix({ ...TINY_GAN, limit: 128, batch_size: 64, sample_every: 1 })
  .vary("activation", ["relu", "elu"])
  .epochs(10);
`,
);

function cli(results: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, "exp", `--file=${file}`, "--results", results, "--concurrency", "2", ...args], { encoding: "utf8", timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const trainedEpochs = (err: string) => (err.match(/^[0-9a-f]{12} activation=\w+ epoch \d+\/\d+/gm) ?? []).map((l) => l.replace(/ activation=\w+ epoch /, "@"));
const lines = (results: string, id: string) => readFileSync(path.join(results, "cli-grow", id, "metrics.jsonl"), "utf8").trim().split("\n");
/** A record's training trajectory: the losses, D's outputs, gradient norms and steps. */
const trajectory = (line: string) => {
  const r = JSON.parse(line) as Record<string, number>;
  return Object.fromEntries(["epoch", "d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm", "steps"].map((k) => [k, r[k]]));
};
/** Everything a record holds but its wall-clock seconds. */
const measured = (line: string) => {
  const { secs: _s, ...r } = JSON.parse(line) as Record<string, number>;
  return r;
};

describe("runner exp --epochs as a target", () => {
  it("--epochs 2 then --epochs 4: same ids, epochs 3–4 only, epochs 1–2 untouched, equal to an uninterrupted 4-epoch run", () => {
    const results = path.join(dir, "grown");
    const first = cli(results, "--epochs", "2");
    expect(first.code, first.err).toBe(0);
    const ids = [...new Set(trainedEpochs(first.err).map((p) => p.split("@")[0]!))];
    expect(ids).toHaveLength(2);
    const before = Object.fromEntries(ids.map((id) => [id, readFileSync(path.join(results, "cli-grow", id, "metrics.jsonl"), "utf8")]));

    const second = cli(results, "--epochs", "4");
    expect(second.code, second.err).toBe(0);
    expect(trainedEpochs(second.err).sort()).toEqual(ids.flatMap((id) => [`${id}@3/4`, `${id}@4/4`]).sort());
    for (const id of ids) {
      const after = readFileSync(path.join(results, "cli-grow", id, "metrics.jsonl"), "utf8");
      expect(after.startsWith(before[id]!)).toBe(true);
      expect(lines(results, id).map((l) => JSON.parse(l).epoch)).toEqual([1, 2, 3, 4]);
    }
    expect(second.out).toMatch(/│ done +│ 4\/4/);

    const third = cli(results, "--epochs", "3");
    expect(third.code).toBe(0);
    expect(third.err.match(/skipped \(done to 4 epochs\)/g)).toHaveLength(2);

    const straight = path.join(dir, "straight");
    expect(cli(straight, "--epochs", "4").code).toBe(0);
    for (const id of ids) {
      // The same training, bit for bit; the grown run also has the evaluation it got at its first target (epoch 2).
      expect(lines(results, id).map(trajectory)).toEqual(lines(straight, id).map(trajectory));
      expect(measured(lines(results, id)[3]!)).toEqual(measured(lines(straight, id)[3]!));
      expect(JSON.parse(lines(results, id)[1]!)["fid_lite"]).toBeGreaterThan(0);
    }
  }, 600_000);
});
