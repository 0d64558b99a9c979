#!/usr/bin/env node
// `npm run build:desktop` (part of `npm run build`): the desktop bundles without Forge and without
// the Electron binary, exactly where Forge puts them, so that `.vite/` is a complete app
// (package.json "main" = .vite/build/main.js):
//   .vite/build/main.js, preload.js, engine.js (+ the tfjs wasm binaries), package.json (commonjs)
//   .vite/renderer/main_window/  (a copy of renderer/dist: the same Vite build of renderer/, so
//                                 `npm run build:ui` must have run first, as `npm run build` does)
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { ROOT } from './desktop-available.js';

const targets = [
  { config: 'vite.main.config.ts', entry: 'electron/main.ts' },
  { config: 'vite.preload.config.ts', entry: 'electron/preload.ts' },
  { config: 'vite.engine.config.ts', entry: 'engine/host/worker.ts' },
];
const missing = targets.filter((t) => !existsSync(join(ROOT, t.entry))).map((t) => t.entry);
if (missing.length) {
  console.error(`build:desktop: missing entry ${missing.join(', ')}`);
  process.exit(1);
}
const ui = join(ROOT, 'renderer', 'dist');
if (!existsSync(join(ui, 'index.html'))) {
  console.error('build:desktop: renderer/dist is not built (run `npm run build:ui` first)');
  process.exit(1);
}

rmSync(join(ROOT, '.vite'), { recursive: true, force: true });
for (const target of targets) {
  await build({ configFile: join(ROOT, target.config), mode: 'production', logLevel: 'warn' });
}
cpSync(ui, join(ROOT, '.vite', 'renderer', 'main_window'), { recursive: true });

// A sandboxed preload can require nothing but 'electron'.
const preload = readFileSync(join(ROOT, '.vite', 'build', 'preload.js'), 'utf8');
const required = [...preload.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
const forbidden = required.filter((id) => id !== 'electron');
if (forbidden.length) {
  console.error(`build:desktop: the preload requires ${forbidden.join(', ')}; a sandboxed preload may only require('electron')`);
  process.exit(1);
}
console.log('build:desktop: .vite/build/{main,preload,engine}.js and .vite/renderer/main_window written');
