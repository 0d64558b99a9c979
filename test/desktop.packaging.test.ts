/**
 * Desktop packaging (issue 4), checked without the Electron binary: forge.config.ts as Electron
 * Forge itself loads and resolves it (its jiti loader, the plugins' resolveForgeConfig hooks, the
 * Vite plugin's own config generator), the three desktop Vite configs alone (`npm run build`),
 * electron-builder.yml through electron-builder's loader and schema validator, and the decision
 * `npm start` takes between the desktop app and the browser. The real bundles are built by
 * `npm run build` (bin/build-desktop.js), not here: a tfjs bundle takes ~10 s per build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ResolvedForgeConfig } from '@electron-forge/shared-types';
import type { ConfigEnv, Plugin, UserConfig, UserConfigFnObject } from 'vite';
import { describe, expect, it } from 'vitest';
import {
  MAIN_ENTRY,
  PRODUCT_NAME,
  desktopAvailability,
  fallbackMessage,
} from '../bin/desktop-available.js';
import forgeConfig, {
  APP,
  ASAR_UNPACK,
  EXTRA_RESOURCES,
  GRAPH_FILE,
  packagedFilter,
  runtimeClosure,
} from '../forge.config.ts';
import { BUILD_DIR, ENTRIES, NATIVE_BACKENDS, NODE_EXTERNALS, RENDERER_NAME } from '../vite.desktop.ts';
import engineConfig, { WASM_FILES, wasmSourceDir } from '../vite.engine.config.ts';
import mainConfig from '../vite.main.config.ts';
import preloadConfig from '../vite.preload.config.ts';
import rendererConfig, { RENDERER_OUT_DIR } from '../vite.renderer.config.ts';
import { ROOT, tempDir } from './helpers.ts';

const require = createRequire(import.meta.url);

/** Resolves a package the way its dependant does (these are transitive dependencies). */
function requireFrom<T>(dependant: string, id: string): T {
  return createRequire(require.resolve(`${dependant}/package.json`))(id) as T;
}

type LoadForgeConfig = (dir: string) => Promise<ResolvedForgeConfig>;
type ForgePlugin = { name: string; config: unknown };
type ViteConfigGenerator = { getBuildConfigs(): Promise<UserConfig[]>; getRendererConfig(): Promise<UserConfig[]> };
type Maker = {
  name: string;
  platforms: string[] | null;
  config: Record<string, unknown>;
  prepareConfig(arch: string): Promise<void>;
};
type Minimatch = (path: string, pattern: string, options?: { matchBase?: boolean; dot?: boolean }) => boolean;

/** forge.config.ts as `electron-forge package` sees it: loaded and resolved by Forge's own code. */
async function resolvedForgeConfig(): Promise<ResolvedForgeConfig> {
  const forge = requireFrom<{ default: LoadForgeConfig }>('@electron-forge/cli', '@electron-forge/core/dist/util/forge-config.js');
  return forge.default(ROOT);
}

async function forgeViteConfigs(isProd: boolean): Promise<{ builds: UserConfig[]; renderers: UserConfig[] }> {
  const vite = (forgeConfig.plugins ?? []).find((p) => (p as ForgePlugin).name === 'vite') as ForgePlugin;
  const Generator = requireFrom<{ default: new (config: unknown, dir: string, isProd: boolean) => ViteConfigGenerator }>(
    '@electron-forge/plugin-vite',
    '@electron-forge/plugin-vite/dist/ViteConfig.js',
  ).default;
  const generator = new Generator(vite.config, ROOT, isProd);
  return { builds: await generator.getBuildConfigs(), renderers: await generator.getRendererConfig() };
}

function standalone(config: UserConfigFnObject): UserConfig {
  return config({ command: 'build', mode: 'production' } satisfies ConfigEnv);
}

type Lib = { entry: string; formats: string[]; fileName: () => string };
const lib = (c: UserConfig): Lib => c.build?.lib as unknown as Lib;
type Output = { format?: string; inlineDynamicImports?: boolean; entryFileNames?: string; dynamicImportInCjs?: boolean };
const output = (c: UserConfig): Output => c.build?.rollupOptions?.output as Output;
const externals = (c: UserConfig): (string | RegExp)[] => c.build?.rollupOptions?.external as (string | RegExp)[];
const pluginNames = (c: UserConfig): string[] => (c.plugins ?? []).map((p) => (p as Plugin).name);

describe('forge.config.ts', () => {
  it('loads and resolves through Electron Forge: plugins, makers, asar, extra resources', async () => {
    const config = await resolvedForgeConfig();
    expect(config.plugins.map((p) => (p as ForgePlugin).name)).toEqual(['vite', 'auto-unpack-natives']);

    const packager = config.packagerConfig;
    expect(packager.name).toBe(APP.productName);
    expect(packager.appBundleId).toBe(APP.appId);
    expect(packager.executableName).toBe(APP.executableName);
    expect(packager.prune).toBe(false);
    // auto-unpack-natives has added the .node binaries to our wasm/shared-library patterns.
    const asar = packager.asar as { unpack: string; unpackDir: string };
    expect(asar.unpack).toContain(ASAR_UNPACK);
    expect(asar.unpack).toContain('*.node');
    expect(asar.unpackDir).toContain('tfjs-node');
    // Our ignore function replaced the Vite plugin's default (which would keep .vite/ only).
    expect(typeof packager.ignore).toBe('function');

    // Templates ship beside app.asar: process.resourcesPath/templates.
    expect(packager.extraResource).toEqual([join(ROOT, 'templates')]);
    expect(EXTRA_RESOURCES.every((dir) => existsSync(dir))).toBe(true);
    expect(readdirSync(join(ROOT, 'templates')).filter((f) => f.endsWith('.rlgraph.json')).length).toBeGreaterThan(0);

    const makers = config.makers as unknown as Maker[];
    expect(makers.map((m) => m.name)).toEqual(['zip', 'dmg', 'squirrel', 'deb']);
    // What Forge does before `make`: resolve each maker's options.
    for (const maker of makers) await maker.prepareConfig('x64');
    const byName = Object.fromEntries(makers.map((m) => [m.name, m]));
    expect(byName.dmg.platforms).toEqual(['darwin']);
    expect(byName.squirrel.platforms).toEqual(['win32']);
    expect(byName.deb.platforms).toEqual(['linux']);
    expect(byName.zip.platforms).toEqual(expect.arrayContaining(['darwin', 'linux', 'win32']));
    const deb = (byName.deb.config as { options: { mimeType: string[]; bin: string; maintainer: string } }).options;
    expect(deb.mimeType).toEqual([GRAPH_FILE.mimeType]);
    expect(deb.bin).toBe(APP.executableName);
    expect(deb.maintainer).toBeTruthy();
    expect((byName.squirrel.config as { name: string }).name).not.toMatch(/-/);

    expect(config.rebuildConfig.ignoreModules).toEqual(expect.arrayContaining([...NATIVE_BACKENDS]));
  });

  it('associates *.rlgraph.json on macOS (document type + exported UTI)', () => {
    const info = forgeConfig.packagerConfig?.extendInfo as {
      CFBundleDocumentTypes: { CFBundleTypeExtensions: string[]; LSItemContentTypes: string[]; CFBundleTypeRole: string }[];
      UTExportedTypeDeclarations: { UTTypeIdentifier: string; UTTypeTagSpecification: Record<string, string[]> }[];
    };
    const [doc] = info.CFBundleDocumentTypes;
    expect(doc.CFBundleTypeExtensions).toEqual(['rlgraph.json']);
    expect(doc.CFBundleTypeRole).toBe('Editor');
    const [uti] = info.UTExportedTypeDeclarations;
    expect(doc.LSItemContentTypes).toEqual([uti.UTTypeIdentifier]);
    expect(uti.UTTypeTagSpecification['public.filename-extension']).toEqual(['rlgraph.json']);
    expect(uti.UTTypeTagSpecification['public.mime-type']).toEqual([GRAPH_FILE.mimeType]);
  });

  it('gives the Vite plugin main, preload, engine and renderer entries that exist', async () => {
    const vite = (forgeConfig.plugins ?? []).find((p) => (p as ForgePlugin).name === 'vite') as ForgePlugin;
    const pluginConfig = vite.config as {
      build: { entry: string; config: string; target?: string }[];
      renderer: { name: string; config: string }[];
    };
    expect(pluginConfig.build.map((b) => [b.entry, b.target])).toEqual([
      [ENTRIES.main, 'main'],
      [ENTRIES.preload, 'preload'],
      [ENTRIES.engine, 'main'],
    ]);
    expect(pluginConfig.renderer.map((r) => r.name)).toEqual([RENDERER_NAME]);
    for (const b of [...pluginConfig.build, ...pluginConfig.renderer]) expect(existsSync(b.config), b.config).toBe(true);
    for (const b of pluginConfig.build) expect(existsSync(join(ROOT, b.entry)), b.entry).toBe(true);
    expect(existsSync(join(ROOT, 'renderer', 'index.html'))).toBe(true);
  });

  it("resolves, under Forge's Vite plugin, to .vite/build/{main,preload,engine}.js and .vite/renderer/main_window", async () => {
    const { builds, renderers } = await forgeViteConfigs(true);
    const [main, preload, engine] = builds;
    const outDir = join(ROOT, BUILD_DIR);
    for (const c of builds) expect(c.build?.outDir).toBe(outDir);
    for (const c of builds) expect(c.build?.emptyOutDir).toBe(false);

    expect(lib(main).entry).toBe(ENTRIES.main);
    expect(lib(main).fileName()).toBe('main.js');
    expect(lib(main).formats).toEqual(['cjs']);
    // Forge's own definitions of the renderer globals are kept (a dev-server URL during start).
    expect(main.define).toMatchObject({ MAIN_WINDOW_VITE_NAME: JSON.stringify(RENDERER_NAME) });

    expect(preload.build?.rollupOptions?.input).toEqual({ preload: ENTRIES.preload });
    expect(output(preload)).toMatchObject({ format: 'cjs', inlineDynamicImports: true, entryFileNames: '[name].js' });

    expect(lib(engine).entry).toBe(ENTRIES.engine);
    expect(lib(engine).fileName()).toBe('engine.js');
    expect(lib(engine).formats).toEqual(['cjs']);
    expect(externals(engine)).toEqual(expect.arrayContaining(['electron', 'node:fs', ...NATIVE_BACKENDS]));
    expect(pluginNames(engine)).toContain('rl-composer:tfjs-wasm-binaries');
    for (const c of builds) expect(pluginNames(c)).toContain('rl-composer:commonjs-package-json');

    const [renderer] = renderers;
    expect(renderer.build?.outDir).toBe(join(ROOT, '.vite', 'renderer', RENDERER_NAME));
    expect(existsSync(join(renderer.root ?? '', 'index.html'))).toBe(true);
    expect(renderer.base).toBe('./');
  });

  it('keeps only .vite/, package.json and the installed native backends in the app', () => {
    const root = tempDir('rlc-pack-');
    const write = (rel: string, pkg: Record<string, unknown>): void => {
      mkdirSync(join(root, rel), { recursive: true });
      writeFileSync(join(root, rel, 'package.json'), JSON.stringify(pkg));
    };
    writeFileSync(join(root, 'package.json'), '{}');
    write('node_modules/@tensorflow/tfjs-node', {
      dependencies: { '@tensorflow/tfjs': '4.22.0', 'adm-zip': '1', tar: '6' },
      peerDependencies: { absent: '1' },
    });
    write('node_modules/@tensorflow/tfjs', { dependencies: { '@tensorflow/tfjs-core': '4.22.0' } });
    write('node_modules/@tensorflow/tfjs-core', { optionalDependencies: { 'not-installed': '1' } });
    write('node_modules/adm-zip', {});
    write('node_modules/@tensorflow/tfjs-node/node_modules/tar', { dependencies: { minipass: '1' } });
    write('node_modules/minipass', {});
    write('node_modules/react', {});
    write('node_modules/@tensorflow/tfjs-backend-wasm', {});

    const closure = runtimeClosure(NATIVE_BACKENDS, root);
    expect(closure).toEqual([
      'node_modules/@tensorflow/tfjs',
      'node_modules/@tensorflow/tfjs-core',
      'node_modules/@tensorflow/tfjs-node',
      'node_modules/@tensorflow/tfjs-node/node_modules/tar',
      'node_modules/adm-zip',
      'node_modules/minipass',
    ]);
    const ignored = packagedFilter(closure);
    for (const kept of [
      '',
      '/package.json',
      '/.vite',
      '/.vite/build/main.js',
      '/.vite/build/tfjs-backend-wasm-simd.wasm',
      '/.vite/renderer/main_window/index.html',
      '/node_modules',
      '/node_modules/@tensorflow',
      '/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node',
      '/node_modules/@tensorflow/tfjs-node/deps/lib/libtensorflow.so.2',
      '/node_modules/minipass/index.js',
    ]) {
      expect(ignored(kept), kept).toBe(false);
    }
    for (const dropped of [
      '/node_modules/react',
      '/node_modules/@tensorflow/tfjs-backend-wasm',
      '/node_modules/.bin',
      '/engine/cli.ts',
      '/electron/main.ts',
      '/templates',
      '/renderer/dist/index.html',
      '/out/make',
      '/.vitefoo',
      '/package-lock.json',
      '/forge.config.ts',
    ]) {
      expect(ignored(dropped), dropped).toBe(true);
    }

    // Nothing native installed: only .vite/ and package.json.
    expect(runtimeClosure(NATIVE_BACKENDS, tempDir('rlc-pack-empty-'))).toEqual([]);
    // This checkout: the closure is non-empty exactly when a native backend is installed.
    const installed = NATIVE_BACKENDS.some((name) => existsSync(join(ROOT, 'node_modules', name, 'package.json')));
    expect(runtimeClosure(NATIVE_BACKENDS).length > 0).toBe(installed);
  });

  it('unpacks the wasm binaries, .node bindings and libtensorflow from app.asar', async () => {
    const config = await resolvedForgeConfig();
    const { unpack } = config.packagerConfig.asar as { unpack: string };
    // @electron/asar matches `unpack` against each absolute file name with matchBase.
    const minimatch = requireFrom<Minimatch>('@electron/asar', 'minimatch');
    const app = '/tmp/out/RL Composer-linux-x64/resources/app';
    for (const file of [
      `${app}/.vite/build/tfjs-backend-wasm.wasm`,
      `${app}/.vite/build/tfjs-backend-wasm-simd.wasm`,
      `${app}/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node`,
      `${app}/node_modules/@tensorflow/tfjs-node-gpu/deps/lib/libtensorflow.so.2`,
      `${app}/node_modules/@tensorflow/tfjs-node/deps/lib/libtensorflow.2.dylib`,
      `${app}/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tensorflow.dll`,
    ]) {
      expect(minimatch(file, unpack, { matchBase: true }), file).toBe(true);
    }
    for (const file of [`${app}/.vite/build/engine.js`, `${app}/.vite/build/main.js`, `${app}/package.json`]) {
      expect(minimatch(file, unpack, { matchBase: true }), file).toBe(false);
    }
  });

  it('is what package.json expects: "main" under .vite/, the desktop scripts', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      main: string;
      scripts: Record<string, string>;
    };
    // The Vite plugin refuses to package unless "main" points into .vite/.
    expect(pkg.main).toBe(`${BUILD_DIR}/main.js`);
    for (const script of ['start', 'start:desktop', 'test', 'bench', 'build', 'typecheck', 'build:ui', 'package', 'make', 'dist']) {
      expect(pkg.scripts[script], script).toBeTruthy();
    }
    expect(pkg.scripts.start).toBe('node bin/start.js');
    expect(pkg.scripts['start:desktop']).toBe('electron-forge start');
    expect(pkg.scripts.package).toBe('electron-forge package');
    expect(pkg.scripts.make).toBe('electron-forge make');
    expect(PRODUCT_NAME).toBe(APP.productName);
    const gitignore = readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n');
    expect(gitignore).toEqual(expect.arrayContaining(['.vite/', 'out/']));
  });
});

describe('desktop Vite configs without Forge (npm run build)', () => {
  it('write the same files as under Forge, with the renderer globals defined', async () => {
    const { builds } = await forgeViteConfigs(true);
    const [forgeMain, , forgeEngine] = builds;
    const main = standalone(mainConfig as UserConfigFnObject);
    const preload = standalone(preloadConfig as UserConfigFnObject);
    const engine = standalone(engineConfig as UserConfigFnObject);

    for (const c of [main, preload, engine]) {
      expect(c.build?.outDir).toBe(join(ROOT, BUILD_DIR));
      expect(c.build?.emptyOutDir).toBe(false);
      expect(externals(c)).toEqual(expect.arrayContaining(NODE_EXTERNALS));
      expect(externals(c)).toContain('electron');
      // A production build: no dev server, the renderer named main_window.
      expect(c.define).toEqual({
        MAIN_WINDOW_VITE_DEV_SERVER_URL: 'undefined',
        MAIN_WINDOW_VITE_NAME: JSON.stringify(RENDERER_NAME),
      });
      expect(pluginNames(c)).toContain('rl-composer:commonjs-package-json');
    }
    expect(lib(main)).toMatchObject({ entry: lib(forgeMain).entry, formats: ['cjs'] });
    expect(lib(main).fileName()).toBe('main.js');
    expect(lib(engine)).toMatchObject({ entry: lib(forgeEngine).entry, formats: ['cjs'] });
    expect(lib(engine).fileName()).toBe('engine.js');
    expect(output(engine)).toMatchObject({ inlineDynamicImports: true, dynamicImportInCjs: false });
    // Node resolution for the Node bundles: never a package's browser build (tfjs-backend-wasm's
    // "browser" field would stub out fs and path).
    for (const c of [main, engine]) {
      expect(c.resolve?.conditions).toEqual(['node']);
      expect(c.resolve?.mainFields).not.toContain('browser');
    }

    expect(preload.build?.lib).toBeUndefined();
    expect(preload.build?.rollupOptions?.input).toEqual({ preload: ENTRIES.preload });
    expect(output(preload)).toMatchObject({ format: 'cjs', inlineDynamicImports: true, entryFileNames: '[name].js' });

    const renderer = rendererConfig as UserConfig;
    expect(renderer.build?.outDir).toBe(RENDERER_OUT_DIR);
    expect(RENDERER_OUT_DIR).toBe(join(ROOT, '.vite', 'renderer', RENDERER_NAME));
  });

  it('ship the wasm backend binaries next to engine.js', () => {
    const engine = standalone(engineConfig as UserConfigFnObject);
    expect(pluginNames(engine)).toContain('rl-composer:tfjs-wasm-binaries');
    for (const file of WASM_FILES) expect(existsSync(join(wasmSourceDir(), file)), file).toBe(true);
  });
});

describe('electron-builder.yml', () => {
  type Config = {
    appId: string;
    productName: string;
    executableName: string;
    directories: { output: string };
    asarUnpack: string[];
    extraResources: { from: string; to: string }[];
    fileAssociations: { ext: string; mimeType: string; name: string; role: string }[];
    mac: { target: string[] };
    win: { target: string[] };
    linux: { target: string[]; maintainer: string };
    publish: null;
  };
  type ConfigModule = {
    validateConfiguration(config: unknown, logger: unknown): Promise<void>;
    getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<unknown>;
  };
  const configModule = (): ConfigModule => requireFrom<ConfigModule>('electron-builder', 'app-builder-lib/out/util/config/config.js');
  const logger = (): unknown => {
    const { DebugLogger } = requireFrom<{ DebugLogger: new (enabled: boolean) => unknown }>('electron-builder', 'builder-util');
    return new DebugLogger(false);
  };
  const load = (): Config => {
    const yaml = requireFrom<{ load(text: string): unknown }>('app-builder-lib', 'js-yaml');
    return yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as Config;
  };

  it("passes electron-builder's schema validation (and a broken copy does not)", async () => {
    const { validateConfiguration, getConfig } = configModule();
    const config = load();
    await expect(validateConfiguration(config, logger())).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...config, nsis: { notAnOption: true } }, logger())).rejects.toThrow(/configuration/);
    // electron-builder's own loader reads the same file.
    await expect(getConfig(ROOT, join(ROOT, 'electron-builder.yml'), null)).resolves.toMatchObject({ appId: APP.appId });
  });

  it('builds dmg, nsis, AppImage and deb for the app Forge packages', () => {
    const config = load();
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.linux.maintainer).toBeTruthy();
    expect(config.appId).toBe(APP.appId);
    expect(config.productName).toBe(APP.productName);
    expect(config.executableName).toBe(APP.executableName);
    expect(config.publish).toBeNull();
    // Installers land under out/ (git-ignored), beside Forge's output.
    expect(config.directories.output.startsWith('out/')).toBe(true);
    const dist = readFileSync(join(ROOT, 'bin', 'dist.js'), 'utf8');
    expect(dist).toContain('--prepackaged');
    expect(dist).toContain('electron-builder.yml');
  });

  it('unpacks the native GPU backends and the wasm binaries, ships the templates, associates *.rlgraph.json', () => {
    const config = load();
    const minimatch = requireFrom<Minimatch>('@electron/asar', 'minimatch');
    const unpacked = (file: string): boolean => config.asarUnpack.some((p) => minimatch(file, p, { dot: true }));
    expect(unpacked('node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node')).toBe(true);
    expect(unpacked('node_modules/@tensorflow/tfjs-node-gpu/deps/lib/libtensorflow.so.2')).toBe(true);
    expect(unpacked('node_modules/@tensorflow/tfjs-node/deps/lib/libtensorflow.so.2')).toBe(true);
    expect(unpacked('.vite/build/tfjs-backend-wasm-simd.wasm')).toBe(true);
    expect(unpacked('.vite/build/engine.js')).toBe(false);

    expect(config.extraResources).toEqual([expect.objectContaining({ from: 'templates', to: 'templates' })]);
    expect(config.fileAssociations).toEqual([
      expect.objectContaining({ ext: GRAPH_FILE.ext, mimeType: GRAPH_FILE.mimeType, name: GRAPH_FILE.name, role: 'Editor' }),
    ]);
  });
});

describe('npm start: desktop app or browser', () => {
  /** A project folder with as much of the desktop toolchain as asked for. */
  function project(parts: { main?: boolean; electron?: boolean; pathTxt?: boolean; binary?: boolean; forge?: boolean }): string {
    const root = tempDir('rlc-start-');
    writeFileSync(join(root, 'package.json'), '{"name":"x"}');
    const put = (rel: string, text = ''): void => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    };
    if (parts.main) put(MAIN_ENTRY, '');
    if (parts.electron) put('node_modules/electron/package.json', '{"name":"electron","main":"index.js"}');
    if (parts.pathTxt) put('node_modules/electron/path.txt', 'electron');
    if (parts.binary) put('node_modules/electron/dist/electron', '');
    if (parts.forge) {
      put('node_modules/@electron-forge/cli/package.json', '{"name":"@electron-forge/cli"}');
      put('node_modules/@electron-forge/cli/dist/electron-forge.js', '');
    }
    return root;
  }
  const display = { DISPLAY: ':0' };
  const all = { main: true, electron: true, pathTxt: true, binary: true, forge: true };

  it('opens the desktop app when the Electron binary and Forge are installed', () => {
    const root = project(all);
    expect(desktopAvailability({ root, env: display, platform: 'linux' })).toEqual({
      ok: true,
      electron: join(root, 'node_modules', 'electron', 'dist', 'electron'),
      forgeCli: join(root, 'node_modules', '@electron-forge', 'cli', 'dist', 'electron-forge.js'),
    });
    // No X/Wayland display matters on Linux only.
    expect(desktopAvailability({ root, env: {}, platform: 'darwin' }).ok).toBe(true);
    expect(desktopAvailability({ root, env: {}, platform: 'linux' })).toEqual({
      ok: false,
      reason: expect.stringContaining('no display'),
    });
  });

  it('falls back to the browser, saying why, when something is missing', () => {
    const reason = (parts: Parameters<typeof project>[0], env: NodeJS.ProcessEnv = display): string => {
      const result = desktopAvailability({ root: project(parts), env, platform: 'linux' });
      expect(result.ok).toBe(false);
      return result.ok ? '' : result.reason;
    };
    expect(reason({ ...all, main: false })).toContain(MAIN_ENTRY);
    expect(reason({ ...all, electron: false, pathTxt: false, binary: false })).toContain('electron package is not installed');
    // What ELECTRON_SKIP_BINARY_DOWNLOAD (or an offline install) leaves: the package without path.txt.
    expect(reason({ ...all, pathTxt: false, binary: false })).toContain('path.txt is missing');
    expect(reason({ ...all, binary: false })).toContain('Electron binary is missing');
    expect(reason({ ...all, forge: false })).toContain('@electron-forge/cli');
    expect(reason(all, { ...display, RLC_NO_DESKTOP: '1' })).toContain('RLC_NO_DESKTOP');
    expect(fallbackMessage('why')).not.toContain('\n');
    expect(fallbackMessage('why')).toContain('rlc serve --open');
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH as electron does', () => {
    const root = project({ ...all, pathTxt: false, binary: false });
    const dist = tempDir('rlc-electron-dist-');
    writeFileSync(join(dist, 'electron'), '');
    expect(desktopAvailability({ root, env: { ...display, ELECTRON_OVERRIDE_DIST_PATH: dist }, platform: 'linux' })).toMatchObject({
      ok: true,
      electron: join(dist, 'electron'),
    });
  });

  it('decides for this checkout exactly as installed (no Electron binary: the browser)', () => {
    const result = desktopAvailability({ env: display, platform: 'linux' });
    const electronDir = join(ROOT, 'node_modules', 'electron');
    const binaryInstalled =
      existsSync(join(electronDir, 'path.txt')) &&
      existsSync(join(electronDir, 'dist', readFileSync(join(electronDir, 'path.txt'), 'utf8').trim()));
    expect(result.ok).toBe(binaryInstalled && existsSync(join(ROOT, MAIN_ENTRY)));
  });

  it('bin/start.js prints one line and runs `rlc serve --open` when it falls back', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'start.js'), '--help'], {
      cwd: ROOT,
      env: { ...process.env, RLC_NO_DESKTOP: '1', FORCE_COLOR: '0' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const [first, ...rest] = result.stdout.split('\n');
    expect(first).toBe(fallbackMessage('RLC_NO_DESKTOP is set'));
    // `rlc serve --open --help`: commander's help for serve, nothing started.
    expect(rest.join('\n')).toMatch(/Usage: rlc serve/);
    expect(rest.join('\n')).toContain('--open');
  });
});
