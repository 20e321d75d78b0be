/** Cross-experiment links: a run trained once is linked into every experiment that plans the same config. */
import { promises as fs } from "node:fs";
import path from "node:path";
import { RESULTS_FILES } from "./store-formats.js";
import type { RunDir } from "./run-dir.js";

/**
 * Another experiment's finished copy of this run, if any: the same config
 * is the same run, so it is linked rather than trained again.
 */
export async function findFinished(experiments: readonly string[], runId: string, exceptExperiment: string, runDir: (experiment: string, runId: string) => RunDir): Promise<string | undefined> {
  // The copy trained furthest: a run is one run, however many experiments ask for it.
  let best: { exp: string; epochs: number } | undefined;
  for (const exp of experiments) {
    if (exp === exceptExperiment) continue;
    const dir = runDir(exp, runId);
    if ((await fs.lstat(dir.dir).catch(() => undefined))?.isSymbolicLink()) continue; // a link to the run, not the run
    const status = await dir.readStatus().catch(() => undefined);
    if ((status?.state === "done" || status?.state === "stopped") && (best === undefined || status.epochsDone > best.epochs)) best = { exp, epochs: status.epochsDone };
  }
  return best?.exp;
}

/**
 * Makes results/<experiment>/<runId> point at another experiment's finished
 * run. Call it holding that run's lock. A folder already there is never
 * deleted while it holds anything but lock files: it is moved to
 * `.<runId>.aside-<time>` (hidden from the index) and that path returned.
 */
export async function linkRun(expDir: string, runId: string, fromExperiment: string): Promise<string | undefined> {
  const target = path.join("..", fromExperiment, runId);
  const link = path.join(expDir, runId);
  await fs.mkdir(expDir, { recursive: true });
  const here = await fs.lstat(link).catch(() => undefined);
  let aside: string | undefined;
  if (here?.isSymbolicLink()) {
    await fs.rm(link);
  } else if (here) {
    aside = path.join(expDir, `.${runId}.aside-${new Date().toISOString().replace(/[:.]/g, "-")}`);
    await fs.rename(link, aside);
    const held = (await fs.readdir(aside)).filter((n) => !n.startsWith(RESULTS_FILES.lock));
    if (held.length === 0) {
      await fs.rm(aside, { recursive: true, force: true });
      aside = undefined;
    }
  }
  await fs.symlink(target, link, "dir");
  return aside;
}
