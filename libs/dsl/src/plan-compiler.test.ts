import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DEFAULTS, PARAM_KEYS, PlanError, canonicalJson, experiment, runId, type Axis, type RunConfig, type RunPlan } from "./index.js";
import { axesArb, runConfigArb } from "./testing.js";

/** The builder as plain JS sees it: generated keys and values are not literal types. */
interface Loose {
  fix(values: object): Loose;
  vary(key: string, values: readonly unknown[]): Loose;
  where(predicate: (c: RunConfig) => boolean): Loose;
  compile(): RunPlan;
}
const loose = (name = "p"): Loose => experiment(name) as unknown as Loose;

function build(axes: readonly Axis[], fixed: object = {}, filters: ((c: RunConfig) => boolean)[] = []): Loose {
  let b = loose().fix(fixed);
  for (const axis of axes) b = b.vary(axis.key, axis.values);
  for (const f of filters) b = b.where(f);
  return b;
}

/** The grid written the obvious way, as the oracle: first axis slowest. */
function product(axes: readonly Axis[]): Record<string, unknown>[] {
  return axes.reduce<Record<string, unknown>[]>(
    (points, axis) => points.flatMap((p) => (axis.values as readonly unknown[]).map((v) => ({ ...p, [axis.key]: v }))),
    [{}],
  );
}

/** Fixed values for keys that are not axes, drawn from a valid config. */
const fixedFor = (axes: readonly Axis[]) =>
  fc.tuple(runConfigArb(), fc.array(fc.boolean(), { minLength: PARAM_KEYS.length, maxLength: PARAM_KEYS.length })).map(([cfg, pick]) =>
    Object.fromEntries(Object.entries(cfg).filter(([k], i) => pick[i] === true && !axes.some((a) => a.key === k))),
  );

describe("grid", () => {
  test("runs = product of axis lengths, each combination once, first axis slowest", () => {
    fc.assert(
      fc.property(axesArb(), (axes) => {
        const plan = build(axes).compile();
        expect(plan.runs.length).toBe(axes.reduce((n, a) => n * a.values.length, 1));
        expect(plan.runs.map((r) => canonicalJson(r.varied))).toEqual(product(axes).map((p) => canonicalJson(p)));
        expect(new Set(plan.runs.map((r) => canonicalJson(r.varied))).size).toBe(plan.runs.length);
        expect(plan.axes).toEqual(axes.map((a) => a.key));
      }),
    );
  });

  test("resolved config = DEFAULTS ← fixed ← axis values, with a run id from its hash", () => {
    fc.assert(
      fc.property(
        axesArb().chain((axes) => fc.tuple(fc.constant(axes), fixedFor(axes))),
        ([axes, fixed]) => {
          const plan = build(axes, fixed).compile();
          plan.runs.forEach((run, i) => {
            expect(run.config).toEqual({ ...DEFAULTS, ...fixed, ...product(axes)[i] });
            expect(run.runId).toBe(runId(run.config));
          });
          expect(new Set(plan.runs.map((r) => r.runId)).size).toBe(plan.runs.length);
        },
      ),
    );
  });

  test("filters: runs = the grid points every filter keeps, in grid order", () => {
    fc.assert(
      fc.property(axesArb(), fc.array(fc.func(fc.boolean()), { maxLength: 3 }), (axes, filters) => {
        const configs = product(axes).map((p) => ({ ...DEFAULTS, ...p }) as RunConfig);
        const kept = configs.filter((c) => filters.every((f) => f(c)));
        const compile = () => build(axes, {}, filters).compile();
        if (kept.length === 0) {
          expect(compile).toThrow(/the filters remove all \d+ runs/);
        } else {
          expect(compile().runs.map((r) => r.config)).toEqual(kept);
        }
      }),
    );
  });

  test("no axes: one run with the defaults", () => {
    const plan = experiment("baseline").compile();
    expect(plan.runs).toHaveLength(1);
    expect(plan.runs[0]?.config).toEqual(DEFAULTS);
    expect(plan.runs[0]?.varied).toEqual({});
  });

  test("the design's example: 16 runs, dropout pairs in order", () => {
    const plan = experiment("dropout-3x3")
      .fix({ gen_layers: 3, dis_layers: 3, activation: "relu" })
      .vary("gen_dropout", [0, 0.3, 0.6, 0.9])
      .vary("dis_dropout", [0, 0.3, 0.6, 0.9])
      .epochs(100)
      .compile();
    expect(plan.runs).toHaveLength(16);
    expect(plan.runs.slice(0, 5).map((r) => r.varied)).toEqual([
      { gen_dropout: 0, dis_dropout: 0 },
      { gen_dropout: 0, dis_dropout: 0.3 },
      { gen_dropout: 0, dis_dropout: 0.6 },
      { gen_dropout: 0, dis_dropout: 0.9 },
      { gen_dropout: 0.3, dis_dropout: 0 },
    ]);
  });

  test("seeds() is an axis over seed; several wheres AND together", () => {
    const plan = experiment("s")
      .vary("gen_layers", [1, 2, 3])
      .seeds(7, 8)
      .where((c) => c.gen_layers > 1)
      .where((c) => c.seed === 8)
      .compile();
    expect(plan.axes).toEqual(["gen_layers", "seed"]);
    expect(plan.runs.map((r) => r.varied)).toEqual([
      { gen_layers: 2, seed: 8 },
      { gen_layers: 3, seed: 8 },
    ]);
  });

  test("-0 is stored as 0, so the plan is what a JSON file gives back", () => {
    const plan = experiment("z").vary("gen_dropout", [-0, 0.5]).compile();
    expect(Object.is(plan.runs[0]?.config.gen_dropout, 0)).toBe(true);
    expect(Object.is(plan.runs[0]?.varied.gen_dropout, 0)).toBe(true);
  });

  test("a filter that throws is reported with the run it threw on", () => {
    const e = experiment("boom")
      .vary("gen_layers", [1, 2])
      .where((c) => {
        if (c.gen_layers === 2) throw new Error("no");
        return true;
      });
    expect(() => e.compile()).toThrow('experiment("boom").where: a filter threw on {"gen_layers":2}: no');
  });

  test("a grid above MAX_RUNS is refused before it is built", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1) as [number, ...number[]];
    const e = experiment("huge").vary("gen_width", values).vary("dis_width", values).vary("latent_dim", values);
    expect(() => e.compile()).toThrow(/the axes give 1000000 runs, more than the 100000 allowed/);
  });
});

describe("plans", () => {
  test("round-trip through JSON unchanged", () => {
    fc.assert(
      fc.property(
        axesArb().chain((axes) => fc.tuple(fc.constant(axes), fixedFor(axes))),
        ([axes, fixed]) => {
          const plan = build(axes, fixed).compile();
          expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
        },
      ),
    );
  });

  test("are deeply frozen", () => {
    const plan = experiment("f").vary("gen_layers", [1, 2]).compile();
    expect(Object.isFrozen(plan)).toBe(true);
    expect(Object.isFrozen(plan.runs)).toBe(true);
    expect(Object.isFrozen(plan.runs[0])).toBe(true);
    expect(Object.isFrozen(plan.runs[0]?.config)).toBe(true);
    expect(Object.isFrozen(plan.runs[0]?.varied)).toBe(true);
  });

  test("the same config in two experiments is the same run", () => {
    const a = experiment("a").vary("gen_lr", [1e-4, 2e-4]).compile();
    const b = experiment("b").fix({ gen_lr: 0.0002 }).compile();
    expect(a.runs[1]?.runId).toBe(b.runs[0]?.runId);
  });
});

describe("immutability", () => {
  test("branching a half-built experiment leaves every branch as it was", () => {
    fc.assert(
      fc.property(axesArb({ maxAxes: 4 }), fc.nat(), (axes, cut) => {
        const split = axes.length === 0 ? 0 : cut % (axes.length + 1);
        const trunk = build(axes.slice(0, split));
        const before = trunk.compile();
        const left = axes.slice(split).reduce((b, a) => b.vary(a.key, a.values), trunk);
        // 7 is valid for each of these; one of them is free, since the trunk has at most 4 axes.
        const free = (["limit", "epochs", "seed", "latent_dim"] as const).find((k) => !before.axes.includes(k)) ?? "limit";
        const right = trunk.fix({ [free]: 7 }).where(() => true);
        expect(trunk.compile()).toEqual(before);
        expect(left.compile()).toEqual(build(axes).compile());
        expect(right.compile().runs.every((r) => r.config[free] === 7)).toBe(true);
        expect(right.compile().runs).toHaveLength(before.runs.length);
      }),
    );
  });

  test("mutating the arrays and objects passed in changes nothing", () => {
    const values = [1, 2];
    const fixed = { dis_layers: 4 };
    const e = loose().vary("gen_layers", values).fix(fixed);
    values.push(3);
    fixed.dis_layers = 5;
    const plan = e.compile();
    expect(plan.runs).toHaveLength(2);
    expect(plan.runs[0]?.config.dis_layers).toBe(4);
  });

  test("builders are frozen", () => {
    expect(Object.isFrozen(experiment("x").vary("gen_layers", [1]))).toBe(true);
  });
});

test("PlanError is what compile throws", () => {
  expect(() => loose().vary("gen_layers", []).compile()).toThrow(PlanError);
});
