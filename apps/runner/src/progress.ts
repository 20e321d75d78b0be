import cliProgress from "cli-progress";
import Table from "cli-table3";
import { shortLabel, type FixedRecordKey, type RunPlan, type RunSpec } from "@ganscope/dsl";
import type { RunOutcome } from "@ganscope/tracking";
import type { RunEvent } from "@ganscope/training";
import { EtaEstimator, formatEta } from "./eta.js";

/** Short "key=value" label of a run's varied values. */
export function variedLabel(spec: RunSpec): string {
  const parts = Object.entries(spec.varied).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length > 0 ? parts.join(" ") : "(baseline)";
}

/**
 * Progress on a terminal: one bar per active run plus the whole plan with its
 * ETA. Without a terminal (CI, logs) it prints one line per epoch instead.
 */
export class PlanProgress {
  private readonly multibar: cliProgress.MultiBar | undefined;
  private readonly total: cliProgress.SingleBar | undefined;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private readonly stepsDone = new Map<string, number>();
  private readonly specs: Map<string, RunSpec>;
  private readonly tty: boolean;
  private readonly planEta = new EtaEstimator();
  private readonly runEtas = new Map<string, EtaEstimator>();
  private totalSteps = 0;
  /** The ETA text; "…" (three bytes) as "..." on an ASCII-only terminal. */
  private readonly eta: (secs: number | undefined) => string;

  /** @param stepsPerEpoch steps of one epoch for a run, for the plan's total */
  constructor(
    private readonly plan: RunPlan,
    private readonly stepsPerEpoch: (spec: RunSpec) => number,
    stream: NodeJS.WriteStream = process.stderr,
    private readonly clock: () => number = () => performance.now() / 1000,
    /** Bars in ASCII (see terminalIsAsciiOnly). */
    ascii: boolean = terminalIsAsciiOnly(stream),
  ) {
    this.eta = ascii ? (secs) => formatEta(secs).replace("…", "...") : formatEta;
    this.specs = new Map(plan.runs.map((r) => [r.runId, r]));
    this.tty = Boolean(stream.isTTY);
    this.totalSteps = plan.runs.reduce((s, r) => s + r.config.epochs * this.stepsPerEpoch(r), 0);
    if (!this.tty) return;
    this.multibar = new cliProgress.MultiBar(
      {
        stream,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 200,
        // {left} is ours (eta.ts): cli-progress's {eta_formatted} counts skipped steps as speed and prints "NFs", and it
        // writes its own `eta` over a payload key of that name (formatter.js), which is why ours is not called eta.
        format: "{label} {bar} {percentage}% {value}/{total} ETA {left} {info}",
        // Lines longer than the terminal are cut (cli-progress' linewrap false): the bar shrinks so that the step count,
        // the ETA and the epoch fit 80 columns; the label (28) and the rest take ~45.
        barsize: Math.max(6, Math.min(40, (stream.columns || 80) - 28 - 46)),
      },
      // shades_classic's █ and ░ are three bytes each; legacy's = and - survive Nx's terminal.
      ascii ? cliProgress.Presets.legacy : cliProgress.Presets.shades_classic,
    );
    this.total = this.multibar.create(this.totalSteps, 0, { label: "plan".padEnd(28), info: `${plan.runs.length} runs`, left: this.eta(undefined) });
  }

  /** The plan's ETA now, from the steps trained in this process (see eta.ts). */
  planEtaSecs(): number | undefined {
    const done = [...this.stepsDone.values()].reduce((a, b) => a + b, 0);
    return this.planEta.eta(this.totalSteps - done);
  }

  /**
   * @param trained whether the steps were trained just now (a progress or
   *   epoch event), or only counted (a skip, the epochs before a resume, the
   *   rest of a run that stopped early): only trained steps make the rate.
   */
  private advanceTotal(runId: string, doneInRun: number, trained: boolean): void {
    const before = this.stepsDone.get(runId) ?? 0;
    this.stepsDone.set(runId, doneInRun);
    const now = this.clock();
    if (trained) {
      this.planEta.trainedSteps(doneInRun - before, now);
      let runEta = this.runEtas.get(runId);
      if (!runEta) this.runEtas.set(runId, (runEta = new EtaEstimator()));
      runEta.trainedSteps(doneInRun - before, now);
    }
    this.total?.increment(doneInRun - before, { left: this.eta(this.planEtaSecs()) });
  }

  private runEta(runId: string, remaining: number): string {
    return this.eta(this.runEtas.get(runId)?.eta(remaining));
  }

  /** A run that will not train (done earlier, or locked) counts as complete. */
  skip(spec: RunSpec, reason: string): void {
    this.advanceTotal(spec.runId, spec.config.epochs * this.stepsPerEpoch(spec), false);
    this.log(`${spec.runId} ${variedLabel(spec)}: skipped (${reason})`);
  }

  onEvent(e: RunEvent): void {
    const spec = this.specs.get(e.runId);
    if (!spec) return;
    const spe = this.stepsPerEpoch(spec);
    switch (e.type) {
      case "start": {
        this.advanceTotal(e.runId, e.fromEpoch * spe, false);
        if (e.fromEpoch > 0) this.log(`${e.runId}: resuming after epoch ${e.fromEpoch}`);
        // A run that starts again (on another worker, after a lost machine) gets a fresh bar, not a second one.
        const old = this.bars.get(e.runId);
        if (old) this.multibar?.remove(old);
        const bar = this.multibar?.create(e.epochs * spe, e.fromEpoch * spe, {
          label: `${e.runId} ${variedLabel(spec)}`.slice(0, 28).padEnd(28),
          info: `epoch ${e.fromEpoch + 1}/${e.epochs}`,
          left: this.eta(undefined),
        });
        if (bar) this.bars.set(e.runId, bar);
        break;
      }
      case "progress": {
        const done = (e.epoch - 1) * spe + e.stepsDone;
        this.advanceTotal(e.runId, done, true);
        this.bars.get(e.runId)?.update(done, { info: `epoch ${e.epoch}/${spec.config.epochs}`, left: this.runEta(e.runId, spec.config.epochs * spe - done) });
        break;
      }
      case "epoch": {
        const r = e.record;
        const done = r.epoch * spe;
        this.advanceTotal(e.runId, done, true);
        this.bars.get(e.runId)?.update(done, { info: `epoch ${r.epoch}/${spec.config.epochs}`, left: this.runEta(e.runId, spec.config.epochs * spe - done) });
        if (!this.tty) {
          console.error(
            `${e.runId} ${variedLabel(spec)} epoch ${r.epoch}/${spec.config.epochs}: d_loss=${fmt(r.d_loss, 4)} g_loss=${fmt(r.g_loss, 4)} D(x)=${fmt(r.d_real, 3)} D(G(z))=${fmt(r.d_fake, 3)} ${fmt(r.secs, 1)}s`,
          );
        }
        break;
      }
      case "notice":
        this.log(`note: ${e.message}`);
        break;
      case "finish":
        this.advanceTotal(e.runId, spec.config.epochs * spe, false);
        this.bars.get(e.runId)?.update({ left: this.eta(0) });
        if (e.outcome.status !== "done") this.log(`${e.runId} ${variedLabel(spec)}: ${describeOutcome(e.outcome)}`);
        break;
    }
  }

  log(line: string): void {
    if (this.multibar) this.multibar.log(line + "\n");
    else console.error(line);
  }

  stop(): void {
    this.multibar?.stop();
  }
}

function describeOutcome(o: RunOutcome): string {
  switch (o.status) {
    case "done":
      return "done";
    case "skipped":
      return `skipped (${o.reason})`;
    case "diverged":
      return `diverged at epoch ${o.epoch}`;
    case "stopped":
      return `stopped at epoch ${o.epoch}: ${o.reason}`;
    case "failed":
      return `failed: ${o.error.split("\n")[0]}`;
    case "yielded":
      return `given back after epoch ${o.epoch} (resumes where it is picked up next)`;
  }
}

/**
 * A statistic as the log line and the table print it: "-" where there is
 * none; a diverged run's NaN (which comes back from a worker's JSON as null)
 * and infinities as NaN / Infinity, never a crash.
 */
function fmt(x: number | null | undefined, digits = 4): string {
  if (x === undefined) return "-";
  return x !== null && Number.isFinite(x) ? x.toFixed(digits) : String(x ?? Number.NaN);
}

/** The run's verdict from its summary (metrics hook), or "diverged" for a run stopped on NaN/Inf. */
function verdictOf(o: RunOutcome | undefined): string | undefined {
  if (o?.status === "diverged") return "diverged";
  const v = o?.status === "done" || o?.status === "stopped" ? o.summary?.["verdict"] : undefined;
  return typeof v === "string" ? v : undefined;
}

/** What summary.json says of a run the plan skipped (it trained earlier): its verdict and speed then. */
export interface StoredSummary {
  verdict?: unknown;
  secsPerEpoch?: unknown;
}

const BOX_CHARS = ["top", "top-mid", "top-left", "top-right", "bottom", "bottom-mid", "bottom-left", "bottom-right", "left", "left-mid", "mid", "mid-mid", "right", "right-mid", "middle"] as const;

/** cli-table3's frame in ASCII: for a terminal that cannot be trusted with multi-byte characters (see terminalIsAsciiOnly). */
const ASCII_FRAME: Readonly<Record<(typeof BOX_CHARS)[number], string>> = {
  top: "-",
  "top-mid": "+",
  "top-left": "+",
  "top-right": "+",
  bottom: "-",
  "bottom-mid": "+",
  "bottom-left": "+",
  "bottom-right": "+",
  left: "|",
  "left-mid": "+",
  mid: "-",
  "mid-mid": "+",
  right: "|",
  "right-mid": "+",
  middle: "|",
};

/**
 * Whether the terminal is Nx's pseudo terminal, which corrupts multi-byte
 * characters: `nx run` (the README's `nx run runner:exp`) runs the command in
 * a pty and copies its output to the real terminal chunk by chunk, decoding
 * each chunk as UTF-8 on its own (String::from_utf8_lossy in nx 24.0.6's
 * pseudo_terminal.rs), so a box-drawing character cut by a chunk boundary
 * prints as U+FFFD (nrwl/nx#32364). The table's borders and bars are all
 * three-byte characters, so on Nx's terminal they are drawn in ASCII. Nx
 * marks every task's environment with NX_TASK_TARGET_PROJECT, and only its pty
 * makes the stream a terminal (piped, as in CI or a test, Nx decodes the
 * stream whole and nothing is cut). GANSCOPE_ASCII=1 or 0 overrides.
 */
export function terminalIsAsciiOnly(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env["GANSCOPE_ASCII"] === "1") return true;
  if (env["GANSCOPE_ASCII"] === "0") return false;
  return Boolean(stream.isTTY) && env["NX_TASK_TARGET_PROJECT"] !== undefined;
}

/** The record's columns, in table order, with the digits each is shown to; headers are the record schema's short labels. */
const STAT_COLUMNS = [
  ["d_loss", 4],
  ["g_loss", 4],
  ["d_real", 3],
  ["d_fake", 3],
] as const satisfies readonly (readonly [FixedRecordKey, number])[];
const METRIC_COLUMNS = [
  ["fid_lite", 2],
  ["kid", 3],
  ["density", 3],
  ["coverage", 3],
  ["is_lite", 2],
  ["modes", 0],
] as const satisfies readonly (readonly [FixedRecordKey, number])[];

/** Columns left out first when the table is wider than the terminal, least telling first. */
const DROP_ORDER = [shortLabel("d_real"), shortLabel("d_fake"), shortLabel("is_lite"), shortLabel("density"), shortLabel("g_loss"), shortLabel("kid"), "epochs", shortLabel("secs"), shortLabel("d_loss"), shortLabel("modes"), shortLabel("coverage")];

/**
 * The end-of-plan table: one row per run, in plan order. FID-lite, IS-lite,
 * modes and verdict columns appear when the metrics hook measured them. A
 * skipped run shows the verdict and s/epoch its summary.json recorded when it
 * trained. Given a terminal width, columns are left out (DROP_ORDER, said
 * under the table) until it fits instead of wrapping. `ascii` draws the
 * frame in ASCII (see terminalIsAsciiOnly).
 */
export function summaryTable(
  plan: RunPlan,
  outcomes: ReadonlyMap<string, RunOutcome>,
  options: { width?: number; summaries?: ReadonlyMap<string, StoredSummary>; ascii?: boolean } = {},
): string {
  const lastOf = (o: RunOutcome | undefined) => (o && "last" in o ? o.last : undefined);
  const stored = (runId: string) => options.summaries?.get(runId);
  const verdict = (runId: string, o: RunOutcome | undefined) => {
    const v = verdictOf(o) ?? (o?.status === "skipped" ? stored(runId)?.verdict : undefined);
    return typeof v === "string" ? v : undefined;
  };
  const secsPerEpoch = (runId: string, o: RunOutcome | undefined): number | undefined => {
    if (o?.status === "done" || o?.status === "stopped") return o.secsPerEpoch;
    const s = o?.status === "skipped" ? stored(runId)?.secsPerEpoch : undefined;
    return typeof s === "number" ? s : lastOf(o)?.secs;
  };
  const runs = plan.runs.map((spec) => ({ spec, o: outcomes.get(spec.runId) }));
  const withMetrics = runs.some(({ spec, o }) => lastOf(o)?.fid_lite !== undefined || verdict(spec.runId, o) !== undefined);
  const head = [
    "run",
    ...plan.axes.map(String),
    "status",
    "epochs",
    ...STAT_COLUMNS.map(([k]) => shortLabel(k)),
    shortLabel("secs"),
    ...(withMetrics ? [...METRIC_COLUMNS.map(([k]) => shortLabel(k)), "verdict"] : []),
  ];
  const rows = runs.map(({ spec, o }) => {
    const last = lastOf(o);
    return [
      spec.runId,
      ...plan.axes.map((k) => String(spec.varied[k] ?? spec.config[k])),
      // A skip's reason was logged when it happened; the table keeps the column narrow.
      o ? (o.status === "skipped" ? "skipped" : describeOutcome(o).split(":")[0]!) : "not run",
      last ? `${last.epoch}/${spec.config.epochs}` : `0/${spec.config.epochs}`,
      ...STAT_COLUMNS.map(([k, digits]) => fmt(last?.[k], digits)),
      fmt(secsPerEpoch(spec.runId, o), 1),
      ...(withMetrics ? [...METRIC_COLUMNS.map(([k, digits]) => fmt(last?.[k], digits)), verdict(spec.runId, o) ?? "-"] : []),
    ];
  });
  const render = (keep: readonly number[], borders = true) => {
    const table = new Table({
      head: keep.map((i) => head[i]!),
      style: { head: [], border: [], ...(borders ? {} : { "padding-left": 0, "padding-right": 2 }) },
      // Last resort on a narrow terminal: no box, which saves three columns per column.
      ...(borders ? (options.ascii ? { chars: ASCII_FRAME } : {}) : { chars: Object.fromEntries(BOX_CHARS.map((c) => [c, ""])) }),
    });
    for (const r of rows) table.push(keep.map((i) => r[i]!));
    return table.toString();
  };
  const widthOf = (text: string) => Math.max(...text.split("\n").map((l) => [...l].length));
  let keep = head.map((_, i) => i);
  let text = render(keep);
  const dropped: string[] = [];
  for (const name of DROP_ORDER) {
    if (options.width === undefined || widthOf(text) <= options.width) break;
    const i = head.indexOf(name);
    if (i < 0) continue;
    keep = keep.filter((k) => k !== i);
    dropped.push(name);
    text = render(keep);
  }
  if (options.width !== undefined && widthOf(text) > options.width) text = render(keep, false).split("\n").map((l) => l.trimEnd()).join("\n");
  return dropped.length > 0 ? `${text}\n(left out to fit ${options.width} columns: ${dropped.join(", ")})` : text;
}
