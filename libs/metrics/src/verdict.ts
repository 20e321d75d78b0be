/**
 * Training health from a run's per-epoch records, and one verdict per run
 * with the evidence that decided it. Checks run in order of severity, and
 * the first that fires decides:
 *
 * 1. `diverged`: a NaN or ±Inf anywhere in a record.
 * 2. `vanishing_gradients`: the discriminator saturated — D(G(z)) and
 *    d_loss both near zero over each of the last epochs (the seed's "the
 *    discriminator's loss quickly approached zero").
 * 3. `mode_collapse`: the last evaluation crossed a collapse threshold (few
 *    classes, one class dominating, or one drawing repeated) and its
 *    drawings are realistic — the classifier names them as surely as real
 *    digits blurred by 1.5 px (`realisticConfidence`). Rough drawings of
 *    few classes early in training are not a collapse but a run still
 *    finding its digits.
 * 4. `no_digits`: the last evaluation's drawings are no closer to real
 *    digits than uniform noise: they cover fewer real digits' k-NN balls
 *    (`coverage`) than noise does. Speckle that the classifier files under
 *    one class (today's early MLP generators) lands here, not in collapse.
 * 5. `converged`: the last evaluation's FID-lite is at or below `convergedFid`.
 * 6. `not_converged`: none of the above — rough digits, still improving (or stuck).
 */
import { CLASS_SHARE_PREFIX, STEP_STAT_KEYS, type RecordValues, type StepStatKey } from "@ganscope/dsl";
import { DEFAULT_COLLAPSE_THRESHOLDS, collapseReasons, klFromUniform, maxClassShare, modesCovered, type CollapseThresholds } from "./mode-collapse.js";

/**
 * What the detectors read from one epoch: the epoch and the step statistics,
 * and on evaluated epochs the evaluation keys (fid_lite, modes, …) and class
 * shares. Derived from the record schema, so the runner's EpochRecord fits.
 */
export type TrainingRecord = Readonly<Pick<RecordValues, "epoch" | StepStatKey>> & Readonly<Partial<Omit<RecordValues, "epoch" | StepStatKey>>>;

export const VERDICTS = ["converged", "no_digits", "mode_collapse", "vanishing_gradients", "diverged", "not_converged"] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface HealthThresholds extends CollapseThresholds {
  /** Saturation must hold in each of the last this many epochs (all of them when the run is shorter). */
  readonly saturationEpochs: number;
  /** D(G(z)) below this counts as saturated: D rejects 95%+ of fakes with confidence. */
  readonly saturatedDFake: number;
  /** d_loss (real + fake BCE) below this counts as saturated; a balanced GAN sits near 2·ln 2 ≈ 1.39. */
  readonly saturatedDLoss: number;
  /**
   * FID-lite at or below this is `converged`. Calibrated for the default
   * classifier at N = 2000, where real-vs-real scores 1.57, real digits
   * blurred by σ = 0.5 px 4.03, shifted 1 px 6.43, shifted 2 px 22.93, blurred
   * by σ = 1 px 33.16, and uniform noise 190.6: "converged" means the samples
   * are as close to real digits as real digits shifted by two pixels (the
   * README's corruption ladder). Every real grid a person called rough or
   * not-yet-clean digits reads ≥ 27.6 (README, "Calibration on real runs"). Other
   * classifiers need their own value (FID-lite is in feature units).
   */
  readonly convergedFid: number;
  /**
   * No progress: with 3+ evaluations, the best FID-lite after the first
   * improved on the first by less than this fraction.
   */
  readonly minFidImprovement: number;
  /**
   * A collapse counts as `mode_collapse` only when the classifier's mean
   * top-class probability (`confidence`) is at least this: the drawings
   * are realistic digits, just too few kinds. 0.9 is real digits blurred
   * by σ = 1.5 px (0.905; real 0.989, σ = 2 px blobs 0.693, uniform noise
   * 0.763, early GAN speckle 0.42–0.76). Default classifier.
   */
  readonly realisticConfidence: number;
  /**
   * `no_digits` when coverage (k = 5) is below this: the drawings reach
   * fewer real digits' neighbourhoods than uniform noise does (0.013 at
   * N = 2000; real 0.968, real digits blurred by σ = 2 px 0.080). Default
   * classifier, N = 2000.
   */
  readonly noDigitsCoverage: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = Object.freeze({
  ...DEFAULT_COLLAPSE_THRESHOLDS,
  saturationEpochs: 3,
  saturatedDFake: 0.05,
  saturatedDLoss: 0.1,
  convergedFid: 25,
  minFidImprovement: 0.1,
  realisticConfidence: 0.9,
  noDigitsCoverage: 0.013,
});


/** The numbers a verdict rests on. */
export interface HealthEvidence {
  readonly epochs: number;
  /** First non-finite value, if any. */
  readonly nonFinite?: { readonly epoch: number; readonly key: string; readonly value: number };
  /** The last epochs the saturation check looked at. */
  readonly tail: {
    readonly epochs: number[];
    readonly d_loss: number[];
    readonly d_real: number[];
    readonly d_fake: number[];
    readonly g_grad_norm: number[];
  };
  /** The last evaluated epoch's measures. */
  readonly lastEval?: {
    readonly epoch: number;
    readonly fid_lite: number;
    readonly is_lite?: number;
    readonly modes: number;
    readonly kl_uniform?: number;
    readonly max_class_share: number;
    readonly diversity: number;
    readonly histogram?: number[];
    readonly kid?: number;
    readonly kid_std?: number;
    readonly density?: number;
    readonly coverage?: number;
    readonly precision?: number;
    readonly recall?: number;
    readonly confidence?: number;
  };
  readonly bestFid?: { readonly epoch: number; readonly value: number };
  /** FID-lite of every evaluation, in order. */
  readonly fidHistory: { readonly epoch: number; readonly value: number }[];
}

export interface RunJudgement {
  readonly verdict: Verdict;
  /** Why, in words: the check that decided, with its numbers. */
  readonly reasons: readonly string[];
  readonly evidence: HealthEvidence;
  /** Secondary findings that did not decide (e.g. collapse behind a saturated D). */
  readonly notes: readonly string[];
}

const round = (x: number, digits = 4) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** The class histogram stored in a record, if any. */
export function recordHistogram(r: TrainingRecord): number[] | undefined {
  const shares: number[] = [];
  for (let k = 0; ; k++) {
    const v = r[`${CLASS_SHARE_PREFIX}${k}`];
    if (v === undefined) break;
    shares.push(v);
  }
  return shares.length > 0 ? shares : undefined;
}

function isEvaluated(r: TrainingRecord): boolean {
  return typeof r["fid_lite"] === "number";
}

/** Collapse measures of an evaluated record, re-derived under the given thresholds where the histogram allows. */
export function recordCollapse(r: TrainingRecord, thresholds: CollapseThresholds = DEFAULT_COLLAPSE_THRESHOLDS) {
  const histogram = recordHistogram(r);
  const modes = histogram ? modesCovered(histogram, thresholds.modeShare) : (r["modes"] ?? NaN);
  const top = histogram ? maxClassShare(histogram) : (r["max_class_share"] ?? NaN);
  const diversity = r["diversity"] ?? NaN;
  const reasons = collapseReasons({ modes, maxClassShare: top, diversity, ...(histogram ? { histogram } : {}) }, thresholds);
  return { histogram, modes, maxClassShare: top, diversity, klUniform: histogram ? klFromUniform(histogram) : r["kl_uniform"], collapsed: reasons.length > 0, reasons };
}

/** True when each of the last `saturationEpochs` records shows a saturated discriminator. */
export function isSaturated(records: readonly TrainingRecord[], thresholds: Pick<HealthThresholds, "saturationEpochs" | "saturatedDFake" | "saturatedDLoss"> = DEFAULT_HEALTH_THRESHOLDS): boolean {
  const tail = records.slice(-thresholds.saturationEpochs);
  return tail.length > 0 && tail.every((r) => r.d_fake < thresholds.saturatedDFake && r.d_loss < thresholds.saturatedDLoss);
}

/**
 * Why an evaluated record's drawings are not recognisable digits yet, one
 * line per threshold crossed; empty when they are, or when the record
 * predates the `coverage` key and cannot tell.
 */
export function noDigitsReasons(r: TrainingRecord, thresholds: Pick<HealthThresholds, "noDigitsCoverage"> = DEFAULT_HEALTH_THRESHOLDS): string[] {
  const coverage = r["coverage"];
  if (coverage === undefined || !(coverage < thresholds.noDigitsCoverage)) return [];
  return [`drawings no closer to real digits than uniform noise: coverage ${round(coverage, 4)} < ${thresholds.noDigitsCoverage}`];
}

/** True when an evaluated record's drawings are not recognisable digits yet (see {@link noDigitsReasons}). */
export function hasNoDigits(r: TrainingRecord, thresholds: Pick<HealthThresholds, "noDigitsCoverage"> = DEFAULT_HEALTH_THRESHOLDS): boolean {
  return noDigitsReasons(r, thresholds).length > 0;
}

/**
 * True when an evaluated record's drawings are realistic enough for a
 * collapse to be a collapse (confidence ≥ `realisticConfidence`); records
 * without `confidence` (written before it existed) count as realistic, as
 * every collapse did then.
 */
export function isRealistic(r: TrainingRecord, thresholds: Pick<HealthThresholds, "realisticConfidence"> = DEFAULT_HEALTH_THRESHOLDS): boolean {
  const confidence = r["confidence"];
  return confidence === undefined || confidence >= thresholds.realisticConfidence;
}

/**
 * One verdict for a run from its records (in epoch order).
 *
 * @example
 * const { verdict, reasons } = judgeRun(await run.readRecords());
 */
export function judgeRun(records: readonly TrainingRecord[], thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): RunJudgement {
  const tailRecords = records.slice(-thresholds.saturationEpochs);
  const evals = records.filter(isEvaluated);
  const fidHistory = evals.map((r) => ({ epoch: r.epoch, value: r["fid_lite"]! }));
  const best = fidHistory.filter((f) => Number.isFinite(f.value)).reduce<{ epoch: number; value: number } | undefined>((b, f) => (b === undefined || f.value < b.value ? f : b), undefined);
  const last = evals.at(-1);
  const collapse = last ? recordCollapse(last, thresholds) : undefined;

  let nonFinite: HealthEvidence["nonFinite"];
  outer: for (const r of records) {
    for (const [key, value] of Object.entries(r)) {
      if (typeof value === "number" && !Number.isFinite(value)) {
        nonFinite = { epoch: r.epoch, key, value };
        break outer;
      }
    }
  }

  const evidence: HealthEvidence = {
    epochs: records.length,
    ...(nonFinite ? { nonFinite } : {}),
    tail: {
      epochs: tailRecords.map((r) => r.epoch),
      d_loss: tailRecords.map((r) => round(r.d_loss)),
      d_real: tailRecords.map((r) => round(r.d_real)),
      d_fake: tailRecords.map((r) => round(r.d_fake)),
      g_grad_norm: tailRecords.map((r) => round(r.g_grad_norm)),
    },
    ...(last && collapse
      ? {
          lastEval: {
            epoch: last.epoch,
            fid_lite: round(last["fid_lite"]!),
            ...(last["is_lite"] !== undefined ? { is_lite: round(last["is_lite"]) } : {}),
            modes: collapse.modes,
            ...(collapse.klUniform !== undefined ? { kl_uniform: round(collapse.klUniform) } : {}),
            max_class_share: round(collapse.maxClassShare),
            diversity: round(collapse.diversity),
            ...(collapse.histogram ? { histogram: collapse.histogram.map((p) => round(p)) } : {}),
            ...Object.fromEntries(
              (["kid", "kid_std", "density", "coverage", "precision", "recall", "confidence"] as const).flatMap((k) => (last[k] !== undefined ? [[k, round(last[k])]] : [])),
            ),
          },
        }
      : {}),
    ...(best ? { bestFid: { epoch: best.epoch, value: round(best.value) } } : {}),
    fidHistory: fidHistory.map((f) => ({ epoch: f.epoch, value: round(f.value) })),
  };
  const notes: string[] = [];
  const judge = (verdict: Verdict, reasons: string[]): RunJudgement => ({ verdict, reasons, evidence, notes });

  if (records.length === 0) return judge("not_converged", ["no epochs recorded"]);
  if (nonFinite) {
    return judge("diverged", [`${nonFinite.key} = ${nonFinite.value} at epoch ${nonFinite.epoch}`]);
  }
  if (collapse?.collapsed) notes.push(`last evaluation (epoch ${last!.epoch}) looks collapsed: ${collapse.reasons.join("; ")}`);
  if (isSaturated(records, thresholds)) {
    return judge("vanishing_gradients", [
      `discriminator saturated in each of epochs ${evidence.tail.epochs.join(", ")}: ` +
        `D(G(z)) = [${evidence.tail.d_fake.join(", ")}] < ${thresholds.saturatedDFake} and d_loss = [${evidence.tail.d_loss.join(", ")}] < ${thresholds.saturatedDLoss}`,
    ]);
  }
  const realistic = last !== undefined && isRealistic(last, thresholds);
  if (collapse?.collapsed && realistic) {
    notes.pop();
    return judge("mode_collapse", collapse.reasons.map((r) => `epoch ${last!.epoch}: ${r}`));
  }
  if (collapse?.collapsed) {
    notes.pop();
    notes.push(
      `the class measures read as collapse (${collapse.reasons.join("; ")}), but the drawings are not realistic yet ` +
        `(confidence ${round(last!["confidence"]!, 3)} < ${thresholds.realisticConfidence}): rough drawings of few kinds, not a collapse`,
    );
  }
  const noDigits = last ? noDigitsReasons(last, thresholds) : [];
  if (noDigits.length > 0) return judge("no_digits", noDigits.map((r) => `epoch ${last!.epoch}: ${r}`));
  if (!last) return judge("not_converged", ["no evaluation metrics in the records (is the metrics hook attached?)"]);
  const fid = last["fid_lite"]!;
  const noProgress = fidHistory.length >= 3 && Math.min(...fidHistory.slice(1).map((f) => f.value)) > fidHistory[0]!.value * (1 - thresholds.minFidImprovement);
  if (noProgress) {
    notes.push(`no progress: FID-lite ${fidHistory.map((f) => round(f.value, 2)).join(" → ")} never improved by ${100 * thresholds.minFidImprovement}% on the first evaluation`);
  }
  if (fid <= thresholds.convergedFid && !collapse?.collapsed) {
    return judge("converged", [`FID-lite ${round(fid, 2)} ≤ ${thresholds.convergedFid} at epoch ${last.epoch}, ${collapse!.modes} classes covered, diversity ratio ${round(collapse!.diversity, 3)}`]);
  }
  return judge("not_converged", [`FID-lite ${round(fid, 2)} > ${thresholds.convergedFid} at epoch ${last.epoch}`, ...(noProgress ? [notes.at(-1)!] : [])]);
}
