import * as tf from "@tensorflow/tfjs-core";
import { existsSync, readFileSync } from "node:fs";
import { UserError, type Precision } from "@ganscope/dsl";

/**
 * The precision of the products being computed now. A kernel sees only its
 * inputs, so a run's training step sets this around itself
 * ({@link withPrecision}); tfjs runs a step's ops and their gradients
 * synchronously, so nothing else runs inside the scope.
 */
let current: Precision = "fp32";

/** What the tensorflow backend's BatchMatMul kernel reads to pick float32 or bfloat16 products. */
export function productPrecision(): Precision {
  return current;
}

/** Runs `fn` with its products in `precision`, restoring the previous precision after (also on a throw). */
export function withPrecision<T>(precision: Precision, fn: () => T): T {
  const before = current;
  current = precision;
  try {
    return fn();
  } finally {
    current = before;
  }
}

/**
 * CPU flags that give oneDNN bfloat16 matrix kernels. Elsewhere TensorFlow
 * still multiplies bfloat16, by converting in software: slower than float32,
 * so a bf16 run there is refused rather than run slowly.
 */
export const BF16_CPU_FLAGS = ["avx512_bf16", "amx_bf16"] as const;

/** This machine's CPU flags from /proc/cpuinfo (empty where there is none: not Linux). */
export function readCpuFlags(): ReadonlySet<string> {
  if (!existsSync("/proc/cpuinfo")) return new Set();
  const line = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "";
  return new Set(line.trim().split(/\s+/));
}

/** Why `precision` cannot train here, or undefined when it can. */
export function precisionProblem(precision: Precision, backend: string, cpuFlags: ReadonlySet<string>): string | undefined {
  if (precision === "fp32") return undefined;
  // Only tfjs-node's binding reaches TensorFlow's bfloat16 kernels; tfjs itself has no bfloat16 dtype.
  if (backend !== "tensorflow") return `precision "bf16" needs the tensorflow backend (oneDNN's bfloat16 kernels); this run's backend is ${backend}`;
  if (!BF16_CPU_FLAGS.some((f) => cpuFlags.has(f))) {
    return `precision "bf16" needs a CPU with ${BF16_CPU_FLAGS.join(" or ")} (this one's /proc/cpuinfo flags have neither); train it as "fp32" or on such a CPU`;
  }
  return undefined;
}

/**
 * Throws a {@link UserError} naming the reason when `precision` cannot train
 * on this backend and CPU: a bf16 run is never trained as fp32 in silence.
 * `cpuFlags` is injectable so tests can take the refusal on any machine.
 */
export function assertPrecision(precision: Precision, backend: string = tf.getBackend(), cpuFlags: () => ReadonlySet<string> = readCpuFlags): void {
  if (precision === "fp32") return;
  const problem = precisionProblem(precision, backend, cpuFlags());
  if (problem !== undefined) throw new UserError(problem);
}
