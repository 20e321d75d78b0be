/**
 * Fresh runs of one config are the same run: trained twice from scratch,
 * every record (but wall time), every sample grid and the checkpoint agree
 * bit for bit, on every backend present (webgpu on the software adapter). The default seed 0 is the case
 * that broke: tfjs' Gaussian sampler took seed 0 for "no seed" and drew the
 * first step's noise from Math.random (epoch-1 d_loss 1.29826, 1.29883,
 * 1.29784 on three fresh runs).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { experiment } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { parseCheckpoint, releaseBackend, selectBackend, type BackendName } from "@ganscope/models";
import { useSoftwareWebgpu } from "@ganscope/models/testing";
import { RunStore, type EpochRecord } from "@ganscope/tracking";
import { trainRun } from "./train-run.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-determinism-"));
afterAll(() => {
  releaseBackend();
  rmSync(tmp, { recursive: true, force: true });
});

const here: BackendName[] = [];
for (const b of ["cpu", "wasm", "tensorflow"] as const) {
  if (await selectBackend(b).then(() => true, () => false)) here.push(b);
}
// And webgpu on Mesa's lavapipe, always (fails, naming scripts/setup-vulkan.sh, where it is missing): "same backend, config and seed, same records" holds there too.
useSoftwareWebgpu();
here.push("webgpu");

describe.each(here)("fresh runs on %s", (name) => {
  it("the same config trained twice from scratch (default seed 0) writes the same records, grids and checkpoint", async () => {
    const backend = await selectBackend(name);
    // gen_dropout exercises the dropout masks too.
    const spec = experiment("det")
      .fix({ ...TINY_GAN, limit: 256, batch_size: 64, gen_dropout: 0.3, sample_every: 1 })
      .epochs(2)
      .compile().runs[0]!;
    expect(spec.config.seed).toBe(0);
    const trained = [];
    for (const i of [1, 2]) {
      const root = path.join(tmp, `${name}-${i}`);
      expect((await trainRun(spec, { resultsDir: root, experiment: "det", backend })).status).toBe("done");
      const run = new RunStore(root).run("det", spec.runId);
      const records = (await run.readRecords()).map(({ secs: _secs, ...r }: EpochRecord) => r);
      const samples = readdirSync(run.file("samples")).sort().map((f) => readFileSync(path.join(run.file("samples"), f)));
      // The header names variables with a per-process counter (gan0/…, gan1/…); the tensor data must agree.
      const ck = readFileSync(run.checkpointFile);
      const { header, dataOffset } = parseCheckpoint<{ epoch: number }>(ck, run.checkpointFile);
      trained.push({ records, samples, checkpoint: ck.subarray(dataOffset), step: header.step, adamPowers: header.adamPowers });
    }
    const [a, b] = trained;
    expect(a!.records).toHaveLength(2);
    expect(b!.records).toEqual(a!.records);
    expect(b!.samples.length).toBe(a!.samples.length);
    b!.samples.forEach((png, i) => expect(png.equals(a!.samples[i]!), `sample ${i}`).toBe(true));
    expect(b!.checkpoint.equals(a!.checkpoint), "checkpoint tensors").toBe(true);
    expect([b!.step, b!.adamPowers]).toEqual([a!.step, a!.adamPowers]);
  });
});
