import fc from "fast-check";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "@ganscope/data";
import { experiment, type RunPlan, type RunSpec } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { selectBackend, type BackendInfo } from "@ganscope/models";
import { RunStore, type EpochRecord } from "@ganscope/tracking";
import { chooseK, planGroups } from "./fusion.js";
import { trainGroup } from "./train-group.js";
import { trainRun } from "./train-run.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-group-"));
let backend: BackendInfo;
let plan: RunPlan;

// The cpu backend, where a fused run's numbers equal the run's alone bit for bit.
beforeAll(async () => {
  backend = await selectBackend("cpu");
  plan = experiment("tiny-fused")
    .fix({ ...TINY_GAN, limit: 96, batch_size: 32, latent_dim: 8, sample_every: 2 })
    .vary("dis_dropout", [0, 0.3])
    .vary("gen_lr", [2e-4, 1e-3])
    .epochs(3)
    .compile();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A record without its wall time (the only field that may differ). */
const numbers = ({ secs: _, ...r }: EpochRecord) => r;
const records = async (dir: string, exp: string, spec: RunSpec) => (await new RunStore(dir).run(exp, spec.runId).readRecords()).map(numbers);
const withEpochs = (s: RunSpec, epochs: number): RunSpec => ({ ...s, config: { ...s.config, epochs } });

describe("trainGroup", () => {
  it("writes every run's own records, samples, checkpoint and summary, equal to the run trained alone; a run done early leaves the group", async () => {
    // Run 3 stops after 2 epochs, the others go on to 3 in a regrouped model.
    const specs = plan.runs.map((s, i) => (i === 3 ? withEpochs(s, 2) : s));
    const alone = path.join(tmp, "alone");
    for (const s of specs) expect((await trainRun(s, { resultsDir: alone, experiment: plan.experiment, backend })).status).toBe("done");
    const fused = path.join(tmp, "fused");
    const outcomes = await trainGroup(specs, { resultsDir: fused, experiment: plan.experiment, backend });
    expect([...outcomes.values()].map((o) => o.status)).toEqual(["done", "done", "done", "done"]);
    for (const s of specs) {
      const got = await records(fused, plan.experiment, s);
      expect(got.map((r) => r.epoch)).toEqual(s === specs[3] ? [1, 2] : [1, 2, 3]);
      expect({ run: specs.indexOf(s), got }).toEqual({ run: specs.indexOf(s), got: await records(alone, plan.experiment, s) });
      const run = new RunStore(fused).run(plan.experiment, s.runId);
      // Same samples, byte for byte: the synced Gan generates what the run alone would.
      const sample = `samples/epoch-0002.png`;
      expect(readFileSync(run.file(sample)).equals(readFileSync(new RunStore(alone).run(plan.experiment, s.runId).file(sample)))).toBe(true);
      expect(JSON.parse(readFileSync(run.file("config.json"), "utf8")).fusion).toMatchObject({ k: 4, group: specs.map((x) => x.runId) });
      expect(JSON.parse(readFileSync(run.file("summary.json"), "utf8")).status).toBe("done");
    }
    // Runs alone and fused read one shared copy of each split: training never wrote into it.
    for (const split of ["train", "test"] as const) {
      const shared = loadDataset("mnist", { split, limit: split === "train" ? 96 : undefined, shared: true });
      const fresh = loadDataset("mnist", { split, limit: split === "train" ? 96 : undefined });
      expect(Buffer.from(shared.images.buffer, shared.images.byteOffset, shared.images.byteLength).equals(Buffer.from(fresh.images.buffer)), split).toBe(true);
    }
  });

  it("restarts from its runs' checkpoints after a kill, every epoch once, as if never stopped", async () => {
    const dir = path.join(tmp, "resumed");
    // The group trained epoch 1 of each run, then was killed (status left "running").
    await trainGroup(plan.runs.map((s) => withEpochs(s, 1)), { resultsDir: dir, experiment: plan.experiment, backend });
    for (const s of plan.runs) await new RunStore(dir).run(plan.experiment, s.runId).writeStatus({ state: "running", epochsDone: 1, epochs: 3 });
    // Run 0 got one epoch further alone before the kill: the group restarts its runs at different epochs.
    await trainRun(withEpochs(plan.runs[0]!, 2), { resultsDir: dir, experiment: plan.experiment, backend });
    await new RunStore(dir).run(plan.experiment, plan.runs[0]!.runId).writeStatus({ state: "running", epochsDone: 2, epochs: 3 });
    await trainGroup(plan.runs, { resultsDir: dir, experiment: plan.experiment, backend });
    for (const s of plan.runs) {
      const got = await records(dir, plan.experiment, s);
      expect(got.map((r) => r.epoch)).toEqual([1, 2, 3]);
      // The first test trained each run alone into "alone" (run 3 for 2 epochs only).
      const expected = await records(path.join(tmp, "alone"), plan.experiment, s);
      expect(got.slice(0, expected.length)).toEqual(expected);
    }
  });
});

describe("planGroups / chooseK", () => {
  it("groups runs of equal shapes only, in near-equal groups of at most K", () => {
    const wide = experiment("w").fix({ gen_width: 32 }).vary("seed", [1, 2, 3]).compile().runs;
    const narrow = experiment("n").fix({ gen_width: 16 }).vary("seed", [1, 2, 3, 4, 5, 6, 7]).compile().runs;
    const groups = planGroups([...wide, ...narrow], () => 3);
    expect(groups.map((g) => g.length)).toEqual([3, 3, 2, 2]);
    expect(groups.flat()).toHaveLength(10);
    expect(groups.every((g) => new Set(g.map((r) => r.config.gen_width)).size === 1)).toBe(true);
  });

  it("raises the plan's group count to a multiple of the workers' where it can, a group at a time: no worker idles while another trains a group more", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 }), (counts, k, workers) => {
        // One shape per count (its own generator width), its runs told apart by seed.
        const runs = counts.flatMap((n, i) => experiment(`s${i}`).fix({ gen_width: 16 + 8 * i }).vary("seed", Array.from({ length: n }, (_, j) => j) as [number, ...number[]]).compile().runs);
        const groups = planGroups(runs, () => k, workers);
        expect(groups.flat().map((r) => r.runId).sort()).toEqual(runs.map((r) => r.runId).sort());
        for (const [i, n] of counts.entries()) {
          const sizes = groups.filter((g) => g[0]!.config.gen_width === 16 + 8 * i).map((g) => g.length);
          expect(Math.max(...sizes)).toBeLessThanOrEqual(Math.min(k, n));
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
        expect(groups.every((g) => new Set(g.map((r) => r.config.gen_width)).size === 1)).toBe(true);
        const fewest = counts.reduce((sum, n) => sum + Math.ceil(n / Math.min(k, n)), 0);
        // A multiple of the workers (or every run alone), and no more groups than that takes.
        expect(groups.length % workers === 0 || groups.every((g) => g.length === 1)).toBe(true);
        expect(groups.length - fewest).toBeLessThan(workers);
      }),
    );
    // The study bench's case: 10 seeds, K = 4, 2 workers; and a plan already balanced is left alone.
    const ten = experiment("t").vary("seed", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).compile().runs;
    expect(planGroups(ten, () => 4, 2).map((g) => g.length)).toEqual([3, 3, 2, 2]);
    expect(planGroups(ten, () => 4).map((g) => g.length)).toEqual([4, 3, 3]);
    const square = experiment("q").vary("gen_width", [16, 24, 32, 40]).vary("seed", [0, 1, 2, 3]).compile().runs;
    expect(planGroups(square, () => 4, 4).map((g) => g.length)).toEqual([4, 4, 4, 4]);
  });

  it("picks the smallest K within 5 % of the cheapest run-step, at most each worker's share", () => {
    const m = [1, 2, 4, 8, 16].map((k, i) => ({ k, cpuMsPerRunStep: [20, 15, 12, 11.6, 11.5][i]!, wallMsPerRunStep: 0 }));
    expect(chooseK(m, 16, 2)).toBe(4);
    expect(chooseK(m, 4, 2)).toBe(2);
    expect(chooseK(m, 1, 2)).toBe(1);
  });
});

// On tensorflow a fused group's products are one MatMul per run (the kernel a
// run alone calls), so a fused run's records equal its records alone there too.
const native = await selectBackend("tensorflow").then(
  () => true,
  () => false,
);
describe.runIf(native)("trainGroup on tensorflow", () => {
  it("writes every run's records and samples equal to the run trained alone, bit for bit", async () => {
    const tensorflow = await selectBackend("tensorflow");
    try {
      const alone = path.join(tmp, "tf-alone");
      for (const s of plan.runs) expect((await trainRun(s, { resultsDir: alone, experiment: plan.experiment, backend: tensorflow })).status).toBe("done");
      const fused = path.join(tmp, "tf-fused");
      const outcomes = await trainGroup(plan.runs, { resultsDir: fused, experiment: plan.experiment, backend: tensorflow });
      expect([...outcomes.values()].map((o) => o.status)).toEqual(plan.runs.map(() => "done"));
      for (const s of plan.runs) {
        const got = await records(fused, plan.experiment, s);
        expect(got.map((r) => r.epoch)).toEqual([1, 2, 3]);
        expect({ run: plan.runs.indexOf(s), got }).toEqual({ run: plan.runs.indexOf(s), got: await records(alone, plan.experiment, s) });
        const sample = "samples/epoch-0002.png";
        expect(readFileSync(new RunStore(fused).run(plan.experiment, s.runId).file(sample)).equals(readFileSync(new RunStore(alone).run(plan.experiment, s.runId).file(sample)))).toBe(true);
      }
    } finally {
      backend = await selectBackend("cpu");
    }
  });
});
