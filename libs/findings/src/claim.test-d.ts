// Compile-time guarantees of arms and rankings: each `@ts-expect-error` line
// must fail to compile, each positive case must compile.
import { experiment } from "@ganscope/dsl";
import { describe, expectTypeOf, test } from "vitest";
import { arm, compare, rank, rate, type AxesOf, type Selection } from "./index.js";

const act = experiment("act").fix({ gen_layers: 3 }).vary("activation", ["relu", "elu", "gelu"]).seeds(0, 1);
const grid = experiment("grid").vary("gen_layers", [3, 5]).vary("dis_lr", [1e-4, 2e-4]);
const single = experiment("single").fix({ gen_layers: 3 });

describe("AxesOf", () => {
  test("carries the varied keys and their literal values", () => {
    expectTypeOf<AxesOf<typeof grid>>().toEqualTypeOf<{ readonly gen_layers: 3 | 5; readonly dis_lr: 0.0001 | 0.0002 }>();
    expectTypeOf<Selection<AxesOf<typeof act>>>().toEqualTypeOf<{ readonly activation?: "relu" | "elu" | "gelu" | readonly ["relu" | "elu" | "gelu", ...("relu" | "elu" | "gelu")[]] }>();
  });
});

describe("arm", () => {
  test("accepts varied keys with values on their axis, one or several", () => {
    arm(act, { activation: "elu" });
    arm(grid, { gen_layers: [3, 5], dis_lr: 1e-4 });
    arm(grid, { dis_lr: 0.0002 });
    arm(single, {});
  });

  test("rejects misuse", () => {
    // @ts-expect-error - "tanh" is not on the activation axis
    arm(act, { activation: "tanh" });
    // @ts-expect-error - "leaky_relu" is an Activation but not on this experiment's axis
    arm(act, { activation: "leaky_relu" });
    // @ts-expect-error - gen_layers is fixed, not varied
    arm(act, { gen_layers: 3 });
    // @ts-expect-error - 7 is not on the gen_layers axis
    arm(grid, { gen_layers: 7 });
    // @ts-expect-error - 3e-4 is not on the dis_lr axis
    arm(grid, { dis_lr: [1e-4, 3e-4] });
    // @ts-expect-error - a typo of dis_lr
    arm(grid, { dis_lrr: 1e-4 });
    // @ts-expect-error - seeds are pooled, never selected
    arm(act, { seed: 0 });
    // @ts-expect-error - nothing is varied in this experiment
    arm(single, { gen_layers: 3 });
  });
});

describe("claims", () => {
  test("compare, rate and rank compile over arms and known metrics", () => {
    compare(arm(act, { activation: "elu" }), arm(act, { activation: "relu" }), "fid_lite", "lower");
    compare(arm(act, { activation: "elu" }), arm(single, {}), "verdict:converged", "higher");
    rate(arm(act, {}), ["vanishing_gradients"], { atLeast: 0.5 });
    rank(act, "activation", [["elu"], ["gelu", "relu"]], "fid_lite", "lower");
  });

  test("reject misuse", () => {
    // @ts-expect-error - not a metric a run records
    compare(arm(act, { activation: "elu" }), arm(act, { activation: "relu" }), "fid", "lower");
    // @ts-expect-error - not a direction
    compare(arm(act, { activation: "elu" }), arm(act, { activation: "relu" }), "fid_lite", "better");
    // @ts-expect-error - not a verdict
    rate(arm(act, {}), ["collapsed"]);
    // @ts-expect-error - "tanh" is not on the axis
    rank(act, "activation", [["elu"], ["tanh"]], "fid_lite", "lower");
    // @ts-expect-error - gen_layers is not varied in act
    rank(act, "gen_layers", [[3], [5]], "fid_lite", "lower");
    // @ts-expect-error - a ranking needs at least two tiers
    rank(act, "activation", [["elu", "relu"]], "fid_lite", "lower");
  });
});
