/**
 * The metrics hook: every `eval_every` epochs, and after the last, it draws
 * a fixed batch of noise through the generator and adds FID-lite, the
 * mode-collapse measures and IS-lite to the epoch's record; at the end it
 * writes final and best values and the run's verdict into summary.json.
 */
import type { DatasetId } from "@ganscope/dsl";
import {
  DEFAULT_CLASSIFIER,
  DEFAULT_HEALTH_THRESHOLDS,
  EVAL_SAMPLES,
  TEST_CLASSIFIER,
  createEvaluator,
  evaluationRecord,
  summarizeRun,
  type ClassifierSpec,
  type Evaluator,
  type HealthThresholds,
} from "@ganscope/metrics";
import { recordSpan, type EpochRecord } from "@ganscope/tracking";
import type { EvalContext, RunContext, RunHooks } from "./hooks.js";

/** Seed of the evaluation noise: the same images-to-be at every evaluation and in every run, so numbers compare across epochs and runs. */
export const EVAL_NOISE_SEED = 4_242_001;

export interface MetricsHookOptions {
  /** Classifier the metrics look through; see {@link classifierFromEnv}. */
  classifier?: ClassifierSpec;
  /** Generated (and real) images per evaluation; {@link EVAL_SAMPLES} by default. */
  samples?: number;
  thresholds?: HealthThresholds;
  /** Classifier cache folder ($GANSCOPE_CACHE or .cache/ganscope by default). */
  cacheDir?: string;
  log?: (line: string) => void;
}

/**
 * The classifier named by `GANSCOPE_CLASSIFIER` (`default` or `test`),
 * `default` when unset. Production code has no test switch: the tests ask
 * for the small `test` classifier explicitly (vitest.config.ts sets
 * GANSCOPE_CLASSIFIER=test for every test and the runner processes they
 * start), since a test machine must not spend minutes training the full one
 * and the tests check behaviour, not the calibrated numbers.
 */
export function classifierFromEnv(env: NodeJS.ProcessEnv = process.env): ClassifierSpec {
  const name = env["GANSCOPE_CLASSIFIER"] ?? "default";
  if (name === "default") return DEFAULT_CLASSIFIER;
  if (name === "test") return TEST_CLASSIFIER;
  throw new Error(`GANSCOPE_CLASSIFIER must be "default" or "test", got "${name}"`);
}

export class MetricsHook implements RunHooks {
  readonly name = "metrics";
  private readonly evaluators = new Map<DatasetId, Promise<Evaluator>>();
  /** Seconds each evaluation took, per run (wall-clock numbers stay out of the records so that resumed runs reproduce them exactly). */
  private readonly evalSecs = new Map<string, number[]>();
  private readonly failed = new Set<string>();
  private readonly classifier: ClassifierSpec;
  private readonly thresholds: HealthThresholds;
  private readonly log: (line: string) => void;

  constructor(private readonly options: MetricsHookOptions = {}) {
    this.classifier = options.classifier ?? classifierFromEnv();
    this.thresholds = options.thresholds ?? DEFAULT_HEALTH_THRESHOLDS;
    this.log = options.log ?? ((l) => console.error(l));
  }

  /** One evaluator per dataset for the life of the worker: the classifier and real reference are prepared once. */
  private evaluator(dataset: DatasetId): Promise<Evaluator> {
    let e = this.evaluators.get(dataset);
    if (!e) {
      e = createEvaluator({
        dataset,
        classifier: this.classifier,
        samples: this.options.samples ?? EVAL_SAMPLES,
        thresholds: this.thresholds,
        log: this.log,
        ...(this.options.cacheDir ? { cacheDir: this.options.cacheDir } : {}),
      });
      // A failed start is not cached: the next run tries again.
      e.catch(() => this.evaluators.delete(dataset));
      this.evaluators.set(dataset, e);
    }
    return e;
  }

  /** Prepares the evaluator before training starts, so a first-time classifier training is not counted inside an epoch. */
  async onStart(ctx: RunContext): Promise<void> {
    await this.ready(ctx);
  }

  private async ready(ctx: RunContext): Promise<Evaluator | undefined> {
    try {
      return await this.evaluator(ctx.spec.config.dataset);
    } catch (e) {
      // Metrics must never cost a run its training: report once, judge from the losses alone.
      if (!this.failed.has(ctx.spec.runId)) {
        this.failed.add(ctx.spec.runId);
        this.log(`${ctx.spec.runId}: metrics unavailable (${(e as Error).message}); training continues without FID-lite`);
      }
      return undefined;
    }
  }

  async evaluate(ctx: EvalContext): Promise<Record<string, number>> {
    const cfg = ctx.spec.config;
    if (ctx.epoch % cfg.eval_every !== 0 && !ctx.mustEvaluate) return {};
    const evaluator = await this.ready(ctx);
    if (!evaluator) return {};
    const t0 = performance.now();
    const z = ctx.gan.noise(evaluator.samples, EVAL_NOISE_SEED);
    const images = ctx.gan.generate(z);
    z.dispose();
    try {
      const result = await evaluator.evaluate(images);
      const secs = this.evalSecs.get(ctx.spec.runId) ?? [];
      secs.push((performance.now() - t0) / 1000);
      this.evalSecs.set(ctx.spec.runId, secs);
      return evaluationRecord(result);
    } finally {
      images.dispose();
      recordSpan("evaluate", performance.now() - t0, { runId: ctx.spec.runId, epoch: ctx.epoch });
    }
  }

  async summarize(ctx: RunContext, records: readonly EpochRecord[]): Promise<Record<string, unknown>> {
    const s = summarizeRun(records, this.thresholds);
    const evaluator = await this.evaluators.get(ctx.spec.config.dataset)?.catch(() => undefined);
    const secs = this.evalSecs.get(ctx.spec.runId) ?? [];
    this.evalSecs.delete(ctx.spec.runId);
    return {
      verdict: s.verdict,
      verdict_reasons: s.verdict_reasons,
      verdict_notes: s.verdict_notes,
      verdict_evidence: s.evidence,
      metrics: {
        final: s.final,
        best: s.best,
        evaluations: s.evaluations,
        ...(evaluator
          ? {
              samples: evaluator.samples,
              noise_seed: EVAL_NOISE_SEED,
              classifier: {
                hidden: evaluator.classifierInfo.spec.hidden,
                test_accuracy: evaluator.classifierInfo.testAccuracy,
                file: evaluator.classifierInfo.file,
              },
            }
          : {}),
        ...(secs.length > 0 ? { eval_secs_mean: secs.reduce((a, b) => a + b, 0) / secs.length } : {}),
        thresholds: this.thresholds,
      },
    };
  }
}
