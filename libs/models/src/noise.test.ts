import * as tf from "@tensorflow/tfjs-core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS } from "@ganscope/dsl";
import { TINY_GAN } from "@ganscope/dsl/testing";
import { createGan, selectBackend } from "./index.js";

beforeAll(async () => {
  await selectBackend("cpu");
});

describe("Gan.noise", () => {
  // tfjs reads a Gaussian seed of 0 as "no seed" (Math.random): the default config's first step drew fresh noise each run.
  it("is a pure function of its seed, 0 included", () => {
    const gan = createGan({ ...DEFAULTS, ...TINY_GAN });
    fc.assert(
      fc.property(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 31 - 1 })), (seed) => {
        const [a, b] = [gan.noise(4, seed), gan.noise(4, seed)];
        expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
        tf.dispose([a, b]);
      }),
      { numRuns: 25 },
    );
    gan.dispose();
  });
});
