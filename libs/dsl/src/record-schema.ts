/**
 * The one schema of a run's per-epoch record (a line of metrics.jsonl): every
 * key a run writes, what it is, which way is better and who writes it. The
 * record types (tracking's EpochRecord, models' StepStats, metrics'
 * TrainingRecord) derive from it, and every list of keys elsewhere — the
 * runner's table, the dashboard's labels and charts, MLflow's names, the
 * summary's best values, successive halving's metrics — reads from it, so a
 * key is declared once. It lives in the DSL because every package may import
 * the DSL and it loads nothing (the dashboard's browser bundle imports this
 * file through `@ganscope/dsl/record-schema`).
 *
 * The on-disk format is unchanged: keys and values are what runs always wrote.
 */

/** Which way is better: a quality metric has one; a GAN's losses and probabilities do not (they oscillate in a healthy run). */
export type Direction = "higher" | "lower" | "neither";

export type MetricKind =
  /** Counters of the loop: epoch number, steps. */
  | "counter"
  /** Wall-clock seconds. */
  | "timing"
  /** A binary cross-entropy. */
  | "loss"
  /** A mean discriminator output in [0, 1]. */
  | "probability"
  /** A global L2 norm of a gradient. */
  | "gradient_norm"
  /** How close the samples are to real digits, in the classifier's feature space. */
  | "sample_quality"
  /** Which classes the samples cover and how varied they are (mode-collapse measures). */
  | "mode_coverage"
  /** The share of samples the classifier assigns to one class. */
  | "class_share"
  /** A 0/1 judgement. */
  | "flag";

/** Who writes the key: the training loop (libs/training), the train step (libs/models) or an evaluation (libs/metrics). */
export type MetricSource = "loop" | "train_step" | "evaluation";

export interface MetricSpec {
  /** How the dashboard names it (chart titles, axis labels). */
  readonly label: string;
  /** A column header a terminal table can afford. */
  readonly short: string;
  readonly direction: Direction;
  readonly kind: MetricKind;
  readonly source: MetricSource;
  /** What the number is. */
  readonly doc: string;
}

/**
 * Every fixed key, in the order a record lists them (the order is the table's
 * and the dashboard's: training before evaluation).
 */
export const RECORD_SCHEMA = {
  epoch: { label: "epoch", short: "epoch", direction: "neither", kind: "counter", source: "loop", doc: "1-based epoch number." },
  steps: { label: "steps", short: "steps", direction: "neither", kind: "counter", source: "train_step", doc: "Training steps in this epoch." },
  d_loss: { label: "D loss", short: "d_loss", direction: "neither", kind: "loss", source: "train_step", doc: "Discriminator BCE on real + fake, mean over the epoch's steps; a balanced GAN sits near 2·ln 2." },
  g_loss: { label: "G loss", short: "g_loss", direction: "neither", kind: "loss", source: "train_step", doc: "Generator (non-saturating) BCE, mean over the epoch's steps." },
  d_real: { label: "D(x)", short: "D(x)", direction: "neither", kind: "probability", source: "train_step", doc: "Mean D(x) on real images (sigmoid of the logit)." },
  d_fake: { label: "D(G(z))", short: "D(G(z))", direction: "neither", kind: "probability", source: "train_step", doc: "Mean D(G(z)) on generated images, measured in the discriminator step." },
  d_grad_norm: { label: "D grad norm", short: "D grad", direction: "neither", kind: "gradient_norm", source: "train_step", doc: "Global L2 norm of the discriminator's gradient." },
  g_grad_norm: { label: "G grad norm", short: "G grad", direction: "neither", kind: "gradient_norm", source: "train_step", doc: "Global L2 norm of the generator's gradient." },
  secs: { label: "seconds per epoch", short: "s/epoch", direction: "lower", kind: "timing", source: "loop", doc: "Wall-clock seconds the epoch's training took (evaluation excluded)." },
  fid_lite: { label: "FID-lite", short: "FID-lite", direction: "lower", kind: "sample_quality", source: "evaluation", doc: "Fréchet distance between real and generated features of the digit classifier." },
  kid: { label: "KID", short: "KID", direction: "lower", kind: "sample_quality", source: "evaluation", doc: "Kernel inception distance: unbiased MMD² with the cubic polynomial kernel on classifier features, mean over random subsets." },
  kid_std: { label: "KID std", short: "KID std", direction: "neither", kind: "sample_quality", source: "evaluation", doc: "Standard deviation of KID over its subsets: its uncertainty, not a quality." },
  density: { label: "density", short: "density", direction: "higher", kind: "sample_quality", source: "evaluation", doc: "Naeem et al.'s density (k = 5): how many real neighbourhoods a sample falls in, ~1 for real digits." },
  coverage: { label: "coverage", short: "coverage", direction: "higher", kind: "sample_quality", source: "evaluation", doc: "Naeem et al.'s coverage (k = 5): share of real digits with a sample in their neighbourhood." },
  precision: { label: "precision", short: "precision", direction: "higher", kind: "sample_quality", source: "evaluation", doc: "Share of samples inside the real data's k-NN manifold." },
  recall: { label: "recall", short: "recall", direction: "higher", kind: "sample_quality", source: "evaluation", doc: "Share of real digits inside the samples' k-NN manifold." },
  confidence: { label: "classifier confidence", short: "conf", direction: "higher", kind: "sample_quality", source: "evaluation", doc: "Mean top-class probability of the digit classifier on the samples." },
  is_lite: { label: "IS-lite", short: "IS-lite", direction: "higher", kind: "sample_quality", source: "evaluation", doc: "Inception score with the digit classifier (1 to 10)." },
  modes: { label: "modes covered", short: "modes", direction: "higher", kind: "mode_coverage", source: "evaluation", doc: "Classes holding at least the mode share of samples (0 to 10)." },
  kl_uniform: { label: "KL to uniform", short: "KL(unif)", direction: "lower", kind: "mode_coverage", source: "evaluation", doc: "KL divergence of the class histogram from uniform." },
  max_class_share: { label: "largest class share", short: "max share", direction: "lower", kind: "mode_coverage", source: "evaluation", doc: "Share of samples in the most drawn class." },
  diversity: { label: "diversity ratio", short: "diversity", direction: "higher", kind: "mode_coverage", source: "evaluation", doc: "Within-class spread of the samples' features over real digits' (1 = as varied as real)." },
  collapsed: { label: "collapsed (0/1)", short: "collapsed", direction: "lower", kind: "flag", source: "evaluation", doc: "1 when the mode-collapse thresholds judge the samples collapsed." },
} as const satisfies Readonly<Record<string, MetricSpec>>;

/** The per-class shares come as a family, one key per class of the classifier (`class_share_0` … `class_share_9`). */
export const CLASS_SHARE_PREFIX = "class_share_";
/** Classes of the digit classifier, hence of the class-share family. */
export const CLASS_COUNT = 10;
export type ClassShareKey = `class_share_${number}`;
export const CLASS_SHARE_SPEC = { label: "share of class", short: "share", direction: "neither", kind: "class_share", source: "evaluation", doc: "Share of samples the classifier assigns to class k." } as const satisfies MetricSpec;

type Schema = typeof RECORD_SCHEMA;
/** A fixed key of the record. */
export type FixedRecordKey = keyof Schema;
/** Every key a record may carry. */
export type RecordKey = FixedRecordKey | ClassShareKey;
/** The fixed keys with a given property, e.g. `KeysWhere<"source", "evaluation">`. */
export type KeysWhere<P extends keyof MetricSpec, V extends MetricSpec[P]> = { [K in FixedRecordKey]: Schema[K][P] extends V ? K : never }[FixedRecordKey];

/** Keys every record has: what the loop and the train step write each epoch. */
export type TrainingKey = KeysWhere<"source", "loop" | "train_step">;
/** What one training step measures (models' StepStats, bar the step count). */
export type StepStatKey = Exclude<KeysWhere<"source", "train_step">, "steps">;
/** Keys an evaluation adds, on the epochs it ran. */
export type EvaluationKey = KeysWhere<"source", "evaluation">;
/** Evaluation keys with a better direction: what "best" values and rankings are over. */
export type RankedKey = Exclude<Extract<KeysWhere<"direction", "higher" | "lower">, EvaluationKey>, KeysWhere<"kind", "flag">>;

/**
 * One line of metrics.jsonl. Training keys are always there; evaluation keys
 * and class shares on evaluated epochs only. (A non-finite value is written
 * as JSON null and read back as null; {@link valueAt} reads it as NaN.)
 */
export type RecordValues = { [K in TrainingKey]: number } & { [K in EvaluationKey]?: number } & { [K in ClassShareKey]?: number };

const keysWhere = <K extends FixedRecordKey>(pred: (spec: MetricSpec) => boolean) =>
  Object.freeze((Object.keys(RECORD_SCHEMA) as FixedRecordKey[]).filter((k) => pred(RECORD_SCHEMA[k])) as K[]);

/** Every fixed key, in record order. */
export const RECORD_KEYS: readonly FixedRecordKey[] = Object.freeze(Object.keys(RECORD_SCHEMA) as FixedRecordKey[]);
/** Keys of every record, in record order. */
export const TRAINING_KEYS: readonly TrainingKey[] = keysWhere<TrainingKey>((s) => s.source !== "evaluation");
/** What a training step measures, in record order: d_loss, g_loss, d_real, d_fake, d_grad_norm, g_grad_norm. */
export const STEP_STAT_KEYS: readonly StepStatKey[] = keysWhere<StepStatKey>((s) => s.source === "train_step" && s.kind !== "counter");
/** Keys an evaluation writes (class shares aside), in record order. */
export const EVALUATION_KEYS: readonly EvaluationKey[] = keysWhere<EvaluationKey>((s) => s.source === "evaluation");
/** Keys that keep the loop's books (epoch, steps, secs): never plotted as a metric. */
export const BOOKKEEPING_KEYS: readonly FixedRecordKey[] = keysWhere((s) => s.kind === "counter" || s.kind === "timing");
/** Evaluation keys with a better direction, in record order. */
export const RANKED_KEYS: readonly RankedKey[] = keysWhere<RankedKey>((s) => s.source === "evaluation" && s.direction !== "neither" && s.kind !== "flag");

/**
 * A record's value at a key known only at run time, e.g. one of the keys a
 * record read from disk carries: undefined when absent, NaN where a
 * non-finite value was stored (as null).
 */
export function valueAt(record: RecordValues, key: string): number | undefined {
  const v: unknown = (record as Readonly<Record<string, unknown>>)[key];
  return typeof v === "number" ? v : v === null ? NaN : undefined;
}

export function isClassShareKey(key: string): key is ClassShareKey {
  return key.startsWith(CLASS_SHARE_PREFIX) && /^\d+$/.test(key.slice(CLASS_SHARE_PREFIX.length));
}
export function classShareKey(k: number): ClassShareKey {
  return `${CLASS_SHARE_PREFIX}${k}`;
}
/** The class of a class-share key, or undefined. */
export function classOf(key: string): number | undefined {
  return isClassShareKey(key) ? Number(key.slice(CLASS_SHARE_PREFIX.length)) : undefined;
}

/** Sorts keys in record order: the schema's fixed keys, then class shares by class, then keys the schema does not know, by name. */
export function compareRecordKeys(a: string, b: string): number {
  const rank = (k: string): [number, number | string] => {
    const i = RECORD_KEYS.indexOf(k as FixedRecordKey);
    if (i >= 0) return [0, i];
    const c = classOf(k);
    return c !== undefined ? [1, c] : [2, k];
  };
  const [ga, ka] = rank(a);
  const [gb, kb] = rank(b);
  if (ga !== gb) return ga - gb;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function isRecordKey(key: string): key is RecordKey {
  return Object.hasOwn(RECORD_SCHEMA, key) || isClassShareKey(key);
}

/** The spec of a key, or undefined for a key the schema does not know. */
export function metricSpec(key: string): MetricSpec | undefined {
  if (Object.hasOwn(RECORD_SCHEMA, key)) return RECORD_SCHEMA[key as FixedRecordKey];
  const k = classOf(key);
  return k === undefined ? undefined : { ...CLASS_SHARE_SPEC, label: `share of class ${k}`, short: `share ${k}` };
}

/** How a page names a key; a key the schema does not know is shown as itself. */
export function metricLabel(key: string): string {
  return metricSpec(key)?.label ?? key;
}

/** A key's column header for a narrow table; a key the schema does not know is shown as itself. */
export function shortLabel(key: string): string {
  return metricSpec(key)?.short ?? key;
}

/** Which way is better for a key ("neither" for one the schema does not know). */
export function directionOf(key: string): Direction {
  return metricSpec(key)?.direction ?? "neither";
}

/**
 * A record key as an MLflow metric name. The class shares become
 * `share_class_0` … `share_class_9`: MLflow's run page groups metric charts
 * by `prefix/` and puts every prefixed group above the unprefixed "Model
 * metrics" group, alphabetically within it (RunsChartsCardConfig in its
 * UI), so `class_share/k` (the name until this release) put ten class
 * charts above the losses, and `class_share_k` would sort them before
 * `d_loss`; `share_class_k` sorts them after the losses and the evaluation
 * metrics. {@link recordKeyOfMlflow} reads both names.
 */
export function mlflowMetricName(key: string): string {
  const k = classOf(key);
  return k === undefined ? key : `share_class_${k}`;
}

/** The record key an MLflow metric name stands for, or undefined for a name that is not a record key (`final/…`, `best/…`, foreign metrics). */
export function recordKeyOfMlflow(name: string): RecordKey | undefined {
  // `class_share/k`: the name of runs logged before share_class_k.
  const share = /^(?:share_class_|class_share\/)(\d+)$/.exec(name);
  if (share) return classShareKey(Number(share[1]));
  return Object.hasOwn(RECORD_SCHEMA, name) && name !== "epoch" ? (name as FixedRecordKey) : undefined;
}
