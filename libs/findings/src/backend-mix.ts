/**
 * Which backends trained the runs a study compares. Runs are identified by
 * config; the backend a run trained on is part of its record (config.json's
 * backend line, which evidence bundles keep). The same backend, config and
 * seed train the same records bit for bit; across backends float32 rounds
 * differently and records agree within a measured tolerance, not exactly
 * (README, "Bit-identical, and across backends"). So a claim whose runs were
 * trained on more than one backend says so, with counts, and a report of
 * runs on one backend reads exactly as it did before backends could mix.
 */
import type { ArmSummary, ClaimResult, StudyRun } from "./decide-claims.js";

/** How a run without a backend line (trained before runs recorded one) is counted. */
const UNRECORDED = "unrecorded";

/** Runs by the backend they trained on, in first-seen order. */
export function countBackends(runs: Iterable<Pick<StudyRun, "backend">>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of runs) {
    const b = r.backend ?? UNRECORDED;
    out[b] = (out[b] ?? 0) + 1;
  }
  return out;
}

/** Whether counts name more than one backend. */
export const mixesBackends = (counts: Readonly<Record<string, number>>): boolean => Object.keys(counts).length > 1;

/** The runs of an arm that are in its test (measured, or counted as worst). */
function inTest(a: ArmSummary, byId: ReadonlyMap<string, StudyRun>): StudyRun[] {
  return a.runs.flatMap((r) => (r.value !== undefined && byId.has(r.runId) ? [byId.get(r.runId)!] : []));
}

/**
 * The claim with each arm's backends where the runs in its tests were
 * trained on more than one (within an arm or across the two); unchanged otherwise.
 */
export function withBackendMix(c: ClaimResult, runs: readonly StudyRun[]): ClaimResult {
  const byId = new Map(runs.map((r) => [r.runId, r]));
  const mark = (arms: readonly ArmSummary[]): ArmSummary[] | undefined => {
    const tested = arms.map((a) => inTest(a, byId));
    if (!mixesBackends(countBackends(tested.flat()))) return undefined;
    return arms.map((a, i) => ({ ...a, backends: countBackends(tested[i]!) }));
  };
  if (c.kind === "compare") {
    const m = mark([c.a, c.b]);
    return m ? { ...c, a: m[0]!, b: m[1]! } : c;
  }
  if (c.kind === "rate") {
    const m = mark([c.arm]);
    return m ? { ...c, arm: m[0]! } : c;
  }
  return { ...c, pairs: c.pairs.map((p) => withBackendMix(p, runs) as typeof p) };
}
