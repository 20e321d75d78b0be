/**
 * The bench's child processes: each measured implementation runs in a process
 * of its own, timed from spawn to exit, with the peak RSS of its whole
 * process tree sampled while it runs (bench/run.ts, bench/study.ts).
 */
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.dirname(BENCH);
export const PYTHON = path.join(BENCH, ".venv", "bin", "python");
export const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

export interface Child {
  stdout: string;
  stderr: string;
  wallS: number;
  /** Peak RSS (VmHWM) of the process and each descendant, MiB, sampled while it ran. */
  peaks: Map<number, { cmd: string; mib: number }>;
}

/** Linux: the descendants of `root`, from /proc. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) if (pp === p) (out.push(c), walk(c));
  };
  walk(root);
  return out;
}

function sampleHwm(pid: number, peaks: Child["peaks"]): void {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).map((a) => path.basename(a)).join(" ");
    const prev = peaks.get(pid);
    if (!prev || kb / 1024 > prev.mib) peaks.set(pid, { cmd: prev?.cmd ?? cmd, mib: kb / 1024 });
  } catch {
    // exited between listing and reading
  }
}

/** Runs a command to completion, polling its process tree's peak RSS. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Child> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const peaks: Child["peaks"] = new Map();
    const poll = setInterval(() => {
      if (child.pid === undefined) return;
      for (const pid of [child.pid, ...descendants(child.pid)]) sampleHwm(pid, peaks);
    }, 200);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(poll);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${stderr.slice(-3000)}`));
      else resolve({ stdout, stderr, wallS: (performance.now() - t0) / 1000, peaks });
    });
  });
}

export function lastJson<T>(stdout: string): T {
  const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1);
  if (!line) throw new Error(`no JSON result in:\n${stdout.slice(-2000)}`);
  return JSON.parse(line) as T;
}

/** The median of a non-empty list. */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
