/**
 * A worker process: picks a backend once, then trains whatever RunSpec the
 * parent sends, one at a time. Kept to "take a RunSpec, train it, write the
 * store" so the same loop can later pull from a shared queue.
 */
import type { RunConfig, RunSpec } from "@ganscope/dsl";
import { selectBackend, type BackendInfo, type BackendName } from "@ganscope/models";
import { defaultHooks, measureFusion, trainGroup, trainRun, type FusionMeasurement, type RunEvent, type RunHooks, type RunOutcome } from "@ganscope/training";

export type ToWorker =
  | { type: "init"; backend?: BackendName }
  | { type: "run"; spec: RunSpec; resultsDir: string; experiment: string; file?: string }
  /** Same-shape runs trained as one fused model; `chosen` (how K was picked) goes into each run's config.json. */
  | { type: "group"; specs: RunSpec[]; resultsDir: string; experiment: string; file?: string; chosen?: unknown }
  | { type: "calibrate"; config: RunConfig; ks: number[] };

export type FromWorker =
  | { type: "ready"; backend: BackendInfo }
  | { type: "init-failed"; error: string }
  | { type: "event"; event: RunEvent }
  | { type: "result"; runId: string; outcome: RunOutcome }
  | { type: "group-done" }
  | { type: "calibrated"; measured: FusionMeasurement[] };

const send = (m: FromWorker) => process.send?.(m);
let backend: BackendInfo | undefined;
let hooks: RunHooks[] = [];

process.on("message", (msg: ToWorker) => {
  void (async () => {
    if (msg.type === "init") {
      try {
        backend = await selectBackend(msg.backend);
        hooks = await defaultHooks();
        send({ type: "ready", backend });
      } catch (e) {
        send({ type: "init-failed", error: (e as Error).message });
      }
      return;
    }
    if (!backend) throw new Error("worker got a run before init");
    if (msg.type === "calibrate") {
      send({ type: "calibrated", measured: await measureFusion(msg.config, msg.ks) });
      return;
    }
    if (msg.type === "group") {
      const outcomes = await trainGroup(msg.specs, { resultsDir: msg.resultsDir, experiment: msg.experiment, file: msg.file, backend, hooks, onEvent: (event) => send({ type: "event", event }) }, msg.chosen);
      for (const [runId, outcome] of outcomes) send({ type: "result", runId, outcome });
      send({ type: "group-done" });
      return;
    }
    const outcome = await trainRun(msg.spec, {
      resultsDir: msg.resultsDir,
      experiment: msg.experiment,
      file: msg.file,
      backend,
      hooks,
      onEvent: (event) => send({ type: "event", event }),
    });
    send({ type: "result", runId: msg.spec.runId, outcome });
  })();
});

// The parent going away (Ctrl-C, crash) must not leave orphans training.
process.on("disconnect", () => process.exit(0));
