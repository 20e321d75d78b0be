/**
 * Evidence bundles through the real CLI: a study trained on one store,
 * exported, imported into fresh stores ("another machine"), and its report
 * regenerated from the bundle alone, byte for byte; bundles that do not
 * match their runs' config hashes, the budget or the record schema are
 * refused by name, and nothing is written to the store.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = path.resolve(import.meta.dirname, "../../..");
const MAIN = path.join(import.meta.dirname, "main.ts");
mkdirSync(path.join(REPO, "tmp"), { recursive: true });
// Inside the repo, so that the study file resolves @ganscope/*.
const dir = mkdtempSync(path.join(REPO, "tmp", "evidence-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const studyFile = path.join(dir, "tiny.findings.ts");
writeFileSync(
  studyFile,
  `import { experiment } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { arm, compare, finding, study } from "@ganscope/findings";
const lr = experiment("evidence-dis-lr").fix({ ...TINY_GAN, latent_dim: 8 }).vary("dis_lr", [1e-3, 1e-5]);
export default study("evidence-tiny", "a tiny study for the evidence bundle's tests", [
  finding({ id: "d", title: "a faster discriminator lowers its loss", quote: "(test)", claims: [compare(arm(lr, { dis_lr: 1e-3 }), arm(lr, { dis_lr: 1e-5 }), "d_loss", "lower")] }),
]);
`,
);

function runner(...args: string[]) {
  const env = { ...process.env };
  delete env["MLFLOW_TRACKING_URI"];
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, "study", `--file=${studyFile}`, ...args], { cwd: REPO, encoding: "utf8", timeout: 300_000, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const trained = path.join(dir, "trained");
const bundle = path.join(dir, "bundle");

/** The bundle's runs, edited by `edit`, written back into a copy with a matching checksum (so only the edit is wrong). */
function tampered(name: string, edit: (runs: Record<string, unknown>[]) => void): string {
  const copy = path.join(dir, name);
  cpSync(bundle, copy, { recursive: true });
  const runs = gunzipSync(readFileSync(path.join(copy, "runs.jsonl.gz"))).toString("utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  edit(runs);
  const gz = gzipSync(Buffer.from(runs.map((r) => JSON.stringify(r)).join("\n") + "\n"));
  writeFileSync(path.join(copy, "runs.jsonl.gz"), gz);
  const manifest = JSON.parse(readFileSync(path.join(copy, "manifest.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(path.join(copy, "manifest.json"), JSON.stringify({ ...manifest, runsSha256: createHash("sha256").update(gz).digest("hex") }));
  return copy;
}

beforeAll(() => {
  const r = runner("--budget=smoke", `--results=${trained}`, `--export=${bundle}`, "--concurrency=2");
  expect(r.code, r.err).toBe(0);
  expect(r.out).toMatch(/evidence: .* holds 4 finished runs \(4 new, 0 kept/);
}, 300_000);

describe("evidence bundles", () => {
  it("hold the runs without checkpoints, the median runs' grids, and little else", () => {
    expect(readdirSync(bundle).sort()).toEqual(["grids", "manifest.json", "runs.jsonl.gz"]);
    const grids = readdirSync(path.join(bundle, "grids"));
    expect(grids.length).toBeGreaterThanOrEqual(1);
    expect(grids.length).toBeLessThanOrEqual(2); // one median run per arm
    const lines = gunzipSync(readFileSync(path.join(bundle, "runs.jsonl.gz"))).toString("utf8").trim().split("\n");
    expect(lines).toHaveLength(4);
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ status: { state: "done", epochsDone: 2 }, records: [{ epoch: 1 }, { epoch: 2 }] });
  });

  it("regenerate the report on a fresh store with no training, byte for byte, with the trained store's decisions", () => {
    const reports = ["fresh-a", "fresh-b"].map((name) => {
      const results = path.join(dir, name);
      const doc = path.join(dir, `${name}-docs`, "study.md");
      const r = runner("--budget=smoke", `--results=${results}`, `--evidence=${bundle}`, "--report-only", `--doc=${doc}`);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/evidence: 4 runs imported/);
      // The doc shows each arm's median grid from a folder beside it, by a relative link.
      const grids = readdirSync(path.join(path.dirname(doc), "study"));
      expect(grids.length).toBeGreaterThanOrEqual(1);
      const docText = readFileSync(doc, "utf8");
      for (const g of grids) expect(docText).toContain(`](study/${g})`);
      return { doc: docText, md: readFileSync(path.join(results, "evidence-tiny", "report.md"), "utf8"), json: JSON.parse(readFileSync(path.join(results, "evidence-tiny", "report.json"), "utf8")) as { findings: unknown; runs: unknown } };
    });
    expect(reports[0]!.md.replace(/fresh-a-docs/g, "fresh-docs")).toBe(reports[1]!.md.replace(/fresh-b-docs/g, "fresh-docs"));
    // The two docs differ only in the path each names as its own (the regenerate command's --doc).
    expect(reports[0]!.doc.replace(/fresh-a-docs/g, "fresh-docs")).toBe(reports[1]!.doc.replace(/fresh-b-docs/g, "fresh-docs"));
    const original = JSON.parse(readFileSync(path.join(trained, "evidence-tiny", "report.json"), "utf8")) as { findings: { claims: { a: { runs: unknown } }[] }[]; runs: unknown };
    expect(reports[0]!.json.runs).toEqual(original.runs);
    const strip = (x: unknown) => JSON.parse(JSON.stringify(x).replace(/"sample":"[^"]*"/g, '"sample":""')) as unknown;
    expect(strip(reports[0]!.json.findings)).toEqual(strip(original.findings));
  });

  it("let a study train only what neither the store nor the bundle holds, and grow when exported again", () => {
    const results = path.join(dir, "other-machine");
    const r = runner("--budget=smoke", `--results=${results}`, `--evidence=${bundle}`, `--export=${bundle}`);
    expect(r.code, r.err).toBe(0);
    expect(r.err).not.toMatch(/runs to train/);
    expect(r.out).toMatch(/holds 4 finished runs \(0 new, 0 kept/);
  });

  it.each([
    ["a config that does not hash to its run id", "config", (runs: Record<string, unknown>[]) => Object.assign(runs[0]!, { config: { ...(runs[0]!["config"] as object), dis_lr: 0.5 } }), /line 1: run [0-9a-f]{12}: its config hashes to [0-9a-f]{12}; the config or the id was changed$/],
    ["a record key outside the schema", "schema", (runs: Record<string, unknown>[]) => ((runs[1]!["records"] as Record<string, unknown>[])[0]!["fid_lite_v2"] = 1), /line 2: run [0-9a-f]{12}: epoch 1: fid_lite_v2 not in the record schema/],
    ["a run short of the budget's epochs", "epochs", (runs: Record<string, unknown>[]) => Object.assign(runs[0]!, { records: (runs[0]!["records"] as unknown[]).slice(0, 1) }), /run [0-9a-f]{12}: done at epoch 2 with 1 epochs of records; the smoke budget's is 2/],
  ])("refuse %s by name, writing nothing", (_what, name, edit, message) => {
    const results = path.join(dir, `refused-${name}`);
    const r = runner("--budget=smoke", `--results=${results}`, `--evidence=${tampered(name, edit)}`, "--report-only");
    expect(r.code).toBe(2);
    const lines = r.err.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*runs\.jsonl\.gz: /);
    expect(lines[0]).toMatch(message);
    expect(existsSync(path.join(results, "evidence-dis-lr"))).toBe(false);
  });

  it("refuse a bundle of another budget, and a corrupt one", () => {
    const other = runner("--budget=cpu", `--results=${path.join(dir, "refused-budget")}`, `--evidence=${bundle}`, "--report-only");
    expect(other.code).toBe(2);
    expect(other.err.trim()).toMatch(/^error: .*manifest\.json: exported at budget smoke \(2 epochs, limit 512\), expected cpu \(8 epochs, limit 6400\)$/);
    const corrupt = path.join(dir, "corrupt");
    cpSync(bundle, corrupt, { recursive: true });
    const gz = readFileSync(path.join(corrupt, "runs.jsonl.gz"));
    gz[gz.length - 9]! ^= 0xff;
    writeFileSync(path.join(corrupt, "runs.jsonl.gz"), gz);
    const r = runner("--budget=smoke", `--results=${path.join(dir, "refused-corrupt")}`, `--evidence=${corrupt}`, "--report-only");
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/^error: .*runs\.jsonl\.gz: sha256 [0-9a-f]{12}… differs from the manifest's [0-9a-f]{12}…: the file is corrupt or was edited$/);
  });
});
