/**
 * A thin, typed client for the parts of MLflow's REST API ganscope uses:
 * experiments (get or create), runs (create, get, search, update), log-batch
 * within the server's limits, metric history, and artifacts through the
 * tracking server's proxy (`mlflow-artifacts`). Plain `fetch`, no SDK: the
 * npm packages either are not served to us (`mlflow-js`) or speak MLflow's
 * pre-2.0 API (`mlflow`).
 */

/** Limits MLflow's server enforces on one `runs/log-batch` (mlflow/utils/validation.py). */
export const MLFLOW_LIMITS = {
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  /** Bytes of one log-batch request body. */
  requestBytes: 1_000_000,
  paramValueLength: 6000,
  tagValueLength: 8000,
  keyLength: 250,
} as const;

export type MlflowLimits = { readonly [K in keyof typeof MLFLOW_LIMITS]: number };

export type MlflowRunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";

export interface MlflowMetric {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

export interface MlflowParam {
  key: string;
  value: string;
}

export type MlflowTag = MlflowParam;

export interface MlflowRunInfo {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  status: MlflowRunStatus;
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: string;
}

export interface MlflowRun {
  info: MlflowRunInfo;
  data: {
    /** Latest value of each metric. */
    metrics?: MlflowMetric[];
    params?: MlflowParam[];
    tags?: MlflowTag[];
  };
  /** The datasets the run was logged with (`runs/log-inputs`). */
  inputs?: { dataset_inputs?: MlflowDatasetInput[] };
}

/**
 * A dataset as MLflow records it (mlflow/entities/dataset.py): `source`,
 * `schema` and `profile` are JSON strings whose shape depends on `source_type`
 * and on the dataset class, e.g. a NumpyDataset's tensor spec and shapes.
 */
export interface MlflowDataset {
  name: string;
  /** Identifies the data's content; MLflow's own datasets use an 8-character md5 prefix. */
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface MlflowDatasetInput {
  /** `mlflow.data.context` says what the run used it for (training, evaluation). */
  tags?: MlflowTag[];
  dataset: MlflowDataset;
}

export interface MlflowFileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** Where the server is and how to authenticate, as MLflow's own client reads it from the environment. */
export interface MlflowConnection {
  /** Base URL of the tracking server, no trailing slash. */
  trackingUri: string;
  /** Value of the Authorization header, if any. */
  authorization?: string;
}

/** An error the server answered with (or a network failure: `status` 0). */
export class MlflowError extends Error {
  override readonly name = "MlflowError";
  constructor(
    message: string,
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** MLflow's error_code, e.g. RESOURCE_DOES_NOT_EXIST. */
    readonly errorCode?: string,
  ) {
    super(message);
  }

  /** The server could not be reached or was unwell; the request may succeed later. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/**
 * The connection described by the environment, or undefined when
 * `MLFLOW_TRACKING_URI` is unset (no MLflow, no network traffic).
 * Auth as MLflow's client: `MLFLOW_TRACKING_TOKEN` as a bearer token, else
 * `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD` as basic auth.
 * Only http(s) servers are supported: other URI schemes MLflow knows
 * (file:, sqlite:, databricks) are not a REST server, and are refused by name.
 */
/** MLFLOW_TRACKING_URI (or its credentials) cannot be used as given; the message says what was expected. */
export class MlflowConfigError extends Error {
  override readonly name = "MlflowConfigError";
}

/** The gist of an error body that is an HTML page (a web server that is not MLflow, a proxy): its title, not the page. */
function htmlGist(text: string): string | undefined {
  if (!/^\s*<(!doctype|html|head|body|\?xml)/i.test(text)) return undefined;
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
  return `an HTML page${title ? ` titled "${title}"` : ""} instead of MLflow's JSON — is MLFLOW_TRACKING_URI the MLflow tracking server?`;
}

export function connectionFromEnv(env: NodeJS.ProcessEnv = process.env): MlflowConnection | undefined {
  const raw = env["MLFLOW_TRACKING_URI"]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MlflowConfigError(`MLFLOW_TRACKING_URI must be an http(s) URL of an MLflow tracking server, e.g. http://127.0.0.1:5000, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new MlflowConfigError(`MLFLOW_TRACKING_URI must be an http(s) URL of an MLflow tracking server, e.g. http://127.0.0.1:5000, got "${raw}" (${url.protocol} stores are not supported)`);
  }
  let authorization: string | undefined;
  const token = env["MLFLOW_TRACKING_TOKEN"];
  const user = env["MLFLOW_TRACKING_USERNAME"];
  const password = env["MLFLOW_TRACKING_PASSWORD"];
  if (token) authorization = `Bearer ${token}`;
  else if (user !== undefined && password !== undefined) authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  else if (url.username) {
    authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`;
  }
  url.username = "";
  url.password = "";
  return { trackingUri: url.toString().replace(/\/+$/, ""), ...(authorization ? { authorization } : {}) };
}

export interface LogBatch {
  metrics: MlflowMetric[];
  params: MlflowParam[];
  tags: MlflowTag[];
}

function jsonBytes(x: unknown): number {
  return Buffer.byteLength(JSON.stringify(x), "utf8");
}

/**
 * Splits metrics, params and tags into log-batch requests that each respect
 * every server limit (counts per kind, entities in all, bytes per request),
 * keeping their order. Throws if a single entity cannot fit a request.
 */
export function splitLogBatch(runId: string, all: LogBatch, limits: MlflowLimits = MLFLOW_LIMITS): LogBatch[] {
  const batches: LogBatch[] = [];
  let cur: LogBatch = { metrics: [], params: [], tags: [] };
  const base = jsonBytes({ run_id: runId, metrics: [], params: [], tags: [] });
  let bytes = base;
  const flush = () => {
    if (cur.metrics.length + cur.params.length + cur.tags.length > 0) batches.push(cur);
    cur = { metrics: [], params: [], tags: [] };
    bytes = base;
  };
  const add = <K extends keyof LogBatch>(kind: K, item: LogBatch[K][number], max: number) => {
    const size = jsonBytes(item) + 1; // + the comma between items
    if (base + size > limits.requestBytes) throw new Error(`MLflow log-batch: one ${kind.slice(0, -1)} "${item.key}" is larger than a whole request (${size} bytes)`);
    const entities = cur.metrics.length + cur.params.length + cur.tags.length;
    if (cur[kind].length >= max || entities >= limits.entitiesPerBatch || bytes + size > limits.requestBytes) flush();
    (cur[kind] as LogBatch[K][number][]).push(item);
    bytes += size;
  };
  for (const p of all.params) add("params", p, limits.paramsPerBatch);
  for (const t of all.tags) add("tags", t, limits.tagsPerBatch);
  for (const m of all.metrics) add("metrics", m, limits.metricsPerBatch);
  flush();
  return batches;
}

export interface MlflowClientOptions {
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Extra tries for retryable failures (network, 429, 5xx), with doubling back-off. */
  retries?: number;
  /** First back-off delay. */
  backoffMs?: number;
}

type Query = Record<string, string | number | undefined>;

/** A typed client of one MLflow tracking server. */
export class MlflowClient {
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(
    readonly connection: MlflowConnection,
    opts: MlflowClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.retries ?? 2;
    this.backoffMs = opts.backoffMs ?? 500;
  }

  get trackingUri(): string {
    return this.connection.trackingUri;
  }

  private url(path: string, query?: Query): string {
    const u = new URL(this.connection.trackingUri + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  private async request(method: string, path: string, init: { query?: Query; json?: unknown; body?: Uint8Array; contentType?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.connection.authorization) headers["Authorization"] = this.connection.authorization;
    let body: string | Uint8Array | undefined;
    if (init.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(init.json);
    } else if (init.body !== undefined) {
      headers["Content-Type"] = init.contentType ?? "application/octet-stream";
      body = init.body;
    }
    const url = this.url(path, init.query);
    for (let attempt = 0; ; attempt++) {
      let err: MlflowError;
      try {
        const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
        if (res.ok) return res;
        const text = await res.text();
        let code: string | undefined;
        let message = htmlGist(text) ?? text.slice(0, 500);
        try {
          const parsed = JSON.parse(text) as { error_code?: string; message?: string };
          code = parsed.error_code;
          message = parsed.message ?? message;
        } catch {
          // not JSON (a proxy's HTML error page): keep the text
        }
        err = new MlflowError(`MLflow ${method} ${path}: HTTP ${res.status}${code ? ` ${code}` : ""}: ${message}`, res.status, code);
      } catch (e) {
        if (e instanceof MlflowError) throw e;
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (e as Error).message;
        err = new MlflowError(`MLflow ${method} ${path}: cannot reach ${this.connection.trackingUri} (${why})`, 0);
      }
      if (!err.retryable || attempt >= this.retries) throw err;
      await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** attempt));
    }
  }

  private async call<T>(method: "GET" | "POST", endpoint: string, payload: Query | object = {}): Promise<T> {
    const path = `/api/2.0/mlflow/${endpoint}`;
    const res = method === "GET" ? await this.request("GET", path, { query: payload as Query }) : await this.request("POST", path, { json: payload });
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** The server answers its health check. */
  async health(): Promise<boolean> {
    try {
      const res = await this.request("GET", "/health");
      return (await res.text()).trim() === "OK";
    } catch {
      return false;
    }
  }

  async getExperimentByName(name: string): Promise<{ experiment_id: string; name: string; artifact_location?: string; tags?: MlflowTag[] } | undefined> {
    try {
      const r = await this.call<{ experiment: { experiment_id: string; name: string; artifact_location?: string; tags?: MlflowTag[] } }>("GET", "experiments/get-by-name", { experiment_name: name });
      return r.experiment;
    } catch (e) {
      if (e instanceof MlflowError && e.errorCode === "RESOURCE_DOES_NOT_EXIST") return undefined;
      throw e;
    }
  }

  /** The names of the server's active experiments, every page (MLflow's own "Default" included). */
  async experimentNames(): Promise<string[]> {
    const names: string[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.call<{ experiments?: { name: string }[]; next_page_token?: string }>("GET", "experiments/search", { max_results: 1000, page_token: pageToken });
      names.push(...(r.experiments ?? []).map((e) => e.name));
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return names;
  }

  /** The experiment's id, creating it if needed; safe when several processes race to create it. */
  /** Every active experiment on the server, all pages. */
  async searchExperiments(): Promise<{ experiment_id: string; name: string }[]> {
    const out: { experiment_id: string; name: string }[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.call<{ experiments?: { experiment_id: string; name: string }[]; next_page_token?: string }>("POST", "experiments/search", {
        max_results: 1000,
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      out.push(...(r.experiments ?? []));
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  async getOrCreateExperiment(name: string, tags: MlflowTag[] = []): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found) return found.experiment_id;
    try {
      return (await this.call<{ experiment_id: string }>("POST", "experiments/create", { name, tags })).experiment_id;
    } catch (e) {
      if (e instanceof MlflowError && e.errorCode === "RESOURCE_ALREADY_EXISTS") {
        const again = await this.getExperimentByName(name);
        if (again) return again.experiment_id;
      }
      throw e;
    }
  }

  async createRun(args: { experimentId: string; runName?: string; startTime?: number; tags?: MlflowTag[] }): Promise<MlflowRun> {
    const r = await this.call<{ run: MlflowRun }>("POST", "runs/create", {
      experiment_id: args.experimentId,
      run_name: args.runName,
      start_time: args.startTime ?? Date.now(),
      tags: args.tags ?? [],
    });
    return r.run;
  }

  async getRun(runId: string): Promise<MlflowRun | undefined> {
    try {
      return (await this.call<{ run: MlflowRun }>("GET", "runs/get", { run_id: runId })).run;
    } catch (e) {
      if (e instanceof MlflowError && e.errorCode === "RESOURCE_DOES_NOT_EXIST") return undefined;
      throw e;
    }
  }

  /** Runs of experiments matching an MLflow filter string, every page. */
  async searchRuns(experimentIds: string[], filter: string): Promise<MlflowRun[]> {
    const out: MlflowRun[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.call<{ runs?: MlflowRun[]; next_page_token?: string }>("POST", "runs/search", {
        experiment_ids: experimentIds,
        filter,
        max_results: 1000,
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      out.push(...(r.runs ?? []));
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  async updateRun(runId: string, update: { status?: MlflowRunStatus; endTime?: number; runName?: string }): Promise<void> {
    await this.call("POST", "runs/update", {
      run_id: runId,
      ...(update.status ? { status: update.status } : {}),
      ...(update.endTime !== undefined ? { end_time: update.endTime } : {}),
      ...(update.runName !== undefined ? { run_name: update.runName } : {}),
    });
  }

  /** Ends a run with a terminal status, as MLflow's `set_terminated`. */
  async setTerminated(runId: string, status: Exclude<MlflowRunStatus, "RUNNING" | "SCHEDULED"> = "FINISHED", endTime = Date.now()): Promise<void> {
    await this.updateRun(runId, { status, endTime });
  }

  /**
   * Logs metrics, params and tags in as many requests as the server's limits
   * require. Params are write-once on the server: re-logging one with the
   * same value is accepted, a different value is refused (INVALID_PARAMETER_VALUE).
   */
  async logBatch(runId: string, batch: Partial<LogBatch>): Promise<void> {
    // JSON has no NaN/Infinity; MLflow's protobuf JSON parser takes them as strings.
    const metrics = (batch.metrics ?? []).map((m) => (Number.isFinite(m.value) ? m : { ...m, value: String(m.value) as unknown as number }));
    const all: LogBatch = { metrics, params: batch.params ?? [], tags: batch.tags ?? [] };
    for (const b of splitLogBatch(runId, all)) await this.call("POST", "runs/log-batch", { run_id: runId, ...b });
  }

  /** Records datasets as the run's inputs (what the UI's Dataset column and the run overview show). */
  async logInputs(runId: string, datasets: MlflowDatasetInput[]): Promise<void> {
    await this.call("POST", "runs/log-inputs", { run_id: runId, datasets });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.call("POST", "experiments/set-experiment-tag", { experiment_id: experimentId, key, value });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.call("POST", "runs/set-tag", { run_id: runId, key, value });
  }

  /** Every logged value of one metric, all pages. */
  async getMetricHistory(runId: string, key: string): Promise<MlflowMetric[]> {
    const out: MlflowMetric[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.call<{ metrics?: MlflowMetric[]; next_page_token?: string }>("GET", "metrics/get-history", {
        run_id: runId,
        metric_key: key,
        max_results: 25_000,
        page_token: pageToken,
      });
      out.push(...(r.metrics ?? []));
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  /** A run's artifacts directly under `path` ("" for the root), as the UI lists them. */
  async listArtifacts(runId: string, path = ""): Promise<MlflowFileInfo[]> {
    const files: MlflowFileInfo[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.call<{ files?: MlflowFileInfo[]; next_page_token?: string }>("GET", "artifacts/list", {
        run_id: runId,
        path: path || undefined,
        page_token: pageToken,
      });
      files.push(...(r.files ?? []));
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return files;
  }

  /** Every artifact file of a run, recursively. */
  async listAllArtifacts(runId: string, path = ""): Promise<MlflowFileInfo[]> {
    const out: MlflowFileInfo[] = [];
    for (const f of await this.listArtifacts(runId, path)) {
      if (f.is_dir) out.push(...(await this.listAllArtifacts(runId, f.path)));
      else out.push(f);
    }
    return out;
  }

  /**
   * The proxy path of a run's artifact: a run created on a server with
   * `--serve-artifacts` has an artifact URI `mlflow-artifacts:/<exp>/<run>/artifacts`
   * (or `mlflow-artifacts://host/…`), and its files live under
   * `/api/2.0/mlflow-artifacts/artifacts/<exp>/<run>/artifacts/<path>`.
   */
  static proxyPath(artifactUri: string, artifactPath: string): string {
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(artifactUri);
    if (!m) {
      throw new Error(
        `MLflow run artifact URI "${artifactUri}" is not served through the tracking server's proxy; start the server with --serve-artifacts (the default) so artifacts can be uploaded over HTTP`,
      );
    }
    const root = m[1]!.replace(/\/+$/, "");
    const rel = artifactPath.split("/").filter(Boolean).map(encodeURIComponent).join("/");
    return `/api/2.0/mlflow-artifacts/artifacts/${root.split("/").map(encodeURIComponent).join("/")}/${rel}`;
  }

  /** Uploads one artifact through the server's artifact proxy. */
  async uploadArtifact(run: MlflowRunInfo, artifactPath: string, data: Uint8Array, contentType?: string): Promise<void> {
    await this.request("PUT", MlflowClient.proxyPath(run.artifact_uri, artifactPath), { body: data, contentType: contentType ?? guessContentType(artifactPath) });
  }

  /** Deletes one artifact through the server's artifact proxy (a superseded checkpoint). */
  async deleteArtifact(run: MlflowRunInfo, artifactPath: string): Promise<void> {
    await this.request("DELETE", MlflowClient.proxyPath(run.artifact_uri, artifactPath));
  }

  /** Downloads one artifact through the server's artifact proxy. */
  async downloadArtifact(run: MlflowRunInfo, artifactPath: string): Promise<Uint8Array> {
    const res = await this.request("GET", MlflowClient.proxyPath(run.artifact_uri, artifactPath));
    return new Uint8Array(await res.arrayBuffer());
  }
}

function guessContentType(p: string): string {
  if (p.endsWith(".png")) return "image/png";
  if (p.endsWith(".json")) return "application/json";
  if (p.endsWith(".jsonl") || p.endsWith(".txt")) return "text/plain";
  return "application/octet-stream";
}
