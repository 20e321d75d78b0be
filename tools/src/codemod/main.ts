#!/usr/bin/env -S npx tsx
/**
 * The hyperparameter codemod's CLI:
 *
 *   npx tsx tools/src/codemod/main.ts rename gen_lr g_lr --dry-run   # print a unified diff, write nothing
 *   npx tsx tools/src/codemod/main.ts rename gen_lr g_lr             # rewrite every experiment file
 *   npx tsx tools/src/codemod/main.ts remove leaky_slope [files…]
 *
 * Without file arguments it edits every *.exp.ts under --root (default: the
 * workspace). If any file has a place it cannot rewrite safely, it lists them
 * all and writes nothing (exit 1), unless --partial.
 */
import { existsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { createReaderProject } from "../experiment-reader.js";
import { findExperimentFiles, workspaceRoot } from "../workspace.js";
import { planParamEditAll, type ParamEdit } from "./param-codemod.js";
import { unifiedDiff } from "./unified-diff.js";

interface Options {
  dryRun?: boolean;
  partial?: boolean;
  root: string;
}

/** Runs the edit; returns the exit code. Output goes through `out`/`err` so tests can read it. */
export function runCodemod(edit: ParamEdit, files: readonly string[], opts: Options, out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): number {
  const root = path.resolve(opts.root);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    err(`error: --root ${opts.root}: ${existsSync(root) ? "is a file" : "no such folder"}; expected the workspace folder whose *.exp.ts files to edit (default: this checkout)\n`);
    return 2;
  }
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    err(`error: no such experiment file: ${missing.join(", ")}\n`);
    return 2;
  }
  const targets = (files.length > 0 ? files.map((f) => path.resolve(f)) : findExperimentFiles(root).map((f) => path.join(root, f))).sort();
  const project = createReaderProject();
  for (const f of targets) project.addSourceFileAtPath(f);
  const changes = planParamEditAll(project, targets, edit);
  const rel = (f: string) => path.relative(root, f).split(path.sep).join("/");
  const changed = changes.filter((c) => c.after !== c.before);
  const problems = changes.flatMap((c) => c.problems.map((p) => `${rel(c.file)}:${p.line}: ${p.message}`));

  for (const c of changed) {
    if (opts.dryRun) out(unifiedDiff(c.before, c.after, `a/${rel(c.file)}`, `b/${rel(c.file)}`));
    for (const e of c.edits) err(`${rel(c.file)}:${e.line}: ${e.message}\n`);
  }
  for (const p of problems) err(`needs a person: ${p}\n`);
  const what = edit.kind === "rename" ? `rename ${edit.from} → ${edit.to}` : `remove ${edit.key}`;
  if (changed.length === 0 && problems.length === 0) {
    err(`${what}: no experiment file uses it (${targets.length} files checked)\n`);
    return 0;
  }
  if (opts.dryRun) {
    err(`${what}: would change ${changed.length} of ${targets.length} files (dry run, nothing written)${problems.length ? `; ${problems.length} place(s) need a person` : ""}\n`);
    return problems.length > 0 ? 1 : 0;
  }
  if (problems.length > 0 && !opts.partial) {
    err(`${what}: nothing written, because ${problems.length} place(s) need a person (--partial writes the safe edits anyway)\n`);
    return 1;
  }
  for (const c of changed) writeFileSync(c.file, c.after);
  err(`${what}: changed ${changed.length} of ${targets.length} files\n`);
  return problems.length > 0 ? 1 : 0;
}

const program = new Command()
  .name("codemod")
  .description("rename or remove a hyperparameter key across experiment files")
  .option("--dry-run", "print a unified diff and write nothing")
  .option("--partial", "write the safe edits even when some places need a person")
  .option("--root <dir>", "workspace whose *.exp.ts files to edit when no files are given", workspaceRoot())
  .showHelpAfterError();

program
  .command("rename <from> <to> [files...]")
  .description("rename a key in fix({…}) objects, vary(\"key\", …) calls and where() filters")
  .action((from: string, to: string, files: string[]) => {
    process.exitCode = runCodemod({ kind: "rename", from, to }, files, program.opts<Options>());
  });

program
  .command("remove <key> [files...]")
  .description("remove a key from fix({…}) objects and drop its vary(…) axes (refuses where filters that read it)")
  .action((key: string, files: string[]) => {
    process.exitCode = runCodemod({ kind: "remove", key }, files, program.opts<Options>());
  });

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("codemod/main.ts")) {
  await program.parseAsync(process.argv);
}
