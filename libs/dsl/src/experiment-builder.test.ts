import { describe, expect, test } from "vitest";
import { experiment, isExperiment } from "./index.js";

describe("definition", () => {
  const e = experiment("lr")
    .describe("first")
    .fix({ gen_layers: 3, activation: "elu" })
    .vary("gen_lr", [1e-4, 2e-4])
    .fix({ gen_layers: 5 })
    .seeds(0, 1)
    .epochs(10)
    .dataset("fashion-mnist")
    .where((c) => c.seed === 0)
    .describe("second");

  test("shows the declared parts as plain data; later fixes and descriptions win", () => {
    expect(e.definition).toEqual({
      name: "lr",
      description: "second",
      fixed: { gen_layers: 5, activation: "elu", epochs: 10, dataset: "fashion-mnist" },
      axes: [
        { key: "gen_lr", values: [1e-4, 2e-4] },
        { key: "seed", values: [0, 1] },
      ],
      filters: 1,
    });
  });

  test("is what JSON.stringify shows", () => {
    expect(JSON.parse(JSON.stringify(e))).toEqual(e.definition);
    expect(e.toJSON()).toEqual(e.definition);
  });

  test("is frozen", () => {
    expect(Object.isFrozen(e.definition)).toBe(true);
    expect(Object.isFrozen(e.definition.fixed)).toBe(true);
    expect(Object.isFrozen(e.definition.axes[0]?.values)).toBe(true);
  });

  test("the plan carries name, description and axes", () => {
    const plan = e.compile();
    expect(plan).toMatchObject({ experiment: "lr", description: "second", axes: ["gen_lr", "seed"] });
    expect(plan.runs.map((r) => r.varied)).toEqual([
      { gen_lr: 1e-4, seed: 0 },
      { gen_lr: 2e-4, seed: 0 },
    ]);
    expect(plan.runs[0]?.config).toMatchObject({ gen_layers: 5, activation: "elu", epochs: 10, dataset: "fashion-mnist" });
  });
});

test("isExperiment recognises builders and nothing else", () => {
  expect(isExperiment(experiment("x"))).toBe(true);
  expect(isExperiment(experiment("x").vary("gen_layers", [1]))).toBe(true);
  for (const other of [null, undefined, {}, { compile: () => ({}) }, "x"]) expect(isExperiment(other)).toBe(false);
});
