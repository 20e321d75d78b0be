import type { RunConfig, RunSpec } from "@ganscope/dsl";
import { createGan, createGanGroup, fusionKey, stackBatches } from "@ganscope/models";

/** One measured group size: CPU ms per run-step (all threads), the fair clock on a shared machine. */
export interface FusionMeasurement {
  k: number;
  cpuMsPerRunStep: number;
  wallMsPerRunStep: number;
}

/**
 * Splits a plan's runs into fused groups of at most `k` runs with equal
 * shapes (fusionKey), in plan order. Runs of a shape are spread over
 * ceil(n / k) groups of near-equal size, so 10 runs at K = 4 train as
 * 4 + 3 + 3 rather than 4 + 4 + 2. With `workers` workers taking groups
 * from one queue, the plan's group count is then raised, one group at a
 * time for the shape with the largest groups, until it is a multiple of
 * `workers` (or every run is alone): on 2 workers those 10 runs train as
 * 3 + 3 + 2 + 2, five a worker, not 4 + 3 + 3, where one worker trains 6
 * while the other idles after 4 (the study bench: `--fuse=auto`'s K = 4
 * took 51.1 s where two groups of 5 took 43.1). A plan already balanced
 * (4 shapes of 4 runs at K = 4 on 4 workers) is left as it is.
 */
export function planGroups(runs: readonly RunSpec[], k: (key: string, count: number) => number, workers = 1): RunSpec[][] {
  const byKey = new Map<string, RunSpec[]>();
  for (const r of runs) {
    const key = fusionKey(r.config);
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  const shapes = [...byKey].map(([key, rs]) => ({ rs, n: Math.ceil(rs.length / Math.max(1, Math.min(rs.length, Math.floor(k(key, rs.length))))) }));
  const w = Math.max(1, Math.floor(workers));
  const total = () => shapes.reduce((sum, s) => sum + s.n, 0);
  while (total() % w !== 0) {
    const splittable = shapes.filter((s) => s.n < s.rs.length);
    if (splittable.length === 0) break;
    // The shape whose largest group is largest gives up a run to a new group.
    const largest = splittable.reduce((a, b) => (Math.ceil(b.rs.length / b.n) > Math.ceil(a.rs.length / a.n) ? b : a));
    largest.n++;
  }
  const groups: RunSpec[][] = [];
  for (const { rs, n } of shapes) {
    for (let g = 0, at = 0; g < n; g++) {
      const take = Math.ceil((rs.length - at) / (n - g));
      groups.push(rs.slice(at, at + take));
      at += take;
    }
  }
  return groups;
}

/**
 * Times a fused group of each size on the active backend, with `config`'s
 * shapes and random images: a few warm-up steps, then ~`runSteps` run-steps,
 * over all sizes twice, keeping each size's faster round. The first size
 * timed in a fresh worker pays for the process's warm-up (JIT, TensorFlow's
 * first allocations): measured once, K = 1 read 48.4 CPU ms per run-step
 * where it takes ~31 once warm, which made auto pick a larger K than the
 * measurements warranted.
 * What `--fuse=auto` decides from.
 */
export async function measureFusion(config: RunConfig, ks: readonly number[], runSteps = 48, imageSize = 784, rounds = 2): Promise<FusionMeasurement[]> {
  const best = new Map<number, FusionMeasurement>();
  for (let round = 0; round < rounds; round++) {
    for (const k of ks) {
      const m = await timeGroup(config, k, runSteps, imageSize);
      const prev = best.get(k);
      best.set(k, prev ? { k, cpuMsPerRunStep: Math.min(prev.cpuMsPerRunStep, m.cpuMsPerRunStep), wallMsPerRunStep: Math.min(prev.wallMsPerRunStep, m.wallMsPerRunStep) } : m);
    }
  }
  return ks.map((k) => best.get(k)!);
}

async function timeGroup(config: RunConfig, k: number, runSteps: number, imageSize: number): Promise<FusionMeasurement> {
  const members = Array.from({ length: k }, (_, i) => createGan({ ...config, seed: config.seed + i }));
  const group = await createGanGroup(members);
  try {
    const images = Array.from({ length: k }, () => Float32Array.from({ length: config.batch_size * imageSize }, () => Math.random() * 2 - 1));
    const step = () => {
      const reals = stackBatches(images, config.batch_size, imageSize);
      group.trainStep(reals);
      reals.dispose();
    };
    for (let i = 0; i < 2; i++) step();
    await group.takeStats();
    const n = Math.max(2, Math.ceil(runSteps / k));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) step();
    await group.takeStats();
    const c = process.cpuUsage(c0);
    return { k, cpuMsPerRunStep: (c.user + c.system) / 1000 / (n * k), wallMsPerRunStep: (performance.now() - t0) / (n * k) };
  } finally {
    group.dispose();
    members.forEach((g) => g.dispose());
  }
}

/**
 * The group size --fuse=auto uses: the measured size with the least CPU time
 * per run-step, the smallest one within 5 % of it (a larger group gains
 * nothing and makes more runs wait for the slowest), and no larger than
 * each worker's share of the runs, so that every worker has a group.
 */
export function chooseK(measured: readonly FusionMeasurement[], runs: number, workers: number): number {
  const cap = Math.max(1, Math.ceil(runs / Math.max(1, workers)));
  const usable = measured.filter((m) => m.k <= cap);
  if (usable.length === 0) return 1;
  const best = Math.min(...usable.map((m) => m.cpuMsPerRunStep));
  return Math.min(...usable.filter((m) => m.cpuMsPerRunStep <= best * 1.05).map((m) => m.k));
}
