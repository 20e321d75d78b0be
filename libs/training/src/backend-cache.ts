/**
 * `--backend auto` on a machine with a GPU: for each shape of network in a
 * plan, at the fused group size it trains with, the ms per run-step of
 * webgpu and of the best CPU backend, measured once per machine (adapter,
 * host and CPU, shape, K) in workers of their own and cached in the
 * machine's cache folder beside the fusion measurements (machine-cache.ts);
 * chooseBackend (backend-choice.ts) decides from them on every plan. Where
 * Dawn finds no adapter auto may use (no GPU, or only a software one not
 * asked for), nothing is measured, nothing printed, and every run trains on
 * the CPU backend as before.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { RunSpec } from "@ganscope/dsl";
import { adapterLine, fusionKey, probeWebgpu, WEBGPU_ADAPTER_ENV, type BackendName } from "@ganscope/models";
import { writeJsonAtomic } from "@ganscope/tracking";
import { backendCacheKey, chooseBackend, type BackendChoice, type BackendMachine, type BackendTiming } from "./backend-choice.js";
import { cachePath, machineId } from "./machine-cache.js";
import { calibrateGroups } from "./scheduler.js";

/**
 * The measurement's version, part of its cache key. 1: wall ms per run-step
 * of a fused group of K (measureFusion, the faster of two rounds), one
 * worker per backend, one after the other. Wall, not CPU time: a GPU's work
 * is not the process's CPU time.
 */
const MEASUREMENT = 1;

/** The folder of backend measurements, one file per key. */
export const backendCacheDir = (): string => cachePath("backend");

/** What the cache holds for one key. */
interface BackendMeasurement {
  machine: BackendMachine;
  cpu: BackendTiming;
  webgpu: BackendTiming;
  at: string;
}

/** One shape's pick and what it was decided from. */
export interface ShapePick extends BackendChoice {
  shape: string;
  k: number;
  runs: number;
  cpuBackend: BackendName;
  cpuWorkers: number;
  measured: { cpu: BackendTiming; webgpu: BackendTiming };
  cache: string;
  cached: boolean;
}

/**
 * `--backend auto`'s backend for each group of a plan (groups as fusionPlan
 * made them; a run alone is a group of one): the runs that train on webgpu,
 * by run id, for the scheduler, and each measured shape's pick. Undefined
 * where a backend was named or no adapter auto may use exists.
 */
export async function backendPlan(
  groups: readonly (readonly RunSpec[])[],
  backend: BackendName | undefined,
  workers: number,
  log: (line: string) => void,
): Promise<{ backends: Map<string, BackendName>; picks: ShapePick[] } | undefined> {
  if (backend !== undefined || groups.length === 0) return undefined;
  const probe = await probeWebgpu();
  if ("none" in probe) return undefined;
  const adapter = probe.adapter;
  const byShape = new Map<string, (readonly RunSpec[])[]>();
  for (const g of groups) byShape.set(fusionKey(g[0]!.config), [...(byShape.get(fusionKey(g[0]!.config)) ?? []), g]);
  const backends = new Map<string, BackendName>();
  const picks: ShapePick[] = [];
  for (const [shape, gs] of byShape) {
    const k = Math.max(...gs.map((g) => g.length));
    const machine: BackendMachine = { machine: machineId(), adapter, shape, k, tfThreads: process.env["TF_NUM_INTRAOP_THREADS"] ?? "1", version: MEASUREMENT };
    const cache = path.join(backendCacheDir(), `${createHash("sha1").update(backendCacheKey(machine)).digest("hex").slice(0, 16)}.json`);
    let m = readMeasurement(cache);
    const cached = m !== undefined;
    if (!m) {
      log(`backend: measuring webgpu on ${adapterLine(adapter)} against the CPU backend for one shape at K=${k} (once; cached in ${cache})`);
      const config = gs[0]![0]!.config;
      try {
        const cpu = await calibrateGroups(config, [k]);
        const gpu = await calibrateGroups(config, [k], "webgpu");
        m = {
          machine,
          cpu: { backend: cpu.backend.name, msPerRunStep: cpu.measured[0]!.wallMsPerRunStep },
          webgpu: { backend: "webgpu", msPerRunStep: gpu.measured[0]!.wallMsPerRunStep },
          at: new Date().toISOString(),
        };
      } catch (e) {
        // Not cached: a failed start (a driver that went away) is not a measurement.
        log(`backend: auto could not measure webgpu (${(e as Error).message.split("\n")[0]}); training on the CPU backend`);
        continue;
      }
      await writeJsonAtomic(cache, m);
    }
    const runs = gs.reduce((n, g) => n + g.length, 0);
    const cpuWorkers = Math.min(workers, gs.length);
    const choice = chooseBackend({ cpu: m.cpu, webgpu: { ...m.webgpu, adapter }, softwareAllowed: process.env[WEBGPU_ADAPTER_ENV] === "software", cpuWorkers });
    picks.push({ ...choice, shape, k, runs, cpuBackend: m.cpu.backend, cpuWorkers, measured: { cpu: m.cpu, webgpu: m.webgpu }, cache, cached });
    if (choice.backend === "webgpu") for (const g of gs) for (const r of g) backends.set(r.runId, "webgpu");
  }
  for (const p of picks) log(describePick(p));
  return { backends, picks };
}

/** A cached measurement; undefined where there is none or it cannot be read (then it is taken again). */
function readMeasurement(file: string): BackendMeasurement | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, "utf8")) as BackendMeasurement;
    return Number.isFinite(m.cpu?.msPerRunStep) && Number.isFinite(m.webgpu?.msPerRunStep) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The runner's line for one shape's pick. */
function describePick(p: ShapePick): string {
  const fmt = (x: number) => x.toFixed(1);
  const cpu = `${p.cpuBackend} ${fmt(p.measured.cpu.msPerRunStep)}${p.cpuWorkers > 1 ? ` over ${p.cpuWorkers} workers = ${fmt(p.cpuMs)}` : ""}`;
  return `backend: auto picked ${p.backend} for ${p.runs} run${p.runs === 1 ? "" : "s"} of one shape at K=${p.k} (ms per run-step: ${cpu}, webgpu ${fmt(p.measured.webgpu.msPerRunStep)}${p.cached ? ", measured earlier" : ""})`;
}
