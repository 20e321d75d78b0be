import { promises as fs } from "node:fs";
import path from "node:path";
import type { ArmRunRef, ArmView, ClaimView, CompareClaimView, ExperimentView, FindingView, RankClaimView, RateClaimView, SampleRef, StudyView } from "./site-data.js";

/**
 * Study reports for the Findings page: every `<results>/<study>/report.json`
 * that `runner:study` wrote (libs/findings' StudyReport), checked for what
 * the page reads. Read-only, like the store reader. A report that is not one
 * is a warning naming the file, the key and what was expected; a bad finding
 * inside a good report is shown with what could be read, and said.
 */

export const REPORT_FILE = "report.json";

type Json = Record<string, unknown>;

function isRecord(x: unknown): x is Json {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function kindOf(x: unknown): string {
  return x === undefined ? "nothing" : x === null ? "null" : Array.isArray(x) ? "an array" : typeof x;
}

/** Reads fields of one report, collecting what is wrong as `<file>: <key>: expected …, got …`. */
class Fields {
  constructor(
    private readonly file: string,
    private readonly problems: string[],
  ) {}

  problem(key: string, expected: string, got: unknown): void {
    this.problems.push(`${this.file}: ${key}: expected ${expected}, got ${kindOf(got)}`);
  }

  str(o: Json, key: string, at: string, fallback?: string): string | undefined {
    const v = o[key];
    if (typeof v === "string") return v;
    if (typeof v === "number") return String(v);
    if (fallback === undefined) this.problem(`${at}.${key}`, "a string", v);
    return fallback;
  }

  num(o: Json, key: string, at: string, required: boolean): number | undefined {
    const v = o[key];
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (required || (v !== undefined && v !== null)) this.problem(`${at}.${key}`, "a number", v);
    return undefined;
  }
}

/** Where each run's grids went in the site, to show an arm's median-run grid. */
export type SampleIndex = (experiment: string, runId: string) => readonly SampleRef[] | undefined;

interface Context {
  f: Fields;
  samples: SampleIndex;
  experiments: ReadonlyMap<string, ExperimentView>;
  seen: Set<string>;
}

function armRuns(raw: unknown, at: string, ctx: Context): ArmRunRef[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    ctx.f.problem(`${at}.runs`, "an array of { experiment, runId, seed, value? }", raw);
    return undefined;
  }
  const out: ArmRunRef[] = [];
  raw.forEach((r: unknown, i) => {
    if (!isRecord(r) || typeof r.experiment !== "string" || typeof r.runId !== "string") {
      ctx.f.problem(`${at}.runs[${i}]`, "{ experiment: string, runId: string }", r);
      return;
    }
    out.push({
      experiment: r.experiment,
      runId: r.runId,
      seed: typeof r.seed === "number" ? r.seed : null,
      ...(typeof r.value === "number" && Number.isFinite(r.value) ? { value: r.value } : {}),
      ...(typeof r.verdict === "string" ? { verdict: r.verdict } : {}),
      ...(r.imputed === true ? { imputed: true } : {}),
    });
  });
  return out;
}

/**
 * A report written before arms listed their runs names only the median run:
 * its config less the seed, over every seed in its experiment, stands in (an
 * arm that pools several configs then shows one of them; the page says so).
 */
function inferRuns(median: ArmView["medianRun"], ctx: Context): ArmRunRef[] {
  if (!median) return [];
  const exp = ctx.experiments.get(median.experiment);
  const own = exp?.runs.find((r) => r.runId === median.runId);
  if (!exp || !own) return [{ experiment: median.experiment, runId: median.runId, seed: null, value: median.value }];
  const key = (v: Record<string, unknown>) => JSON.stringify(Object.keys(v).filter((k) => k !== "seed").sort().map((k) => [k, v[k]]));
  const mine = key(own.varied);
  return exp.runs
    .filter((r) => key(r.varied) === mine)
    .map((r) => ({ experiment: exp.name, runId: r.runId, seed: typeof r.varied.seed === "number" ? r.varied.seed : null, ...(r.runId === median.runId ? { value: median.value } : {}) }));
}

function arm(raw: unknown, at: string, ctx: Context): ArmView {
  if (!isRecord(raw)) {
    ctx.f.problem(at, "an arm { label, n, runs, … }", raw);
    return { label: "?", n: 0, strata: 0, minSeeds: 0, missing: 0, runs: [] };
  }
  let medianRun: ArmView["medianRun"];
  const m = raw.medianRun;
  if (isRecord(m) && typeof m.experiment === "string" && typeof m.runId === "string" && typeof m.value === "number") {
    // The report names the grid by its path where it was written (maybe another machine); the site has the run's grids by run.
    const name = typeof m.sample === "string" ? path.basename(m.sample) : undefined;
    const sample = name ? ctx.samples(m.experiment, m.runId)?.find((s) => path.basename(s.src) === name) : undefined;
    medianRun = { experiment: m.experiment, runId: m.runId, value: m.value, ...(sample ? { sample } : {}) };
  } else if (m !== undefined) ctx.f.problem(`${at}.medianRun`, "{ experiment, runId, value }", m);
  const listed = armRuns(raw.runs, at, ctx);
  const runs = listed ?? inferRuns(medianRun, ctx);
  for (const r of runs) ctx.seen.add(r.experiment);
  const mean = ctx.f.num(raw, "mean", at, false);
  const iqm = ctx.f.num(raw, "iqm", at, false);
  const counts = (key: string): Record<string, number> | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (!isRecord(v) || !Object.values(v).every((n) => typeof n === "number" && Number.isInteger(n) && n >= 0)) {
      ctx.f.problem(`${at}.${key}`, "{ <verdict or reason>: runs }", v);
      return undefined;
    }
    return v as Record<string, number>;
  };
  const verdicts = counts("verdicts");
  const missingWhy = counts("missingWhy");
  const newer = optionalNumbers(raw, ["imputed", "judged"] as const, at, ctx);
  return {
    label: ctx.f.str(raw, "label", at) ?? "?",
    n: ctx.f.num(raw, "n", at, true) ?? 0,
    strata: ctx.f.num(raw, "strata", at, false) ?? 0,
    minSeeds: ctx.f.num(raw, "minSeeds", at, false) ?? 0,
    missing: ctx.f.num(raw, "missing", at, false) ?? 0,
    ...newer,
    ...(verdicts ? { verdicts } : {}),
    ...(missingWhy ? { missingWhy } : {}),
    ...(mean !== undefined ? { mean } : {}),
    ...(iqm !== undefined ? { iqm } : {}),
    runs,
    ...(Array.isArray(raw.notTrained) && raw.notTrained.length > 0 ? { notTrained: raw.notTrained.filter((x): x is string => typeof x === "string") } : {}),
    ...(listed === undefined && runs.length > 0 ? { runsInferred: true } : {}),
    ...(medianRun ? { medianRun } : {}),
  };
}

function verdictOf(raw: Json, at: string, ctx: Context): string {
  const v = raw.verdict;
  // The findings lib writes "untested" for what its budget could not train, "undecidable" for what its runs' verdicts say it learned nothing about.
  if (typeof v === "string" && v !== "") return /^(untested|not[ _]tested)$/.test(v) ? "not tested" : v === "undecidable" ? "not decidable at this budget" : v.replace(/_/g, " ");
  ctx.f.problem(`${at}.verdict`, "confirmed | refuted | inconclusive | untested | undecidable", v);
  return "inconclusive";
}

/** The minimum detectable effect of a comparison, when the report has one. */
function mdeOf(raw: Json, at: string, ctx: Context): Pick<CompareClaimView, "mde"> {
  const m = raw.mde;
  if (m === undefined) return {};
  const keys = ["d", "value", "pooledSd", "alpha", "power"] as const;
  if (!isRecord(m) || !keys.every((k) => typeof m[k] === "number" && Number.isFinite(m[k]))) {
    ctx.f.problem(`${at}.mde`, "{ d, value, pooledSd, alpha, power }", m);
    return {};
  }
  return { mde: { d: m.d as number, value: m.value as number, pooledSd: m.pooledSd as number, alpha: m.alpha as number, power: m.power as number } };
}

const P_KEYS = ["p", "pClaimed", "pReverse", "pAdjusted", "family"] as const;

function optionalNumbers<K extends string>(raw: Json, keys: readonly K[], at: string, ctx: Context): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const k of keys) {
    const v = ctx.f.num(raw, k, at, false);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function compareClaim(raw: Json, at: string, ctx: Context): CompareClaimView {
  const direction = raw.direction === "higher" ? "higher" : "lower";
  if (raw.direction !== "higher" && raw.direction !== "lower") ctx.f.problem(`${at}.direction`, `"lower" or "higher"`, raw.direction);
  return {
    kind: "compare",
    statement: ctx.f.str(raw, "statement", at, "") ?? "",
    metric: ctx.f.str(raw, "metric", at) ?? "",
    direction,
    a: arm(raw.a, `${at}.a`, ctx),
    b: arm(raw.b, `${at}.b`, ctx),
    ...(typeof raw.test === "string" ? { test: raw.test } : {}),
    ...optionalNumbers(raw, ["effect", "lo", "hi", "df", "bootstrapLo", "bootstrapHi", "probabilityOfImprovement", ...P_KEYS] as const, at, ctx),
    ...mdeOf(raw, at, ctx),
    verdict: verdictOf(raw, at, ctx),
    reason: ctx.f.str(raw, "reason", at, "") ?? "",
    ...(typeof raw.note === "string" && raw.note !== "" ? { note: raw.note } : {}),
  };
}

function claim(raw: unknown, at: string, ctx: Context): ClaimView | undefined {
  if (!isRecord(raw)) {
    ctx.f.problem(at, "a claim { kind: compare | rate | rank, … }", raw);
    return undefined;
  }
  if (raw.kind === "compare") return compareClaim(raw, at, ctx);
  if (raw.kind === "rate") {
    const b = raw.bound;
    const bound: RateClaimView["bound"] = isRecord(b) && typeof b.atMost === "number" ? { atMost: b.atMost } : { atLeast: isRecord(b) && typeof b.atLeast === "number" ? b.atLeast : 0.5 };
    if (!isRecord(b) || (typeof b.atLeast !== "number" && typeof b.atMost !== "number")) ctx.f.problem(`${at}.bound`, "{ atLeast: number } or { atMost: number }", b);
    const rate = ctx.f.num(raw, "rate", at, false);
    const view: RateClaimView = {
      kind: "rate",
      statement: ctx.f.str(raw, "statement", at, "") ?? "",
      arm: arm(raw.arm, `${at}.arm`, ctx),
      verdicts: Array.isArray(raw.verdicts) ? raw.verdicts.filter((v): v is string => typeof v === "string") : [],
      successes: ctx.f.num(raw, "successes", at, true) ?? 0,
      n: ctx.f.num(raw, "n", at, true) ?? 0,
      ...(rate !== undefined ? { rate } : {}),
      lo: ctx.f.num(raw, "lo", at, true) ?? 0,
      hi: ctx.f.num(raw, "hi", at, true) ?? 1,
      bound,
      ...optionalNumbers(raw, [...P_KEYS, "detectableRate"] as const, at, ctx),
      verdict: verdictOf(raw, at, ctx),
      reason: ctx.f.str(raw, "reason", at, "") ?? "",
    };
    return view;
  }
  if (raw.kind === "rank") {
    if (!Array.isArray(raw.pairs)) ctx.f.problem(`${at}.pairs`, "an array of comparisons", raw.pairs);
    const pairs = (Array.isArray(raw.pairs) ? raw.pairs : []).flatMap((p: unknown, i) => {
      const c = claim(p, `${at}.pairs[${i}]`, ctx);
      return c?.kind === "compare" ? [c] : [];
    });
    const view: RankClaimView = { kind: "rank", statement: ctx.f.str(raw, "statement", at, "") ?? "", pairs, verdict: verdictOf(raw, at, ctx), reason: ctx.f.str(raw, "reason", at, "") ?? "" };
    return view;
  }
  ctx.f.problem(`${at}.kind`, `"compare", "rate" or "rank"`, raw.kind);
  return undefined;
}

function findingOf(raw: unknown, at: string, ctx: Context, budgetLine: string): FindingView | undefined {
  if (!isRecord(raw)) {
    ctx.f.problem(at, "a finding { id, title, quote, verdict, claims }", raw);
    return undefined;
  }
  if (!Array.isArray(raw.claims)) ctx.f.problem(`${at}.claims`, "an array of claims", raw.claims);
  const claims = (Array.isArray(raw.claims) ? raw.claims : []).flatMap((c: unknown, i) => claim(c, `${at}.claims[${i}]`, ctx) ?? []);
  const assumptions = typeof raw.assumptions === "string" ? raw.assumptions : undefined;
  const reason = typeof raw.reason === "string" ? raw.reason : undefined;
  const tests = ctx.f.num(raw, "tests", at, false);
  return {
    id: ctx.f.str(raw, "id", at) ?? "?",
    title: ctx.f.str(raw, "title", at) ?? "",
    quote: ctx.f.str(raw, "quote", at, "") ?? "",
    ...(assumptions ? { assumptions } : {}),
    budgetLine: ctx.f.str(raw, "budgetLine", at, budgetLine) ?? budgetLine,
    verdict: verdictOf(raw, at, ctx),
    ...(reason ? { reason } : {}),
    ...(tests !== undefined ? { tests } : {}),
    claims,
  };
}

/** One report.json; undefined (with a warning) when it is not a study report at all. */
export function studyOf(raw: unknown, file: string, folder: string, samples: SampleIndex, experiments: ReadonlyMap<string, ExperimentView>, warnings: string[]): StudyView | undefined {
  if (!isRecord(raw) || !Array.isArray(raw.findings)) {
    warnings.push(`${file}: findings: expected an array of findings (a study report from runner:study), got ${isRecord(raw) ? kindOf(raw.findings) : kindOf(raw)}; study not shown`);
    return undefined;
  }
  const f = new Fields(file, warnings);
  const ctx: Context = { f, samples, experiments, seen: new Set() };
  const budget = isRecord(raw.budget) ? raw.budget : {};
  const budgetLine = f.str(raw, "budgetLine", "report", "") || (typeof budget.name === "string" ? budget.name : "unknown budget");
  if (!raw.budgetLine) f.problem("report.budgetLine", "the budget the report was measured at", raw.budgetLine);
  const findings = raw.findings.flatMap((x: unknown, i) => findingOf(x, `findings[${i}]`, ctx, budgetLine) ?? []);
  const runs = isRecord(raw.runs) && typeof raw.runs.planned === "number" && typeof raw.runs.finished === "number" ? { planned: raw.runs.planned, finished: raw.runs.finished } : undefined;
  const optional = (k: string) => (typeof raw[k] === "string" ? (raw[k] as string) : undefined);
  const [generatedAt, commit, command, reference, positiveControl] = [optional("generatedAt"), optional("commit"), optional("command"), optional("reference"), optional("positiveControl")];
  return {
    name: typeof raw.study === "string" && raw.study !== "" ? raw.study : folder,
    description: typeof raw.description === "string" ? raw.description : "",
    budgetLine,
    budgetName: typeof budget.name === "string" ? budget.name : budgetLine.split(":")[0] ?? "",
    ...(typeof budget.purpose === "string" ? { budgetPurpose: budget.purpose } : {}),
    ...(generatedAt ? { generatedAt } : {}),
    ...(commit ? { commit } : {}),
    ...(command ? { command } : {}),
    ...(runs ? { runs } : {}),
    ...(reference ? { reference } : {}),
    ...(positiveControl ? { positiveControl } : {}),
    findings,
    experiments: [...ctx.seen].sort(),
    reportFile: file,
  };
}

/** Every `<root>/<folder>/report.json`, in folder order. A missing root has none. */
export async function readStudies(root: string, samples: SampleIndex, experiments: readonly ExperimentView[], warnings: string[]): Promise<StudyView[]> {
  let names: string[];
  try {
    names = (await fs.readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).sort();
  } catch {
    return []; // the store reader already said what is wrong with the root
  }
  const byName = new Map(experiments.map((e) => [e.name, e]));
  const out: StudyView[] = [];
  for (const name of names) {
    const file = path.join(root, name, REPORT_FILE);
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") warnings.push(`${file}: ${(e as Error).message}`);
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      warnings.push(`${file}: not valid JSON (${(e as Error).message}); study not shown`);
      continue;
    }
    const study = studyOf(raw, file, name, samples, byName, warnings);
    if (study) out.push(study);
  }
  return out;
}
