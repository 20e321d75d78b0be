// Compile-time guarantees of the builder: each `@ts-expect-error` line must
// fail to compile (tsc reports an unused directive otherwise), each positive
// case must compile.
import { describe, expectTypeOf, test } from "vitest";
import { experiment, type Experiment, type ExperimentBuilder, type RunPlan } from "./index.js";

const base = experiment("t");

describe("vary", () => {
  test("infers literal unions without as const and records the key", () => {
    const b = base.vary("activation", ["relu", "elu"]);
    expectTypeOf(b).toEqualTypeOf<ExperimentBuilder<never, "activation", { readonly activation: "relu" | "elu" }>>();
    expectTypeOf(base.vary("dataset", ["mnist", "idx:/data/kmnist"])).toEqualTypeOf<ExperimentBuilder<never, "dataset", { readonly dataset: "mnist" | "idx:/data/kmnist" }>>();
  });

  test("carries each axis' values as literal types, for code that names runs (findings)", () => {
    const b = base.vary("gen_layers", [3, 5]).vary("gen_lr", [1e-4, 2e-4]).seeds(0, 1);
    expectTypeOf<NonNullable<typeof b.axesType>>().toEqualTypeOf<{ readonly gen_layers: 3 | 5; readonly gen_lr: 0.0001 | 0.0002; readonly seed: number }>();
    expectTypeOf<NonNullable<typeof base.axesType>>().toEqualTypeOf<{}>();
  });

  test("rejects misuse", () => {
    // @ts-expect-error - unknown key (typo of dis_dropout)
    base.vary("dis_dropot", [0, 0.3]);
    // @ts-expect-error - "tanh" is not an Activation
    base.vary("activation", ["tanh"]);
    // @ts-expect-error - dropout takes numbers, not words
    base.vary("dis_dropout", ["high"]);
    // @ts-expect-error - an axis needs at least one value
    base.vary("dis_layers", []);
    // @ts-expect-error - precision is "fp32" or "bf16"
    base.fix({ precision: "fp16" });
    // @ts-expect-error - precision is "fp32" or "bf16"
    base.vary("precision", ["bf16", "int8"]);
    // @ts-expect-error - gen_layers is already fixed
    base.fix({ gen_layers: 3 }).vary("gen_layers", [2, 4]);
    // @ts-expect-error - gen_lr is already varied
    base.vary("gen_lr", [1e-4]).vary("gen_lr", [2e-4]);
    // @ts-expect-error - epochs was fixed through its shorthand
    base.epochs(5).vary("epochs", [1, 2]);
    // @ts-expect-error - seed is already an axis through seeds()
    base.seeds(0, 1).vary("seed", [2]);
    // @ts-expect-error - the schedule is not part of a run: epochs cannot be an axis
    base.vary("epochs", [5, 10]);
    // @ts-expect-error - nor can the evaluation cadence
    base.vary("eval_every", [1, 5]);
  });
});

describe("fix", () => {
  test("accepts known keys with typed values, and later fixes override", () => {
    const b = base.fix({ gen_layers: 3, activation: "leaky_relu" }).fix({ gen_layers: 5 });
    expectTypeOf(b).toEqualTypeOf<ExperimentBuilder<"gen_layers" | "activation", never>>();
    base.fix({});
  });

  test("rejects misuse", () => {
    // @ts-expect-error - unknown key (typo of dis_dropout)
    base.fix({ dis_dropot: 0.3 });
    // @ts-expect-error - unknown key next to a known one
    base.fix({ gen_layers: 3, colour: "red" });
    // @ts-expect-error - "tanh" is not an Activation
    base.fix({ activation: "tanh" });
    // @ts-expect-error - dropout takes numbers
    base.fix({ dis_dropout: "high" });
    // @ts-expect-error - gen_dropout is already varied
    base.vary("gen_dropout", [0, 0.5]).fix({ gen_dropout: 0.3 });
    // @ts-expect-error - seed is varied by seeds()
    base.seeds(1, 2).fix({ seed: 3 });
  });
});

describe("shorthands", () => {
  test("seeds, epochs, dataset, describe, where compile and grow the key sets", () => {
    const b = base.seeds(0, 1, 2).epochs(10).dataset("fashion-mnist").describe("d").where((c) => c.gen_lr <= c.dis_lr);
    expectTypeOf(b).toEqualTypeOf<ExperimentBuilder<"epochs" | "dataset", "seed", { readonly seed: number }>>();
    base.dataset("idx:/data/kmnist");
  });

  test("reject misuse", () => {
    // @ts-expect-error - seeds() needs at least one seed
    base.seeds();
    // @ts-expect-error - seeds() twice
    base.seeds(0).seeds(1);
    // @ts-expect-error - seed fixed, then varied through seeds()
    base.fix({ seed: 1 }).seeds(2, 3);
    // @ts-expect-error - dataset is varied
    base.vary("dataset", ["mnist", "fashion-mnist"]).dataset("mnist");
    // @ts-expect-error - not a dataset id
    base.dataset("cifar10");
    // @ts-expect-error - epochs is a number
    base.epochs("10");
    // @ts-expect-error - where must return a boolean
    base.where((c) => c.gen_layers);
    // @ts-expect-error - the config has no such key
    base.where((c) => c.dis_dropot > 0);
  });
});

test("the README example compiles to a RunPlan, and every builder is an Experiment", () => {
  const e = experiment("dropout-3x3")
    .fix({ gen_layers: 3, dis_layers: 3, activation: "relu" })
    .vary("gen_dropout", [0, 0.3, 0.6, 0.9])
    .vary("dis_dropout", [0, 0.3, 0.6, 0.9])
    .epochs(100);
  expectTypeOf(e.compile()).toEqualTypeOf<RunPlan>();
  expectTypeOf(e).toExtend<Experiment>();
  expectTypeOf(base).toExtend<Experiment>();
});

describe("stopWhen and halving", () => {
  test("accept the documented shapes", () => {
    expectTypeOf(base.stopWhen({ saturated: 3, collapsed: 3, diverged: true })).toEqualTypeOf<ExperimentBuilder>();
    expectTypeOf(base.stopWhen(false)).toEqualTypeOf<ExperimentBuilder>();
    expectTypeOf(base.halving({ metric: "fid_lite", rungs: [5, 15, 45, 100], keep: 1 / 3 })).toEqualTypeOf<ExperimentBuilder>();
  });

  test("reject misuse", () => {
    // @ts-expect-error - unknown stop condition (typo of collapsed)
    base.stopWhen({ colapsed: 3 });
    // @ts-expect-error - a count of epochs, not a word
    base.stopWhen({ saturated: "soon" });
    // @ts-expect-error - a run with NaN weights always stops: diverged may only be true
    base.stopWhen({ diverged: false });
    // @ts-expect-error - not a metric halving can rank by
    base.halving({ metric: "fid", rungs: [5], keep: 0.5 });
    // @ts-expect-error - rungs need at least one epoch
    base.halving({ metric: "fid_lite", rungs: [], keep: 0.5 });
    // @ts-expect-error - keep is required
    base.halving({ metric: "fid_lite", rungs: [5] });
  });
});
