/**
 * Real filesystem faults for tests: a small tmpfs that fills up (ENOSPC) and
 * a read-only bind mount (EROFS). Both need root; `canMount` says whether
 * this process can make them, so a test runs them for real or is skipped
 * visibly (`it.runIf(canMount)`), never faked.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

function tryMount(): boolean {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(path.join(os.tmpdir(), "ganscope-mount-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** True where this process may mount (root on Linux, not inside a container that forbids it). */
export const canMount: boolean = tryMount();

export interface Mounted {
  readonly dir: string;
  /** Resizes a tmpfs (e.g. to "free some space" before the rerun). */
  resize(size: string): void;
  /** Unmounts and removes the mount point. */
  unmount(): void;
}

/** A tmpfs of `size` (e.g. "2m") at a fresh folder: writes past it fail with ENOSPC. */
export function mountTmpfs(size: string, parent = os.tmpdir()): Mounted {
  const dir = mkdtempSync(path.join(parent, "ganscope-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  return {
    dir,
    resize: (s) => execFileSync("mount", ["-o", `remount,size=${s}`, dir]),
    unmount: () => {
      execFileSync("umount", ["-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `source` seen read-only at a fresh folder (bind mount, remounted ro): writes fail with EROFS. */
export function mountReadOnly(source: string, parent = os.tmpdir()): Mounted {
  const dir = path.join(mkdtempSync(path.join(parent, "ganscope-ro-")), "ro");
  mkdirSync(dir);
  execFileSync("mount", ["--bind", source, dir]);
  execFileSync("mount", ["-o", "remount,ro,bind", dir]);
  return {
    dir,
    resize: () => {
      throw new Error("a bind mount has no size");
    },
    unmount: () => {
      execFileSync("umount", ["-l", dir]);
      rmSync(path.dirname(dir), { recursive: true, force: true });
    },
  };
}
