/**
 * The GPU kit's JavaScript: the runner, its worker, the device check and the
 * seed study's findings file, bundled by esbuild (the dashboard's bundler)
 * with every dependency, so the kit runs on a bare Node without
 * node_modules, tsx or TypeScript. Shared code goes into chunks beside the
 * entries (app/): one copy of tfjs for all four, and the findings file
 * loads the same @ganscope/findings module instance as the runner that
 * imports it.
 *
 *   npx tsx apps/gpu-kit/src/kit-bundle.ts <kit folder>     (scripts/build-gpu-kit.sh runs it)
 */
import { build } from "esbuild";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../../..");

/**
 * Left out of the bundle. The native TensorFlow builds: the kit trains on
 * webgpu, keeps the pure-JS cpu backend for its correctness check, and its
 * Node has no libtensorflow. wasm: its .wasm files are not in the kit.
 * webgpu: Dawn's package loads dawn.node beside its own index.js, so the
 * kit ships that package (its linux-x64 build only) in node_modules.
 * msgpackr-extract: BullMQ's optional native speed-up (msgpackr falls back to JS).
 */
export const KIT_EXTERNAL = ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-backend-wasm", "webgpu", "msgpackr-extract"] as const;

/** Entry points, by their path in the kit (without .mjs). */
export const KIT_ENTRIES = {
  "app/runner": "apps/runner/src/main.ts",
  // worker-launch.ts starts workers from this file, beside the chunk it is bundled into.
  "app/worker-process": "libs/training/src/worker-process.ts",
  "app/device-check": "apps/gpu-kit/src/device-check.ts",
  // The study the device check trains a piece of; its path in the kit reads as the source's.
  "experiments/seed/findings": "experiments/seed/findings.ts",
} as const;

export async function bundleKit(kitDir: string): Promise<void> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(KIT_ENTRIES).map(([out, src]) => [out, path.join(ROOT, src)])),
    outdir: kitDir,
    outExtension: { ".js": ".mjs" },
    chunkNames: "app/chunk-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Not minified: a stack trace from the device names ganscope's functions and shows a readable line (xz takes most of the difference).
    minify: false,
    external: [...KIT_EXTERNAL],
    // Bundled CommonJS (tfjs, commander, …) calls require(); ESM output has none of its own.
    banner: { js: 'import { createRequire as __kitRequire } from "node:module"; const require = __kitRequire(import.meta.url);' },
    logLevel: "warning",
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2];
  if (!out) throw new Error("usage: kit-bundle.ts <kit folder>");
  await bundleKit(path.resolve(out));
}
