/**
 * A real MLflow tracking server for tests: the pinned MLflow from
 * `.venv/mlflow` (created by scripts/setup-mlflow.sh when missing), a SQLite
 * backend store and an artifacts folder in a fresh temp dir, artifacts served
 * through the server's proxy, on a loopback port. No mock of MLflow anywhere.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, closeSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const SETUP = path.join(REPO, "scripts", "setup-mlflow.sh");

/**
 * The `mlflow` executable of the pinned venv, installing it first if needed
 * (a few minutes, once per machine; `npm test`'s pretest normally did it).
 */
export async function ensureMlflow(): Promise<string> {
  const { stdout } = await promisify(execFile)("bash", [SETUP], { cwd: REPO, maxBuffer: 16 << 20, timeout: 290_000 });
  const bin = stdout.trim().split("\n").at(-1) ?? "";
  if (!existsSync(bin)) throw new Error(`${SETUP} did not produce an mlflow executable (printed "${stdout.trim()}")`);
  return bin;
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface MlflowServer {
  /** http://127.0.0.1:<port> */
  readonly uri: string;
  readonly port: number;
  /** Temp dir holding mlflow.db, artifacts/ and server.log. */
  readonly dir: string;
  /** Stops the server (its whole process group) and removes its temp dir. */
  stop(): Promise<void>;
  /** Stops the server and keeps its data: an outage. */
  kill(): Promise<void>;
  /** Starts it again on the same port, store and artifacts (after {@link MlflowServer.kill}). */
  restart(): Promise<void>;
}

export interface StartOptions {
  /** Port to listen on (default: a free one), e.g. one a test pointed a runner at while nothing listened. */
  port?: number;
  /** How long to wait for /health. The server imports a lot of Python; on 2 busy cores that takes a while. */
  readyTimeoutMs?: number;
}

async function healthy(uri: string): Promise<boolean> {
  try {
    const res = await fetch(`${uri}/health`, { signal: AbortSignal.timeout(2000) });
    return res.ok && (await res.text()).trim() === "OK";
  } catch {
    return false;
  }
}

function stopGroup(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const pid = child.pid!;
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig); // the server's uvicorn and job workers share its process group
      } catch {
        // already gone
      }
    };
    const hard = setTimeout(() => kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(hard);
      // Stragglers in the group (workers that outlive the parent) go too.
      kill("SIGKILL");
      resolve();
    });
    kill("SIGTERM");
  });
}

/** Starts `mlflow server` and waits until it answers /health. */
export async function startMlflowServer(opts: StartOptions = {}): Promise<MlflowServer> {
  const bin = await ensureMlflow();
  const dir = mkdtempSync(path.join(os.tmpdir(), "ganscope-mlflow-"));
  const port = opts.port ?? (await freePort());
  const uri = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, "server.log");
  let child: ChildProcess | undefined;
  const launch = async () => {
    const log = openSync(logFile, "a");
    const c = spawn(
      bin,
      [
        "server",
        "--host", "127.0.0.1",
        "--port", String(port),
        "--backend-store-uri", `sqlite:///${path.join(dir, "mlflow.db")}`,
        "--serve-artifacts",
        "--artifacts-destination", path.join(dir, "artifacts"),
        "--workers", "1",
      ],
      { cwd: dir, detached: true, stdio: ["ignore", log, log], env: { ...process.env, MLFLOW_TRACKING_URI: "" } },
    );
    child = c;
    closeSync(log);
    let exited = false;
    c.once("exit", () => (exited = true));
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 240_000);
    while (!(await healthy(uri))) {
      if (exited || Date.now() > deadline) {
        const tail = readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
        await stop();
        throw new Error(`mlflow server on ${uri} ${exited ? "exited" : "did not become healthy"}; its log ends:\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const kill = async () => {
    if (child) await stopGroup(child);
  };
  const stop = async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  await launch();
  return { uri, port, dir, stop, kill, restart: launch };
}
