#!/usr/bin/env node
// `npm run dist [-- <electron-builder options>]`: installers for this platform. Electron Forge
// packages the app (out/RL Composer-<platform>-<arch>, with .vite bundles, app.asar, templates),
// then electron-builder wraps that packaged app (--prepackaged) into the targets of
// electron-builder.yml (dmg on macOS, nsis on Windows, AppImage + deb on Linux), written to
// out/installers. E.g. `npm run dist -- --linux deb`.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PRODUCT_NAME, ROOT } from './desktop-available.js';

const require = createRequire(join(ROOT, 'package.json'));
/** @param {string} pkg @param {string} bin */
function cli(pkg, bin) {
  const manifest = require(`${pkg}/package.json`);
  const rel = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin[bin];
  return join(dirname(require.resolve(`${pkg}/package.json`)), rel);
}
/** @param {string[]} args */
function run(args) {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const extra = process.argv.slice(2);
run([cli('@electron-forge/cli', 'electron-forge'), 'package']);
const packaged = join(ROOT, 'out', `${PRODUCT_NAME}-${process.platform}-${process.arch}`);
run([cli('electron-builder', 'electron-builder'), '--config', 'electron-builder.yml', '--prepackaged', packaged, ...extra]);
