/**
 * What the three desktop bundles (main process, preload, engine worker) share. Each
 * `vite.<target>.config.ts` works two ways:
 *
 * - under Electron Forge's Vite plugin (`npm run start:desktop`, `package`, `make`): Forge calls the
 *   config with its own `ConfigEnv` (it adds `forgeConfig` / `forgeConfigSelf`) and merges the result
 *   over its defaults (outDir `.vite/build`, externals, the MAIN_WINDOW_VITE_* globals, watch mode
 *   for `start`);
 * - alone, as `vite build --config vite.main.config.ts` (`npm run build`), without Forge and without
 *   the Electron binary: then the config says everything itself, including the two globals Forge
 *   would define (a production build: no dev-server URL, the renderer named `main_window`).
 *
 * All three bundles are CommonJS. The main process and the utility process could load ESM, but a
 * sandboxed preload cannot, and the WebAssembly glue of @tensorflow/tfjs-backend-wasm uses
 * `require('fs')` and `__dirname` (see vite.engine.config.ts). Because package.json says
 * `"type": "module"`, every build also writes `.vite/build/package.json` = `{"type":"commonjs"}` so
 * that Node and Electron read the `.js` bundles there as CommonJS.
 */
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigEnv, Plugin, Rollup, UserConfig } from 'vite';

type RollupLog = Rollup.RollupLog;

/** Repository root (where package.json, forge.config.ts and .vite/ live). */
export const ROOT = fileURLToPath(new URL('.', import.meta.url));

/** Where Forge's convention puts the main-process-side bundles (package.json "main" points here). */
export const BUILD_DIR = '.vite/build';

/** The renderer's name in forge.config.ts; Forge derives MAIN_WINDOW_VITE_* from it. */
export const RENDERER_NAME = 'main_window';

/** The desktop entries, shared by forge.config.ts and the stand-alone builds. */
export const ENTRIES = {
  main: 'electron/main.ts',
  preload: 'electron/preload.ts',
  engine: 'engine/host/worker.ts',
} as const;

/**
 * Never bundled: Electron itself and Node's built-in modules (both bare and `node:`-prefixed). The
 * same list Forge's plugin uses, so the stand-alone build and Forge's agree.
 */
export const NODE_EXTERNALS: string[] = [
  'electron',
  'electron/main',
  'electron/common',
  'electron/renderer',
  ...builtinModules.flatMap((m) => [m, `node:${m}`]),
];

/**
 * The optional native TensorFlow bindings: loaded at run time by engine/backend.ts through a dynamic
 * `import()` when installed, never bundled (they carry .node binaries and libtensorflow).
 */
export const NATIVE_BACKENDS = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Forge adds `forgeConfig`/`forgeConfigSelf` to the env it passes to a config function. */
export interface ForgeAwareEnv extends ConfigEnv {
  forgeConfig?: unknown;
  forgeConfigSelf?: { entry?: unknown; name?: string };
}

export function underForge(env: ConfigEnv): boolean {
  return (env as ForgeAwareEnv).forgeConfig !== undefined;
}

/** The entry Forge was given for this target (forge.config.ts), else ours. */
export function entryFor(env: ConfigEnv, fallback: string): string {
  const entry = (env as ForgeAwareEnv).forgeConfigSelf?.entry;
  return typeof entry === 'string' ? entry : fallback;
}

/**
 * The globals Forge's plugin defines for each renderer (`<NAME>_VITE_DEV_SERVER_URL`,
 * `<NAME>_VITE_NAME`). Under Forge they come from Forge (the dev-server URL exists only during
 * `start`), so they must not be overridden; alone, a production build: no URL, name `main_window`.
 */
export function rendererGlobals(env: ConfigEnv): Record<string, string> {
  if (underForge(env)) return {};
  const NAME = RENDERER_NAME.toUpperCase().replaceAll('-', '_');
  return {
    [`${NAME}_VITE_DEV_SERVER_URL`]: 'undefined',
    [`${NAME}_VITE_NAME`]: JSON.stringify(RENDERER_NAME),
  };
}

/** Rollup warnings that are harmless here (the same ones renderer/vite.config.ts silences). */
export function onwarn(warning: RollupLog, warn: (warning: RollupLog) => void): void {
  // React Flow's "use client" marker and zod comments Rollup drops.
  if (warning.code === 'MODULE_LEVEL_DIRECTIVE' || warning.code === 'INVALID_ANNOTATION') return;
  warn(warning);
}

/** Writes `{"type":"commonjs"}` next to the bundles (see the header). */
export function commonjsPackageMarker(): Plugin {
  return {
    name: 'rl-composer:commonjs-package-json',
    generateBundle() {
      this.emitFile({
        type: 'asset',
        fileName: 'package.json',
        source: `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`,
      });
    },
  };
}

/**
 * A single-file CommonJS bundle for Node/Electron (main process or utility process), written to
 * `.vite/build/<fileName>`. Resolution prefers Node builds of packages (`node` condition, never the
 * `browser` field), as Forge's main-target defaults do.
 */
export function nodeBundle(
  env: ConfigEnv,
  options: { entry: string; fileName: string; external?: (string | RegExp)[]; plugins?: Plugin[] },
): UserConfig {
  return {
    root: ROOT,
    publicDir: false,
    clearScreen: false,
    define: rendererGlobals(env),
    resolve: {
      conditions: ['node'],
      mainFields: ['module', 'jsnext:main', 'jsnext'],
    },
    build: {
      outDir: join(ROOT, BUILD_DIR),
      // Several builds share .vite/build: none may wipe the others' output.
      emptyOutDir: false,
      copyPublicDir: false,
      target: 'node20',
      minify: env.command === 'build',
      reportCompressedSize: false,
      lib: {
        entry: entryFor(env, options.entry),
        formats: ['cjs'],
        fileName: () => options.fileName,
      },
      rollupOptions: {
        external: [...NODE_EXTERNALS, ...(options.external ?? [])],
        onwarn,
        output: {
          // One file per target: dynamic imports of our own modules are inlined.
          inlineDynamicImports: true,
          // What stays external and is loaded with import() (the optional native backends) becomes
          // require(): CommonJS resolution is the one Electron serves from app.asar (and from
          // app.asar.unpacked for the native parts) in every process.
          dynamicImportInCjs: false,
        },
      },
    },
    plugins: [commonjsPackageMarker(), ...(options.plugins ?? [])],
  };
}
