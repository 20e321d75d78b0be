/**
 * Reader for IDX files, the format MNIST and its look-alikes ship in
 * (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS" at the bottom):
 *
 *   bytes 0-1  zero
 *   byte  2    data type (0x08 = unsigned byte, the only one these datasets use)
 *   byte  3    number of dimensions d
 *   then d big-endian uint32 sizes, then the data, row-major.
 *
 * Files may be raw or gzip-compressed; gzip is recognised by its magic bytes
 * (1f 8b), not by the file name, so a renamed file still reads.
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import { UserError } from "@ganscope/dsl";

/** A problem with a dataset or one of its files; the message names the file and what was expected. */
export class DataError extends UserError {
  override readonly name = "DataError";
  /** The file (or folder) at fault, when there is one. */
  readonly file: string | undefined;

  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.file = options.file;
  }
}

/** What an IDX file holds, as told by its magic number. */
export type IdxKind = "labels" | "images";

/** Magic numbers of the two unsigned-byte IDX layouts MNIST-style datasets use. */
export const IDX_MAGIC: Readonly<Record<IdxKind, number>> = Object.freeze({
  labels: 0x00000801,
  images: 0x00000803,
});

/** A parsed IDX file. `data` is row-major with `dims[0]` as the outer (item) axis. */
export interface IdxFile {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

export interface ReadIdxOptions {
  /** Require this layout (labels = 1-d, images = 3-d); a different magic number is an error. */
  expect?: IdxKind;
  /** Prefixed to every message, e.g. `dataset "mnist" (train images)`, so the user knows which input was read. */
  context?: string;
  /** Appended when the file does not exist: how to get it. */
  missingHint?: string;
}

const UNSIGNED_BYTE = 0x08;
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
/** Enough compressed bytes to inflate any IDX header (at most 4 + 4·255 bytes). */
const HEADER_PEEK_BYTES = 64 * 1024;

const DATA_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

/**
 * Reads and parses one IDX file (raw or gzip).
 *
 * @example
 * const { dims, data } = readIdxFile("train-images-idx3-ubyte", { expect: "images" });
 * // dims = [60000, 28, 28], data.length = 47_040_000
 */
export function readIdxFile(file: string, options: ReadIdxOptions = {}): IdxFile {
  return parseIdx(readWholeFile(file, options), file, options);
}

/**
 * Parses IDX bytes that came from `file` (used only in messages). Gzip input
 * is inflated first. The returned `data` is a view into the (inflated) bytes,
 * not a copy.
 */
export function parseIdx(bytes: Uint8Array, file: string, options: ReadIdxOptions = {}): IdxFile {
  const raw = isGzip(bytes) ? inflate(bytes, file, options, false) : bytes;
  const header = parseHeader(raw, file, options, isGzip(bytes));
  const expected = header.headerBytes + header.itemBytes;
  if (raw.length !== expected) {
    const shape = `dims [${header.dims.join(", ")}]`;
    const problem =
      raw.length < expected
        ? `truncated: expected ${expected} bytes (${header.headerBytes}-byte header + ${header.itemBytes} data bytes for ${shape}), got ${raw.length}`
        : `expected ${expected} bytes (${header.headerBytes}-byte header + ${header.itemBytes} data bytes for ${shape}), got ${raw.length}: trailing data after the last item`;
    throw new DataError(message(file, options, problem, isGzip(bytes) ? " (after gunzip)" : ""), { file });
  }
  const data = new Uint8Array(raw.buffer, raw.byteOffset + header.headerBytes, header.itemBytes);
  return { dims: header.dims, data };
}

/**
 * Reads only the header of an IDX file (raw or gzip) and returns its dims,
 * without reading or inflating the data: cheap enough to size a dataset
 * before loading it.
 */
export function readIdxHeader(file: string, options: ReadIdxOptions = {}): readonly number[] {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    throw openError(file, options, error);
  }
  try {
    const head = Buffer.alloc(HEADER_PEEK_BYTES);
    const got = readSync(fd, head, 0, head.length, 0);
    const bytes = head.subarray(0, got);
    const raw = isGzip(bytes) ? inflate(bytes, file, options, true) : bytes;
    return parseHeader(raw, file, options, isGzip(bytes)).dims;
  } finally {
    closeSync(fd);
  }
}

/**
 * Serialises dims and unsigned-byte data as an IDX file (raw; gzip it with
 * `node:zlib` if wanted). Used by tests and to write custom `idx:` datasets.
 */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Buffer {
  if (dims.length < 1 || dims.length > 255) {
    throw new RangeError(`encodeIdx: an IDX file has 1 to 255 dimensions, got ${dims.length}`);
  }
  let items = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) {
      throw new RangeError(`encodeIdx: every dimension must be an integer in [0, 2^32), got ${d}`);
    }
    items *= d;
  }
  if (items !== data.length) {
    throw new RangeError(`encodeIdx: dims [${dims.join(", ")}] hold ${items} bytes, but data has ${data.length}`);
  }
  const headerBytes = 4 + 4 * dims.length;
  const out = Buffer.alloc(headerBytes + data.length);
  out[2] = UNSIGNED_BYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => out.writeUInt32BE(d, 4 + 4 * i));
  out.set(data, headerBytes);
  return out;
}

interface Header {
  dims: number[];
  headerBytes: number;
  itemBytes: number;
}

function parseHeader(raw: Uint8Array, file: string, options: ReadIdxOptions, wasGzip: boolean): Header {
  const after = wasGzip ? " (after gunzip)" : "";
  const wanted = options.expect === undefined ? "0x00000801 (labels) or 0x00000803 (images)" : describeMagic(IDX_MAGIC[options.expect]);
  if (raw.length < 4) {
    throw new DataError(message(file, options, `truncated: expected at least a 4-byte IDX header, got ${raw.length} bytes`, after), { file });
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0);
  const dataType = raw[2] ?? 0;
  const ndims = raw[3] ?? 0;
  if (raw[0] !== 0 || raw[1] !== 0 || ndims === 0) {
    const what = wasGzip ? "gzip data that is not an IDX file" : "neither an IDX file nor gzip-compressed";
    throw new DataError(message(file, options, `${what}: magic number is ${hex(magic)}, expected ${wanted}`, ""), { file });
  }
  if (dataType !== UNSIGNED_BYTE) {
    const typeName = DATA_TYPE_NAMES[dataType] ?? "unknown type";
    throw new DataError(
      message(file, options, `unsupported IDX data type ${hex(dataType, 2)} (${typeName}) in magic number ${hex(magic)}: only unsigned-byte (0x08) files are read, expected ${wanted}`, after),
      { file },
    );
  }
  if (options.expect !== undefined && magic !== IDX_MAGIC[options.expect]) {
    const swapped = Object.entries(IDX_MAGIC).find(([, m]) => m === magic)?.[0];
    const hint = swapped === undefined ? "" : ` (this looks like a ${swapped} file: are the images and labels files swapped?)`;
    throw new DataError(message(file, options, `wrong magic number: got ${describeMagic(magic)}, expected ${wanted}${hint}`, after), { file });
  }
  const headerBytes = 4 + 4 * ndims;
  if (raw.length < headerBytes) {
    throw new DataError(
      message(file, options, `truncated: expected a ${headerBytes}-byte header for ${ndims} dimensions, got ${raw.length} bytes`, after),
      { file },
    );
  }
  const dims: number[] = [];
  let itemBytes = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i);
    dims.push(d);
    itemBytes *= d;
  }
  return { dims, headerBytes, itemBytes };
}

function readWholeFile(file: string, options: ReadIdxOptions): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    throw openError(file, options, error);
  }
}

function openError(file: string, options: ReadIdxOptions, error: unknown): DataError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") {
    const hint = options.missingHint === undefined ? "" : `. ${options.missingHint}`;
    return new DataError(message(file, options, `file does not exist${hint}`, ""), { file, cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new DataError(message(file, options, `cannot read file: ${reason}`, ""), { file, cause: error });
}

function inflate(bytes: Uint8Array, file: string, options: ReadIdxOptions, partial: boolean): Uint8Array {
  try {
    // A header peek holds only the start of the stream; sync-flush returns what inflated so far.
    return gunzipSync(bytes, partial ? { finishFlush: zlibConstants.Z_SYNC_FLUSH } : {});
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DataError(message(file, options, `corrupt gzip data (zlib: ${reason}); re-download or reinstall the file`, ""), {
      file,
      cause: error,
    });
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

function message(file: string, options: ReadIdxOptions, problem: string, after: string): string {
  const context = options.context === undefined ? "" : `${options.context}: `;
  return `${context}${file}${after}: ${problem}`;
}

function describeMagic(magic: number): string {
  const kind = Object.entries(IDX_MAGIC).find(([, m]) => m === magic)?.[0];
  return kind === undefined ? hex(magic) : `${hex(magic)} (${kind})`;
}

function hex(n: number, digits = 8): string {
  return `0x${n.toString(16).padStart(digits, "0")}`;
}
