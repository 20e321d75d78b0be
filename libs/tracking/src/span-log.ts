/**
 * Where a run's wall time goes, for the bench: with `GANSCOPE_SPANS=<file>`
 * set, each timed part of a run (worker start, the metrics evaluator's
 * classifier and real-feature reference, each evaluation, sample grid and
 * checkpoint) appends one JSON line to that file. Unset — every run but the
 * bench's — nothing is timed or written, and in either case a run's records
 * are the same: the spans never enter the run store.
 *
 * Workers of one plan share the file: each line is one small `appendFileSync`
 * (O_APPEND), so lines from several processes do not interleave.
 */
import { appendFileSync } from "node:fs";

/** One timed part of a run, as a line of the span file. */
export interface Span {
  /** What was timed, e.g. "evaluate" or "checkpoint" (bench/study.ts lists them). */
  span: string;
  ms: number;
  /** The process that did it (a worker). */
  pid: number;
  /** When it ended, ms since the epoch. */
  at: number;
  /** The run it was done for; absent for a worker's own start-up. */
  runId?: string;
  epoch?: number;
  /** A fused group's span: the runs it was done for together. */
  runs?: number;
}

/** What a span was done for. */
export type SpanWhere = Pick<Span, "runId" | "epoch" | "runs">;

/** The span file named by `GANSCOPE_SPANS`, or undefined when spans are off. */
export function spanFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env["GANSCOPE_SPANS"] || undefined;
}

/** Appends a span that took `ms` (measured by the caller), when spans are on. */
export function recordSpan(span: string, ms: number, where: SpanWhere = {}): void {
  const file = spanFile();
  if (!file) return;
  const line: Span = { span, ms, pid: process.pid, at: Date.now(), ...where };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/**
 * Runs `fn` and records how long it took (also when it throws), when spans
 * are on; otherwise just runs it.
 *
 * @example
 * await timed("checkpoint", { runId, epoch }, () => saveCheckpoint(gan, file, { epoch }));
 */
export async function timed<T>(span: string, where: SpanWhere, fn: () => Promise<T>): Promise<T> {
  if (!spanFile()) return fn();
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    recordSpan(span, performance.now() - t0, where);
  }
}
