// @ts-check
/**
 * The Nx plugin entry (nx.json) that gives every project inferred `test` and
 * `typecheck` targets (see src/nx/project-targets.ts). Plain JavaScript for the
 * same reason as nx-plugin.js: Nx loads plugins with require(), and tsx loads
 * the TypeScript implementation on first use.
 */
import { tsImport } from "tsx/esm/api";

/** @type {Promise<typeof import("./src/nx/project-targets.ts")> | undefined} */
let implementation;
const load = () => (implementation ??= /** @type {Promise<typeof import("./src/nx/project-targets.ts")>} */ (tsImport("./src/nx/project-targets.ts", import.meta.url)));

export const name = "@ganscope/tools/nx-targets-plugin";

/** @type {import("@nx/devkit").CreateNodes<import("./src/nx/project-targets.ts").ProjectTargetsOptions>} */
export const createNodes = ["**/project.json", async (files, options, context) => (await load()).createProjectTargetNodes(files, options, context)];

/** The same function under the name Nx 19–23 look for. */
export const createNodesV2 = createNodes;
