/**
 * A run's states, and the rules read from them (after Optuna's TrialState
 * and its is_finished): whether a run is settled for a target, where it
 * stands (is anyone training it), and what a training attempt's outcome says
 * of it. The trainer, the study, the runner's checks, the queue, the index
 * and the dashboard ask here instead of deciding for themselves, so a run
 * done to 4 epochs asked for 6 is unsettled everywhere, and a killed run is
 * interrupted everywhere.
 *
 * Loads nothing (no node modules), so the dashboard's browser code can import
 * the vocabularies (`@ganscope/tracking/run-state`); the caller passes in how
 * to tell a live process (`localLiveness()` in the main entry).
 */
import type { RecordValues } from "@ganscope/dsl/record-schema";

/**
 * status.json's states: `running` (a process took it; whether one still does
 * is its {@link standing}), `done` (to `epochsDone` epochs), `failed`
 * (including diverged runs; `error` says why), `stopped` (ended early by a
 * stop policy or successive halving; it keeps its checkpoint and can be
 * extended).
 */
export const RUN_STATES = ["running", "done", "failed", "stopped"] as const;
export type RunState = (typeof RUN_STATES)[number];

/**
 * Where a run stands, as the index, the MLflow sync and the dashboard show
 * it, in the dashboard's order: status.json's state read against its lock
 * (`running` only while a live process holds the lock, else `interrupted`:
 * killed, the next runner resumes it), plus `pending` (planned, no status
 * yet).
 */
export const STANDINGS = ["done", "stopped", "running", "interrupted", "failed", "pending"] as const;
export type Standing = (typeof STANDINGS)[number];

/** How many runs stand each way; every standing is a key, zero included. */
export function countStandings(runs: Iterable<{ readonly state: Standing }>): Record<Standing, number> {
  const counts = Object.fromEntries(STANDINGS.map((s) => [s, 0])) as Record<Standing, number>;
  for (const r of runs) counts[r.state]++;
  return counts;
}

/** What the rule reads of a status.json. */
export interface SettledInput {
  readonly state: RunState;
  readonly epochsDone: number;
  readonly stopReason?: string;
}

export interface SettledOptions {
  /** Extend `stopped` runs (the runner's --resume-stopped): then a stopped run is not settled. */
  readonly resumeStopped?: boolean;
}

/**
 * Why a run needs no training for a target of `target` epochs ("done to 6
 * epochs", "stopped at epoch 3: …"), or undefined when it does: no status
 * yet, running or failed, done to fewer epochs (it is extended), or stopped
 * while stopped runs are resumed. Run ids ignore the schedule, so a run done
 * to more epochs than asked is settled (it reports the asked epoch).
 */
export function settled(status: SettledInput | undefined, target: number, options: SettledOptions = {}): string | undefined {
  if (status === undefined) return undefined;
  if (status.state === "done" && status.epochsDone >= target) return `done to ${status.epochsDone} epoch${status.epochsDone === 1 ? "" : "s"}`;
  if (status.state === "stopped" && !options.resumeStopped) return `stopped at epoch ${status.epochsDone}${status.stopReason ? `: ${status.stopReason}` : ""} (--resume-stopped extends it)`;
  return undefined;
}

/** A process that holds (or held) a run: the run's lock file says which. */
export interface Holder {
  readonly pid: number;
  readonly host: string;
}

/** How to tell a live process: only this host's pids can be checked. */
export interface Liveness {
  /** This machine's host name. */
  readonly host: string;
  /** Whether a pid of this host is alive. */
  alive(pid: number): boolean;
}

/**
 * Whether a holder may still be at work: alive on this host, or on another
 * host, whose pids cannot be checked from here (trusted until its own host
 * says otherwise).
 */
export function holderAlive(holder: Holder, liveness: Liveness): boolean {
  return holder.host !== liveness.host || liveness.alive(holder.pid);
}

export interface RunStanding {
  readonly state: Standing;
  /** The live process training it, for `running`. */
  readonly holder?: Holder;
  /** Why an `interrupted` run is thought killed. */
  readonly why?: string;
}

/**
 * Where a run stands, the one liveness rule: a status that says `running`
 * is only running while a live process (or one on another host) holds the
 * run's lock. Every runner holds the lock for as long as it trains, and a
 * killed one leaves it behind, so the lock — not status.json's pid, the last
 * writer's — says whether anyone trains it now. `lock` is the lock file as
 * read (undefined when there is none), stale or not.
 */
export function standing(status: { readonly state: RunState } | undefined, lock: Holder | undefined, liveness: Liveness): RunStanding {
  if (status === undefined) return { state: "pending" };
  if (status.state !== "running") return { state: status.state };
  if (lock && holderAlive(lock, liveness)) return { state: "running", holder: { pid: lock.pid, host: lock.host } };
  return { state: "interrupted", why: lock ? `pid ${lock.pid} on ${lock.host} is gone` : "no process holds its lock" };
}

/** Why a stop policy or successive halving ended a run early. */
export type StopCause = "saturated" | "collapsed" | "halving";

/** One epoch's record, as metrics.jsonl holds it (the record schema's values). */
type Last = RecordValues | undefined;

/** What one attempt at training a run ended with (trainRun, trainGroup, a worker). */
export type RunOutcome =
  | { status: "done"; epochs: number; last: Last; secsPerEpoch: number; /** What the hooks added to summary.json (e.g. the verdict). */ summary?: Readonly<Record<string, unknown>> }
  /** Nothing trained: settled for the target (the reason is {@link settled}'s), or another process holds it. */
  | { status: "skipped"; reason: string; last: Last }
  /** A non-finite loss or gradient: status.json says failed. */
  | { status: "diverged"; epoch: number; last: Last }
  /** Ended early by the stop policy or successive halving; extendable later (`--resume-stopped`). */
  | { status: "stopped"; epoch: number; by: StopCause; reason: string; last: Last; secsPerEpoch: number; summary?: Readonly<Record<string, unknown>> }
  | { status: "failed"; error: string }
  /** Asked to stop (a queue worker's SIGTERM): the last epoch is checkpointed, the run resumes wherever it is picked up next. */
  | { status: "yielded"; epoch: number; last: Last };

/**
 * What an outcome says of its run's state, for {@link settled} (the queue
 * asks it of a done job when the run is queued again, perhaps for more
 * epochs); undefined where the outcome leaves the run unsettled (failed,
 * diverged, given back, busy).
 */
export function outcomeStatus(outcome: RunOutcome): SettledInput | undefined {
  switch (outcome.status) {
    case "done":
      return { state: "done", epochsDone: outcome.epochs };
    case "stopped":
      return { state: "stopped", epochsDone: outcome.epoch, stopReason: outcome.reason };
    case "skipped": {
      // The reasons `settled` gave; a skip for any other reason (another process holds the run) settles nothing.
      const done = /^done to (\d+) epoch/.exec(outcome.reason);
      if (done) return { state: "done", epochsDone: Number(done[1]) };
      const stopped = /^stopped at epoch (\d+)/.exec(outcome.reason);
      if (stopped) return { state: "stopped", epochsDone: Number(stopped[1]) };
      return undefined;
    }
    default:
      return undefined;
  }
}
