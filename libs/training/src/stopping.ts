/**
 * When a run ends early: the stop policy's detectors over the epochs trained
 * in this session, and asynchronous successive halving against the plan's
 * other runs. Pure functions of records, so the replay script applies the
 * same rules offline to recorded curves.
 */
import { HALVING_METRICS, type HalvingPolicy, type ResolvedStopPolicy } from "@ganscope/dsl";
import type { StopCause } from "@ganscope/tracking";
import { DEFAULT_HEALTH_THRESHOLDS, isRealistic, isSaturated, recordCollapse, type HealthThresholds, type TrainingRecord } from "@ganscope/metrics";

/** Why a run was stopped, with the numbers that decided it (written to summary.json). */
export interface StopDecision {
  readonly by: StopCause;
  readonly epoch: number;
  readonly reason: string;
  readonly evidence: Readonly<Record<string, unknown>>;
}

const round = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : x);

/**
 * The stop policy's verdict after an epoch. `session` is the records trained
 * since this process resumed the run (oldest first): a resumed or extended
 * run is judged on its new epochs only, so extending a stopped run on purpose
 * gives it k fresh epochs before the same rule can stop it again.
 */
export function stopDecision(policy: ResolvedStopPolicy, session: readonly TrainingRecord[], thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): StopDecision | undefined {
  const last = session.at(-1);
  if (!policy || !last) return undefined;
  const k = policy.saturated;
  if (k !== false && session.length >= k && isSaturated(session, { ...thresholds, saturationEpochs: k })) {
    const tail = session.slice(-k);
    return {
      by: "saturated",
      epoch: last.epoch,
      reason: `discriminator saturated in ${k} consecutive epochs (${tail[0]!.epoch}–${last.epoch}): D(G(z)) < ${thresholds.saturatedDFake} and d_loss < ${thresholds.saturatedDLoss}`,
      evidence: { epochs: tail.map((r) => r.epoch), d_fake: tail.map((r) => round(r.d_fake)), d_loss: tail.map((r) => round(r.d_loss)) },
    };
  }
  const c = policy.collapsed;
  if (c !== false && last["fid_lite"] !== undefined) {
    const evaluated = session.filter((r) => typeof r["fid_lite"] === "number").slice(-c);
    // Collapse as the verdict means it: few modes of drawings the classifier finds realistic (early speckle filed under one class is "no digits yet", not a collapse).
    const judged = evaluated.map((r) => ({ epoch: r.epoch, ...recordCollapse(r, thresholds), realistic: isRealistic(r, thresholds) }));
    if (judged.length === c && judged.every((j) => j.collapsed && j.realistic)) {
      return {
        by: "collapsed",
        epoch: last.epoch,
        reason: `samples collapsed in ${c} consecutive evaluations (epochs ${judged.map((j) => j.epoch).join(", ")}): ${judged.at(-1)!.reasons.join("; ")}`,
        evidence: { epochs: judged.map((j) => j.epoch), modes: judged.map((j) => j.modes), max_class_share: judged.map((j) => round(j.maxClassShare)), diversity: judged.map((j) => round(j.diversity)) },
      };
    }
  }
  return undefined;
}

/**
 * A run's value at a rung: its best `metric` over the epochs up to the rung
 * (best so far, not the one noisy value at the rung, so a good run that
 * wobbles there is not cut); NaN when it has no finite value by then.
 */
export function rungValue(records: readonly TrainingRecord[], metric: HalvingPolicy["metric"], rung: number): number {
  const sign = HALVING_METRICS[metric] === "min" ? 1 : -1;
  let best = NaN;
  for (const r of records) {
    const v = r[metric];
    if (r.epoch > rung || typeof v !== "number" || !Number.isFinite(v)) continue;
    if (Number.isNaN(best) || sign * v < sign * best) best = v;
  }
  return best;
}

/** True when `a` is strictly better than `b`; NaN is worse than any number, two NaNs tie. */
function better(a: number, b: number, direction: "min" | "max"): boolean {
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return direction === "min" ? a < b : a > b;
}

/**
 * Asynchronous successive halving (the stopping form of ASHA, Li et al.,
 * MLSys 2020): when a run reaches a rung it is compared at once with the runs
 * that reached that rung before it — nobody waits for a rung to fill. It goes
 * on if fewer than ⌈keep · n⌉ of the n runs there (itself included) are
 * strictly better; ties go on, a run without a finite value ranks last. The
 * last rung decides nothing when it is the run's final epoch.
 *
 * @param peers the plan's other runs' records (any progress; those that have not reached the rung are ignored)
 */
export function halvingDecision(policy: HalvingPolicy, epoch: number, finalEpoch: number, own: readonly TrainingRecord[], peers: ReadonlyMap<string, readonly TrainingRecord[]>): StopDecision | undefined {
  if (!policy.rungs.includes(epoch) || epoch >= finalEpoch) return undefined;
  const direction = HALVING_METRICS[policy.metric];
  const mine = rungValue(own, policy.metric, epoch);
  const others = [...peers].filter(([, records]) => records.some((r) => r.epoch >= epoch)).map(([id, records]) => ({ id, value: rungValue(records, policy.metric, epoch) }));
  const n = others.length + 1;
  const kept = Math.max(1, Math.ceil(policy.keep * n));
  const ahead = others.filter((o) => better(o.value, mine, direction)).length;
  if (ahead < kept) return undefined;
  const shown = (v: number) => (Number.isNaN(v) ? "none" : String(round(v)));
  return {
    by: "halving",
    epoch,
    reason: `successive halving at rung ${epoch}: best ${policy.metric} so far ${shown(mine)} ranks ${ahead + 1} of ${n} runs at this rung; the best ${kept} go on (keep ${round(policy.keep)})`,
    evidence: { rung: epoch, metric: policy.metric, value: Number.isNaN(mine) ? null : round(mine), rank: ahead + 1, runs: n, kept, others: others.map((o) => ({ runId: o.id, value: Number.isNaN(o.value) ? null : round(o.value) })) },
  };
}
