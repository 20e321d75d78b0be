import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RESULTS_FILES, RunDir, processAlive, standing, type RunStatus } from "@ganscope/tracking";

/**
 * One line per run whose status.json says "running": whether it still
 * stands running (tracking's standing: a live holder of its lock). The
 * dashboard shows a dead one as interrupted, but no file changes when a
 * runner is killed, so the Nx build hashes this text as a runtime input;
 * without it a cached site would show a killed run as running.
 */
export async function livenessFingerprint(resultsDir: string, host = os.hostname()): Promise<string> {
  const lines: string[] = [];
  const experiments = await fs.readdir(resultsDir).catch(() => [] as string[]);
  for (const exp of experiments.sort()) {
    const runs = await fs.readdir(path.join(resultsDir, exp)).catch(() => [] as string[]);
    for (const runId of runs.sort()) {
      const run = new RunDir(path.join(resultsDir, exp, runId));
      let status: Partial<RunStatus>;
      try {
        status = JSON.parse(await fs.readFile(run.file(RESULTS_FILES.status), "utf8")) as Partial<RunStatus>;
      } catch {
        continue;
      }
      if (status.state !== "running") continue;
      const { state, holder } = standing({ state: "running" }, run.readLock(), { host, alive: processAlive });
      lines.push(`${exp}/${runId} ${state !== "running" ? "gone" : holder!.host !== host ? "remote" : "alive"}`);
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * Every file of the store the site is built from, with its size and mtime:
 * the Nx build's runtime input for whichever store it reads
 * (GANSCOPE_RESULTS, default results/), so adding runs to another store than
 * results/ is not answered from a stale cache. (The build's filesets hash
 * results/ by content; they cannot name a folder chosen at run time.)
 */
export async function storeFingerprint(resultsDir: string): Promise<string> {
  const lines: string[] = [path.resolve(resultsDir)];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, e.name);
      // Runs linked from another experiment are read through the link: list the link, not the run twice.
      if (e.isSymbolicLink()) lines.push(`${path.relative(resultsDir, full)} -> ${await fs.readlink(full).catch(() => "?")}`);
      else if (e.isDirectory() && depth < 3) await walk(full, depth + 1);
      else if (e.isFile() && !e.name.includes(".tmp-") && e.name !== "checkpoint.bin") {
        const st = await fs.stat(full).catch(() => undefined);
        if (st) lines.push(`${path.relative(resultsDir, full)} ${st.size} ${Math.round(st.mtimeMs)}`);
      }
    }
  };
  await walk(resultsDir, 0);
  return lines.join("\n") + "\n";
}
