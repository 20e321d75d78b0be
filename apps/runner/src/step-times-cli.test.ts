import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// Inside the repo so that the experiment file resolves @ganscope/dsl.
const dir = mkdtempSync(path.join(process.cwd(), "tmp-step-times-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = path.join(import.meta.dirname, "main.ts");
const cache = path.join(dir, "step-times.json");

function stepTimesCli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, "step-times", ...args], { encoding: "utf8", timeout: 120_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tiny = path.join(dir, "tiny.exp.ts");
writeFileSync(
  tiny,
  `import { experiment } from "@ganscope/dsl";
export default experiment("step-times-tiny")
  .fix({ limit: 128, batch_size: 16, gen_width: 8, dis_width: 8, max_width: 16, latent_dim: 8 })
  .vary("gen_layers", [2, 3])
  .vary("dis_lr", [2e-4, 1e-3])
  .epochs(7);
`,
);

interface Printed {
  measured: number;
  cached: number;
  steps: Record<string, { secsPerStep: number }>;
  runs: Record<string, { secsPerStep: number; steps: number; evaluations: number }>;
}

describe("runner step-times", () => {
  it("prints every run's measured step time as JSON, one measurement per shape, then reads them from the cache", () => {
    const first = stepTimesCli("--json", "--no-evaluation", "--cache", cache, "--file", tiny);
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    const a = JSON.parse(first.out) as Printed;
    expect(a).toMatchObject({ measured: 2, cached: 0 });
    expect(Object.keys(a.steps)).toHaveLength(2);
    const runs = Object.values(a.runs);
    expect(runs).toHaveLength(4);
    // 128 images / batch 16 = 8 steps per epoch × 7 epochs; evaluations at epoch 5 and 7.
    for (const r of runs) expect(r).toMatchObject({ steps: 56, evaluations: 2, secsPerStep: expect.any(Number) });
    expect(new Set(runs.map((r) => r.secsPerStep)).size).toBe(2);

    const second = stepTimesCli("--no-evaluation", "--cache", cache, "--file", tiny);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/2 shapes: 2 cached, 0 measured now, 0 measured again/);
  });

  it("names a missing experiment file in one line", () => {
    const r = stepTimesCli("--json", "--cache", cache, "--file", path.join(dir, "nope.exp.ts"));
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/^error: .*nope\.exp\.ts/);
  });
});
