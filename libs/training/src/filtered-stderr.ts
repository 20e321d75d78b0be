/**
 * libtensorflow writes its start-up notices (see isBackendNoise) to file
 * descriptor 2 from native code, before any JavaScript could intercept
 * them. The training workers' stderr passes through forwardStderr; a
 * command that loads the backend in its own process runs as a child of
 * itself whose stderr passes through the same filter.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { isBackendNoise } from "@ganscope/models";

/** Set in the child, so that it runs the command instead of forking again. */
const FILTERED = "GANSCOPE_STDERR_FILTERED";

/** Passes a child's stderr through, line by line, less the backend's start-up notices. */
export function forwardStderr(child: ChildProcess): void {
  if (!child.stderr) return;
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on("line", (line) => {
    if (!isBackendNoise(line)) process.stderr.write(`${line}\n`);
  });
}

/**
 * Re-runs this very command line in a child with filtered stderr and exits
 * with its status; returns false (run the command here) inside that child.
 * Signals reach the child as they would have reached this process.
 */
export async function reexecWithFilteredStderr(): Promise<false> {
  if (process.env[FILTERED] === "1") return false;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ["inherit", "inherit", "pipe"],
    env: { ...process.env, [FILTERED]: "1" },
  });
  forwardStderr(child);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  const code = await new Promise<number>((resolve) => child.on("close", (c, signal) => resolve(c ?? (signal === "SIGINT" ? 130 : 143))));
  process.exit(code);
}
