// @ts-check
/**
 * The Nx plugin entry named in nx.json: infers one cacheable target per
 * `*.exp.ts` (see src/nx/experiments-plugin.ts). Plain JavaScript because Nx
 * loads plugins with require() and, on Node 20 without swc-node or ts-node,
 * cannot transpile TypeScript; tsx (already a dependency) loads the real
 * implementation on first use. No top-level await, so require() of this ES
 * module works (Node ≥ 20.19).
 */
import { tsImport } from "tsx/esm/api";

/** @type {Promise<typeof import("./src/nx/experiments-plugin.ts")> | undefined} */
let implementation;
const load = () => (implementation ??= /** @type {Promise<typeof import("./src/nx/experiments-plugin.ts")>} */ (tsImport("./src/nx/experiments-plugin.ts", import.meta.url)));

export const name = "@ganscope/tools/nx-plugin";

/** @type {import("@nx/devkit").CreateNodes<import("./src/nx/experiments-plugin.ts").ExperimentsPluginOptions>} */
export const createNodes = ["**/*.exp.ts", async (files, options, context) => (await load()).createExperimentNodes(files, options, context)];

/** The same function under the name Nx 19–23 look for (Nx 24 reads `createNodes` first). */
export const createNodesV2 = createNodes;
