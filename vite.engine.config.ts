/**
 * The engine, run by the main process in an Electron utilityProcess: engine/host/worker.ts →
 * .vite/build/engine.js, one CommonJS file for Node with TensorFlow.js and
 * @tensorflow/tfjs-backend-wasm bundled in. Used by Forge's Vite plugin (a second main-process
 * target) and alone: `vite build --config vite.engine.config.ts`.
 *
 * How the wasm backend finds its binaries: in Node, tfjs-backend-wasm's Emscripten glue (bundled
 * here) loads `<scriptDirectory>/tfjs-backend-wasm[-simd|-threaded-simd].wasm`, where
 * scriptDirectory is `__dirname` of the running script, i.e. the folder of engine.js. So this build
 * copies the three .wasm files next to engine.js (.vite/build/), and no `setWasmPaths()` call is
 * needed; in a packaged app they sit in app.asar (and are unpacked beside it, see forge.config.ts).
 * That is also why the bundle is CommonJS: the glue uses `require('fs')` and `__dirname`.
 *
 * The optional native backends (@tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node) stay external:
 * engine/backend.ts imports them at run time when installed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { ENTRIES, NATIVE_BACKENDS, nodeBundle } from './vite.desktop.ts';

/** The binaries tfjs-backend-wasm 4.x may ask for (Node picks plain or SIMD; threads are off in Node). */
export const WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;

/** Folder of the installed @tensorflow/tfjs-backend-wasm's .wasm files. */
export function wasmSourceDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

/** Emits the .wasm binaries next to the bundle. */
export function tfjsWasmBinaries(): Plugin {
  return {
    name: 'rl-composer:tfjs-wasm-binaries',
    generateBundle() {
      const dir = wasmSourceDir();
      for (const fileName of WASM_FILES) {
        this.emitFile({ type: 'asset', fileName, source: readFileSync(join(dir, fileName)) });
      }
    },
  };
}

export default defineConfig((env) =>
  nodeBundle(env, {
    entry: ENTRIES.engine,
    fileName: 'engine.js',
    external: [...NATIVE_BACKENDS, ...NATIVE_BACKENDS.map((name) => new RegExp(`^${name}/`))],
    plugins: [tfjsWasmBinaries()],
  }),
);
