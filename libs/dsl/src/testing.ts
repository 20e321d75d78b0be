/**
 * fast-check arbitraries for configs and experiments, for property tests in
 * any lib (`import { runConfigArb } from "@ganscope/dsl/testing"`), and the
 * tiny networks training tests use ({@link TINY_GAN}).
 * Values stay small where size costs time (layers, widths, epochs), so a
 * generated config can be trained in a test.
 */
import fc from "fast-check";
import { ACTIVATIONS, BUILTIN_DATASETS, PARAM_KEYS, PRECISIONS, type ParamKey, type RunConfig } from "./hyperparameters.js";
import type { Axis } from "./experiment-definition.js";
import { SCHEDULE_KEYS, canonicalJson } from "./run-id.js";
import { CLASS_COUNT, EVALUATION_KEYS, TRAINING_KEYS, classShareKey, type RecordValues, type TrainingKey } from "./record-schema.js";

/**
 * Networks small enough that a test trains a few epochs of them in seconds
 * on 2 busy cores: the widths every training test starts from (spread it
 * into a config or `.fix(…)`, then add what the test is about).
 *
 * @example
 * experiment("tiny").fix({ ...TINY_GAN, limit: 128, batch_size: 64 })
 */
export const TINY_GAN = { gen_width: 16, dis_width: 16, max_width: 32 } as const satisfies Partial<RunConfig>;

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const small = (max: number) => fc.integer({ min: 1, max });

const VALUE_ARBS: { readonly [K in ParamKey]: fc.Arbitrary<RunConfig[K]> } = {
  gen_layers: small(6),
  dis_layers: small(6),
  activation: fc.constantFrom(...ACTIVATIONS),
  gen_dropout: unit,
  dis_dropout: unit,
  gen_lr: fc.double({ min: 1e-6, max: 1, noNaN: true }),
  dis_lr: fc.double({ min: 1e-6, max: 1, noNaN: true }),
  epochs: small(5),
  batch_size: small(256),
  seed: fc.nat(),
  limit: fc.nat({ max: 1000 }),
  latent_dim: small(128),
  gen_width: small(64),
  dis_width: small(64),
  max_width: small(256),
  leaky_slope: unit,
  beta1: unit,
  beta2: unit,
  sample_every: small(10),
  eval_every: small(10),
  dataset: fc.oneof(
    fc.constantFrom(...BUILTIN_DATASETS),
    fc.stringMatching(/^[a-z0-9/_.-]{1,12}$/).map((p) => `idx:${p}` as const),
  ),
  precision: fc.constantFrom(...PRECISIONS),
};

/** Valid values of one hyperparameter. */
export function paramValueArb<K extends ParamKey>(key: K): fc.Arbitrary<RunConfig[K]> {
  return VALUE_ARBS[key];
}

/**
 * A valid, fully resolved config, with every key every config has: optional
 * keys (precision) are left out, as in every config written before they
 * existed; add them where a test is about them.
 */
export function runConfigArb(): fc.Arbitrary<RunConfig> {
  return fc.record(Object.fromEntries(PARAM_KEYS.map((k) => [k, VALUE_ARBS[k]]))) as fc.Arbitrary<RunConfig>;
}

/**
 * Valid axes: distinct keys, each with distinct values (distinct after
 * canonicalisation, so never both 0 and -0). Grids stay small by default.
 */
export function axesArb(options: { readonly maxAxes?: number; readonly maxValues?: number } = {}): fc.Arbitrary<Axis[]> {
  const { maxAxes = 3, maxValues = 4 } = options;
  return fc
    // The schedule is fixed, never varied (it is not part of a run).
    .uniqueArray(fc.constantFrom(...PARAM_KEYS.filter((k) => !(SCHEDULE_KEYS as readonly string[]).includes(k))), { maxLength: maxAxes })
    .chain((keys) =>
      fc.tuple(
        ...keys.map((key) =>
          fc
            .uniqueArray(paramValueArb(key) as fc.Arbitrary<unknown>, { minLength: 1, maxLength: maxValues, selector: canonicalJson })
            .map((values) => ({ key, values }) as Axis),
        ),
      ),
    );
}

/**
 * Runs' records as the store holds them: consecutive epochs from 1, every
 * training key, and on some epochs the evaluation keys and class shares;
 * values any double, so NaN and ±Infinity (which the store writes as null) occur.
 */
export function epochRecordsArb(options: { readonly maxEpochs?: number } = {}): fc.Arbitrary<RecordValues[]> {
  const value = fc.double();
  const training = fc.record(Object.fromEntries(TRAINING_KEYS.filter((k) => k !== "epoch").map((k) => [k, value])) as Record<Exclude<TrainingKey, "epoch">, fc.Arbitrary<number>>);
  const evaluation = fc.record(Object.fromEntries([...EVALUATION_KEYS, ...Array.from({ length: CLASS_COUNT }, (_, k) => classShareKey(k))].map((k) => [k, value])));
  return fc
    .array(fc.tuple(training, fc.option(evaluation, { nil: undefined })), { minLength: 1, maxLength: options.maxEpochs ?? 6 })
    .map((epochs) => epochs.map(([t, e], i) => ({ epoch: i + 1, ...t, ...(e ?? {}) }) as RecordValues));
}
