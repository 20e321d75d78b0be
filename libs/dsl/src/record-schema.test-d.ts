import { describe, expectTypeOf, it } from "vitest";
import type { EvaluationKey, RankedKey, RecordKey, RecordValues, StepStatKey, TrainingKey } from "./record-schema.js";

describe("record types derived from the schema", () => {
  it("types training keys as always there and evaluation keys as sometimes", () => {
    expectTypeOf<RecordValues["d_loss"]>().toEqualTypeOf<number>();
    expectTypeOf<RecordValues["fid_lite"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<RecordValues["class_share_3"]>().toEqualTypeOf<number | undefined>();
  });

  it("rejects keys the schema does not declare", () => {
    const r = {} as RecordValues;
    // @ts-expect-error - the dashboard once knew `accuracy`; nothing writes it
    void r.accuracy;
    // @ts-expect-error - `modes_covered` is not a record key (it is `modes`)
    void r.modes_covered;
    // @ts-expect-error - a record has no `epochs`
    const k: RecordKey = "epochs";
    void k;
  });

  it("splits the keys by source and direction", () => {
    expectTypeOf<StepStatKey>().toEqualTypeOf<"d_loss" | "g_loss" | "d_real" | "d_fake" | "d_grad_norm" | "g_grad_norm">();
    expectTypeOf<TrainingKey>().toEqualTypeOf<"epoch" | "steps" | "secs" | StepStatKey>();
    expectTypeOf<RankedKey>().toExtend<EvaluationKey>();
    expectTypeOf<"kid_std">().not.toExtend<RankedKey>();
    expectTypeOf<"collapsed">().not.toExtend<RankedKey>();
  });
});
