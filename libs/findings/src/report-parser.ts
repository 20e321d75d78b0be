/**
 * report.json read back: a study report (writeStudyReport's StudyReport) as
 * a reader gets it from disk — written by this version or an older one,
 * perhaps on another machine, perhaps damaged. Lenient: everything that can
 * be read is kept, and each thing that is not what the report should hold is
 * an issue (the key's path, what was expected, what was there), as data
 * (Zod's way; the message is built when printed). A bad finding inside a good
 * report keeps the rest; only a report with no findings array is no report.
 *
 * Loads only dsl's verdict names, so a reader (the dashboard) imports it
 * through `@ganscope/findings/report-parser` without the rest of the lib,
 * which judges runs with the metrics lib (and so loads TensorFlow.js).
 */
import { FINDING_VERDICTS, type FindingVerdict } from "@ganscope/dsl/verdict-names";

/** One thing in report.json that is not what a study report holds. */
export interface ReportIssue {
  /** From the report's root down, e.g. `["findings", 0, "claims", 1, "b", "verdicts"]`. */
  readonly path: readonly (string | number)[];
  /** What the key should hold, e.g. `a number`. */
  readonly expected: string;
  /** What it held: `nothing`, `null`, `an array`, or its JSON type. */
  readonly got: string;
}

/** `findings[0].claims[1].b.verdicts: expected { <verdict or reason>: runs }, got object`. */
export function formatReportIssue(issue: ReportIssue): string {
  const at = issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
  return `${at}: expected ${issue.expected}, got ${issue.got}`;
}

/** One run an arm of a claim names (ArmSummary's runs); `seed` null where the report gives none. */
export interface ParsedArmRun {
  experiment: string;
  runId: string;
  seed: number | null;
  /** The value the claim read from it at the budget; absent for a run unfinished or without the value. */
  value?: number;
  /** Its verdict at the report's budget. */
  verdict?: string;
  /** Finished without the value (diverged, stopped): counted at the worst value measured. */
  imputed?: boolean;
}

/** An arm of a claim (ArmSummary), with what an older report lacks left out or zero. */
export interface ParsedArm {
  label: string;
  n: number;
  strata: number;
  minSeeds: number;
  missing: number;
  /** Finished runs without the value, counted at the worst value measured. */
  imputed?: number;
  /** Why runs lack a measured value: their verdict (imputed) or `unfinished`. */
  missingWhy?: Record<string, number>;
  /** Finished runs with a verdict at the report's budget, and their mix (`no_digits 3/3`). */
  judged?: number;
  verdicts?: Record<string, number>;
  mean?: number;
  iqm?: number;
  /** Undefined when the report lists no runs for the arm (written before it did). */
  runs?: ParsedArmRun[];
  /** Why configs of the arm are not trained at the report's budget. */
  notTrained?: string[];
  /** The median run; `sample` is its grid's path where the report was written. */
  medianRun?: { experiment: string; runId: string; value: number; sample?: string };
}

/** A verdict as written: one of dsl's FINDING_VERDICTS, or an older or newer word kept as it is. */
export type ParsedVerdict = FindingVerdict | (string & {});

/** The p-values a tested claim carries. */
interface ParsedTested {
  /** Two-sided p, the one-sided p each way, the Holm-adjusted p and the tests in the finding's Holm family. */
  p?: number;
  pClaimed?: number;
  pReverse?: number;
  pAdjusted?: number;
  family?: number;
}

export interface ParsedComparison extends ParsedTested {
  kind: "compare";
  statement: string;
  /** A record key (fid_lite, max_class_share, …) or `verdict:<label>` (1 when the run was judged so, else 0). */
  metric: string;
  direction: "lower" | "higher";
  a: ParsedArm;
  b: ParsedArm;
  /** "welch" for a metric, "fisher" for a verdict's share. */
  test?: string;
  /** mean(a) − mean(b) and its 95% interval: Welch's t (Newcombe's for a difference of shares); older reports: the bootstrap's. */
  effect?: number;
  lo?: number;
  hi?: number;
  df?: number;
  /** The 95% stratified bootstrap interval, for display. */
  bootstrapLo?: number;
  bootstrapHi?: number;
  probabilityOfImprovement?: number;
  /** Minimum detectable effect at 80% power: in pooled SDs (d) and the metric's units. */
  mde?: { d: number; value: number; pooledSd: number; alpha: number; power: number };
  verdict: ParsedVerdict;
  reason: string;
  /** A caveat that holds even when decided (pre-convergence). */
  note?: string;
}

export interface ParsedRate extends ParsedTested {
  kind: "rate";
  statement: string;
  arm: ParsedArm;
  verdicts: string[];
  successes: number;
  n: number;
  rate?: number;
  /** Wilson 95% interval of the rate. */
  lo: number;
  hi: number;
  bound: { atLeast: number } | { atMost: number };
  /** The true share at which the exact test would decide the claim with 80% power at this n. */
  detectableRate?: number;
  verdict: ParsedVerdict;
  reason: string;
}

export interface ParsedRanking {
  kind: "rank";
  statement: string;
  pairs: ParsedComparison[];
  verdict: ParsedVerdict;
  reason: string;
}

export type ParsedClaim = ParsedComparison | ParsedRate | ParsedRanking;

export interface ParsedFinding {
  id: string;
  title: string;
  quote: string;
  assumptions?: string;
  /** The report's when the finding gives none. */
  budgetLine: string;
  verdict: ParsedVerdict;
  /** The mix of its claims' verdicts and the Holm family, or why it was not tested, when the report says. */
  reason?: string;
  /** Tests in its Holm family. */
  tests?: number;
  claims: ParsedClaim[];
}

/** A StudyReport as read: what an older report lacks is left out. */
export interface ParsedStudyReport {
  study?: string;
  description?: string;
  /** The budget line, or the budget's name when the line is missing. */
  budgetLine: string;
  budget: { name?: string; purpose?: string };
  generatedAt?: string;
  commit?: string;
  command?: string;
  runs?: { planned: number; finished: number };
  /** The study's reference config and positive control, which its gate read. */
  reference?: string;
  positiveControl?: string;
  findings: ParsedFinding[];
}

/** Numbers a comparison or rate claim may carry. */
const P_KEYS = ["p", "pClaimed", "pReverse", "pAdjusted", "family"] as const;
const COMPARE_NUMBERS = ["effect", "lo", "hi", "df", "bootstrapLo", "bootstrapHi", "probabilityOfImprovement", ...P_KEYS] as const;
const RATE_NUMBERS = [...P_KEYS, "detectableRate"] as const;

type Json = Record<string, unknown>;
type Path = readonly (string | number)[];

function isRecord(x: unknown): x is Json {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function kindOf(x: unknown): string {
  return x === undefined ? "nothing" : x === null ? "null" : Array.isArray(x) ? "an array" : typeof x;
}

/** Reads fields, collecting what is wrong. */
class Reader {
  readonly issues: ReportIssue[] = [];

  problem(path: Path, expected: string, got: unknown): void {
    this.issues.push({ path, expected, got: kindOf(got) });
  }

  /** A string (a number is read as its text); without a fallback, one is required. */
  str(o: Json, key: string, at: Path, fallback?: string): string | undefined {
    const v = o[key];
    if (typeof v === "string") return v;
    if (typeof v === "number") return String(v);
    if (fallback === undefined) this.problem([...at, key], "a string", v);
    return fallback;
  }

  /** A finite number; an optional one may be absent or null. */
  num(o: Json, key: string, at: Path, required: boolean): number | undefined {
    const v = o[key];
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (required || (v !== undefined && v !== null)) this.problem([...at, key], "a number", v);
    return undefined;
  }

  numbers<K extends string>(o: Json, keys: readonly K[], at: Path): Partial<Record<K, number>> {
    const out: Partial<Record<K, number>> = {};
    for (const k of keys) {
      const v = this.num(o, k, at, false);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }

  verdict(o: Json, at: Path): ParsedVerdict {
    const v = o["verdict"];
    if (typeof v === "string" && v !== "") return v;
    this.problem([...at, "verdict"], FINDING_VERDICTS.join(" | "), v);
    return "inconclusive";
  }
}

function armRuns(r: Reader, raw: unknown, at: Path): ParsedArmRun[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    r.problem([...at, "runs"], "an array of { experiment, runId, seed, value? }", raw);
    return undefined;
  }
  const out: ParsedArmRun[] = [];
  raw.forEach((x: unknown, i) => {
    if (!isRecord(x) || typeof x["experiment"] !== "string" || typeof x["runId"] !== "string") {
      r.problem([...at, "runs", i], "{ experiment: string, runId: string }", x);
      return;
    }
    const { value, verdict } = x;
    out.push({
      experiment: x["experiment"],
      runId: x["runId"],
      seed: typeof x["seed"] === "number" ? x["seed"] : null,
      ...(typeof value === "number" && Number.isFinite(value) ? { value } : {}),
      ...(typeof verdict === "string" ? { verdict } : {}),
      ...(x["imputed"] === true ? { imputed: true } : {}),
    });
  });
  return out;
}

function arm(r: Reader, raw: unknown, at: Path): ParsedArm {
  if (!isRecord(raw)) {
    r.problem(at, "an arm { label, n, runs, … }", raw);
    return { label: "?", n: 0, strata: 0, minSeeds: 0, missing: 0, runs: [] };
  }
  let medianRun: ParsedArm["medianRun"];
  const m = raw["medianRun"];
  if (isRecord(m) && typeof m["experiment"] === "string" && typeof m["runId"] === "string" && typeof m["value"] === "number") {
    medianRun = { experiment: m["experiment"], runId: m["runId"], value: m["value"], ...(typeof m["sample"] === "string" ? { sample: m["sample"] } : {}) };
  } else if (m !== undefined) r.problem([...at, "medianRun"], "{ experiment, runId, value }", m);
  const runs = armRuns(r, raw["runs"], at);
  const counts = (key: string): Record<string, number> | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (!isRecord(v) || !Object.values(v).every((n) => typeof n === "number" && Number.isInteger(n) && n >= 0)) {
      r.problem([...at, key], "{ <verdict or reason>: runs }", v);
      return undefined;
    }
    return v as Record<string, number>;
  };
  const verdicts = counts("verdicts");
  const missingWhy = counts("missingWhy");
  const notTrained = raw["notTrained"];
  return {
    label: r.str(raw, "label", at) ?? "?",
    n: r.num(raw, "n", at, true) ?? 0,
    strata: r.num(raw, "strata", at, false) ?? 0,
    minSeeds: r.num(raw, "minSeeds", at, false) ?? 0,
    missing: r.num(raw, "missing", at, false) ?? 0,
    ...r.numbers(raw, ["imputed", "judged"] as const, at),
    ...(verdicts ? { verdicts } : {}),
    ...(missingWhy ? { missingWhy } : {}),
    ...r.numbers(raw, ["mean", "iqm"] as const, at),
    ...(runs ? { runs } : {}),
    ...(Array.isArray(notTrained) && notTrained.length > 0 ? { notTrained: notTrained.filter((x): x is string => typeof x === "string") } : {}),
    ...(medianRun ? { medianRun } : {}),
  };
}

/** The minimum detectable effect of a comparison, when the report has one. */
function mdeOf(r: Reader, raw: Json, at: Path): Pick<ParsedComparison, "mde"> {
  const m = raw["mde"];
  if (m === undefined) return {};
  const keys = ["d", "value", "pooledSd", "alpha", "power"] as const;
  if (!isRecord(m) || !keys.every((k) => typeof m[k] === "number" && Number.isFinite(m[k]))) {
    r.problem([...at, "mde"], "{ d, value, pooledSd, alpha, power }", m);
    return {};
  }
  const n = (k: (typeof keys)[number]) => m[k] as number;
  return { mde: { d: n("d"), value: n("value"), pooledSd: n("pooledSd"), alpha: n("alpha"), power: n("power") } };
}

function comparison(r: Reader, raw: Json, at: Path): ParsedComparison {
  const d = raw["direction"];
  if (d !== "higher" && d !== "lower") r.problem([...at, "direction"], `"lower" or "higher"`, d);
  const test = raw["test"];
  const note = raw["note"];
  return {
    kind: "compare",
    statement: r.str(raw, "statement", at, "") ?? "",
    metric: r.str(raw, "metric", at) ?? "",
    direction: d === "higher" ? "higher" : "lower",
    a: arm(r, raw["a"], [...at, "a"]),
    b: arm(r, raw["b"], [...at, "b"]),
    ...(typeof test === "string" ? { test } : {}),
    ...r.numbers(raw, COMPARE_NUMBERS, at),
    ...mdeOf(r, raw, at),
    verdict: r.verdict(raw, at),
    reason: r.str(raw, "reason", at, "") ?? "",
    ...(typeof note === "string" && note !== "" ? { note } : {}),
  };
}

function rateClaim(r: Reader, raw: Json, at: Path): ParsedRate {
  const b = raw["bound"];
  const bound: ParsedRate["bound"] = isRecord(b) && typeof b["atMost"] === "number" ? { atMost: b["atMost"] } : { atLeast: isRecord(b) && typeof b["atLeast"] === "number" ? b["atLeast"] : 0.5 };
  if (!isRecord(b) || (typeof b["atLeast"] !== "number" && typeof b["atMost"] !== "number")) r.problem([...at, "bound"], "{ atLeast: number } or { atMost: number }", b);
  const rate = r.num(raw, "rate", at, false);
  const verdicts = raw["verdicts"];
  return {
    kind: "rate",
    statement: r.str(raw, "statement", at, "") ?? "",
    arm: arm(r, raw["arm"], [...at, "arm"]),
    verdicts: Array.isArray(verdicts) ? verdicts.filter((v): v is string => typeof v === "string") : [],
    successes: r.num(raw, "successes", at, true) ?? 0,
    n: r.num(raw, "n", at, true) ?? 0,
    ...(rate !== undefined ? { rate } : {}),
    lo: r.num(raw, "lo", at, true) ?? 0,
    hi: r.num(raw, "hi", at, true) ?? 1,
    bound,
    ...r.numbers(raw, RATE_NUMBERS, at),
    verdict: r.verdict(raw, at),
    reason: r.str(raw, "reason", at, "") ?? "",
  };
}

function claim(r: Reader, raw: unknown, at: Path): ParsedClaim | undefined {
  if (!isRecord(raw)) {
    r.problem(at, "a claim { kind: compare | rate | rank, … }", raw);
    return undefined;
  }
  if (raw["kind"] === "compare") return comparison(r, raw, at);
  if (raw["kind"] === "rate") return rateClaim(r, raw, at);
  if (raw["kind"] === "rank") {
    const pairs = raw["pairs"];
    if (!Array.isArray(pairs)) r.problem([...at, "pairs"], "an array of comparisons", pairs);
    return {
      kind: "rank",
      statement: r.str(raw, "statement", at, "") ?? "",
      pairs: (Array.isArray(pairs) ? pairs : []).flatMap((p: unknown, i) => {
        const c = claim(r, p, [...at, "pairs", i]);
        return c?.kind === "compare" ? [c] : [];
      }),
      verdict: r.verdict(raw, at),
      reason: r.str(raw, "reason", at, "") ?? "",
    };
  }
  r.problem([...at, "kind"], `"compare", "rate" or "rank"`, raw["kind"]);
  return undefined;
}

function finding(r: Reader, raw: unknown, at: Path, budgetLine: string): ParsedFinding | undefined {
  if (!isRecord(raw)) {
    r.problem(at, "a finding { id, title, quote, verdict, claims }", raw);
    return undefined;
  }
  const claims = raw["claims"];
  if (!Array.isArray(claims)) r.problem([...at, "claims"], "an array of claims", claims);
  // Claims first, then the finding's own keys: a finding's issues read from its claims outwards.
  const parsed = (Array.isArray(claims) ? claims : []).flatMap((c: unknown, i) => claim(r, c, [...at, "claims", i]) ?? []);
  const { assumptions, reason } = raw;
  const tests = r.num(raw, "tests", at, false);
  return {
    id: r.str(raw, "id", at) ?? "?",
    title: r.str(raw, "title", at) ?? "",
    quote: r.str(raw, "quote", at, "") ?? "",
    ...(typeof assumptions === "string" && assumptions !== "" ? { assumptions } : {}),
    budgetLine: r.str(raw, "budgetLine", at, budgetLine) ?? budgetLine,
    verdict: r.verdict(raw, at),
    ...(typeof reason === "string" && reason !== "" ? { reason } : {}),
    ...(tests !== undefined ? { tests } : {}),
    claims: parsed,
  };
}

/**
 * A report.json's parsed JSON as a study report, with every issue found.
 * `report` is undefined only when it is not a study report at all (no
 * `findings` array); then the one issue says so.
 *
 * @example
 * const { report, issues } = parseStudyReport(JSON.parse(text));
 * for (const i of issues) console.warn(`${file}: ${formatReportIssue(i)}`);
 */
export function parseStudyReport(json: unknown): { report: ParsedStudyReport | undefined; issues: ReportIssue[] } {
  const r = new Reader();
  if (!isRecord(json) || !Array.isArray(json["findings"])) {
    r.problem(["findings"], "an array of findings (a study report from runner:study)", isRecord(json) ? json["findings"] : json);
    return { report: undefined, issues: r.issues };
  }
  const budget = isRecord(json["budget"]) ? json["budget"] : {};
  const budgetName = typeof budget["name"] === "string" ? budget["name"] : undefined;
  const line = r.str(json, "budgetLine", [], "");
  if (!json["budgetLine"]) r.problem(["budgetLine"], "the budget the report was measured at", json["budgetLine"]);
  const budgetLine = line || (budgetName ?? "unknown budget");
  const findings = json["findings"].flatMap((x: unknown, i) => finding(r, x, ["findings", i], budgetLine) ?? []);
  const runs = json["runs"];
  const text = (k: string) => (typeof json[k] === "string" ? { [k]: json[k] as string } : {});
  return {
    report: {
      ...text("study"),
      ...text("description"),
      budgetLine,
      budget: { ...(budgetName !== undefined ? { name: budgetName } : {}), ...(typeof budget["purpose"] === "string" ? { purpose: budget["purpose"] } : {}) },
      ...text("generatedAt"),
      ...text("commit"),
      ...text("command"),
      ...(isRecord(runs) && typeof runs["planned"] === "number" && typeof runs["finished"] === "number" ? { runs: { planned: runs["planned"], finished: runs["finished"] } } : {}),
      ...text("reference"),
      ...text("positiveControl"),
      findings,
    },
    issues: r.issues,
  };
}
