import cliProgress from "cli-progress";
import Table from "cli-table3";
import type { RunPlan, RunSpec } from "@ganscope/dsl";
import type { RunEvent, RunOutcome } from "@ganscope/training";

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

  /** @param stepsPerEpoch steps of one epoch for a run, for the plan's total */
  constructor(
    private readonly plan: RunPlan,
    private readonly stepsPerEpoch: (spec: RunSpec) => number,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.specs = new Map(plan.runs.map((r) => [r.runId, r]));
    this.tty = Boolean(stream.isTTY);
    if (!this.tty) return;
    this.multibar = new cliProgress.MultiBar(
      {
        stream,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 200,
        format: "{label} |{bar}| {percentage}% | {value}/{total} {unit} | ETA {eta_formatted} {info}",
      },
      cliProgress.Presets.shades_classic,
    );
    const totalSteps = plan.runs.reduce((s, r) => s + r.config.epochs * this.stepsPerEpoch(r), 0);
    this.total = this.multibar.create(totalSteps, 0, { label: "plan".padEnd(28), unit: "steps", info: `${plan.runs.length} runs` });
  }

  private advanceTotal(runId: string, doneInRun: number): void {
    const before = this.stepsDone.get(runId) ?? 0;
    this.stepsDone.set(runId, doneInRun);
    this.total?.increment(doneInRun - before);
  }

  /** A run that will not train (done earlier, or locked) counts as complete. */
  skip(spec: RunSpec, reason: string): void {
    this.advanceTotal(spec.runId, spec.config.epochs * this.stepsPerEpoch(spec));
    this.log(`${spec.runId} ${variedLabel(spec)}: skipped (${reason})`);
  }

  onEvent(e: RunEvent): void {
    const spec = this.specs.get(e.runId);
    if (!spec) return;
    const spe = this.stepsPerEpoch(spec);
    switch (e.type) {
      case "start": {
        this.advanceTotal(e.runId, e.fromEpoch * spe);
        if (e.fromEpoch > 0) this.log(`${e.runId}: resuming after epoch ${e.fromEpoch}`);
        const bar = this.multibar?.create(e.epochs * spe, e.fromEpoch * spe, {
          label: `${e.runId} ${variedLabel(spec)}`.slice(0, 28).padEnd(28),
          unit: "steps",
          info: `epoch ${e.fromEpoch + 1}/${e.epochs}`,
        });
        if (bar) this.bars.set(e.runId, bar);
        break;
      }
      case "progress": {
        const done = (e.epoch - 1) * spe + e.stepsDone;
        this.bars.get(e.runId)?.update(done, { info: `epoch ${e.epoch}/${spec.config.epochs}` });
        this.advanceTotal(e.runId, done);
        break;
      }
      case "epoch": {
        const r = e.record;
        const done = r.epoch * spe;
        this.bars.get(e.runId)?.update(done, { info: `epoch ${r.epoch}/${spec.config.epochs} d=${r.d_loss.toFixed(3)} g=${r.g_loss.toFixed(3)}` });
        this.advanceTotal(e.runId, done);
        if (!this.tty) {
          console.error(
            `${e.runId} ${variedLabel(spec)} epoch ${r.epoch}/${spec.config.epochs}: d_loss=${r.d_loss.toFixed(4)} g_loss=${r.g_loss.toFixed(4)} D(x)=${r.d_real.toFixed(3)} D(G(z))=${r.d_fake.toFixed(3)} ${r.secs.toFixed(1)}s`,
          );
        }
        break;
      }
      case "finish":
        this.advanceTotal(e.runId, spec.config.epochs * spe);
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
    case "failed":
      return `failed: ${o.error.split("\n")[0]}`;
    case "yielded":
      return `given back after epoch ${o.epoch} (resumes where it is picked up next)`;
  }
}

const fmt = (x: number | undefined, digits = 4) => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(digits));

/** The run's verdict from its summary (metrics hook), or "diverged" for a run stopped on NaN/Inf. */
function verdictOf(o: RunOutcome | undefined): string | undefined {
  if (o?.status === "diverged") return "diverged";
  const v = o?.status === "done" ? o.summary?.["verdict"] : undefined;
  return typeof v === "string" ? v : undefined;
}

/**
 * The end-of-plan table: one row per run, in plan order. FID-lite, IS-lite,
 * modes and verdict columns appear when the metrics hook measured them.
 */
export function summaryTable(plan: RunPlan, outcomes: ReadonlyMap<string, RunOutcome>): string {
  const lastOf = (o: RunOutcome | undefined) => (o && "last" in o ? o.last : undefined);
  const runs = plan.runs.map((spec) => ({ spec, o: outcomes.get(spec.runId) }));
  const withMetrics = runs.some(({ o }) => lastOf(o)?.["fid_lite"] !== undefined || verdictOf(o) !== undefined);
  const table = new Table({
    head: [
      "run",
      ...plan.axes.map(String),
      "status",
      "epochs",
      "d_loss",
      "g_loss",
      "D(x)",
      "D(G(z))",
      "s/epoch",
      ...(withMetrics ? ["FID-lite", "IS-lite", "modes", "verdict"] : []),
    ],
    style: { head: [], border: [] },
  });
  for (const { spec, o } of runs) {
    const last = lastOf(o);
    table.push([
      spec.runId,
      ...plan.axes.map((k) => String(spec.varied[k] ?? spec.config[k])),
      o ? describeOutcome(o).split(":")[0]! : "not run",
      last ? `${last.epoch}/${spec.config.epochs}` : `0/${spec.config.epochs}`,
      fmt(last?.d_loss),
      fmt(last?.g_loss),
      fmt(last?.d_real, 3),
      fmt(last?.d_fake, 3),
      o?.status === "done" ? fmt(o.secsPerEpoch, 1) : fmt(last?.secs, 1),
      ...(withMetrics
        ? [fmt(last?.["fid_lite"], 2), fmt(last?.["is_lite"], 2), last?.["modes"] === undefined ? "-" : String(last["modes"]), verdictOf(o) ?? "-"]
        : []),
    ]);
  }
  return table.toString();
}
