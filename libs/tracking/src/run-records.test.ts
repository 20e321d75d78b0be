/**
 * The run store's records as a law: whatever records a run appends, every
 * reader gives them back as JSON keeps them (NaN and ±Infinity as null), and
 * a torn append — any strict prefix of the next line, what a kill mid-write
 * leaves — changes nothing that is read and no byte of the file.
 */
import fc from "fast-check";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { epochRecordsArb } from "@ganscope/dsl/testing";
import type { EpochRecord } from "./store-formats.js";
import { RunStore } from "./run-store.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-store-records-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const store = new RunStore(tmp);
let runs = 0;

/** A record as the store keeps it: through JSON, so a non-finite number is null. */
const asStored = (r: object): EpochRecord => JSON.parse(JSON.stringify(r)) as EpochRecord;

describe("a run's records on disk", () => {
  it("read back as appended, by every reader, and a resume keeps the epochs up to its checkpoint", async () => {
    await fc.assert(
      fc.asyncProperty(epochRecordsArb({ maxEpochs: 8 }), fc.nat(), async (records, at) => {
        const run = store.run("round-trip", `run-${runs++}`);
        for (const r of records) await run.appendRecord(r as EpochRecord);
        const expected = records.map(asStored);
        expect(await run.readRecords()).toEqual(expected);
        expect(await run.peekRecords()).toEqual(expected);
        const checkpoint = at % (records.length + 1);
        expect(await run.resumeRecords(checkpoint)).toEqual(expected.slice(0, checkpoint));
        expect(await run.readRecords()).toEqual(expected.slice(0, checkpoint));
      }),
      { numRuns: 40 },
    );
  });

  it("a torn append is left out of what is read and kept in the file, byte for byte", async () => {
    await fc.assert(
      fc.asyncProperty(epochRecordsArb({ maxEpochs: 6 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), async (records, cut) => {
        const run = store.run("torn", `run-${runs++}`);
        mkdirSync(run.dir, { recursive: true });
        for (const r of records.slice(0, -1)) await run.appendRecord(r as EpochRecord);
        // A strict prefix of the last record's line, without its newline: never a whole JSON object.
        const line = JSON.stringify(records.at(-1));
        const torn = line.slice(0, Math.max(1, Math.floor(cut * line.length)));
        appendFileSync(run.file("metrics.jsonl"), torn);
        const bytes = readFileSync(run.file("metrics.jsonl"));
        expect(await run.readRecords()).toEqual(records.slice(0, -1).map(asStored));
        expect(readFileSync(run.file("metrics.jsonl")).equals(bytes)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
