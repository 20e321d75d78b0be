#!/usr/bin/env -S npx tsx
/**
 * The dashboard's commands, behind the Nx targets:
 *   build    [--results results] [--out dist/apps/dashboard]
 *   serve    [--port 4200] [--dir dist/apps/dashboard] [--host 127.0.0.1] [--watch [--results results]]
 *   liveness [--results results]   (an Nx runtime input, see project.json)
 * A user's mistake (an unknown flag, a bad port, an --out that would delete
 * something) is one line on stderr and exit code 2.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError, InvalidArgumentError } from "commander";

/** Raised for a user's mistake; main() prints its message alone. */
class UsageError extends Error {}

function kib(n: number): string {
  return `${(n / 1024).toFixed(1)} KiB`;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError(`must be an integer in [0, 65535], got "${value}"`);
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a positive number of seconds, got "${value}"`);
  return n;
}

/** What a user does when the port cannot be taken; undefined for a failure that is not theirs. */
function listenError(e: NodeJS.ErrnoException, port: number, host: string): UsageError | undefined {
  const where = `${host}:${port}`;
  switch (e.code) {
    case "EADDRINUSE":
      return new UsageError(`dashboard serve: port ${port} on ${host} is already in use (another dashboard serve?); stop that server, or pass --port <n> (--port 0 picks a free one)`);
    case "EACCES":
      return new UsageError(`dashboard serve: not allowed to listen on ${where} (ports below 1024 need root); pass --port <n> above 1023 (--port 0 picks a free one)`);
    case "EADDRNOTAVAIL":
      return new UsageError(`dashboard serve: --host ${host} is not an address of this machine (${e.code}); pass --host 127.0.0.1, or 0.0.0.0 for every interface`);
    default:
      return undefined;
  }
}

async function build(results: string, out: string): Promise<void> {
  const t0 = performance.now();
  // Imported per command: the liveness probe runs on every Nx hash and must not load esbuild.
  const { buildSite } = await import("./build-site.js");
  const report = await buildSite({ resultsDir: results, outDir: out });
  const secs = (performance.now() - t0) / 1000;
  const b = report.bytes;
  const shell = b.html + b.app + b.css + b.echarts;
  console.log(
    `dashboard: ${report.experiments} experiment(s), ${report.runs} run(s), ${report.studies} study report(s), ${report.samples} sample grid(s) from ${results} → ${path.relative(process.cwd(), report.outDir) || "."} in ${secs.toFixed(2)} s`,
  );
  console.log(`  page weight: shell ${kib(shell)} (echarts ${kib(b.echarts)}, app ${kib(b.app)}), data ${kib(b.data)}, sample grids ${kib(b.samples)}`);
  for (const w of report.warnings) console.warn(`  warning: ${w}`);
}

const program = new Command()
  .name("dashboard")
  .description("Build and serve the static dashboard of a ganscope run store")
  .exitOverride()
  // Commander's own messages come back through exitOverride; main() prints them as one line.
  .configureOutput({ writeErr: () => undefined });

program
  .command("build", { isDefault: true })
  .description("build the static site from the run store")
  .option("--results <dir>", "run store folder", "results")
  .option("--out <dir>", "site folder (emptied first only if an earlier build made it)", "dist/apps/dashboard")
  .action(async (opts: { results: string; out: string }) => build(opts.results, opts.out));

program
  .command("serve")
  .description("serve the built site; with --watch, rebuild it whenever the store changes")
  .option("--port <n>", "port (0: any free one)", port, 4200)
  .option("--dir <dir>", "site folder", "dist/apps/dashboard")
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .option("--watch", "rebuild the site into --dir when the run store changes (the open page reloads itself)")
  .option("--results <dir>", "run store folder to watch", "results")
  .option("--interval <secs>", "seconds between checks of the store, with --watch", seconds, 2)
  .action(async (opts: { port: number; dir: string; host: string; watch?: boolean; results: string; interval: number }) => {
    if (opts.watch) await build(opts.results, opts.dir);
    else if (!existsSync(path.join(opts.dir, "index.html"))) throw new UsageError(`dashboard serve: ${opts.dir}/index.html not found; build first (npx nx run dashboard:build) or pass --watch`);
    const { createStaticServer, listen } = await import("./serve.js");
    const bound = await listen(createStaticServer(opts.dir), opts.port, opts.host).catch((e: NodeJS.ErrnoException) => {
      throw listenError(e, opts.port, opts.host) ?? e;
    });
    console.log(`dashboard: serving ${opts.dir} at http://${opts.host}:${bound}/${opts.watch ? `, rebuilding on changes to ${opts.results}` : ""} (Ctrl-C stops)`);
    if (!opts.watch) return;
    const { watchStore } = await import("./watch.js");
    await watchStore({
      resultsDir: opts.results,
      intervalSecs: opts.interval,
      onChange: async () => {
        try {
          await build(opts.results, opts.dir);
        } catch (e) {
          // A failed rebuild keeps serving; the next change tries again.
          console.error(`dashboard: rebuild failed: ${(e as Error).message}`);
        }
      },
    });
  });

program
  .command("liveness")
  .description("print whether each running run's process is alive, and the store's files with sizes and times (the Nx build's runtime input)")
  .option("--results <dir>", "run store folder", "results")
  .action(async (opts: { results: string }) => {
    const { livenessFingerprint, storeFingerprint } = await import("./liveness.js");
    process.stdout.write((await livenessFingerprint(opts.results)) + (await storeFingerprint(opts.results)));
  });

const COMMANDS = ["build", "serve", "liveness"];
const first = process.argv[2];
if (first !== undefined && !first.startsWith("-") && !COMMANDS.includes(first)) {
  console.error(`dashboard: unknown command "${first}" (${COMMANDS.join(" | ")})`);
  process.exit(2);
}

try {
  await program.parseAsync();
} catch (e) {
  if (e instanceof CommanderError) {
    if (e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.code === "commander.version") process.exit(0);
    // "error: unknown option '--resluts'\n(Did you mean --results?)" → one line.
    console.error(`dashboard: ${e.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ")}`);
    process.exit(2);
  }
  const { DashboardInputError } = await import("./out-dir.js");
  if (e instanceof UsageError || e instanceof DashboardInputError) {
    console.error(e instanceof DashboardInputError ? `dashboard build: ${e.message}` : e.message);
    process.exit(2);
  }
  throw e;
}
