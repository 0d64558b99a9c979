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
  },
});
