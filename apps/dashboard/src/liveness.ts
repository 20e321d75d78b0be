import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RESULTS_FILES, processAlive, type RunStatus } from "@ganscope/tracking";

export { processAlive };

/**
 * One line per run whose status.json says "running": whether its process is
 * still alive. The dashboard shows a dead one as interrupted, but no file
 * changes when a runner is killed, so the Nx build hashes this text as a
 * runtime input; without it a cached site would show a killed run as running.
 */
export async function livenessFingerprint(resultsDir: string, host = os.hostname()): Promise<string> {
  const lines: string[] = [];
  const experiments = await fs.readdir(resultsDir).catch(() => [] as string[]);
  for (const exp of experiments.sort()) {
    const runs = await fs.readdir(path.join(resultsDir, exp)).catch(() => [] as string[]);
    for (const runId of runs.sort()) {
      let status: Partial<RunStatus>;
      try {
        status = JSON.parse(await fs.readFile(path.join(resultsDir, exp, runId, RESULTS_FILES.status), "utf8")) as Partial<RunStatus>;
      } catch {
        continue;
      }
      if (status.state !== "running") continue;
      const alive = status.host !== host ? "remote" : typeof status.pid === "number" && processAlive(status.pid) ? "alive" : "gone";
      lines.push(`${exp}/${runId} ${alive}`);
    }
  }
  return lines.join("\n") + "\n";
}
