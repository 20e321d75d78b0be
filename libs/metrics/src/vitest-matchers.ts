/**
 * vitest matchers for researchers' tests. Importing this module registers them:
 *
 * ```ts
 * import "@ganscope/metrics/vitest";
 * expect(records).not.toCollapse();        // a run's per-epoch records: its verdict is not mode_collapse
 * expect(evaluation).toCollapse();          // one evaluateImages() result
 * expect(records).toConverge();
 * expect(records).toHaveVerdict("vanishing_gradients");   // or "no_digits", "mode_collapse", … (VERDICTS)
 * ```
 *
 * Failure messages print the evidence: class histogram, FID-lite, D outputs.
 */
import { expect } from "vitest";
import type { SampleEvaluation } from "./evaluate.js";
import { DEFAULT_HEALTH_THRESHOLDS, judgeRun, recordCollapse, type HealthThresholds, type RunJudgement, type TrainingRecord, type Verdict } from "./verdict.js";
import { DEFAULT_COLLAPSE_THRESHOLDS, collapseReasons, modesCovered, type CollapseThresholds } from "./mode-collapse.js";

/** What the matchers accept as "a run". */
export type RunLike = readonly TrainingRecord[] | { readonly records: readonly TrainingRecord[] } | SampleEvaluation;

interface CustomMatchers<R = unknown> {
  /** The samples (or the run's last evaluation) cross a mode-collapse threshold. */
  toCollapse(thresholds?: Partial<CollapseThresholds>): R;
  /** The run's verdict is `converged`. */
  toConverge(thresholds?: Partial<HealthThresholds>): R;
  /** The run's verdict is `verdict`. */
  toHaveVerdict(verdict: Verdict, thresholds?: Partial<HealthThresholds>): R;
}

declare module "vitest" {
  // The type parameter must match vitest's own declaration to merge.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends CustomMatchers<T> {}
}

function isEvaluation(x: unknown): x is SampleEvaluation {
  return typeof x === "object" && x !== null && "fidLite" in x && "histogram" in x;
}

function recordsOf(x: unknown): readonly TrainingRecord[] | undefined {
  if (Array.isArray(x)) return x as TrainingRecord[];
  if (typeof x === "object" && x !== null && "records" in x && Array.isArray((x as { records: unknown }).records)) {
    return (x as { records: TrainingRecord[] }).records;
  }
  return undefined;
}

const pct = (p: number) => `${(100 * p).toFixed(1)}%`;

function histogramLine(histogram: readonly number[] | undefined): string {
  return histogram ? histogram.map((p, k) => `${k}:${pct(p)}`).join(" ") : "(no histogram recorded)";
}

function describeJudgement(j: RunJudgement): string {
  const e = j.evidence;
  const lines = [`verdict: ${j.verdict}`, ...j.reasons.map((r) => `  because ${r}`), ...j.notes.map((n) => `  note: ${n}`)];
  if (e.lastEval) {
    lines.push(
      `last evaluation (epoch ${e.lastEval.epoch}): FID-lite ${e.lastEval.fid_lite}, IS-lite ${e.lastEval.is_lite ?? "-"}, ` +
        `${e.lastEval.modes} modes, max class share ${pct(e.lastEval.max_class_share)}, diversity ${e.lastEval.diversity}` +
        (e.lastEval.coverage !== undefined ? `, KID ${e.lastEval.kid ?? "-"}, density ${e.lastEval.density ?? "-"}, coverage ${e.lastEval.coverage}, confidence ${e.lastEval.confidence ?? "-"}` : ""),
      `class histogram: ${histogramLine(e.lastEval.histogram)}`,
    );
  } else {
    lines.push("no evaluation metrics in the records");
  }
  if (e.fidHistory.length > 0) lines.push(`FID-lite by epoch: ${e.fidHistory.map((f) => `${f.epoch}:${f.value}`).join(" ")}`);
  lines.push(
    `last epochs ${e.tail.epochs.join(", ")}: D(x) [${e.tail.d_real.join(", ")}], D(G(z)) [${e.tail.d_fake.join(", ")}], ` +
      `d_loss [${e.tail.d_loss.join(", ")}], |∇G| [${e.tail.g_grad_norm.join(", ")}]`,
  );
  return lines.join("\n");
}

/**
 * Which classifier the numbers came through, when it is not the one the runner, the dashboard and MLflow use:
 * vitest.config.ts asks for the small test classifier, on whose scale FID-lite reads differently (the same run
 * scored 124.9 there and 261.1 with the default one), so thresholds copied from the dashboard mean something else.
 */
function classifierNote(): string {
  return process.env["GANSCOPE_CLASSIFIER"] === "test"
    ? "\n(metrics through the small test classifier, GANSCOPE_CLASSIFIER=test as vitest.config.ts sets it: FID-lite and the class measures are on another scale than the dashboard's default classifier)"
    : "";
}

function notARun(name: string, received: unknown) {
  return {
    pass: false,
    message: () =>
      `${name}: expected a run's records (an array, or { records }), or an evaluateImages() result; got ${typeof received === "object" ? JSON.stringify(received)?.slice(0, 200) : String(received)}`,
  };
}

expect.extend({
  toCollapse(received: unknown, overrides: Partial<CollapseThresholds> = {}) {
    const thresholds = { ...DEFAULT_COLLAPSE_THRESHOLDS, ...overrides };
    let collapsed: boolean;
    let reasons: readonly string[];
    let detail: string;
    if (isEvaluation(received)) {
      const modes = modesCovered(received.histogram, thresholds.modeShare);
      reasons = collapseReasons({ modes, maxClassShare: received.maxClassShare, diversity: received.diversity, histogram: received.histogram }, thresholds);
      collapsed = reasons.length > 0;
      detail =
        `${received.count} samples: ${modes} modes, max class share ${pct(received.maxClassShare)}, KL‖uniform ${received.klUniform.toFixed(3)}, ` +
        `diversity ${received.diversity.toFixed(3)}, FID-lite ${received.fidLite.toFixed(2)}, IS-lite ${received.isLite.toFixed(2)}\n` +
        `class histogram: ${histogramLine(received.histogram)}`;
    } else {
      const records = recordsOf(received);
      if (!records) return notARun("toCollapse", received);
      const last = records.filter((r) => typeof r["fid_lite"] === "number").at(-1);
      if (!last) {
        return { pass: false, message: () => `toCollapse: the run has ${records.length} records but none carries evaluation metrics (fid_lite, modes, …)` };
      }
      // A run collapses when its verdict says so: the class measures alone also fire on speckle that the
      // classifier files under one class, which the verdict calls no_digits (the dashboard and MLflow show the verdict).
      const j = judgeRun(records, { ...DEFAULT_HEALTH_THRESHOLDS, ...thresholds });
      collapsed = j.verdict === "mode_collapse";
      reasons = collapsed ? j.reasons : recordCollapse(last, thresholds).reasons;
      detail = describeJudgement(j);
    }
    return {
      pass: collapsed,
      message: () =>
        (collapsed
          ? `expected the samples not to collapse, but ${reasons.join("; ")}\n${detail}`
          : `expected the samples to collapse, but ${isEvaluation(received) ? `no threshold was crossed (modes ≥ ${thresholds.minModes}, max share ≤ ${pct(thresholds.maxClassShare)}, diversity ≥ ${thresholds.minDiversity})` : "the run's verdict is not mode_collapse"}\n${detail}`) +
        classifierNote(),
    };
  },
  toConverge(received: unknown, overrides: Partial<HealthThresholds> = {}) {
    const records = recordsOf(received);
    if (!records) return notARun("toConverge", received);
    const j = judgeRun(records, { ...DEFAULT_HEALTH_THRESHOLDS, ...overrides });
    const pass = j.verdict === "converged";
    return {
      pass,
      message: () => `expected the run ${pass ? "not " : ""}to converge\n${describeJudgement(j)}${classifierNote()}`,
    };
  },
  toHaveVerdict(received: unknown, verdict: Verdict, overrides: Partial<HealthThresholds> = {}) {
    const records = recordsOf(received);
    if (!records) return notARun("toHaveVerdict", received);
    const j = judgeRun(records, { ...DEFAULT_HEALTH_THRESHOLDS, ...overrides });
    const pass = j.verdict === verdict;
    return {
      pass,
      message: () => `expected the run's verdict ${pass ? "not " : ""}to be ${verdict}\n${describeJudgement(j)}${classifierNote()}`,
    };
  },
});
