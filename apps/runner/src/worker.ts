/**
 * A worker process: picks a backend once, then trains whatever RunSpec the
 * parent sends, one at a time. Kept to "take a RunSpec, train it, write the
 * store" so the same loop can later pull from a shared queue.
 */
import type { HalvingPolicy, ResolvedStopPolicy, RunSpec } from "@ganscope/dsl";
import { selectBackend, type BackendInfo, type BackendName } from "@ganscope/models";
import { defaultHooks, trainRun, type RunEvent, type RunHooks, type RunOutcome } from "@ganscope/training";

export type ToWorker =
  | { type: "init"; backend?: BackendName }
  | {
      type: "run";
      spec: RunSpec;
      resultsDir: string;
      experiment: string;
      file?: string;
      stop: ResolvedStopPolicy;
      halving?: { policy: HalvingPolicy; peers: readonly string[] };
      resumeStopped: boolean;
    }
  /** Finish the current epoch's checkpoint, then return "yielded" (a queue worker stopping). */
  | { type: "yield" };

export type FromWorker =
  | { type: "ready"; backend: BackendInfo }
  | { type: "init-failed"; error: string }
  | { type: "event"; event: RunEvent }
  | { type: "result"; runId: string; outcome: RunOutcome };

const send = (m: FromWorker) => process.send?.(m);
let backend: BackendInfo | undefined;
let hooks: RunHooks[] = [];
let yielding: AbortController | undefined;

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
    if (msg.type === "yield") {
      yielding?.abort();
      return;
    }
    if (!backend) throw new Error("worker got a run before init");
    yielding = new AbortController();
    // trainRun reports a failed run as an outcome; anything it throws is a bug, reported with its stack, and the worker lives on.
    const outcome: RunOutcome = await trainRun(msg.spec, {
      resultsDir: msg.resultsDir,
      experiment: msg.experiment,
      file: msg.file,
      stop: msg.stop,
      ...(msg.halving ? { halving: msg.halving } : {}),
      resumeStopped: msg.resumeStopped,
      backend,
      hooks,
      onEvent: (event) => send({ type: "event", event }),
      yieldSignal: yielding.signal,
    }).catch((e: unknown) => ({ status: "failed" as const, error: (e as Error).stack ?? String(e) }));
    send({ type: "result", runId: msg.spec.runId, outcome });
  })();
});

// The parent going away (Ctrl-C, crash) must not leave orphans training.
process.on("disconnect", () => process.exit(0));
