import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  DEFAULTS,
  INTEGER_KEYS,
  PARAM_KEYS,
  PlanError,
  closestKey,
  experiment,
  formatIssue,
  validateConfig,
  type ParamKey,
  type PlanIssue,
  type RunConfig,
  type RunPlan,
} from "./index.js";
import { runConfigArb } from "./testing.js";

/** The builder as a plain-JS file or an `as any` sees it: nothing is checked until compile(). */
interface Loose {
  fix(values: unknown): Loose;
  vary(key: unknown, values: unknown): Loose;
  seeds(...seeds: unknown[]): Loose;
  epochs(n: unknown): Loose;
  dataset(id: unknown): Loose;
  describe(text: unknown): Loose;
  where(predicate: unknown): Loose;
  compile(): RunPlan;
}
const loose = (name: unknown = "x"): Loose => experiment(name as string) as unknown as Loose;

/** The issues compile() throws (and fails the test if it does not throw a PlanError). */
function issuesOf(e: Loose): readonly PlanIssue[] {
  try {
    e.compile();
  } catch (error) {
    if (error instanceof PlanError) return error.issues;
    throw error;
  }
  throw new Error("compile() did not throw");
}
const messagesOf = (e: Loose) => issuesOf(e).map(formatIssue);

describe("error messages name the experiment, method, key, value and what is allowed", () => {
  test.each<[string, Loose, string]>([
    // Unknown keys, with a hint when one is close.
    ["typo in fix", loose("lr").fix({ dis_dropot: 0.3 }), 'experiment("lr").fix: unknown hyperparameter "dis_dropot" (did you mean dis_dropout?)'],
    ["typo in vary", loose("lr").vary("genLr", [1e-4]), 'experiment("lr").vary: unknown hyperparameter "genLr" (did you mean gen_lr?)'],
    ["far from any key", loose().fix({ colour: 1 }), `experiment("x").fix: unknown hyperparameter "colour"; known: ${PARAM_KEYS.join(", ")}`],
    // Wrong types and ranges; nothing is clamped.
    ["the design's example", loose("lr").vary("dis_dropout", [0, 1.2]), 'experiment("lr").vary: dis_dropout must be in [0, 1), got 1.2'],
    ["dropout 1", loose().fix({ gen_dropout: 1 }), 'experiment("x").fix: gen_dropout must be in [0, 1), got 1'],
    ["dropout as a word", loose().vary("dis_dropout", ["high"]), 'experiment("x").vary: dis_dropout must be a number in [0, 1), got "high"'],
    ["dropout as a numeric string", loose().fix({ dis_dropout: "0.3" }), 'experiment("x").fix: dis_dropout must be a number in [0, 1), got "0.3"'],
    ["lr 0", loose().vary("gen_lr", [0]), 'experiment("x").vary: gen_lr must be a finite number > 0, got 0'],
    ["lr NaN", loose().fix({ dis_lr: NaN }), 'experiment("x").fix: dis_lr must be a finite number > 0, got NaN'],
    ["lr Infinity", loose().fix({ dis_lr: Infinity }), 'experiment("x").fix: dis_lr must be a finite number > 0, got Infinity'],
    ["layers 0", loose().vary("gen_layers", [0, 1]), 'experiment("x").vary: gen_layers must be a positive integer, got 0'],
    ["layers 2.5", loose().fix({ dis_layers: 2.5 }), 'experiment("x").fix: dis_layers must be a positive integer, got 2.5'],
    ["epochs 0", loose().epochs(0), 'experiment("x").epochs: epochs must be a positive integer, got 0'],
    ["batch_size undefined", loose().fix({ batch_size: undefined }), 'experiment("x").fix: batch_size must be a positive integer, got undefined'],
    ["beta1 1", loose().fix({ beta1: 1 }), 'experiment("x").fix: beta1 must be in [0, 1), got 1'],
    ["beta2 negative", loose().fix({ beta2: -0.1 }), 'experiment("x").fix: beta2 must be in [0, 1), got -0.1'],
    ["leaky_slope 1", loose().fix({ leaky_slope: 1 }), 'experiment("x").fix: leaky_slope must be in [0, 1), got 1'],
    ["limit -1", loose().fix({ limit: -1 }), 'experiment("x").fix: limit must be a non-negative integer (0 = the whole training split), got -1'],
    ["seed -1", loose().seeds(0, -1), 'experiment("x").seeds: seed must be a non-negative integer, got -1'],
    ["seed 1.5", loose().fix({ seed: 1.5 }), 'experiment("x").fix: seed must be a non-negative integer, got 1.5'],
    [
      "activation tanh",
      loose().vary("activation", ["relu", "tanh"]),
      'experiment("x").vary: activation must be one of "relu", "leaky_relu", "elu", "gelu", "relu6", got "tanh"',
    ],
    ["unknown dataset", loose().dataset("cifar10"), 'experiment("x").dataset: dataset must be "mnist", "fashion-mnist" or "idx:<path>", got "cifar10"'],
    ["idx without a path", loose().dataset("idx:"), 'experiment("x").dataset: dataset must be "mnist", "fashion-mnist" or "idx:<path>", got "idx:"'],
    // Axes.
    ["empty axis", loose().vary("gen_lr", []), 'experiment("x").vary: gen_lr needs at least one value, got []'],
    ["no seeds", loose().seeds(), 'experiment("x").seeds: seed needs at least one value, got []'],
    ["axis not a list", loose().vary("gen_lr", 0.1), 'experiment("x").vary: gen_lr needs a list of values, got 0.1'],
    ["duplicate, spelt differently", loose().vary("gen_lr", [2e-4, 0.0002]), 'experiment("x").vary: gen_lr lists 0.0002 more than once; each value gives one run'],
    ["0 and -0", loose().vary("gen_dropout", [0, -0]), 'experiment("x").vary: gen_dropout lists -0 more than once; each value gives one run'],
    ["duplicate seed", loose().seeds(1, 1), 'experiment("x").seeds: seed lists 1 more than once; each value gives one run'],
    // Fixed and varied.
    ["fixed then varied", loose().fix({ gen_layers: 3 }).vary("gen_layers", [2, 4]), 'experiment("x").vary: gen_layers is already fixed by .fix(); a key is either fixed or varied'],
    ["varied then fixed", loose().vary("gen_layers", [2, 4]).fix({ gen_layers: 3 }), 'experiment("x").fix: gen_layers is already varied by .vary(); a key is either fixed or varied'],
    ["epochs() then varied", loose().epochs(5).vary("epochs", [1, 2]), 'experiment("x").vary: epochs is already fixed by .epochs(); a key is either fixed or varied'],
    [
      "a schedule varied",
      loose().vary("eval_every", [1, 5]),
      'experiment("x").vary: eval_every is a schedule, not part of a run: one run trained to the largest value holds every smaller value\'s records (keyed by epoch); fix it instead',
    ],
    ["varied then dataset()", loose().vary("dataset", ["mnist"]).dataset("mnist"), 'experiment("x").dataset: dataset is already varied by .vary(); a key is either fixed or varied'],
    ["varied twice", loose().vary("gen_lr", [1e-4]).vary("gen_lr", [2e-4]), 'experiment("x").vary: gen_lr is already varied by .vary(); give all its values in one call'],
    ["seeds twice", loose().seeds(0).seeds(1), 'experiment("x").seeds: seed is already varied by .seeds(); give all its values in one call'],
    // Other arguments.
    ["fix(null)", loose().fix(null), 'experiment("x").fix: expects an object of hyperparameters, got null'],
    ["where(3)", loose().where(3), 'experiment("x").where: expects a function (config) => boolean, got 3'],
    ["describe(3)", loose().describe(3), 'experiment("x").describe: expects a string, got 3'],
    [
      "a name that leaves results/",
      loose("../etc"),
      `experiment("../etc"): the name must be a non-empty name of at most 100 letters, digits, '.', '_' or '-' (it names a folder under results/), got "../etc"`,
    ],
    // Before: ENAMETOOLONG with a stack trace when the run store made its folder.
    [
      "a 300-character name",
      loose("n".repeat(300)),
      `experiment("${"n".repeat(300)}"): the name must be a non-empty name of at most 100 letters, digits, '.', '_' or '-' (it names a folder under results/), got "${"n".repeat(300)}"`,
    ],
    // Before: accepted without a word (and then could not fit in memory).
    ["batch_size 1e9", loose().fix({ batch_size: 1e9 }), 'experiment("x").fix: batch_size must be at most 65536 (a larger value cannot fit in memory or time on one machine), got 1000000000'],
    ["gen_layers 1e6", loose().fix({ gen_layers: 1e6 }), 'experiment("x").fix: gen_layers must be at most 32 (a larger value cannot fit in memory or time on one machine), got 1000000'],
    [
      "filters that remove everything",
      loose().vary("gen_layers", [1, 2]).where(() => false),
      'experiment("x").where: the filters remove all 2 runs of the grid; the plan would be empty',
    ],
  ])("%s", (_, e, message) => {
    expect(messagesOf(e)).toEqual([message]);
  });

  test("every problem is reported at once, tagged with its path", () => {
    const e = loose("lr")
      .fix({ dis_dropot: 0.3, gen_layers: 0 })
      .vary("dis_dropout", [0, 1.2])
      .vary("gen_layers", [1, 2])
      .seeds(1, 1)
      .epochs(-3);
    let error: unknown;
    try {
      e.compile();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PlanError);
    const { issues, message } = error as PlanError;
    expect(issues.map((i) => [i.code, i.path, i.value])).toEqual([
      ["unknown-key", ["fix", "dis_dropot"], 0.3],
      ["invalid-value", ["fix", "gen_layers"], 0],
      ["invalid-value", ["vary", "dis_dropout", 1], 1.2],
      ["varied-and-fixed", ["vary", "gen_layers"], [1, 2]],
      ["duplicate-value", ["seeds", "seed", 1], 1],
      ["invalid-value", ["epochs", "epochs"], -3],
    ]);
    expect(issues.every((i) => i.experiment === "lr" && i.expected.length > 0)).toBe(true);
    expect(message.split("\n")).toEqual(["invalid experiment (6 problems):", ...issues.map((i) => `  - ${formatIssue(i)}`)]);
  });

  test("a valid experiment compiles", () => {
    expect(loose().fix({ gen_dropout: 0.99 }).vary("dataset", ["mnist", "idx:/data/kmnist"]).compile().runs).toHaveLength(2);
  });
});

/** Values no key accepts, plus per-key values that are just out of range. */
const ALWAYS_BAD: readonly unknown[] = [undefined, null, NaN, Infinity, {}, [], true];
const BAD: { readonly [K in ParamKey]: readonly unknown[] } = {
  ...(Object.fromEntries(INTEGER_KEYS.map((k) => [k, [0, -1, 1.5, "3", 2 ** 53]])) as Record<(typeof INTEGER_KEYS)[number], unknown[]>),
  activation: ["tanh", "ReLU", "", 1],
  precision: ["fp16", "BF16", "", 16],
  gen_dropout: [1, 1.5, -0.1, "0.3"],
  dis_dropout: [1, 1.5, -0.1, "0.3"],
  gen_lr: [0, -1e-4, "2e-4"],
  dis_lr: [0, -1e-4, "2e-4"],
  seed: [-1, 0.5, "1"],
  limit: [-1, 0.5, "1"],
  leaky_slope: [1, -0.2],
  beta1: [1, -0.5],
  beta2: [1, 1.1],
  dataset: ["cifar10", "idx:", "MNIST", 0],
};

describe("validateConfig", () => {
  const at = { experiment: "lr", method: "command line" } as const;

  test("accepts every valid config, and the defaults", () => {
    expect(validateConfig(DEFAULTS, at)).toEqual([]);
    fc.assert(
      fc.property(runConfigArb(), (cfg) => {
        expect(validateConfig(cfg, at)).toEqual([]);
      }),
    );
  });

  test("reports exactly the one bad value, naming its key and value", () => {
    const badArb = fc.constantFrom(...PARAM_KEYS).chain((key) => fc.tuple(fc.constant(key), fc.constantFrom(...BAD[key], ...ALWAYS_BAD)));
    fc.assert(
      fc.property(runConfigArb(), badArb, (cfg, [key, value]) => {
        const issues = validateConfig({ ...cfg, [key]: value }, at);
        expect(issues).toHaveLength(1);
        expect(issues[0]).toMatchObject({ experiment: "lr", code: "invalid-value", path: ["command line", key], value });
        expect(formatIssue(issues[0]!)).toMatch(new RegExp(`^experiment\\("lr"\\)\\.command line: ${key} must be .+, got `));
      }),
    );
  });

  test("precision: optional, fp32 or bf16, and nothing else", () => {
    expect(validateConfig(DEFAULTS, at)).toEqual([]);
    expect(validateConfig({ ...DEFAULTS, precision: "bf16" }, at)).toEqual([]);
    expect(validateConfig({ ...DEFAULTS, precision: "fp32" }, at)).toEqual([]);
    expect(validateConfig({ ...DEFAULTS, precision: "fp16" }, at).map(formatIssue)).toEqual([
      'experiment("lr").command line: precision must be one of "fp32", "bf16", got "fp16"',
    ]);
    expect(experiment("p").fix({ precision: "bf16" }).compile().runs[0]!.config.precision).toBe("bf16");
    expect(experiment("p").compile().runs[0]!.config).not.toHaveProperty("precision");
    expect(experiment("p").vary("precision", ["fp32", "bf16"]).compile().runs.map((r) => r.config.precision)).toEqual(["fp32", "bf16"]);
  });

  test("partial configs (the runner's overrides)", () => {
    expect(validateConfig({ epochs: 5 }, at, { partial: true })).toEqual([]);
    expect(validateConfig({ epochs: 0 }, at, { partial: true }).map(formatIssue)).toEqual([
      'experiment("lr").command line: epochs must be a positive integer, got 0',
    ]);
  });

  test("a complete config must have every key", () => {
    const { seed: _, ...rest } = DEFAULTS;
    expect(validateConfig(rest, at).map(formatIssue)).toEqual(['experiment("lr").command line: seed is missing (must be a non-negative integer)']);
    expect(validateConfig({}, at)).toHaveLength(PARAM_KEYS.length);
  });

  test("unknown keys and non-objects", () => {
    expect(validateConfig({ ...DEFAULTS, gen_lrr: 1 }, at).map(formatIssue)).toEqual([
      'experiment("lr").command line: unknown hyperparameter "gen_lrr" (did you mean gen_lr?)',
    ]);
    expect(validateConfig([1], at).map(formatIssue)).toEqual(['experiment("lr").command line: expects an object of hyperparameters, got [1]']);
  });

  test("issues become one PlanError", () => {
    const issues = validateConfig({ ...DEFAULTS, epochs: 0, gen_lr: -1 } satisfies Record<Exclude<keyof RunConfig, "precision">, unknown>, at);
    expect(new PlanError(issues).message).toBe(
      [
        "invalid experiment (2 problems):",
        '  - experiment("lr").command line: gen_lr must be a finite number > 0, got -1',
        '  - experiment("lr").command line: epochs must be a positive integer, got 0',
      ].join("\n"),
    );
  });
});

describe("closestKey", () => {
  test.each([
    ["dis_dropot", "dis_dropout"],
    ["genLr", "gen_lr"],
    ["GEN_LAYERS", "gen_layers"],
    ["batchsize", "batch_size"],
    ["activaton", "activation"],
    ["colour", undefined],
    ["x", undefined],
  ])("%s → %s", (typo, expected) => {
    expect(closestKey(typo)).toBe(expected);
  });

  test("every known key is its own closest key", () => {
    for (const key of PARAM_KEYS) expect(closestKey(key)).toBe(key);
  });
});
