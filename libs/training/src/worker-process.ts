/**
 * A worker process: picks a backend once, then trains whatever RunSpec the
 * parent sends, one at a time. Kept to "take a RunSpec, train it, write the
 * store": the queue's workers (libs/queue, via the runner's child-trainer.ts)
 * run this same loop, so a run trains the same locally and on the fleet.
 */
import type { HalvingPolicy, ResolvedStopPolicy, RunConfig, RunSpec } from "@ganscope/dsl";
import { selectBackend, type BackendInfo, type BackendName } from "@ganscope/models";
import { recordSpan, timed, type RunOutcome } from "@ganscope/tracking";
import { defaultHooks } from "./default-hooks.js";
import { measureFusion, type FusionMeasurement } from "./fusion.js";
import type { RunHooks } from "./hooks.js";
import type { RunEvent } from "./run-event.js";
import { trainGroup } from "./train-group.js";
import { trainRun } from "./train-run.js";

export type ToWorker =
  | { type: "init"; backend?: BackendName }
  | ({ type: "run"; spec: RunSpec } & RunWhere)
  /** Same-shape runs trained as one fused model; `chosen` (how K was picked) goes into each run's config.json. */
  | ({ type: "group"; specs: RunSpec[]; chosen?: unknown } & RunWhere)
  | { type: "calibrate"; config: RunConfig; ks: number[] }
  /** Finish the current epoch's checkpoint, then return "yielded" (a queue worker stopping). */
  | { type: "yield" };

/** Where and under which policies a run trains. */
export interface RunWhere {
  resultsDir: string;
  experiment: string;
  file?: string;
  stop: ResolvedStopPolicy;
  halving?: { policy: HalvingPolicy; peers: readonly string[] };
  resumeStopped: boolean;
}

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
let yielding: AbortController | undefined;

process.on("message", (msg: ToWorker) => {
  void (async () => {
    if (msg.type === "init") {
      try {
        // Since this process began: node, tsx and the imports above (tfjs among them).
        recordSpan("worker.boot", performance.now());
        backend = await timed("worker.backend", {}, () => selectBackend(msg.backend));
        hooks = await timed("worker.hooks", {}, () => defaultHooks());
        send({ type: "ready", backend });
      } catch (e) {
        send({ type: "init-failed", error: (e as Error).message });
      }
      return;
    }
    if (msg.type === "yield") {
      yielding?.abort();
      return;
    }
    if (!backend) throw new Error("worker got a run before init");
    if (msg.type === "calibrate") {
      send({ type: "calibrated", measured: await measureFusion(msg.config, msg.ks) });
      return;
    }
    yielding = new AbortController();
    const trainOpts = {
      resultsDir: msg.resultsDir,
      experiment: msg.experiment,
      file: msg.file,
      stop: msg.stop,
      ...(msg.halving ? { halving: msg.halving } : {}),
      resumeStopped: msg.resumeStopped,
      backend,
      hooks,
      onEvent: (event: RunEvent) => send({ type: "event", event }),
      yieldSignal: yielding.signal,
    };
    if (msg.type === "group") {
      const outcomes = await trainGroup(msg.specs, trainOpts, msg.chosen).catch((e: unknown) => {
        const outcome: RunOutcome = { status: "failed", error: (e as Error).stack ?? String(e) };
        return new Map(msg.specs.map((s) => [s.runId, outcome]));
      });
      for (const [runId, outcome] of outcomes) send({ type: "result", runId, outcome });
      send({ type: "group-done" });
      return;
    }
    // trainRun reports a failed run as an outcome; anything it throws is a bug, reported with its stack, and the worker lives on.
    const outcome: RunOutcome = await trainRun(msg.spec, trainOpts).catch((e: unknown) => ({ status: "failed" as const, error: (e as Error).stack ?? String(e) }));
    send({ type: "result", runId: msg.spec.runId, outcome });
  })();
});

// The parent going away (Ctrl-C, crash) must not leave orphans training.
process.on("disconnect", () => process.exit(0));
