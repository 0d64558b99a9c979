/**
 * The editor UI for the desktop app: the same build as renderer/vite.config.ts (root renderer/,
 * entry renderer/index.html), written where Forge's convention expects renderer `main_window`:
 * .vite/renderer/main_window (the main process loads `../renderer/${MAIN_WINDOW_VITE_NAME}/index.html`
 * relative to .vite/build/main.js, or MAIN_WINDOW_VITE_DEV_SERVER_URL during `start:desktop`).
 * Used by Forge's Vite plugin and alone: `vite build --config vite.renderer.config.ts`.
 */
import { join } from 'node:path';
import { defineConfig, mergeConfig } from 'vite';
import editor from './renderer/vite.config.ts';
import { RENDERER_NAME, ROOT } from './vite.desktop.ts';

export const RENDERER_OUT_DIR = join(ROOT, '.vite', 'renderer', RENDERER_NAME);

export default defineConfig(
  mergeConfig(editor, {
    clearScreen: false,
    build: { outDir: RENDERER_OUT_DIR, emptyOutDir: true, reportCompressedSize: false },
  }),
);
