/**
 * The MLflow sink: logs each run to the tracking server named by
 * MLFLOW_TRACKING_URI while it trains. The run store is written first and
 * stays the record; this hook only copies it out, so an MLflow outage costs
 * nothing but lag: errors are reported once per run, training continues, the
 * hook retries after a pause by replaying what the server is missing, and
 * `runner sync` (also run at the end of a plan) catches up the rest.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import {
  CHECKPOINT_ARTIFACTS,
  MLFLOW_IMAGES_DIR,
  MLFLOW_LOGGED_IMAGES_TAG,
  MLFLOW_TAGS,
  MlflowClient,
  SAMPLES_IMAGE_KEY,
  MlflowSync,
  RunStore,
  checkpointArtifact,
  connectionFromEnv,
  logImageStep,
  loggedImages,
  metricsOf,
  type EpochRecord,
  type MlflowRunInfo,
} from "@ganscope/tracking";
import type { RunContext, RunHooks } from "./hooks.js";
import type { RunOutcome } from "./run-outcome.js";

/** After a failure, wait this long before talking to the server again (then replay what it missed). */
const RETRY_AFTER_MS = 30_000;

interface RunLink {
  info: MlflowRunInfo | undefined;
  /** Epochs the server already has (see RunSyncReport.serverEpochs): not logged twice. */
  onServer: Set<number>;
  /** Set while the server is failing: when the last failure happened. */
  failedAt?: number;
  warned: boolean;
  /** The run carries the `mlflow.loggedImages` tag. */
  imagesTagged?: boolean;
  /** Checkpoint artifacts this process uploaded, oldest first (superseded ones are deleted). */
  checkpoints?: number[];
}

/** The run store root a hook's run lives in: results/<experiment>/<runId>/ → results/. */
function storeOf(ctx: RunContext): RunStore {
  return new RunStore(path.dirname(path.dirname(ctx.dir)));
}

export class MlflowHook implements RunHooks {
  readonly name = "mlflow";
  private readonly runs = new Map<string, RunLink>();

  constructor(
    private readonly client: MlflowClient,
    private readonly log: (line: string) => void = (l) => console.error(l),
  ) {}

  private fail(ctx: RunContext, link: RunLink, e: unknown): void {
    link.failedAt = Date.now();
    if (!link.warned) {
      this.log(
        `${ctx.spec.runId}: MLflow at ${this.client.trackingUri} failed (${(e as Error).message.split("\n")[0]}); training continues, the run store keeps everything, and \`runner sync\` replays it`,
      );
      link.warned = true;
    }
  }

  /** Replays everything of this run the server lacks; the run's lock is ours already. */
  private async catchUp(ctx: RunContext, link: RunLink, status?: "RUNNING"): Promise<boolean> {
    try {
      const sync = new MlflowSync(this.client, storeOf(ctx));
      const report = await sync.syncRun(ctx.experiment, ctx.spec.runId, { lock: false, ...(status ? { status } : {}) });
      if (report.error) throw new Error(report.error);
      link.info = report.mlflowRunId ? (await this.client.getRun(report.mlflowRunId))?.info : undefined;
      link.onServer = new Set(report.serverEpochs ?? []);
      link.failedAt = undefined;
      return true;
    } catch (e) {
      this.fail(ctx, link, e);
      return false;
    }
  }

  /** True when the server may be called now; after a failure, first replays what it missed. */
  private async ready(ctx: RunContext, link: RunLink): Promise<boolean> {
    if (link.failedAt === undefined && link.info) return true;
    if (link.failedAt !== undefined && Date.now() - link.failedAt < RETRY_AFTER_MS) return false;
    // The catch-up includes whatever the caller was about to send.
    await this.catchUp(ctx, link, "RUNNING");
    return false;
  }

  async onStart(ctx: RunContext): Promise<void> {
    const link: RunLink = { info: undefined, onServer: new Set(), warned: false };
    this.runs.set(ctx.spec.runId, link);
    // Creates the run (or finds it, when resuming), logs params once, and replays resumed epochs.
    await this.catchUp(ctx, link, "RUNNING");
  }

  async onEpoch(ctx: RunContext, record: EpochRecord): Promise<void> {
    const link = this.runs.get(ctx.spec.runId);
    if (!link || !(await this.ready(ctx, link))) return;
    // Replayed after a kill that came after the live log but before the checkpoint: the server has it.
    if (link.onServer.has(record.epoch)) return;
    try {
      // Asked again, not from memory: under a queue's at-least-once delivery another
      // worker may be training this run too, and may have logged this epoch since our start.
      const logged = await this.client.getMetricHistory(link.info!.run_id, "d_loss");
      if (logged.some((m) => m.step === record.epoch)) {
        link.onServer.add(record.epoch);
        return;
      }
      await this.client.logBatch(link.info!.run_id, { metrics: metricsOf(record, Date.now()) });
      link.onServer.add(record.epoch);
    } catch (e) {
      this.fail(ctx, link, e);
    }
  }

  async onSample(ctx: RunContext, epoch: number, file: string): Promise<void> {
    const link = this.runs.get(ctx.spec.runId);
    if (!link || !(await this.ready(ctx, link))) return;
    try {
      const bytes = await fs.readFile(file);
      await this.client.uploadArtifact(link.info!, `samples/${path.basename(file)}`, bytes);
      // As MLflow's log_image(key, step) does: the image, its thumbnail, then the tag the UI looks for.
      // Asked first, as onEpoch asks: a replayed epoch's grid may be on the server already.
      const logged = loggedImages((await this.client.listArtifacts(link.info!.run_id, MLFLOW_IMAGES_DIR)).map((f) => f.path), SAMPLES_IMAGE_KEY);
      await logImageStep(this.client, link.info!, logged, SAMPLES_IMAGE_KEY, epoch, Date.now(), bytes);
      if (!link.imagesTagged) {
        await this.client.setTag(link.info!.run_id, MLFLOW_LOGGED_IMAGES_TAG.key, MLFLOW_LOGGED_IMAGES_TAG.value);
        link.imagesTagged = true;
      }
    } catch (e) {
      this.fail(ctx, link, e);
    }
  }

  /**
   * Uploads the checkpoint, then points the run's `ganscope.checkpoint_epoch`
   * tag at it: a worker on another machine resumes from what the tag names,
   * so an upload cut short by a kill is never used. The checkpoint before the
   * previous one is deleted (the previous stays, for a reader mid-download).
   */
  async onCheckpoint(ctx: RunContext, epoch: number, file: string): Promise<void> {
    const link = this.runs.get(ctx.spec.runId);
    if (!link || !(await this.ready(ctx, link))) return;
    try {
      await this.client.uploadArtifact(link.info!, checkpointArtifact(epoch), await fs.readFile(file));
      await this.client.setTag(link.info!.run_id, MLFLOW_TAGS.checkpointEpoch, String(epoch));
      if (!link.checkpoints) {
        // Those a worker before us left (it died, or gave the run back): superseded now too.
        const there = await this.client.listArtifacts(link.info!.run_id, CHECKPOINT_ARTIFACTS).catch(() => []);
        link.checkpoints = there
          .map((f) => Number(/epoch-(\d+)\.bin$/.exec(f.path)?.[1]))
          .filter((e) => Number.isSafeInteger(e) && e !== epoch)
          .sort((x, y) => x - y);
      }
      const kept = link.checkpoints;
      kept.push(epoch);
      while (kept.length > 2) await this.client.deleteArtifact(link.info!, checkpointArtifact(kept.shift()!)).catch(() => {});
    } catch (e) {
      this.fail(ctx, link, e);
    }
  }

  async onFinish(ctx: RunContext, _outcome: RunOutcome): Promise<void> {
    const link = this.runs.get(ctx.spec.runId) ?? { info: undefined, onServer: new Set<number>(), warned: false };
    this.runs.delete(ctx.spec.runId);
    // Failing right now: leave it to the sync at the end of the plan rather than stall the worker.
    if (link.failedAt !== undefined && Date.now() - link.failedAt < RETRY_AFTER_MS) return;
    // status.json already says done or failed: the replay sets FINISHED / FAILED and uploads summary.json.
    await this.catchUp(ctx, link);
  }
}

/**
 * The MLflow sink when MLFLOW_TRACKING_URI is set, else nothing at all (and
 * no network traffic). A malformed URI is an error at startup, not a silent no-op.
 */
export function mlflowHooks(env: NodeJS.ProcessEnv = process.env): RunHooks[] {
  const connection = connectionFromEnv(env);
  if (!connection) return [];
  // Short timeouts and no retries in the training loop: a slow server must not stall training.
  return [new MlflowHook(new MlflowClient(connection, { timeoutMs: 10_000, retries: 0 }))];
}
