/**
 * A real Redis for tests: Debian's `redis-server` (scripts/setup-system.sh
 * installs it) on a free loopback port, its data in a fresh temp dir, with
 * the append-only file on and fsynced on every write, so a test can kill it
 * and start it again on the same dir and port and see every job it had.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "@ganscope/tracking/testing";

export const REDIS_SERVER = "/usr/bin/redis-server";

export interface RedisServer {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Temp dir holding the AOF and redis.log. */
  readonly dir: string;
  /** Kills it (SIGKILL by default: a crash, not a clean shutdown that could save an RDB). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and dir; it replays its append-only file. */
  restart(): Promise<void>;
  /** Stops it and removes its dir. */
  stop(): Promise<void>;
}


/** Resolves once something accepts TCP connections and answers PING with PONG. */
async function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on("error", () => done(false));
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => done(d.toString().startsWith("+PONG")));
  });
}

export async function startRedisServer(opts: { port?: number } = {}): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) throw new Error(`${REDIS_SERVER} is missing: install Debian's redis-server (bash scripts/setup-system.sh does, as root)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "ganscope-redis-"));
  const port = opts.port ?? (await freePort());
  let child: ChildProcess | undefined;

  const launch = async () => {
    child = spawn(
      REDIS_SERVER,
      [
        "--port", String(port),
        "--bind", "127.0.0.1",
        "--dir", dir,
        "--appendonly", "yes",
        "--appendfsync", "always",
        // No RDB snapshots: what survives a restart is what the AOF holds.
        "--save", "",
        "--logfile", path.join(dir, "redis.log"),
        "--daemonize", "no",
      ],
      { stdio: "ignore" },
    );
    let exited = false;
    child.once("exit", () => (exited = true));
    const deadline = Date.now() + 20_000;
    while (!(await pong(port))) {
      if (exited || Date.now() > deadline) {
        const log = existsSync(path.join(dir, "redis.log")) ? readFileSync(path.join(dir, "redis.log"), "utf8").split("\n").slice(-20).join("\n") : "(no log)";
        throw new Error(`redis-server on port ${port} ${exited ? "exited" : "did not answer PING"}; its log ends:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill(signal);
    });
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    kill,
    restart: launch,
    stop: async () => {
      await kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
