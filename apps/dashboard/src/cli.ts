#!/usr/bin/env -S npx tsx
/**
 * The dashboard's commands, behind the Nx targets:
 *   build    [--results results] [--out dist/apps/dashboard]
 *   serve    [--port 4200] [--dir dist/apps/dashboard] [--host 127.0.0.1]
 *   liveness [--results results]   (an Nx runtime input, see project.json)
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    results: { type: "string", default: "results" },
    out: { type: "string", default: "dist/apps/dashboard" },
    dir: { type: "string", default: "dist/apps/dashboard" },
    port: { type: "string", default: "4200" },
    host: { type: "string", default: "127.0.0.1" },
  },
});

function kib(n: number): string {
  return `${(n / 1024).toFixed(1)} KiB`;
}

const command = positionals[0] ?? "build";
if (command === "build") {
  const t0 = performance.now();
  // Imported per command: the liveness probe runs on every Nx hash and must not load TypeScript.
  const { buildSite } = await import("./build-site.js");
  const report = await buildSite({ resultsDir: values.results, outDir: values.out });
  const secs = (performance.now() - t0) / 1000;
  const b = report.bytes;
  const shell = b.html + b.app + b.css + b.echarts;
  console.log(
    `dashboard: ${report.experiments} experiment(s), ${report.runs} run(s), ${report.samples} sample grid(s) from ${values.results} → ${path.relative(process.cwd(), report.outDir) || "."} in ${secs.toFixed(2)} s`,
  );
  console.log(`  page weight: shell ${kib(shell)} (echarts ${kib(b.echarts)}, app ${kib(b.app)}), data ${kib(b.data)}, sample grids ${kib(b.samples)}`);
  for (const w of report.warnings) console.warn(`  warning: ${w}`);
} else if (command === "serve") {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`dashboard serve: --port must be an integer in [0, 65535], got "${values.port}"`);
    process.exit(2);
  }
  if (!existsSync(path.join(values.dir, "index.html"))) {
    console.error(`dashboard serve: ${values.dir}/index.html not found; build first: npx nx run dashboard:build`);
    process.exit(2);
  }
  const { createStaticServer, listen } = await import("./serve.js");
  const bound = await listen(createStaticServer(values.dir), port, values.host);
  console.log(`dashboard: serving ${values.dir} at http://${values.host}:${bound}/ (Ctrl-C stops)`);
} else if (command === "liveness") {
  const { livenessFingerprint } = await import("./liveness.js");
  process.stdout.write(await livenessFingerprint(values.results));
} else {
  console.error(`dashboard: unknown command "${command}" (build | serve | liveness)`);
  process.exit(2);
}
