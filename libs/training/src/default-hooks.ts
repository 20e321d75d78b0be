import { MetricsHook } from "./metrics-hook.js";
import { mlflowHooks } from "./mlflow-hook.js";
import type { RunHooks } from "./hooks.js";

/**
 * The hooks every worker attaches to its runs, in order. Metrics come before
 * sinks so that sinks see the evaluated numbers.
 */
export async function defaultHooks(): Promise<RunHooks[]> {
  return [new MetricsHook(), ...mlflowHooks()];
}
