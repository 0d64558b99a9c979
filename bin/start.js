#!/usr/bin/env node
// `npm start`: the desktop app (electron-forge start) when Electron can run here; otherwise the
// same editor in the browser (`rlc serve --open`), after one line saying why. Arguments after
// `npm start --` go to the app (desktop) or to `rlc serve` (browser).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, desktopAvailability, fallbackMessage } from './desktop-available.js';

const args = process.argv.slice(2);
const desktop = desktopAvailability();

if (desktop.ok) {
  const child = spawn(process.execPath, [desktop.forgeCli, 'start', ...(args.length ? ['--', ...args] : [])], {
    cwd: ROOT,
    // Forge reads `rs` (restart) from a terminal; without one (stdin closed, e.g. under a tool),
    // `electron-forge start` quits before launching Electron unless its stdin stays open.
    stdio: [process.stdin.isTTY ? 'inherit' : 'pipe', 'inherit', 'inherit'],
  });
  // Ctrl-C reaches the whole process group; Forge and Electron shut down on their own.
  process.on('SIGINT', () => {});
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  console.log(fallbackMessage(desktop.reason));
  process.argv = [process.argv[0], join(ROOT, 'bin', 'rlc.js'), 'serve', '--open', ...args];
  await import('./rlc.js');
}
