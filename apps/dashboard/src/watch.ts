import { promises as fs } from "node:fs";
import path from "node:path";
import { RESULTS_FILES } from "@ganscope/tracking";

/** The files of a run the site is built from; a change in any of them means a rebuild. */
const RUN_FILES = [RESULTS_FILES.config, RESULTS_FILES.metrics, RESULTS_FILES.status, RESULTS_FILES.summary, RESULTS_FILES.mlflow];

async function stamp(file: string): Promise<string> {
  const st = await fs.stat(file).catch(() => undefined);
  return st ? `${st.size}:${st.mtimeMs}` : "-";
}

/**
 * Size and mtime of every file a build reads, as one string: equal strings,
 * equal sites. Polled rather than watched (fs.watch misses writes through the
 * run store's symlinked runs and renames on some file systems); for a store of
 * hundreds of runs this is a few thousand stats per poll.
 */
export async function storeFingerprint(resultsDir: string): Promise<string> {
  const parts: string[] = [];
  const experiments = await fs.readdir(resultsDir).catch(() => [] as string[]);
  for (const exp of experiments.sort()) {
    const dir = path.join(resultsDir, exp);
    parts.push(`${exp} ${await stamp(path.join(dir, RESULTS_FILES.plan))}`);
    const runs = await fs.readdir(dir).catch(() => [] as string[]);
    for (const runId of runs.sort()) {
      const runDir = path.join(dir, runId);
      const stamps = await Promise.all(RUN_FILES.map((f) => stamp(path.join(runDir, f))));
      const samples = await fs.readdir(path.join(runDir, RESULTS_FILES.samples)).catch(() => [] as string[]);
      parts.push(`${exp}/${runId} ${stamps.join(" ")} ${samples.length}`);
    }
  }
  return parts.join("\n");
}

export interface WatchOptions {
  resultsDir: string;
  /** Seconds between polls. */
  intervalSecs: number;
  /** Called once the store has changed and stayed unchanged for one more poll (a run mid-write settles first). */
  onChange: () => Promise<void>;
  signal?: AbortSignal;
}

/** Polls the store and calls `onChange` after each settled change, one rebuild at a time. */
export async function watchStore(options: WatchOptions): Promise<void> {
  let built = await storeFingerprint(options.resultsDir);
  let pending: string | undefined;
  while (!options.signal?.aborted) {
    await new Promise((r) => setTimeout(r, options.intervalSecs * 1000));
    if (options.signal?.aborted) return;
    const now = await storeFingerprint(options.resultsDir);
    if (now === built) {
      pending = undefined;
      continue;
    }
    if (now !== pending) {
      pending = now;
      continue;
    }
    built = now;
    pending = undefined;
    await options.onChange();
  }
}
