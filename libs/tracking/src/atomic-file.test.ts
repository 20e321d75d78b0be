import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CorruptFileError, StoreWriteError, appendLineDurable, readJsonIfExists, writeFileAtomic } from "./atomic-file.js";
import { canMount, mountReadOnly, mountTmpfs } from "./testing/fault-mounts.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-atomic-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const temps = (dir: string) => readdirSync(dir).filter((n) => n.includes(".tmp-"));

async function failure(p: Promise<unknown>): Promise<StoreWriteError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StoreWriteError);
  return e as StoreWriteError;
}

describe("writeFileAtomic", () => {
  it("writes exactly the bytes given, leaving no temp file (any content, any chunking)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 4 }), async (chunks) => {
        const file = path.join(tmp, "prop.bin");
        await writeFileAtomic(file, chunks);
        expect(readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
        expect(temps(tmp)).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });

  it("refused by its verify callback: the old file stays and no temp file is left", async () => {
    const file = path.join(tmp, "verified.json");
    await writeFileAtomic(file, "old\n");
    await expect(
      writeFileAtomic(file, "new\n", {
        verify: () => {
          throw new Error("does not parse");
        },
      }),
    ).rejects.toThrow(/verified\.json: does not parse/);
    expect(readFileSync(file, "utf8")).toBe("old\n");
    expect(temps(tmp)).toEqual([]);
  });

  it.runIf(canMount)("on a full disk: one line naming the file and ENOSPC, the old file intact, no temp file left", async () => {
    const disk = mountTmpfs("256k");
    try {
      const file = path.join(disk.dir, "status.json");
      await writeFileAtomic(file, '{"old":true}\n');
      const e = await failure(writeFileAtomic(file, new Uint8Array(1 << 20).fill(7)));
      expect(e.code).toBe("ENOSPC");
      expect(e.message).toBe(`cannot write ${file}: no space left on device (ENOSPC); free some space and run again (finished epochs are kept)`);
      expect(readFileSync(file, "utf8")).toBe('{"old":true}\n');
      expect(temps(disk.dir)).toEqual([]);
    } finally {
      disk.unmount();
    }
  });

  it.runIf(canMount)("on a read-only folder: EROFS named, the file untouched", async () => {
    const src = mkdtempSync(path.join(tmp, "ro-src-"));
    writeFileSync(path.join(src, "plan.json"), "{}\n");
    const ro = mountReadOnly(src);
    try {
      const e = await failure(writeFileAtomic(path.join(ro.dir, "plan.json"), '{"new":1}\n'));
      expect(e.code).toBe("EROFS");
      expect(e.message).toMatch(/^cannot write .*plan\.json: read-only file system \(EROFS\); pass a writable --results folder$/);
      expect(readFileSync(path.join(src, "plan.json"), "utf8")).toBe("{}\n");
    } finally {
      ro.unmount();
    }
  });
});

describe("appendLineDurable", () => {
  it.runIf(canMount)("a line that does not fit on the disk is cut back: no torn line, earlier lines intact", async () => {
    const disk = mountTmpfs("64k");
    try {
      const file = path.join(disk.dir, "metrics.jsonl");
      await appendLineDurable(file, '{"epoch":1}');
      const e = await failure(appendLineDurable(file, JSON.stringify({ epoch: 2, pad: "x".repeat(200_000) })));
      expect(e.code).toBe("ENOSPC");
      expect(e.message).toMatch(/^cannot append to .*metrics\.jsonl: no space left on device \(ENOSPC\)/);
      expect(readFileSync(file, "utf8")).toBe('{"epoch":1}\n');
    } finally {
      disk.unmount();
    }
  });
});

describe("readJsonIfExists", () => {
  it("names the file of invalid or empty JSON; a missing file is undefined", async () => {
    const file = path.join(tmp, "status.json");
    writeFileSync(file, '{"state": "runn');
    await expect(readJsonIfExists(file)).rejects.toThrow(new RegExp(`^${file.replace(/[.]/g, "\\.")} is not valid JSON \\(`));
    writeFileSync(file, "");
    await expect(readJsonIfExists(file)).rejects.toBeInstanceOf(CorruptFileError);
    await expect(readJsonIfExists(file)).rejects.toThrow(/is not valid JSON \(it is empty\)/);
    expect(await readJsonIfExists(path.join(tmp, "absent.json"))).toBeUndefined();
  });
});
