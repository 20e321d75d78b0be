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
