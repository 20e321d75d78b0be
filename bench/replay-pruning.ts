/**
 * The pruning replay: applies ganscope's stop policy and successive halving
 * offline to the recorded curves of a sweep that was trained to the end
 * (bench/replay-sweep.exp.ts), and reports the epochs each policy would have
 * saved and whether it would have stopped any of the runs that end best.
 *
 *   npx tsx apps/runner/src/main.ts exp --file bench/replay-sweep.exp.ts --results /tmp/replay/store
 *   npx tsx bench/replay-pruning.ts --results /tmp/replay/store --experiment replay-same-lr [--workers 2]
 *
 * Halving is asynchronous, so when a run reaches a rung depends on the
 * schedule: the replay simulates the runner — `--workers` workers taking runs
 * in plan order, each epoch lasting what it lasted when it was recorded — and
 * decides every rung against the runs that had reached it by then, with the
 * same functions trainRun calls (@ganscope/training's stopDecision, halvingDecision).
 */
import { Command } from "commander";
import path from "node:path";
import { resolveStopPolicy, type HalvingPolicy, type ResolvedStopPolicy } from "@ganscope/dsl";
import { RunStore, type EpochRecord } from "@ganscope/tracking";
import { halvingDecision, stopDecision } from "@ganscope/training";

const opts = new Command()
  .requiredOption("--results <dir>", "run store holding the sweep")
  .requiredOption("--experiment <name>", "the sweep's experiment")
  .option("--workers <n>", "workers of the simulated runner", "2")
  .option("--json <file>", "also write the figures as JSON")
  .parse()
  .opts<{ results: string; experiment: string; workers: string; json?: string }>();

const store = new RunStore(path.resolve(opts.results));
const plan = await store.readPlan(opts.experiment);
if (!plan) throw new Error(`${opts.results}: no plan.json for experiment ${opts.experiment}`);
const curves = new Map<string, EpochRecord[]>();
for (const r of plan.runs) curves.set(r.runId, await store.run(opts.experiment, r.runId).peekRecords());
const target = Math.max(...[...curves.values()].map((c) => c.length));
const complete = [...curves].filter(([, c]) => c.length === target);
if (complete.length < curves.size) console.error(`warning: ${curves.size - complete.length} runs have fewer than ${target} epochs; they are replayed as recorded`);

const finalFid = (c: readonly EpochRecord[]) => [...c].reverse().find((r) => typeof r["fid_lite"] === "number")?.["fid_lite"] ?? NaN;
const ranked = [...curves].sort(([, a], [, b]) => (Number.isNaN(finalFid(a)) ? 1 : Number.isNaN(finalFid(b)) ? -1 : finalFid(a) - finalFid(b)));
const top3 = ranked.slice(0, 3).map(([id]) => id);

interface Outcome {
  epochs: number;
  stoppedBy?: string;
}

/** The runner, simulated: workers take runs in plan order; after each epoch the policies decide, as in trainRun. */
function replay(stop: ResolvedStopPolicy, halving: HalvingPolicy | undefined, workers: number): Map<string, Outcome> {
  const ids = plan!.runs.map((r) => r.runId);
  const progress = new Map<string, number>(ids.map((id) => [id, 0]));
  const outcomes = new Map<string, Outcome>();
  const queue = [...ids];
  // Each worker: the run it trains and the simulated time its current epoch ends.
  const active: { id: string; endsAt: number }[] = [];
  let now = 0;
  const secsOf = (id: string, epoch: number) => curves.get(id)![epoch - 1]?.secs ?? 1;
  const start = () => {
    while (active.length < workers && queue.length > 0) {
      const id = queue.shift()!;
      active.push({ id, endsAt: now + secsOf(id, 1) });
    }
  };
  start();
  while (active.length > 0) {
    active.sort((a, b) => a.endsAt - b.endsAt);
    const next = active.shift()!;
    now = next.endsAt;
    const curve = curves.get(next.id)!;
    const epoch = progress.get(next.id)! + 1;
    progress.set(next.id, epoch);
    const own = curve.slice(0, epoch);
    const peers = new Map(ids.filter((id) => id !== next.id).map((id) => [id, curves.get(id)!.slice(0, progress.get(id)!)]));
    const decision = stopDecision(stop, own) ?? (halving ? halvingDecision(halving, epoch, curve.length, own, peers) : undefined);
    if (decision || epoch >= curve.length) {
      outcomes.set(next.id, { epochs: epoch, ...(decision ? { stoppedBy: `${decision.by} at ${epoch}` } : {}) });
      start();
    } else {
      active.push({ id: next.id, endsAt: now + secsOf(next.id, epoch + 1) });
    }
  }
  return outcomes;
}

const workers = Number(opts.workers);
const full = [...curves.values()].reduce((n, c) => n + c.length, 0);
const policies: { name: string; stop: ResolvedStopPolicy; halving?: HalvingPolicy }[] = [
  { name: "default stop policy (saturated 5 epochs)", stop: resolveStopPolicy(undefined) },
  { name: "stop: saturated 3 epochs, collapsed 3 evaluations", stop: resolveStopPolicy({ saturated: 3, collapsed: 3 }) },
  { name: "halving fid_lite rungs [4, 10, 20] keep 1/2", stop: null, halving: { metric: "fid_lite", rungs: [4, 10, 20], keep: 1 / 2 } },
  { name: "halving fid_lite rungs [4, 10, 20] keep 1/3", stop: null, halving: { metric: "fid_lite", rungs: [4, 10, 20], keep: 1 / 3 } },
  { name: "halving fid_lite rungs [8, 16] keep 1/2", stop: null, halving: { metric: "fid_lite", rungs: [8, 16], keep: 1 / 2 } },
  { name: "halving fid_lite rungs [10, 20] keep 1/2", stop: null, halving: { metric: "fid_lite", rungs: [10, 20], keep: 1 / 2 } },
  { name: "halving fid_lite rungs [10, 20] keep 1/3", stop: null, halving: { metric: "fid_lite", rungs: [10, 20], keep: 1 / 3 } },
  { name: "default stop + halving [4, 10, 20] keep 1/2", stop: resolveStopPolicy(undefined), halving: { metric: "fid_lite", rungs: [4, 10, 20], keep: 1 / 2 } },
  { name: "default stop + halving [4, 10, 20] keep 1/3", stop: resolveStopPolicy(undefined), halving: { metric: "fid_lite", rungs: [4, 10, 20], keep: 1 / 3 } },
];

console.log(`sweep ${opts.experiment}: ${curves.size} runs × ${target} epochs (${full} epochs recorded), replayed on ${workers} simulated workers`);
console.log(`final top 3 by FID-lite at epoch ${target}: ${ranked.slice(0, 3).map(([id, c]) => `${id} (${finalFid(c).toFixed(1)}; ${label(id)})`).join(", ")}`);
console.log("");
console.log("| policy | epochs trained | saved | runs stopped | top-3 stopped |");
console.log("|---|---|---|---|---|");
const rows = [];
for (const p of policies) {
  const out = replay(p.stop, p.halving, workers);
  const trained = [...out.values()].reduce((n, o) => n + o.epochs, 0);
  const stopped = [...out].filter(([, o]) => o.stoppedBy);
  const topStopped = top3.filter((id) => out.get(id)?.stoppedBy);
  rows.push({ policy: p.name, trained, full, saved: 1 - trained / full, stopped: stopped.length, topStopped: topStopped.length, stops: Object.fromEntries(stopped.map(([id, o]) => [id, o.stoppedBy])) });
  console.log(`| ${p.name} | ${trained} / ${full} | ${(100 * (1 - trained / full)).toFixed(1)}% | ${stopped.length} | ${topStopped.length} of 3${topStopped.length ? ` (${topStopped.map(label).join("; ")})` : ""} |`);
}
console.log("");
console.log("per run: final FID-lite, where each policy stopped it");
for (const [id, c] of ranked) console.log(`  ${id} ${label(id).padEnd(32)} ${finalFid(c).toFixed(1).padStart(7)}  ${rows.map((r) => (r.stops[id] ?? "-").padEnd(14)).join(" ")}`);
if (opts.json) {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(opts.json, JSON.stringify({ experiment: opts.experiment, runs: curves.size, epochs: target, workers, top3, rows }, null, 2));
}

function label(id: string): string {
  const varied = plan!.runs.find((r) => r.runId === id)?.varied ?? {};
  return Object.entries(varied).map(([k, v]) => `${k}=${String(v)}`).join(" ");
}
