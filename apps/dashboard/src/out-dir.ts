import { existsSync, promises as fs } from "node:fs";
import path from "node:path";

/**
 * The file the dashboard writes into every site it builds. A folder is
 * emptied for a rebuild only when it holds this marker, so `--out` naming
 * the run store, a home folder or anything else the dashboard did not create
 * is refused instead of deleted.
 */
export const SITE_MARKER = ".ganscope-dashboard";

/** A user's mistake the CLI prints as one line (exit 2). */
export class DashboardInputError extends Error {
  override name = "DashboardInputError";
}

/** The real path of `p`, or of its nearest existing parent joined with the rest (so links are seen through). */
async function realish(p: string): Promise<string> {
  const abs = path.resolve(p);
  const rest: string[] = [];
  for (let dir = abs; ; dir = path.dirname(dir)) {
    try {
      return path.join(await fs.realpath(dir), ...rest.reverse());
    } catch {
      if (path.dirname(dir) === dir) return abs;
      rest.push(path.basename(dir));
    }
  }
}

/** What a build writes; a site built before the marker existed holds exactly these (and index.html). */
const SITE_ENTRIES = new Set(["index.html", "app.js", "style.css", "vendor", "data", "s"]);

function isUnmarkedSite(entries: readonly string[]): boolean {
  return entries.includes("index.html") && entries.includes("data") && entries.every((e) => SITE_ENTRIES.has(e));
}

function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Makes `outDir` ready for a fresh build and returns its absolute path:
 * refuses an out folder that is, contains or lies inside the results folder,
 * and a non-empty folder without the dashboard's marker; empties a folder an
 * earlier build made.
 */
export async function prepareOutDir(outDir: string, resultsDir: string): Promise<string> {
  const out = await realish(outDir);
  const results = await realish(resultsDir);
  if (within(out, results)) {
    throw new DashboardInputError(
      `--out ${outDir}: ${out === results ? "is" : "lies inside"} the results folder ${resultsDir}; the site must go elsewhere (default dist/apps/dashboard)`,
    );
  }
  if (within(results, out)) throw new DashboardInputError(`--out ${outDir}: contains the results folder ${resultsDir}; a rebuild would delete the run store. Choose a folder beside it (default dist/apps/dashboard)`);
  const stat = await fs.stat(out).catch(() => undefined);
  if (stat && !stat.isDirectory()) throw new DashboardInputError(`--out ${outDir}: is a file, not a folder`);
  if (stat) {
    const entries = await fs.readdir(out);
    if (entries.length > 0 && !existsSync(path.join(out, SITE_MARKER)) && !isUnmarkedSite(entries)) {
      throw new DashboardInputError(
        `--out ${outDir}: holds ${entries.length} file(s) the dashboard did not write (no ${SITE_MARKER} marker), so it will not empty it; name a new or empty folder`,
      );
    }
    // Emptied, not removed: a server may be serving this folder, and the marker stays until the last step.
    for (const e of entries) if (e !== SITE_MARKER) await fs.rm(path.join(out, e), { recursive: true, force: true });
  }
  await fs.mkdir(out, { recursive: true });
  await fs.writeFile(path.join(out, SITE_MARKER), "A site built by the ganscope dashboard (apps/dashboard). Rebuilds empty this folder.\n");
  return out;
}
