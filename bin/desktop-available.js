// Can `npm start` open the desktop app here? Decided without loading Electron: requiring the
// `electron` package runs its index.js, which tries to download the binary when it is missing (and
// throws without a network). This reads the same files index.js reads instead.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Forge's packagerConfig.name (forge.config.ts APP.productName; the tests check they agree). */
export const PRODUCT_NAME = 'RL Composer';

/** The desktop entry the app cannot start without (electron-forge start builds it). */
export const MAIN_ENTRY = 'electron/main.ts';

/**
 * @typedef {{ ok: true, electron: string, forgeCli: string }
 *   | { ok: false, reason: string }} DesktopAvailability
 */

/**
 * @param {string} root project folder (node_modules are resolved from there)
 * @param {string} name package name
 * @returns {string | null} the package's folder, or null when it is not installed
 */
function packageDir(root, name) {
  try {
    return dirname(createRequire(join(root, 'package.json')).resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

/**
 * @param {{ root?: string, env?: NodeJS.ProcessEnv, platform?: NodeJS.Platform }} [options]
 * @returns {DesktopAvailability}
 */
export function desktopAvailability(options = {}) {
  const root = options.root ?? ROOT;
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;

  if (env.RLC_NO_DESKTOP) return { ok: false, reason: 'RLC_NO_DESKTOP is set' };
  if (!existsSync(join(root, MAIN_ENTRY))) return { ok: false, reason: `${MAIN_ENTRY} does not exist` };

  const electronDir = packageDir(root, 'electron');
  if (!electronDir) return { ok: false, reason: 'the electron package is not installed' };
  const pathTxt = join(electronDir, 'path.txt');
  const relativeBinary = existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : '';
  let electron;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    electron = join(env.ELECTRON_OVERRIDE_DIST_PATH, relativeBinary || 'electron');
  } else if (!relativeBinary) {
    return {
      ok: false,
      reason:
        'the Electron binary is not installed (Electron 45 fetches it on demand: run `npx install-electron`; node_modules/electron/path.txt is missing)',
    };
  } else {
    electron = join(electronDir, 'dist', relativeBinary);
  }
  if (!existsSync(electron)) return { ok: false, reason: `the Electron binary is missing: ${electron}` };

  const forgeDir = packageDir(root, '@electron-forge/cli');
  if (!forgeDir) return { ok: false, reason: '@electron-forge/cli is not installed' };
  const forgeCli = join(forgeDir, 'dist', 'electron-forge.js');
  if (!existsSync(forgeCli)) return { ok: false, reason: `@electron-forge/cli is incomplete: ${forgeCli} is missing` };

  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { ok: false, reason: 'no display: neither DISPLAY nor WAYLAND_DISPLAY is set' };
  }
  return { ok: true, electron, forgeCli };
}

/**
 * The one line `npm start` prints when it falls back to the browser.
 * @param {string} reason
 */
export function fallbackMessage(reason) {
  return `rlc: desktop app unavailable (${reason}); opening the editor in the browser instead: rlc serve --open`;
}
