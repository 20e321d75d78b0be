/**
 * `--fuse`: which of a plan's same-shape runs train as one fused model, and
 * how the group size was chosen. `auto` measures each shape's throughput per
 * group size once per machine, backend and shape, in a worker of its own
 * (calibrateFusion), and caches it in the machine's cache folder under the
 * machine's id (machine-cache.ts, as step-times.ts); the study's dry run
 * prices fused runs from the same cache.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RunConfig, RunSpec } from "@ganscope/dsl";
import { fusionKey, type BackendName } from "@ganscope/models";
import { writeJsonAtomic } from "@ganscope/tracking";
import { chooseK, planGroups, type FusionMeasurement } from "./fusion.js";
import { cachePath, machineId } from "./machine-cache.js";
import { calibrateFusion } from "./scheduler.js";

/** `auto` (measured on this machine), `off`, or a fixed group size. */
export type Fuse = "auto" | "off" | number;

/**
 * The fused kernels' and their measurement's version, part of the
 * measurement cache's key: a measurement of older kernels says nothing about
 * these. 2: batched products as one MatMul per run and per-run L2Loss norms
 * on tensorflow; 3: every size timed twice, the faster round kept.
 */
const FUSED_KERNELS = 3;

/** Group sizes --fuse=auto measures. */
const FUSE_CANDIDATES = [1, 2, 4, 8, 16];

/** The folder of fusion measurements, one file per machine key. */
export const fusionCacheDir = (): string => cachePath("fusion");

/** What a cached measurement was taken on; its hash names the cache file. */
interface FusionMachine {
  machine: string;
  cores: number;
  backend: string;
  tfThreads: string;
  key: string;
  ks: number[];
  kernels: number;
}

/**
 * Fused groups for a plan and how their size was chosen (recorded in each
 * fused run's config.json). auto measures each shape's throughput per group
 * size once per machine, backend and shape (cached in {@link fusionCacheDir}).
 */
export async function fusionPlan(
  runs: readonly RunSpec[],
  fuse: Fuse,
  workers: number,
  backend: BackendName | undefined,
  log: (line: string) => void,
): Promise<{ groups: RunSpec[][] | undefined; fusion: unknown }> {
  if (fuse === "off") return { groups: undefined, fusion: undefined };
  if (typeof fuse === "number") return { groups: planGroups(runs, () => fuse, workers), fusion: { mode: "fixed", k: fuse } };
  const counts = new Map<string, RunSpec[]>();
  for (const r of runs) counts.set(fusionKey(r.config), [...(counts.get(fusionKey(r.config)) ?? []), r]);
  const picks = new Map<string, { k: number; measured: FusionMeasurement[]; cache: string; cached: boolean }>();
  for (const [key, rs] of counts) {
    const cap = Math.ceil(rs.length / workers);
    const ks = FUSE_CANDIDATES.filter((k) => k <= cap);
    if (ks.length < 2) continue;
    const machine: FusionMachine = {
      machine: machineId(),
      cores: os.availableParallelism(),
      backend: backend ?? "default",
      tfThreads: process.env["TF_NUM_INTRAOP_THREADS"] ?? "1",
      key,
      ks,
      kernels: FUSED_KERNELS,
    };
    const cache = path.join(fusionCacheDir(), `${createHash("sha1").update(JSON.stringify(machine)).digest("hex").slice(0, 16)}.json`);
    let measured: FusionMeasurement[] | undefined;
    const cached = existsSync(cache);
    if (cached) measured = (JSON.parse(readFileSync(cache, "utf8")) as { measured: FusionMeasurement[] }).measured;
    else {
      log(`fusion: measuring group sizes ${ks.join(", ")} for ${rs.length} runs of one shape on this machine (once; cached in ${cache})`);
      measured = await calibrateFusion(rs[0]!.config, ks, backend);
      await writeJsonAtomic(cache, { machine, measured, at: new Date().toISOString() });
    }
    picks.set(key, { k: chooseK(measured, rs.length, workers), measured, cache, cached });
  }
  const groups = planGroups(runs, (key) => picks.get(key)?.k ?? 1, workers);
  for (const [, p] of picks) {
    log(`fusion: auto picked K=${p.k} (CPU ms per run-step: ${p.measured.map((m) => `K=${m.k} ${m.cpuMsPerRunStep.toFixed(1)}`).join(", ")}${p.cached ? ", measured earlier" : ""})`);
  }
  return { groups, fusion: { mode: "auto", picks: [...picks.values()].map(({ k, measured, cache }) => ({ k, measured, cache })) } };
}

/**
 * What fusion saves per run-step for a config's shape on this machine, from the measurements `--fuse auto`
 * cached (K = 1's CPU ms over the fastest K's), or undefined when the shape was never measured here.
 */
export function cachedFusionSpeedup(config: RunConfig, backend: BackendName | undefined): number | undefined {
  const dir = fusionCacheDir();
  if (!existsSync(dir)) return undefined;
  const key = fusionKey(config);
  let best: number | undefined;
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    try {
      const c = JSON.parse(readFileSync(path.join(dir, name), "utf8")) as { machine: FusionMachine; measured: FusionMeasurement[] };
      if (c.machine.key !== key || c.machine.machine !== machineId() || c.machine.backend !== (backend ?? "default") || c.machine.kernels !== FUSED_KERNELS) continue;
      const one = c.measured.find((m) => m.k === 1)?.cpuMsPerRunStep;
      const fastest = Math.min(...c.measured.map((m) => m.cpuMsPerRunStep));
      if (one !== undefined && Number.isFinite(fastest) && fastest > 0) best = Math.max(best ?? 0, one / fastest);
    } catch {
      // An unreadable cache file is a measurement not taken.
    }
  }
  return best;
}
