import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { MLFLOW_LIMITS, MlflowClient, MlflowError, connectionFromEnv, splitLogBatch, type LogBatch, type MlflowMetric } from "./mlflow-client.js";
import { datasetInputOf } from "./mlflow-dataset.js";
import { MLFLOW_IMAGES_DIR, MLFLOW_LOGGED_IMAGES_TAG, SAMPLES_IMAGE_KEY, logImageStep, loggedImages } from "./mlflow-images.js";
import type { StoredTrainingData } from "./store-formats.js";
import { ensureMlflow, freePort, startMlflowServer, type MlflowServer } from "./testing/mlflow-server.js";

describe("connectionFromEnv", () => {
  it("is undefined without MLFLOW_TRACKING_URI: no MLflow, no traffic", () => {
    expect(connectionFromEnv({})).toBeUndefined();
    expect(connectionFromEnv({ MLFLOW_TRACKING_URI: "  " })).toBeUndefined();
  });

  it("authenticates as MLflow's client does: a token first, else username and password", () => {
    expect(connectionFromEnv({ MLFLOW_TRACKING_URI: "http://h:5000/", MLFLOW_TRACKING_TOKEN: "t0k" })).toEqual({ trackingUri: "http://h:5000", authorization: "Bearer t0k" });
    expect(connectionFromEnv({ MLFLOW_TRACKING_URI: "https://h/mlflow", MLFLOW_TRACKING_USERNAME: "ann", MLFLOW_TRACKING_PASSWORD: "p:w" })).toEqual({
      trackingUri: "https://h/mlflow",
      authorization: `Basic ${Buffer.from("ann:p:w").toString("base64")}`,
    });
    // Credentials in the URI become a header and leave the URI (it is recorded in mlflow.json).
    expect(connectionFromEnv({ MLFLOW_TRACKING_URI: "http://bob:s3cret@h:5000" })).toEqual({ trackingUri: "http://h:5000", authorization: `Basic ${Buffer.from("bob:s3cret").toString("base64")}` });
  });

  it("refuses URIs that are not a tracking server, naming the variable", () => {
    expect(() => connectionFromEnv({ MLFLOW_TRACKING_URI: "file:///tmp/mlruns" })).toThrow(/MLFLOW_TRACKING_URI must be an http\(s\) URL.*file: stores are not supported/);
    expect(() => connectionFromEnv({ MLFLOW_TRACKING_URI: "databricks" })).toThrow(/MLFLOW_TRACKING_URI must be an http\(s\) URL/);
  });
});

describe("splitLogBatch", () => {
  const key = fc.string({ minLength: 1, maxLength: 30 });
  const metric = fc.record({ key, value: fc.double({ noNaN: true }), timestamp: fc.nat(), step: fc.nat() });
  const param = fc.record({ key, value: fc.string({ maxLength: 300 }) });

  it("every request respects every limit, and together they carry everything in order", () => {
    // Small limits so that a few hundred entities exercise every boundary, bytes included.
    const limits = { ...MLFLOW_LIMITS, metricsPerBatch: 7, paramsPerBatch: 3, tagsPerBatch: 4, entitiesPerBatch: 9, requestBytes: 1500 };
    fc.assert(
      fc.property(fc.array(metric, { maxLength: 60 }), fc.array(param, { maxLength: 20 }), fc.array(param, { maxLength: 20 }), (metrics, params, tags) => {
        const batches = splitLogBatch("run", { metrics, params, tags }, limits);
        for (const b of batches) {
          expect(b.metrics.length).toBeLessThanOrEqual(limits.metricsPerBatch);
          expect(b.params.length).toBeLessThanOrEqual(limits.paramsPerBatch);
          expect(b.tags.length).toBeLessThanOrEqual(limits.tagsPerBatch);
          expect(b.metrics.length + b.params.length + b.tags.length).toBeGreaterThan(0);
          expect(b.metrics.length + b.params.length + b.tags.length).toBeLessThanOrEqual(limits.entitiesPerBatch);
          expect(Buffer.byteLength(JSON.stringify({ run_id: "run", ...b }))).toBeLessThanOrEqual(limits.requestBytes);
        }
        const all: LogBatch = { metrics: batches.flatMap((b) => b.metrics), params: batches.flatMap((b) => b.params), tags: batches.flatMap((b) => b.tags) };
        expect(all).toEqual({ metrics, params, tags });
      }),
    );
  });

  it("refuses an entity larger than a whole request instead of sending one the server rejects", () => {
    expect(() => splitLogBatch("run", { metrics: [], params: [{ key: "k", value: "x".repeat(2000) }], tags: [] }, { ...MLFLOW_LIMITS, requestBytes: 1000 })).toThrow(/larger than a whole request/);
  });
});

describe("MlflowClient against a real MLflow server", () => {
  let server: MlflowServer;
  let client: MlflowClient;
  let mlflowBin: string;
  beforeAll(async () => {
    mlflowBin = await ensureMlflow();
  }, 300_000);
  beforeAll(async () => {
    server = await startMlflowServer();
    client = new MlflowClient({ trackingUri: server.uri });
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("gets or creates an experiment once, even when callers race", async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => client.getOrCreateExperiment("race")));
    expect(new Set(ids).size).toBe(1);
    expect((await client.getExperimentByName("race"))?.experiment_id).toBe(ids[0]);
    expect(await client.getExperimentByName("no-such-experiment")).toBeUndefined();
  });

  it("logs more than one request's worth of metrics, params and tags, all of which arrive", async () => {
    const exp = await client.getOrCreateExperiment("limits");
    const run = await client.createRun({ experimentId: exp, runName: "limits" });
    // 2500 metric values: three requests' worth at the server's 1000-per-batch limit.
    const metrics: MlflowMetric[] = Array.from({ length: 2500 }, (_, i) => ({ key: `m${i % 5}`, value: i / 7, timestamp: 1000 + i, step: Math.floor(i / 5) }));
    const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const tags = Array.from({ length: 120 }, (_, i) => ({ key: `t${i}`, value: "v".repeat(i) }));
    await client.logBatch(run.info.run_id, { metrics, params, tags });
    const got = (await client.getRun(run.info.run_id))!;
    expect(got.data.params).toHaveLength(150);
    expect(got.data.tags!.filter((t) => t.key.startsWith("t"))).toHaveLength(120);
    const history = await client.getMetricHistory(run.info.run_id, "m3");
    expect(history.map((m) => m.step).sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(history.find((m) => m.step === 10)?.value).toBeCloseTo(53 / 7, 10);
  });

  it("the limits are the server's: one request over them is refused, which is why batches are split", async () => {
    const exp = await client.getOrCreateExperiment("limits");
    const run = await client.createRun({ experimentId: exp });
    const res = await fetch(`${server.uri}/api/2.0/mlflow/runs/log-batch`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ run_id: run.info.run_id, metrics: Array.from({ length: 1001 }, (_, i) => ({ key: "m", value: 1, timestamp: 1, step: i })) }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_code: string }).error_code).toBe("INVALID_PARAMETER_VALUE");
  });

  it("params are write-once: the same value again is accepted, a different one refused", async () => {
    const exp = await client.getOrCreateExperiment("params");
    const run = await client.createRun({ experimentId: exp });
    await client.logBatch(run.info.run_id, { params: [{ key: "gen_lr", value: "0.0002" }] });
    await client.logBatch(run.info.run_id, { params: [{ key: "gen_lr", value: "0.0002" }] });
    const err = await client.logBatch(run.info.run_id, { params: [{ key: "gen_lr", value: "0.001" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect(err).toMatchObject({ status: 400, errorCode: "INVALID_PARAMETER_VALUE", retryable: false });
  });

  it("logs a non-finite metric (a diverged epoch) as NaN", async () => {
    const exp = await client.getOrCreateExperiment("nan");
    const run = await client.createRun({ experimentId: exp });
    await client.logBatch(run.info.run_id, { metrics: [{ key: "d_loss", value: NaN, timestamp: 1, step: 3 }] });
    const [m] = await client.getMetricHistory(run.info.run_id, "d_loss");
    expect(m?.step).toBe(3);
    expect(Number(m?.value)).toBeNaN();
  });

  it("uploads artifacts through the proxy, lists and downloads them byte for byte, and ends the run", async () => {
    const exp = await client.getOrCreateExperiment("artifacts");
    const run = await client.createRun({ experimentId: exp, runName: "art" });
    const bytes = new Uint8Array(Array.from({ length: 3000 }, (_, i) => (i * 31) % 256));
    await client.uploadArtifact(run.info, "samples/epoch-0001.png", bytes);
    await client.uploadArtifact(run.info, "config.json", new TextEncoder().encode('{"a":1}'));
    const files = await client.listAllArtifacts(run.info.run_id);
    expect(files.map((f) => [f.path, f.file_size])).toEqual([
      ["config.json", 7],
      ["samples/epoch-0001.png", 3000],
    ]);
    expect(Buffer.from(await client.downloadArtifact(run.info, "samples/epoch-0001.png")).equals(Buffer.from(bytes))).toBe(true);
    await client.setTerminated(run.info.run_id, "FINISHED", 123_456);
    const ended = (await client.getRun(run.info.run_id))!.info;
    expect(ended).toMatchObject({ status: "FINISHED", end_time: 123_456 });
  });

  it("logs sample grids as MLflow's own log_image(key, step) does: the same file names and tag, steps the UI's slider reads", async () => {
    const exp = await client.getOrCreateExperiment("images");
    // MLflow's Python client, as a researcher's script would call it, into one run (a `/` in the key becomes `~`)…
    const theirs = await client.createRun({ experimentId: exp, runName: "python" });
    const python = path.join(path.dirname(mlflowBin), "python");
    const script = `import mlflow, numpy as np
c = mlflow.MlflowClient("${server.uri}")
c.log_image("${theirs.info.run_id}", np.zeros((302, 302, 3), dtype=np.uint8), key="samples/grid", step=4)`;
    await promisify(execFile)(python, ["-c", script], { timeout: 120_000 });
    const pythonFiles = (await client.listAllArtifacts(theirs.info.run_id)).map((f) => f.path).sort();
    // …and ganscope into another, epochs 2 and 4, the second twice (a replayed epoch): logged once.
    const ours = await client.createRun({ experimentId: exp, runName: "ganscope" });
    const png = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3]);
    const logged = loggedImages([], SAMPLES_IMAGE_KEY);
    expect(await logImageStep(client, ours.info, logged, SAMPLES_IMAGE_KEY, 2, 1_000, png)).toBe(true);
    expect(await logImageStep(client, ours.info, logged, SAMPLES_IMAGE_KEY, 4, 2_000, png)).toBe(true);
    const again = loggedImages((await client.listArtifacts(ours.info.run_id, MLFLOW_IMAGES_DIR)).map((f) => f.path), SAMPLES_IMAGE_KEY);
    expect(await logImageStep(client, ours.info, again, SAMPLES_IMAGE_KEY, 4, 3_000, png)).toBe(false);
    await client.setTag(ours.info.run_id, MLFLOW_LOGGED_IMAGES_TAG.key, MLFLOW_LOGGED_IMAGES_TAG.value);
    const ourFiles = (await client.listAllArtifacts(ours.info.run_id)).map((f) => f.path).sort();

    // The same shape of name, the thumbnail's extension aside (MLflow writes webp; the UI takes png too).
    const shape = (p: string) => p.replace(/\+timestamp\+\d+\+[0-9a-f-]{36}/, "+timestamp+T+UUID").replace(/\.(png|webp)$/, ".IMG");
    expect(pythonFiles.map(shape)).toEqual(["images/samples~grid+step+4+timestamp+T+UUID+compressed.IMG", "images/samples~grid+step+4+timestamp+T+UUID.IMG"]);
    expect(ourFiles.map(shape)).toEqual([
      "images/samples~grid+step+2+timestamp+T+UUID+compressed.IMG",
      "images/samples~grid+step+2+timestamp+T+UUID.IMG",
      "images/samples~grid+step+4+timestamp+T+UUID+compressed.IMG",
      "images/samples~grid+step+4+timestamp+T+UUID.IMG",
    ]);
    // The timestamp is the one given (a grid's own time when replayed), not the upload's.
    expect(ourFiles.filter((p) => /^images\/samples~grid\+step\+2\+timestamp\+1000\+[0-9a-f-]{36}\.png$/.test(p))).toHaveLength(1);
    // Image and thumbnail of a step share their name, as the UI pairs them by it.
    for (const step of [2, 4]) {
      const [thumb, full] = ourFiles.filter((p) => p.includes(`+step+${step}+`));
      expect(thumb).toBe(full!.replace(/\.png$/, "+compressed.png"));
    }
    const tagOf = async (runId: string) => (await client.getRun(runId))!.data.tags!.find((t) => t.key === "mlflow.loggedImages")?.value;
    expect(await tagOf(ours.info.run_id)).toBe(await tagOf(theirs.info.run_id));
    expect(Buffer.from(await client.downloadArtifact(ours.info, ourFiles[1]!)).equals(Buffer.from(png))).toBe(true);
  }, 180_000);

  it("logs the training data as the run's input, which runs/get returns", async () => {
    const exp = await client.getOrCreateExperiment("inputs");
    const run = await client.createRun({ experimentId: exp });
    const data: StoredTrainingData = { id: "mnist", description: "MNIST", file: "/data/train-images-idx3-ubyte", digest: "0a1b2c3d", images: 3000, splitImages: 60_000, rows: 28, cols: 28 };
    await client.logInputs(run.info.run_id, [datasetInputOf(data)]);
    const got = (await client.getRun(run.info.run_id))!;
    expect(got.inputs?.dataset_inputs).toEqual([
      {
        tags: [{ key: "mlflow.data.context", value: "training" }],
        dataset: {
          name: "mnist-train[:3000]",
          digest: "0a1b2c3d",
          source_type: "local",
          source: JSON.stringify({ uri: "file:///data/train-images-idx3-ubyte" }),
          schema: expect.stringContaining("mlflow_tensorspec"),
          profile: expect.any(String),
        },
      },
    ]);
    expect(JSON.parse(got.inputs!.dataset_inputs![0]!.dataset.profile!)).toMatchObject({ training_images: 3000, split_images: 60_000, features_shape: [3000, 28, 28], targets_shape: [3000] });
    // The whole split is named without a slice.
    expect(datasetInputOf({ ...data, images: 60_000 }).dataset.name).toBe("mnist-train");
  });

  it("finds runs by tag", async () => {
    const exp = await client.getOrCreateExperiment("search");
    const a = await client.createRun({ experimentId: exp, tags: [{ key: "ganscope.run_id", value: "abc123" }] });
    await client.createRun({ experimentId: exp, tags: [{ key: "ganscope.run_id", value: "other" }] });
    const found = await client.searchRuns([exp], "tags.`ganscope.run_id` = 'abc123'");
    expect(found.map((r) => r.info.run_id)).toEqual([a.info.run_id]);
  });
});

describe("MlflowClient without a server", () => {
  it("fails fast with a retryable error naming the server", async () => {
    const uri = `http://127.0.0.1:${await freePort()}`;
    const client = new MlflowClient({ trackingUri: uri }, { retries: 1, backoffMs: 10 });
    const err = await client.getOrCreateExperiment("x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect(err).toMatchObject({ status: 0, retryable: true });
    expect((err as Error).message).toContain(`cannot reach ${uri}`);
    expect(await client.health()).toBe(false);
  });
});
