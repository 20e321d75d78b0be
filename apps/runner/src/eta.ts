/**
 * A plan's ETA from measured training speed: steps actually trained in this
 * process over a recent window of wall time, across all workers. Steps that
 * were counted without training (a skipped run, the epochs before a resume)
 * never enter the rate, and there is no estimate before two measurements a
 * second apart — cli-progress's own ETA counted them as instant progress and
 * start-up time as slowness, printed "NFs" for Infinity and "0s" at 0%.
 */
export class EtaEstimator {
  private readonly samples: { t: number; steps: number }[] = [];
  private trained = 0;

  /** @param windowSecs how much recent history the rate is measured over */
  constructor(private readonly windowSecs = 30) {}

  /** `steps` more steps were trained, as seen at time `now` (seconds). */
  trainedSteps(steps: number, now: number): void {
    if (steps <= 0) return;
    this.trained += steps;
    this.samples.push({ t: now, steps: this.trained });
    // Keep one sample older than the window, so the rate always spans it.
    while (this.samples.length > 2 && this.samples[1]!.t <= now - this.windowSecs) this.samples.shift();
  }

  /** Steps per second over the window; undefined until it spans at least a second. */
  rate(): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.t - first.t < 1) return undefined;
    return (last.steps - first.steps) / (last.t - first.t);
  }

  /** Seconds left for `remainingSteps`, undefined while there is nothing to measure. */
  eta(remainingSteps: number): number | undefined {
    if (remainingSteps <= 0) return 0;
    const r = this.rate();
    return r === undefined || r <= 0 ? undefined : remainingSteps / r;
  }
}

/** "1h02m", "2m50s", "8s"; "…" while unknown. */
export function formatEta(secs: number | undefined): string {
  if (secs === undefined || !Number.isFinite(secs)) return "…";
  const s = Math.round(secs);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
