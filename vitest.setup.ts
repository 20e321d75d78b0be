import fc from "fast-check";
import { beforeEach } from "vitest";

/**
 * fast-check's seed varies from run to run, so properties keep looking for
 * new counterexamples instead of replaying the same 100 cases forever. A
 * failing test prints the seed, and FC_SEED=<seed> replays exactly that run:
 *
 *   FC_SEED=1234567 npx vitest run libs/dsl/src/run-id.test.ts
 *
 * (fast-check's own failure message also names the seed and the shrink path.)
 */
const fixed = process.env["FC_SEED"];
if (fixed !== undefined && !/^-?\d+$/.test(fixed)) throw new Error(`FC_SEED must be an integer, got "${fixed}"`);
const seed = fixed !== undefined ? Number(fixed) : (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;

fc.configureGlobal({ seed, numRuns: 100 });

beforeEach((ctx) => {
  ctx.onTestFailed(() => {
    console.error(`fast-check seed of this run: ${seed}; replay it with FC_SEED=${seed} npx vitest run ${ctx.task.file.name}`);
  });
});
