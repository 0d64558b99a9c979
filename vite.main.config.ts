/**
 * Electron main process: electron/main.ts → .vite/build/main.js (CommonJS). Used by Forge's Vite
 * plugin (forge.config.ts) and alone: `vite build --config vite.main.config.ts`. See vite.desktop.ts.
 */
import { defineConfig } from 'vite';
import { ENTRIES, nodeBundle } from './vite.desktop.ts';

export default defineConfig((env) => nodeBundle(env, { entry: ENTRIES.main, fileName: 'main.js' }));
