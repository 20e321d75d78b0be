import { promises as fs } from "node:fs";
import path from "node:path";

/**
 * Writes a file so that readers only ever see the old or the new content:
 * temp file in the same folder, fsync, rename.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const handle = await fs.open(tmp, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}

/** Appends one line and fsyncs it, so an acknowledged epoch survives a kill -9. */
export async function appendLineDurable(file: string, line: string): Promise<void> {
  const handle = await fs.open(file, "a");
  try {
    await handle.write(line.endsWith("\n") ? line : line + "\n");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}
