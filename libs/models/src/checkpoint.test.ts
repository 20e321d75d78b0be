/**
 * Checkpoints under real faults: a full tmpfs (root only), a truncated file,
 * a corrupt header. The previous checkpoint must survive a failed save and
 * still restore; a bad file must say what is wrong with it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS, type RunConfig } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { CheckpointError, createGan, loadCheckpoint, saveCheckpoint, selectBackend } from "./index.js";

const small: RunConfig = { ...DEFAULTS, ...TINY_GAN, limit: 128, batch_size: 32, seed: 3 };
const tmp = mkdtempSync(path.join(os.tmpdir(), "ganscope-ckpt-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await selectBackend("cpu");
});

const isRoot = process.platform === "linux" && process.getuid?.() === 0;

describe("checkpoint faults", () => {
  it.runIf(isRoot)("a save that does not fit on the disk fails in one line and leaves the previous checkpoint, which still restores", async () => {
    const gan = createGan(small);
    const disk = mkdtempSync(path.join(tmp, "disk-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk]);
    try {
      const file = path.join(disk, "checkpoint.bin");
      await saveCheckpoint(gan, file, { epoch: 1 });
      const good = readFileSync(file);
      // Leave less free space than one more checkpoint needs.
      writeFileSync(path.join(disk, "filler"), Buffer.alloc(1024 * 1024 - 2 * 4096 - good.length - 64 * 1024));
      const err = await saveCheckpoint(gan, file, { epoch: 2 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as CheckpointError).code).toBe("ENOSPC");
      expect((err as Error).message).toBe(`${file}: cannot write checkpoint: no space left on device (ENOSPC); free some space and run again (it resumes from the previous checkpoint)`);
      expect(readFileSync(file).equals(good)).toBe(true);
      expect(readdirSync(disk).sort()).toEqual(["checkpoint.bin", "filler"]);
      const again = createGan(small);
      expect(await loadCheckpoint(again, file)).toEqual({ epoch: 1 });
      again.dispose();
    } finally {
      execFileSync("umount", ["-l", disk]);
      gan.dispose();
    }
  });

  it("a truncated or corrupt checkpoint is refused with what is wrong, before any weight is touched", async () => {
    const gan = createGan(small);
    const file = path.join(tmp, "ck.bin");
    await saveCheckpoint(gan, file, { epoch: 4 });
    const bytes = readFileSync(file);
    const cut = path.join(tmp, "cut.bin");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
    await expect(loadCheckpoint(gan, cut)).rejects.toThrow(new RegExp(`cut\\.bin: truncated checkpoint at tensor \\S+: ${bytes.length - 1000} bytes where ${bytes.length} are needed`));
    const garbage = path.join(tmp, "garbage.bin");
    writeFileSync(garbage, "hello");
    await expect(loadCheckpoint(gan, garbage)).rejects.toThrow(/garbage\.bin: not a ganscope checkpoint \(bad magic\)/);
    const header = Buffer.from(bytes);
    header.write("{{{{", 8, "utf8");
    writeFileSync(garbage, header);
    await expect(loadCheckpoint(gan, garbage)).rejects.toThrow(/garbage\.bin: corrupt checkpoint header/);
    gan.dispose();
  });
});
