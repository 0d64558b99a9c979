import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The editor UI. Built into renderer/dist, which `rlc serve` (and later Electron) serves.
// JSX goes through esbuild's automatic runtime; no React plugin is needed for a production build.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      onwarn(warning, warn) {
        // React Flow's "use client" marker and a zod comment Rollup drops: both harmless here.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE' || warning.code === 'INVALID_ANNOTATION') return;
        warn(warning);
      },
    },
  },
});
