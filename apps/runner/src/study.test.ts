import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const MAIN = path.join(import.meta.dirname, "main.ts");

function study(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, "study", ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("runner study: bad input is one line", () => {
  it("names the allowed budgets", () => {
    const r = study("--file=experiments/seed/findings.ts", "--budget=huge", "--dry-run");
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe('error: --budget must be one of smoke, cpu, cpu-long, digits, digits-long, full, got "huge"');
  });

  it("refuses a file that is not a study, and an unknown finding id", () => {
    const notStudy = study("--file=experiments/seed/baseline.exp.ts", "--budget=smoke", "--dry-run");
    expect(notStudy.code).toBe(2);
    expect(notStudy.err).toMatch(/^error: experiments\/seed\/baseline\.exp\.ts: default export is not a study/);
    const unknown = study("--file=experiments/seed/findings.ts", "--budget=smoke", "--only", "11", "--dry-run");
    expect(unknown.code).toBe(2);
    expect(unknown.err.trim()).toBe("error: experiments/seed/findings.ts: --only: no finding 11 (findings: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)");
  });
});
