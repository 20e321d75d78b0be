/** A run's epoch records (metrics.jsonl): read strictly, peeked at leniently, appended durably, cut back for a resume. */
import { promises as fs, existsSync } from "node:fs";
import path from "node:path";
import { UserError } from "@ganscope/dsl";
import { StoreWriteError, appendLineDurable, describeErrno, writeFileAtomic } from "./atomic-file.js";
import { RESULTS_FILES, type EpochRecord } from "./store-formats.js";

/**
 * metrics.jsonl holds a line that is not a record (and is not the torn last
 * line of a killed append), or misses an epoch. The message names
 * `file:line`; the file is left untouched.
 */
export class CorruptRecordsError extends UserError {
  override readonly name = "CorruptRecordsError";
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(`${line !== undefined ? `${file}:${line}` : file}: ${detail}; the file is left as it is — repair or remove that line, or move the run's folder aside to train it again`);
  }
}

/**
 * The epoch records as written. Never writes: a torn last line (a process
 * killed mid-append leaves one, without its newline) is left out of the
 * result but stays in the file; any other line that is not a record, or
 * that repeats an epoch, throws a {@link CorruptRecordsError} naming
 * `file:line`.
 */
export async function readRecords(dir: string): Promise<EpochRecord[]> {
  return (await scanRecords(path.join(dir, RESULTS_FILES.metrics))).records;
}

async function scanRecords(file: string): Promise<{ records: EpochRecord[]; torn: boolean }> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { records: [], torn: false };
    throw new Error(`cannot read ${file}: ${describeErrno(e)}`);
  }
  const lines = text.split("\n");
  // The text after the last newline: empty, or a torn append.
  const tail = lines.pop()!;
  const records: EpochRecord[] = [];
  const seen = new Map<number, number>();
  const check = (line: string, lineNo: number): EpochRecord | string => {
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      return `not valid JSON (${(e as Error).message})`;
    }
    if (typeof rec !== "object" || rec === null || !Number.isSafeInteger((rec as EpochRecord).epoch) || (rec as EpochRecord).epoch < 1) {
      return `not an epoch record (expected an object with an integer "epoch" ≥ 1)`;
    }
    const epoch = (rec as EpochRecord).epoch;
    if (seen.has(epoch)) return `repeats epoch ${epoch} of line ${seen.get(epoch)}`;
    seen.set(epoch, lineNo);
    return rec as EpochRecord;
  };
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === "") continue;
    const r = check(lines[i]!, i + 1);
    if (typeof r === "string") throw new CorruptRecordsError(file, i + 1, r);
    records.push(r);
  }
  let torn = false;
  if (tail.trim() !== "") {
    const r = check(tail, lines.length + 1);
    // A complete record missing only its newline is kept; anything else there is a torn append.
    if (typeof r === "string") torn = true;
    else records.push(r);
  }
  return { records, torn };
}

/**
 * The records a resume from a checkpoint at `checkpointEpoch` continues
 * from: epochs 1..checkpointEpoch, in order. Epochs written after that
 * checkpoint (killed between record and checkpoint) are trained again, so
 * their lines and a torn last line are cut from the file — the only rewrite
 * of records there is. A corrupt line, or a missing epoch, throws naming the
 * file and the line, and the file is left as it is.
 */
export async function resumeRecords(dir: string, checkpointEpoch: number): Promise<EpochRecord[]> {
  const file = path.join(dir, RESULTS_FILES.metrics);
  const { records, torn } = await scanRecords(file);
  const kept = records.filter((r) => r.epoch <= checkpointEpoch).sort((a, b) => a.epoch - b.epoch);
  const missing: number[] = [];
  for (let e = 1, i = 0; e <= checkpointEpoch; e++) {
    if (kept[i]?.epoch === e) i++;
    else missing.push(e);
  }
  if (missing.length > 0) {
    throw new CorruptRecordsError(file, undefined, `the checkpoint is at epoch ${checkpointEpoch} but epoch${missing.length > 1 ? "s" : ""} ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""} ${missing.length > 1 ? "are" : "is"} missing`);
  }
  if (torn || kept.length !== records.length || records.some((r, i) => r !== kept[i])) {
    await writeFileAtomic(file, kept.map((r) => JSON.stringify(r) + "\n").join(""));
  }
  return kept;
}

/**
 * Moves metrics.jsonl aside (`metrics.jsonl.aside-<time>`) when a run
 * starts again from epoch 1 although records exist (its checkpoint was
 * deleted): they are kept, never dropped, and the new records start clean.
 * Returns the file they were moved to.
 */
export async function setRecordsAside(dir: string): Promise<string | undefined> {
  const file = path.join(dir, RESULTS_FILES.metrics);
  if (!existsSync(file)) return undefined;
  const aside = `${file}.aside-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  try {
    await fs.rename(file, aside);
  } catch (e) {
    throw StoreWriteError.from(file, e, "move aside");
  }
  return aside;
}

/**
 * The records as they are on disk, for reading another run's progress
 * (successive halving compares runs): never repairs or rewrites the file,
 * which its own runner may be appending to; unreadable lines are left out.
 */
export async function peekRecords(dir: string): Promise<EpochRecord[]> {
  const text = await fs.readFile(path.join(dir, RESULTS_FILES.metrics), "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return "";
    throw e;
  });
  const records: EpochRecord[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      records.push(JSON.parse(line) as EpochRecord);
    } catch {
      // A line being written right now, or a damaged one: its own runner deals with it.
    }
  }
  return records;
}

export async function appendRecord(dir: string, record: EpochRecord): Promise<void> {
  await fs.mkdir(dir, { recursive: true }).catch((e: unknown) => {
    throw StoreWriteError.from(dir, e, "create the folder");
  });
  await appendLineDurable(path.join(dir, RESULTS_FILES.metrics), JSON.stringify(record));
}
