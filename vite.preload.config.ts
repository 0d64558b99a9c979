/**
 * Preload script: electron/preload.ts → .vite/build/preload.js, one CommonJS file with everything
 * inlined. A sandboxed preload can only `require('electron')` (and a handful of Node polyfills), so
 * nothing else may stay external and nothing may be split into chunks. Used by Forge's Vite plugin
 * (target 'preload') and alone: `vite build --config vite.preload.config.ts`.
 */
import { join } from 'node:path';
import { defineConfig } from 'vite';
import {
  BUILD_DIR,
  ENTRIES,
  NODE_EXTERNALS,
  ROOT,
  commonjsPackageMarker,
  entryFor,
  onwarn,
  rendererGlobals,
} from './vite.desktop.ts';

export default defineConfig((env) => ({
  root: ROOT,
  publicDir: false,
  clearScreen: false,
  define: rendererGlobals(env),
  build: {
    outDir: join(ROOT, BUILD_DIR),
    emptyOutDir: false,
    copyPublicDir: false,
    // Electron 45's renderer is Chromium 140.
    target: 'chrome130',
    minify: env.command === 'build',
    reportCompressedSize: false,
    rollupOptions: {
      // Forge passes the entry as `input` for preload targets (not `build.lib`); so do we.
      input: { preload: entryFor(env, ENTRIES.preload) },
      // The same externals as Forge's preload defaults, so both builds agree; at run time only
      // require('electron') may remain (npm run build's output is checked for that).
      external: NODE_EXTERNALS,
      onwarn,
      output: {
        format: 'cjs',
        inlineDynamicImports: true,
        entryFileNames: '[name].js',
        chunkFileNames: '[name].js',
        assetFileNames: '[name].[ext]',
      },
    },
  },
  plugins: [commonjsPackageMarker()],
}));
