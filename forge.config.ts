/**
 * Electron Forge: `npm run start:desktop` (electron-forge start), `npm run package`, `npm run make`.
 * Installers for distribution come from electron-builder.yml (`npm run dist`), which wraps the app
 * Forge packages here.
 *
 * What goes into the app (resources/app.asar):
 * - `.vite/` — the bundles built by the Vite plugin: build/main.js (main process), build/preload.js,
 *   build/engine.js (the engine, run in a utilityProcess; TensorFlow.js and the wasm backend bundled
 *   in, its .wasm binaries beside it: see vite.engine.config.ts) and renderer/main_window/ (the UI);
 * - package.json (Forge writes it; "main" = .vite/build/main.js);
 * - only if installed: the optional native backends @tensorflow/tfjs-node-gpu / @tensorflow/tfjs-node
 *   with the packages they need at run time (they are never bundled), unpacked from the asar with
 *   their .node binaries and libtensorflow.
 * Outside the asar: resources/templates/ (the bundled *.rlgraph.json templates; at run time
 * `path.join(process.resourcesPath, 'templates')`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { MakerDeb } from '@electron-forge/maker-deb';
import { MakerDMG } from '@electron-forge/maker-dmg';
import { MakerSquirrel } from '@electron-forge/maker-squirrel';
import { MakerZIP } from '@electron-forge/maker-zip';
import { AutoUnpackNativesPlugin } from '@electron-forge/plugin-auto-unpack-natives';
import { VitePlugin } from '@electron-forge/plugin-vite';
import type { ForgeConfig } from '@electron-forge/shared-types';
import { ENTRIES, NATIVE_BACKENDS, RENDERER_NAME, ROOT } from './vite.desktop.ts';

/** Product identity, shared with electron-builder.yml (the tests check that both agree). */
export const APP = {
  productName: 'RL Composer',
  /** Linux binary / Windows .exe name (no space). */
  executableName: 'rl-composer',
  appId: 'org.rlcomposer.app',
  description: 'Design reinforcement-learning algorithms by wiring blocks; train them live on TensorFlow.js.',
  maintainer: 'RL Composer contributors',
} as const;

/** The graph documents the app opens (`*.rlgraph.json`). */
export const GRAPH_FILE = {
  ext: 'rlgraph.json',
  name: 'RL Composer graph',
  mimeType: 'application/x-rlgraph+json',
  uti: 'org.rlcomposer.rlgraph',
} as const;

/** Copied beside app.asar: process.resourcesPath/templates. */
export const EXTRA_RESOURCES = [join(ROOT, 'templates')];

/**
 * Unpacked from app.asar to app.asar.unpacked (matched on file names anywhere): the wasm binaries
 * next to engine.js and the shared libraries the native TensorFlow binding loads (libtensorflow
 * .so/.dylib/.dll). The .node binaries themselves are added by the auto-unpack-natives plugin.
 */
export const ASAR_UNPACK = '{*.wasm,*.so,*.so.*,*.dylib,*.dll}';
/** Whole packages unpacked (the native backends read their own files through plain paths). */
export const ASAR_UNPACK_DIR = 'node_modules/@tensorflow/{tfjs-node,tfjs-node-gpu}';

/** A package's folder as Node would find it from `fromDir`, or null when not installed. */
function findPackageDir(name: string, fromDir: string, root: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return null;
  }
}

/**
 * The installed packages among `roots` and everything they need at run time (dependencies,
 * optionalDependencies and installed peerDependencies, transitively), as folders relative to
 * `root` with forward slashes ("node_modules/@tensorflow/tfjs-node", ...). Empty when none of
 * `roots` is installed, which is the default: the native backends are optional.
 */
export function runtimeClosure(roots: readonly string[], root: string = ROOT): string[] {
  const found = new Set<string>();
  const queue: [string, string][] = roots.map((name) => [name, root]);
  for (let item = queue.shift(); item; item = queue.shift()) {
    const [name, fromDir] = item;
    const dir = findPackageDir(name, fromDir, root);
    if (!dir || found.has(dir)) continue;
    found.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
      const deps = pkg[field];
      if (deps && typeof deps === 'object') for (const dep of Object.keys(deps)) queue.push([dep, dir]);
    }
  }
  return [...found].map((dir) => relative(root, dir).split(sep).join('/')).sort();
}

/**
 * electron-packager's `ignore`: true for what stays out of the app. Kept: package.json, `.vite/`,
 * and the given package folders (with the folders leading to them). Paths come as packager gives
 * them: relative to the project, starting with "/", forward slashes.
 */
export function packagedFilter(keepDirs: readonly string[]): (file: string) => boolean {
  const keep = keepDirs.map((dir) => `/${dir}`);
  return (file: string): boolean => {
    if (!file || file === '/package.json' || file === '/.vite' || file.startsWith('/.vite/')) return false;
    for (const dir of keep) {
      if (file === dir || file.startsWith(`${dir}/`) || dir.startsWith(`${file}/`)) return false;
    }
    return true;
  };
}

const macDocumentTypes = {
  CFBundleDocumentTypes: [
    {
      CFBundleTypeName: GRAPH_FILE.name,
      CFBundleTypeRole: 'Editor',
      LSHandlerRank: 'Owner',
      LSItemContentTypes: [GRAPH_FILE.uti],
      CFBundleTypeExtensions: [GRAPH_FILE.ext],
    },
  ],
  UTExportedTypeDeclarations: [
    {
      UTTypeIdentifier: GRAPH_FILE.uti,
      UTTypeDescription: GRAPH_FILE.name,
      UTTypeConformsTo: ['public.json'],
      UTTypeTagSpecification: {
        'public.filename-extension': [GRAPH_FILE.ext],
        'public.mime-type': [GRAPH_FILE.mimeType],
      },
    },
  ],
};

const config: ForgeConfig = {
  packagerConfig: {
    name: APP.productName,
    executableName: APP.executableName,
    appBundleId: APP.appId,
    appCategoryType: 'public.app-category.developer-tools',
    appCopyright: 'Copyright © RL Composer contributors',
    win32metadata: { CompanyName: APP.maintainer, ProductName: APP.productName, FileDescription: APP.productName },
    asar: { unpack: ASAR_UNPACK, unpackDir: ASAR_UNPACK_DIR },
    extraResource: EXTRA_RESOURCES,
    extendInfo: macDocumentTypes,
    // Only .vite/, package.json and (when installed) the native backends' run-time closure. Setting
    // `ignore` ourselves replaces the Vite plugin's default (which keeps .vite/ alone) so that the
    // optional native modules, which cannot be bundled, are shipped when present.
    ignore: packagedFilter(runtimeClosure(NATIVE_BACKENDS)),
    // `ignore` above already selects every file; pruning (by "dependencies" of package.json) would
    // drop a native backend installed with --no-save.
    prune: false,
  },
  rebuildConfig: {
    // The native backends are N-API binaries (valid for Electron as they are): never rebuild them
    // from source against Electron's headers (that needs libtensorflow headers and a network).
    ignoreModules: [...NATIVE_BACKENDS],
  },
  makers: [
    new MakerZIP({}, ['darwin', 'linux', 'win32']),
    new MakerDMG({ name: APP.productName, format: 'ULFO' }, ['darwin']),
    new MakerSquirrel(
      {
        // A NuGet id: Squirrel refuses hyphens.
        name: 'rl_composer',
        authors: APP.maintainer,
        description: APP.description,
      },
      ['win32'],
    ),
    new MakerDeb(
      {
        options: {
          name: APP.executableName,
          productName: APP.productName,
          genericName: 'Reinforcement-learning algorithm designer',
          description: APP.description,
          maintainer: APP.maintainer,
          bin: APP.executableName,
          section: 'devel',
          categories: ['Development', 'Education', 'Science'],
          mimeType: [GRAPH_FILE.mimeType],
        },
      },
      ['linux'],
    ),
  ],
  plugins: [
    new VitePlugin({
      build: [
        { entry: ENTRIES.main, config: join(ROOT, 'vite.main.config.ts'), target: 'main' },
        { entry: ENTRIES.preload, config: join(ROOT, 'vite.preload.config.ts'), target: 'preload' },
        // The engine's utility process: a second main-process (Node) target → .vite/build/engine.js.
        { entry: ENTRIES.engine, config: join(ROOT, 'vite.engine.config.ts'), target: 'main' },
      ],
      renderer: [{ name: RENDERER_NAME, config: join(ROOT, 'vite.renderer.config.ts') }],
    }),
    new AutoUnpackNativesPlugin({}),
  ],
};

export default config;
