/**
 * What the runner prints as one line and exit 2 is decided by one class,
 * dsl's UserError (main.ts asks `instanceof`, as trainRun does). These are
 * the errors of each lib that are the user's input or environment; before,
 * two lists of their names said so, and a class missing from one was a stack
 * trace. cli-faults.test.ts runs the CLI on the real faults.
 */
import { UserError } from "@ganscope/dsl";
import { DataError } from "@ganscope/data";
import { EvidenceError } from "@ganscope/findings";
import { CheckpointError } from "@ganscope/models";
import { QueueUrlError } from "@ganscope/queue";
import { CorruptFileError, CorruptRecordsError, MlflowConfigError, MlflowError, StoreWriteError } from "@ganscope/tracking";
import { describe, expect, it } from "vitest";
import { ExperimentFileError, loadExperiment } from "./load-experiment.js";
import { CliError } from "./preflight.js";

describe("user errors", () => {
  it("every lib's error of the user's input or environment is a UserError, keeping its own name", () => {
    const errors = [
      new DataError("no such dataset"),
      new EvidenceError("bundle is not one"),
      new CheckpointError("c.bin", "truncated"),
      new QueueUrlError("not a redis URL"),
      new CorruptFileError("status.json", "Unexpected end"),
      new CorruptRecordsError("metrics.jsonl", 3, "not valid JSON"),
      new MlflowConfigError("MLFLOW_TRACKING_URI is not a URL"),
      new StoreWriteError("f", "EROFS", "read-only"),
      new ExperimentFileError("x.exp.ts: no default export"),
      new CliError("--results is a file"),
    ];
    for (const e of errors) {
      expect(e, e.name).toBeInstanceOf(UserError);
      expect(e.name).toBe(e.constructor.name);
    }
  });

  it("a server that does not answer is not the user's mistake (it is retried and reported per run)", () => {
    expect(new MlflowError("unreachable", 0)).not.toBeInstanceOf(UserError);
  });

  it("a real fault arrives as a UserError: a missing experiment file", async () => {
    await expect(loadExperiment("/nonexistent/x.exp.ts")).rejects.toBeInstanceOf(UserError);
  });
});
