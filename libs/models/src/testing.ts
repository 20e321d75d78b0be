import { selectBackend, type BackendName } from "./backend.js";

/**
 * The backends this machine can train on, for tests that should hold on each:
 * wasm always; tensorflow where scripts/setup-tfjs-node.sh built its binding
 * (npm install does). Leaves wasm active.
 */
export async function backendsHere(): Promise<BackendName[]> {
  const native = await selectBackend("tensorflow").then(
    () => true,
    () => false,
  );
  await selectBackend("wasm");
  return native ? ["wasm", "tensorflow"] : ["wasm"];
}

/** Fails naming the first element where |a − b| > tol·(1 + |b|). */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)))) throw new Error(`element ${i}: ${a[i]} vs ${b[i]} (tolerance ${tol})`);
  }
}
