import { accessSync, constants, promises as fs, statSync } from "node:fs";
import path from "node:path";

/** What an errno means to a user, for the one line a failed write prints. */
const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a path component is a file, not a folder",
  EISDIR: "is a folder, not a file",
  ENAMETOOLONG: "file name too long",
  EIO: "input/output error",
  EEXIST: "already exists",
};

/** The user's words for an errno, or the system's message. */
export function describeErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && ERRNO_WORDS[code]) return `${ERRNO_WORDS[code]} (${code})`;
  return (e as Error | undefined)?.message ?? String(e);
}

/**
 * A write to the run store (or a receipt) that did not happen. The message is
 * one line naming the file and the cause; the previous content of the file is
 * untouched and no temp file is left behind.
 */
export class StoreWriteError extends Error {
  override readonly name = "StoreWriteError";
  constructor(
    readonly file: string,
    /** The errno code (ENOSPC, EROFS, …) or "EVERIFY" when the bytes read back differ. */
    readonly code: string,
    message: string,
    /** `cause`: what failed, for a caller that words the failure its own way (a checkpoint's). */
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  static from(file: string, e: unknown, doing = "write"): StoreWriteError {
    if (e instanceof StoreWriteError) return e;
    let code = (e as NodeJS.ErrnoException).code ?? "EUNKNOWN";
    // A recursive mkdir under a read-only or unwritable folder reports ENOENT; the nearest existing folder knows why.
    if (code === "ENOENT") {
      const why = whyUnwritable(file);
      if (why) {
        code = why;
        e = Object.assign(new Error(why), { code: why });
      }
    }
    const advice = code === "ENOSPC" || code === "EDQUOT" ? "; free some space and run again (finished epochs are kept)" : code === "EROFS" || code === "EACCES" || code === "EPERM" ? "; pass a writable --results folder" : "";
    return new StoreWriteError(file, code, `cannot ${doing} ${file}: ${describeErrno(e)}${advice}`, { cause: e });
  }
}

/** The errno that writing into the nearest existing ancestor of `file` gets (EROFS, EACCES, ENOTDIR), if any. */
function whyUnwritable(file: string): string | undefined {
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    try {
      const st = statSync(dir);
      if (!st.isDirectory()) return "ENOTDIR";
      accessSync(dir, constants.W_OK);
      return undefined;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") return code;
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

type Chunks = string | Uint8Array | readonly Uint8Array[];

function toBuffers(data: Chunks): Buffer[] {
  if (typeof data === "string") return [Buffer.from(data, "utf8")];
  if (data instanceof Uint8Array) return [Buffer.from(data.buffer, data.byteOffset, data.byteLength)];
  return data.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength));
}

/**
 * Writes every byte: a write(2) may write fewer bytes than asked (a nearly
 * full disk does exactly that, then fails on the next call), and
 * FileHandle.writev reports such a short write without throwing.
 */
async function writeAll(handle: fs.FileHandle, buffers: readonly Buffer[], position: number): Promise<number> {
  let pos = position;
  for (const buf of buffers) {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await handle.write(buf, off, buf.length - off, pos);
      if (bytesWritten <= 0) throw Object.assign(new Error("short write"), { code: "ENOSPC" });
      off += bytesWritten;
      pos += bytesWritten;
    }
  }
  return pos - position;
}

/** Makes a rename durable: fsync the folder that holds the entry (best effort where folders cannot be synced). */
async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "EPERM" && code !== "EBADF") throw e;
  } finally {
    await handle?.close().catch(() => {});
  }
}

export interface AtomicWriteOptions {
  /**
   * Called with the bytes read back from the temp file before it replaces the
   * old one; throw to refuse them (e.g. a checkpoint that does not parse).
   */
  verify?: (bytes: Buffer) => void;
}

/**
 * Writes a file so that readers only ever see the old or the new content, and
 * a failure never passes for success: temp file in the same folder, every
 * byte written (short writes retried), fsync, read back and compared, then
 * renamed over the old file and the folder fsynced. On any failure the temp
 * file is removed, the old file is untouched, and a {@link StoreWriteError}
 * names the file and the cause.
 */
export async function writeFileAtomic(file: string, data: Chunks, opts: AtomicWriteOptions = {}): Promise<void> {
  const buffers = toBuffers(data);
  const expected = buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers);
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
  } catch (e) {
    throw StoreWriteError.from(path.dirname(file), e, "create the folder");
  }
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, "wx");
    await writeAll(handle, buffers, 0);
    await handle.sync();
    await handle.close();
    handle = undefined;
    const back = await fs.readFile(tmp);
    if (!back.equals(expected)) {
      throw Object.assign(new Error(`${back.length} of ${expected.length} bytes read back as written; the previous version is kept`), { code: "EVERIFY" });
    }
    opts.verify?.(back);
    await fs.rename(tmp, file);
  } catch (e) {
    await handle?.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw StoreWriteError.from(file, e);
  }
  try {
    await syncDir(path.dirname(file));
  } catch (e) {
    throw StoreWriteError.from(path.dirname(file), e, "sync the folder");
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Appends one line and fsyncs it, so an acknowledged epoch survives a kill -9.
 * A write that fails halfway (full disk) is cut back to the old length, so it
 * leaves no torn line for the next reader to stumble on.
 */
export async function appendLineDurable(file: string, line: string): Promise<void> {
  const bytes = Buffer.from(line.endsWith("\n") ? line : line + "\n", "utf8");
  let handle: fs.FileHandle | undefined;
  let start: number | undefined;
  try {
    handle = await fs.open(file, "a+");
    start = (await handle.stat()).size;
    // Positioned writes on an O_APPEND handle still append on Linux; writeAll's position only counts.
    await writeAll(handle, [bytes], start);
    await handle.sync();
  } catch (e) {
    if (handle && start !== undefined) await handle.truncate(start).catch(() => {});
    throw StoreWriteError.from(file, e, "append to");
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** A JSON file that exists but cannot be read as JSON: names the file and what is wrong. */
export class CorruptFileError extends Error {
  override readonly name = "CorruptFileError";
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file} is not valid JSON (${detail})`);
  }
}

export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`cannot read ${file}: ${describeErrno(e)}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new CorruptFileError(file, text.trim() === "" ? "it is empty" : (e as Error).message);
  }
}
