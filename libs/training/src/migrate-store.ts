/**
 * Stores written before run ids stopped hashing the schedule name their run
 * folders by the old id (the whole config, epochs and cadences included).
 * The migration renames such a folder to its new id, so the run is found,
 * reused and extended instead of trained again. Nothing is rewritten but the
 * folder's name and config.json's `runId` (the old id is kept beside it).
 */
import { promises as fs } from "node:fs";
import { legacyRunId, runId, type RunConfig } from "@ganscope/dsl";
import { RunStore, writeJsonAtomic } from "@ganscope/tracking";

/** One legacy folder and what became of it. */
export interface Migration {
  readonly from: string;
  readonly to: string;
  /** Undefined when the folder was renamed; else why it stays where it is. */
  readonly kept?: string;
}

/**
 * Renames every legacy run folder of `experiment` to its schedule-free id.
 * When several legacy folders are the same run (e.g. trained to 20 and to
 * 100 epochs), the one trained furthest takes the id and the others stay as
 * they are, reported. Symlinked runs (linked from another experiment) are
 * left to their own experiment's migration.
 */
export async function migrateLegacyRuns(store: RunStore, experiment: string): Promise<Migration[]> {
  const dir = store.experimentDir(experiment);
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const candidates: { from: string; to: string; epochsDone: number }[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const run = store.run(experiment, entry.name);
    const stored = await run.readConfig().catch(() => undefined);
    const config = stored?.config as RunConfig | undefined;
    if (!config || typeof config !== "object") continue;
    let legacy: string;
    let current: string;
    try {
      legacy = legacyRunId(config);
      current = runId(config);
    } catch {
      continue; // not a config this code can hash: not ours to move
    }
    if (entry.name !== legacy || legacy === current) continue;
    const status = await run.readStatus().catch(() => undefined);
    candidates.push({ from: entry.name, to: current, epochsDone: status?.epochsDone ?? 0 });
  }
  candidates.sort((a, b) => b.epochsDone - a.epochsDone || a.from.localeCompare(b.from));
  const out: Migration[] = [];
  for (const c of candidates) {
    const why = await store.renameRun(experiment, c.from, c.to);
    if (why) {
      out.push({ from: c.from, to: c.to, kept: why });
      continue;
    }
    const moved = store.run(experiment, c.to);
    const stored = await moved.readConfig();
    if (stored) await writeJsonAtomic(moved.file("config.json"), { ...stored, runId: c.to, legacyRunId: c.from });
    out.push({ from: c.from, to: c.to });
  }
  return out;
}
