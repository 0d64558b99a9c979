/**
 * The editor under the desktop shell, in chromium. The Electron binary is not needed: the page
 * gets `window.rlcDesktop` from the REAL preload code (electron/preload-api.ts, bundled for the
 * page here) over a fake ipcRenderer whose calls reach Node through playwright bindings, where the
 * REAL main-process modules answer them: registerIpcHandlers (sender and argument checks),
 * GraphFiles (dialogs scripted, templates from the repo), RecoveryStore, WindowManager (title,
 * dirty state, outbox, close request), EngineProcess and EngineLink (status, ports, restart).
 *
 * The engine process is played by `rlc serve` (one server per process lifetime, always on the same
 * port): each MessagePort EngineLink hands to "the engine" is bridged in the page to a WebSocket on
 * that server, so the renderer speaks to the engine over a real MessagePort
 * (MessagePortEngineClient), exactly as in the app. The page is opened without a token: nothing
 * but the desktop path can reach the engine. A crash closes the connections, then the server (its
 * runs die with it), then reports the exit; a restart starts a fresh server.
 *
 * Screenshots: test-results/screenshots/desktop-*.png.
 */
import { EventEmitter } from 'node:events';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { OpenDialogOptions, OpenDialogReturnValue, SaveDialogOptions, SaveDialogReturnValue } from 'electron';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DesktopApi, DocumentState, MenuCommand, SaveRequest } from '../../electron/desktop-api.ts';
import { IPC } from '../../electron/desktop-api.ts';
import { EngineLink } from '../../electron/engine-link.ts';
import { desktopServices } from '../../electron/services.ts';
import { GraphFiles } from '../../electron/files.ts';
import { type IpcEventLike, type IpcMainLike, registerIpcHandlers } from '../../electron/ipc.ts';
import type { createDesktopApi, PostToPage, RendererIpc } from '../../electron/preload-api.ts';
import { RecoveryStore } from '../../electron/recovery.ts';
import { isTrustedSender } from '../../electron/security.ts';
import { WindowManager } from '../../electron/windows.ts';
import { parseGraph, serializeGraph } from '../../engine/graph/io.ts';
import { type EngineChild, EngineProcess, type HostCommand } from '../../engine/host/engine-process.ts';
import { type RunningServer, startServer } from '../../engine/host/server.ts';
import { FakeBrowserWindow, FakePort } from '../fake-electron.ts';
import { ROOT, tempDir } from '../helpers.ts';
import { launchBrowser, screenshot, startUiServer } from './browser.ts';
import { openTemplate } from './fixture.ts';

const PPO = 'ppo-clip.cartpole.rlgraph.json';
const REINFORCE = 'reinforce.cartpole.rlgraph.json';

// ---------------------------------------------------------------------------------------------
// The page side: runs in chromium before the editor's scripts (page.addInitScript). The test
// tsconfig has no DOM lib, so the few page APIs used are typed by hand.

/** What the page-side shell lets Node do (page.evaluate). */
interface PageShell {
  /** Delivers a main → renderer message to the fake ipcRenderer's listeners; `portIds`: ports to carry (event.ports). */
  emit(channel: string, args: unknown[], portIds: number[]): void;
  /** The engine side of channel `id` connects to the engine: bridged to a WebSocket to `url`. */
  bridge(id: number, url: string): void;
  /** The engine process died: its connections go dead. */
  kill(ids: number[]): void;
  /** Channels bridged so far. */
  bridged: number;
}

interface PageWorld {
  MessageChannel: new () => { port1: PagePort; port2: PagePort };
  WebSocket: new (url: string) => PageSocket;
  postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void;
  /** Bindings to Node (page.exposeBinding). */
  __rlcIpcInvoke(channel: string, args: unknown[]): Promise<{ value?: unknown; error?: string }>;
  __rlcIpcSend(channel: string, args: unknown[]): Promise<void>;
  /** The bundled electron/preload-api.ts. */
  __rlcPreload: { createDesktopApi: typeof createDesktopApi };
  __rlcShell: PageShell;
  rlcDesktop: DesktopApi;
}
interface PagePort {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}
interface PageSocket {
  send(data: string): void;
  close(): void;
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: (() => void) | null;
}

/** The preload, as far as the page can tell: `window.rlcDesktop` over a fake ipcRenderer. */
function installDesktopShell(): void {
  const page = globalThis as unknown as PageWorld;
  const listeners = new Map<string, ((event: { ports: readonly unknown[] }, ...args: unknown[]) => void)[]>();
  const ipc: RendererIpc = {
    // Electron rejects a failed invoke with the main process's error wrapped like this.
    invoke: async (channel, ...args) => {
      const reply = await page.__rlcIpcInvoke(channel, args);
      if (reply.error !== undefined) throw new Error(`Error invoking remote method '${channel}': ${reply.error}`);
      return reply.value;
    },
    send: (channel, ...args) => void page.__rlcIpcSend(channel, args),
    on: (channel, listener) => {
      listeners.set(channel, [...(listeners.get(channel) ?? []), listener]);
      return ipc;
    },
  };
  const channels = new Map<number, { port1: PagePort; port2: PagePort; socket: PageSocket | null }>();
  const channel = (id: number) => {
    let c = channels.get(id);
    if (!c) {
      const { port1, port2 } = new page.MessageChannel();
      c = { port1, port2, socket: null };
      channels.set(id, c);
    }
    return c;
  };
  const shell: PageShell = {
    bridged: 0,
    emit: (name, args, portIds) => {
      const event = { ports: portIds.map((id) => channel(id).port1) };
      for (const listener of listeners.get(name) ?? []) listener(event, ...args);
    },
    bridge: (id, url) => {
      const c = channel(id);
      const socket = new page.WebSocket(url);
      c.socket = socket;
      shell.bridged += 1;
      // Until the socket is open the port holds what the editor sends (a port queues until started).
      socket.onopen = () => {
        c.port2.onmessage = (event) => socket.send(JSON.stringify(event.data));
      };
      socket.onmessage = (event) => c.port2.postMessage(JSON.parse(String(event.data)));
      socket.onclose = () => c.port2.close();
    },
    kill: (ids) => {
      for (const id of ids) {
        const c = channels.get(id);
        if (!c) continue;
        c.port2.onmessage = null;
        c.socket?.close();
        c.port2.close();
        channels.delete(id);
      }
    },
  };
  page.__rlcShell = shell;
  // As electron/preload.ts: the real API, the engine port posted to the page's own window.
  const post: PostToPage = (message, ports) => page.postMessage(message, '*', ports);
  page.rlcDesktop = page.__rlcPreload.createDesktopApi(ipc, post);
}

// ---------------------------------------------------------------------------------------------
// The main-process side: the real modules, wired as electron/main.ts wires them.

/** What a playwright binding learns of its caller. */
type BindingSource = { frame: Frame };

/** A MessageChannelMain end: only an id that names the page-side MessageChannel. */
class ShellPort extends FakePort {
  constructor(readonly id: number) {
    super();
  }
}

/** Scripted native dialogs: each call takes the next answer (a path, or null: cancelled). */
class Dialogs {
  readonly answers: (string | null)[] = [];
  readonly calls: { kind: 'open' | 'save'; options: OpenDialogOptions | SaveDialogOptions }[] = [];
  private next(): string | null {
    if (this.answers.length === 0) throw new Error('unexpected dialog');
    return this.answers.shift() ?? null;
  }
  async showOpenDialog(_window: FakeBrowserWindow, options: OpenDialogOptions): Promise<OpenDialogReturnValue> {
    this.calls.push({ kind: 'open', options });
    const path = this.next();
    return { canceled: path === null, filePaths: path === null ? [] : [path] };
  }
  async showSaveDialog(_window: FakeBrowserWindow, options: SaveDialogOptions): Promise<SaveDialogReturnValue> {
    this.calls.push({ kind: 'save', options });
    const path = this.next();
    return path === null ? { canceled: true, filePath: '' } : { canceled: false, filePath: path };
  }
}

/** The engine process, played by an `rlc serve` on the shell's port (an EngineChild for EngineProcess). */
class ServedEngine extends EventEmitter implements EngineChild {
  private readonly server: Promise<RunningServer>;
  /** Connections handed to this process (page-side channel ids). */
  private readonly connections: number[] = [];
  private dead = false;

  constructor(
    private readonly shell: DesktopShell,
    existing: RunningServer | null,
  ) {
    super();
    this.server = existing ? Promise.resolve(existing) : startServer({ ...engines.options(), port: engines.port, token: engines.token });
    void this.server.then(() => {
      if (!this.dead) this.emit('message', { type: 'host.ready', backend: engines.backend.name, backendDetail: engines.backend.detail });
    });
  }

  running(): Promise<RunningServer> {
    return this.server;
  }

  postMessage(message: unknown, transfer?: unknown[]): void {
    const command = message as HostCommand;
    if (command.type === 'host.connect') {
      for (const port of transfer ?? []) {
        const id = (port as ShellPort).id;
        this.connections.push(id);
        void this.server.then((s) => this.shell.toPage((page) => page.evaluate(([i, url]) => (globalThis as unknown as PageWorld).__rlcShell.bridge(i, url), [id, `ws://127.0.0.1:${s.port}/ws?token=${s.token}`] as const)));
      }
    } else if (command.type === 'host.stop') void this.die(0);
  }

  kill(): boolean {
    void this.die(null);
    return true;
  }

  /** The process ends (0: cleanly): its connections die at once, then its runs, then the parent sees the exit. */
  async die(code: number | null): Promise<void> {
    if (this.dead) return;
    this.dead = true;
    const ids = this.connections.splice(0);
    this.shell.toPage((page) => page.evaluate((i) => (globalThis as unknown as PageWorld).__rlcShell.kill(i), ids));
    await this.shell.settled();
    const server = await this.server;
    if (code !== 0) {
      // A process that dies leaves its runs where they were: no checkpoint, summary or final evaluation.
      for (const { runId } of server.manager.list()) {
        const run = server.manager.get(runId);
        if (run.finished) continue;
        run.finished = true;
        run.actor.stop();
      }
    }
    await server.close();
    this.emit('exit', code);
  }
}

/** The engine servers: the first from the harness (it serves the page too), later ones on its port. */
const engines = {
  port: 0,
  token: '',
  workspace: '',
  backend: { name: '', detail: '' },
  first: null as RunningServer | null,
  current: null as ServedEngine | null,
  options() {
    return { host: '127.0.0.1', workspace: this.workspace, uiDir: join(ROOT, 'renderer', 'dist'), templatesDir: join(ROOT, 'templates') };
  },
};

/** The backend an engine server loaded, from its greeting (what its host.ready would report). */
async function engineBackend(server: RunningServer): Promise<{ name: string; detail: string }> {
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
  try {
    const hello = await new Promise<{ backend: string; backendDetail: string }>((resolve, reject) => {
      socket.once('message', (data) => resolve(JSON.parse(String(data)) as { backend: string; backendDetail: string }));
      socket.once('error', reject);
    });
    return { name: hello.backend, detail: hello.backendDetail };
  } finally {
    socket.close();
  }
}

/** One run of the desktop app: its main process (real modules) and its one window's page. */
class DesktopShell {
  readonly dialogs = new Dialogs();
  readonly files: GraphFiles<FakeBrowserWindow>;
  readonly recovery: RecoveryStore;
  readonly windows: WindowManager<FakeBrowserWindow>;
  readonly engine: EngineProcess;
  readonly link: EngineLink<ShellPort>;
  /** Channels the page invoked or sent, in order. */
  readonly calls: string[] = [];
  /** What the page asked to save. */
  readonly saves: SaveRequest[] = [];
  /** Main → page messages, in order. */
  readonly sent: { channel: string; args: unknown[] }[] = [];
  private readonly handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  private readonly listeners = new Map<string, (event: IpcEventLike, ...args: unknown[]) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private nextPort = 1;
  window!: FakeBrowserWindow;
  page!: Page;

  constructor(
    readonly userData: string,
    readonly documents: string,
    private readonly context: BrowserContext,
  ) {
    this.recovery = new RecoveryStore(join(userData, 'recovery'));
    this.files = new GraphFiles<FakeBrowserWindow>({
      dialog: this.dialogs,
      platform: 'linux',
      recentFile: join(userData, 'recent.json'),
      templatesDir: join(ROOT, 'templates'),
      documentsDir: documents,
    });
    this.windows = new WindowManager<FakeBrowserWindow>({
      appName: 'RL Composer',
      platform: 'linux',
      createWindow: () => this.createWindow(),
      onLoaded: (window) => {
        this.windows.send(window, IPC.engineStatus, this.engine.state);
        this.link.connect(window.webContents);
      },
      onClean: (window) => this.recovery.clear(this.windows.keyOf(window)),
    });
    this.engine = new EngineProcess({
      spawn: () => {
        const first = engines.first;
        engines.first = null;
        engines.current = new ServedEngine(this, first);
        return engines.current;
      },
      onStatus: (status) => this.windows.broadcast(IPC.engineStatus, status),
    });
    this.link = new EngineLink<ShellPort>(
      this.engine,
      () => {
        const id = this.nextPort++;
        return { port1: new ShellPort(id), port2: new ShellPort(id) };
      },
      () => this.windows.all().map((w) => w.webContents),
    );
    const ipcMain: IpcMainLike = {
      handle: (channel, listener) => void this.handlers.set(channel, listener),
      on: (channel, listener) => this.listeners.set(channel, listener),
    };
    const windows = this.windows;
    const recovery = this.recovery;
    const files = this.files;
    // The same services as electron/main.ts (the test also records what the page asked to save).
    registerIpcHandlers<FakeBrowserWindow>({
      ipcMain,
      isTrustedFrame: (frame) => isTrustedSender(frame, `http://127.0.0.1:${engines.port}/`),
      windowFor: (sender) => windows.fromContents(sender),
      services: ((services) => ({
        ...services,
        save: (window: FakeBrowserWindow, request: SaveRequest) => {
          this.saves.push(request);
          return services.save(window, request);
        },
      }))(
        desktopServices<FakeBrowserWindow>({
          info: () => ({ platform: 'linux', appVersion: '0.1.0', electronVersion: '45.5.0', workspace: engines.workspace }),
          files,
          recovery,
          windows,
          restartEngine: () => this.link.restart(),
          connectEngine: (window) => void this.link.connect(window.webContents),
          nativeEdit: (window, action) => window.webContents[action](),
        }),
      ),
    });
  }

  /** Starts the app: the engine (its server up), then the window and its page, without a token. */
  async launch(beforeLoad: () => void = () => {}): Promise<Page> {
    const child = this.engine.start() as ServedEngine;
    await child.running();
    const page = await this.context.newPage();
    this.page = page;
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.exposeBinding('__rlcIpcInvoke', (source: BindingSource, channel: string, args: unknown[]) => this.invoke(source, channel, args));
    await page.exposeBinding('__rlcIpcSend', (source: BindingSource, channel: string, args: unknown[]) => this.send(source, channel, args));
    await page.addInitScript({ content: preloadBundle });
    await page.addInitScript(installDesktopShell);
    this.window = this.windows.open();
    page.on('load', () => this.window.webContents.load()); // did-finish-load
    beforeLoad();
    await page.goto(`http://127.0.0.1:${engines.port}/`);
    return page;
  }

  /** A menu command, as main.ts's sendCommand delivers it to the focused window. */
  menu(command: MenuCommand): void {
    this.windows.send(this.windows.focused()!, IPC.menu, command);
  }

  /** A file handed over by the OS / the command line / Open Recent (main.ts's showPath). */
  showPath(path: string): void {
    this.windows.showFile(this.files.openPath(path));
  }

  state(): DocumentState | null {
    return this.windows.state(this.window);
  }

  /** Runs page work in order (main → page messages must arrive in the order they were sent). */
  toPage(work: (page: Page) => Promise<unknown>): void {
    this.queue = this.queue
      .then(() => work(this.page))
      .catch((error: unknown) => {
        // A closed page drops messages, as a dead renderer would; anything else is a failure.
        if (!this.page.isClosed()) pageErrors.push(`main → page: ${error instanceof Error ? error.message : String(error)}`);
      });
  }

  settled(): Promise<unknown> {
    return this.queue;
  }

  private createWindow(): FakeBrowserWindow {
    const window = new FakeBrowserWindow({ title: 'RL Composer' });
    window.webContents.send = (channel: string, ...args: unknown[]) => {
      this.sent.push({ channel, args });
      this.toPage((page) => page.evaluate(([c, a]) => (globalThis as unknown as PageWorld).__rlcShell.emit(c, a, []), [channel, args] as const));
    };
    window.webContents.postMessage = (channel: string, message: unknown, ports: unknown[] = []) => {
      this.sent.push({ channel, args: [message] });
      const ids = ports.map((p) => (p as ShellPort).id);
      this.toPage((page) => page.evaluate(([c, m, i]) => (globalThis as unknown as PageWorld).__rlcShell.emit(c, [m], i), [channel, message, ids] as const));
    };
    return window;
  }

  /** An IPC event from the page's frame, as Electron builds it. */
  private event(source: BindingSource): IpcEventLike {
    return { sender: this.window.webContents, senderFrame: { url: source.frame.url(), parent: source.frame.parentFrame() } };
  }

  private async invoke(source: BindingSource, channel: string, args: unknown[]): Promise<{ value?: unknown; error?: string }> {
    this.calls.push(channel);
    const handler = this.handlers.get(channel);
    if (!handler) return { error: `Error: No handler registered for '${channel}'` };
    try {
      return { value: await handler(this.event(source), ...args) };
    } catch (error) {
      return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }

  private send(source: BindingSource, channel: string, args: unknown[]): void {
    this.calls.push(channel);
    this.listeners.get(channel)?.(this.event(source), ...args);
  }
}

// ---------------------------------------------------------------------------------------------

let preloadBundle = '';
/** Uncaught errors of any page (none expected). */
const pageErrors: string[] = [];
let browser: Browser;
let context: BrowserContext;
let shell: DesktopShell;
let page: Page;
let userData: string;
let documents: string;

const points = async () => Number((await page.getByTestId('chart-return').getAttribute('data-points')) ?? '0');
const runState = async () => (await page.getByTestId('run-state').textContent()) ?? '';
/** The run's iteration as the run panel shows it (NaN: none yet). */
const iteration = async () => Number(await page.getByTestId('run-progress').locator('div').filter({ has: page.locator('dt', { hasText: /^iteration$/ }) }).locator('dd').textContent());
/** Validation (over the engine connection) has answered: no problems. */
const validated = () => expect.poll(async () => (await page.getByTestId('problems').textContent()) ?? '', { timeout: 10_000 }).toMatch(/No problems/);
// Read in one step: a banner or badge that goes away between two calls must not leave one waiting.
const bannerStatus = () => page.getByTestId('connection-banner').evaluateAll((els) => els[0]?.getAttribute('data-status') ?? null);
const badge = () => page.getByTestId('engine-badge').evaluateAll((els) => els[0]?.textContent ?? null);
const recoveryFiles = () => readdirSync(join(userData, 'recovery')).filter((f) => f.endsWith('.json'));
const readOr = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');

async function setParam(node: string, param: string, value: string): Promise<void> {
  await page.getByTestId(`node-${node}`).click();
  const field = page.getByTestId(`param-${param}`);
  await field.fill(value);
  await field.press('Enter');
}

beforeAll(async () => {
  const [bundle, { server, workspace }, launched] = await Promise.all([
    build({ entryPoints: [join(ROOT, 'electron', 'preload-api.ts')], bundle: true, format: 'iife', globalName: '__rlcPreload', platform: 'browser', target: 'chrome120', write: false, logLevel: 'silent' }),
    startUiServer(),
    launchBrowser(),
  ]);
  const backend = await engineBackend(server);
  // Init scripts may be wrapped in a function by playwright: publish the module's global explicitly.
  preloadBundle = `${bundle.outputFiles[0].text}\nglobalThis.__rlcPreload = __rlcPreload;\n`;
  Object.assign(engines, { port: server.port, token: server.token, workspace, first: server, backend: { name: backend.name, detail: backend.detail } });
  browser = launched;
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  userData = tempDir('rlc-desktop-userdata-');
  documents = tempDir('rlc-desktop-docs-');
  shell = new DesktopShell(userData, documents, context);
  page = await shell.launch();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await engines.current?.die(null);
});

describe('the editor in the desktop shell (chromium, IPC + MessagePort)', () => {
  it('lists the templates over IPC and opens PPO-clip CartPole from the gallery', async () => {
    await openTemplate(page, PPO);
    expect(shell.calls).toContain(IPC.listTemplates);
    expect(shell.calls).toContain(IPC.readTemplate);
    expect(page.url()).not.toContain('token');
    await expect.poll(() => page.getByTestId('gallery').count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => shell.state()?.title, { timeout: 10_000 }).toBe('PPO-clip · CartPole-v1');
    expect(shell.state()).toMatchObject({ dirty: false, path: null });
    expect(shell.window.title).toBe('PPO-clip · CartPole-v1 — RL Composer');
    await validated();
    await screenshot(page, 'desktop-01-template');
  });

  it('reaches the engine over the MessagePort and shows its backend', async () => {
    await expect.poll(badge, { timeout: 10_000 }).toBe(`Engine: ${engines.backend.name}`);
    expect(await bannerStatus()).toBeNull();
    expect(await page.evaluate(() => (globalThis as unknown as PageWorld).__rlcShell.bridged)).toBe(1);
    expect(shell.sent.filter((s) => s.channel === IPC.enginePort)).toHaveLength(1);
    expect(shell.engine.state).toMatchObject({ state: 'ready', backend: engines.backend.name });
    // The catalogue came over the port too (no HTTP in the desktop app): the palette lists blocks.
    await expect.poll(() => page.getByTestId('palette-env.classic').count(), { timeout: 10_000 }).toBe(1);
  });

  it('tells main about edits (dirty, title, selected block) and autosaves them for recovery', async () => {
    await setParam('clip', 'epsilon', '0.15');
    await expect.poll(() => shell.state()?.dirty, { timeout: 10_000 }).toBe(true);
    expect(shell.state()).toMatchObject({ title: 'PPO-clip · CartPole-v1', selectedBlockType: 'policy.clip' });
    expect(shell.window.title).toBe('• PPO-clip · CartPole-v1 — RL Composer');
    await expect.poll(() => page.getByTestId('dirty').count(), { timeout: 10_000 }).toBe(1);
    // Autosaved after a pause in the editing (1.5 s).
    await expect.poll(recoveryFiles, { timeout: 5000 }).toHaveLength(1);
    const saved = JSON.parse(readFileSync(join(userData, 'recovery', recoveryFiles()[0]), 'utf8')) as { text: string; path: string | null };
    expect(saved.path).toBeNull();
    expect(parseGraph(saved.text).nodes.find((n) => n.id === 'clip')!.params.epsilon).toBe(0.15);
    await screenshot(page, 'desktop-02-edited');
  });

  it('runs from the Run menu: start, pause, stop, with the return chart gaining points', async () => {
    shell.menu('run.start');
    await expect.poll(points, { timeout: 20_000 }).toBeGreaterThan(1);
    await screenshot(page, 'desktop-03-running');
    shell.menu('run.pause');
    await expect.poll(runState, { timeout: 10_000 }).toMatch(/paused/);
    const paused = await points();
    shell.menu('run.stop');
    await expect.poll(runState, { timeout: 10_000 }).toMatch(/done/);
    expect(await points()).toBeGreaterThanOrEqual(paused);
  });

  it('survives an engine crash mid-run: banner, Restart the engine, a fresh port, runs again', async () => {
    shell.menu('run.start');
    await expect.poll(runState, { timeout: 10_000 }).not.toMatch(/done/); // the new run replaced the last one in the panel
    await expect.poll(iteration, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    await engines.current!.die(1);
    await expect.poll(bannerStatus, { timeout: 10_000 }).toBe('engine-crashed');
    const banner = page.getByTestId('connection-banner');
    expect(await banner.textContent()).toMatch(/exited with code 1/);
    expect(await badge()).toBeNull();
    // The run died with the engine: it must not look alive.
    expect(await runState()).not.toMatch(/running/);
    await screenshot(page, 'desktop-04-engine-crashed');

    const calls = shell.calls.length;
    await page.getByTestId('restart-engine').click();
    await expect.poll(() => shell.calls.slice(calls), { timeout: 10_000 }).toContain(IPC.restartEngine);
    await expect.poll(bannerStatus, { timeout: 10_000 }).toBeNull();
    await expect.poll(badge, { timeout: 10_000 }).toBe(`Engine: ${engines.backend.name}`);
    expect(shell.sent.filter((s) => s.channel === IPC.enginePort)).toHaveLength(2);
    expect(shell.sent.filter((s) => s.channel === IPC.engineStatus).map((s) => (s.args[0] as { state: string }).state)).toEqual(['ready', 'crashed', 'restarting', 'starting', 'ready']);

    shell.menu('run.start');
    await expect.poll(runState, { timeout: 10_000 }).toMatch(/running|compiling/);
    await expect.poll(iteration, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(points, { timeout: 10_000 }).toBeGreaterThan(0);
    await screenshot(page, 'desktop-05-engine-restarted');
    shell.menu('run.pause'); // (stopping would cost a final evaluation; the last test's engine dies with it)
    await expect.poll(runState, { timeout: 10_000 }).toMatch(/paused/);
  });

  it('saves from the File menu through the Save dialog: canonical bytes, clean again', async () => {
    // A folder that cannot be written: the error reads as the editor's, not as IPC plumbing.
    const notAFolder = join(documents, 'not-a-folder');
    writeFileSync(notAFolder, '');
    shell.dialogs.answers.push(join(notAFolder, 'ppo.rlgraph.json'));
    shell.menu('file.save');
    const error = page.getByTestId('toast').filter({ hasText: 'Cannot save' });
    await expect.poll(() => error.count(), { timeout: 10_000 }).toBe(1);
    expect(await error.textContent()).not.toMatch(/invoking remote method/);
    await screenshot(page, 'desktop-06-save-failed');
    expect(shell.state()?.dirty).toBe(true);

    const target = join(documents, 'ppo.rlgraph.json');
    shell.dialogs.answers.push(target);
    shell.menu('file.save');
    await expect.poll(() => readOr(target).length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(shell.dialogs.calls.at(-1)).toMatchObject({ kind: 'save', options: { title: 'Save Graph', defaultPath: join(documents, 'ppo-clip.cartpole.rlgraph.json') } });
    const text = readFileSync(target, 'utf8');
    expect(text).toBe(serializeGraph(parseGraph(shell.saves.at(-1)!.text)));
    expect(parseGraph(text).nodes.find((n) => n.id === 'clip')!.params.epsilon).toBe(0.15);
    await expect.poll(() => page.getByTestId('dirty').count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => shell.state(), { timeout: 10_000 }).toMatchObject({ dirty: false, path: target });
    expect(shell.window.title).toBe('PPO-clip · CartPole-v1 — RL Composer');
    expect(recoveryFiles()).toHaveLength(0);
    // The top bar shows the file name; its tooltip has the whole path.
    expect(await page.getByTestId('doc-title').textContent()).toContain(basename(target));
    expect(await page.getByTestId('doc-title').getAttribute('title')).toBe(target);
    await screenshot(page, 'desktop-07-saved');
  });

  it('opens files: Open… in the top bar shows the native dialog; a file the OS hands over opens', async () => {
    const ppo = join(documents, 'ppo.rlgraph.json');
    shell.menu('file.new');
    await expect.poll(() => shell.state(), { timeout: 10_000 }).toMatchObject({ dirty: false, path: null, title: 'untitled' });
    shell.dialogs.answers.push(ppo);
    await page.getByTestId('file-open').click();
    await expect.poll(() => shell.state(), { timeout: 10_000 }).toMatchObject({ dirty: false, path: ppo, title: 'PPO-clip · CartPole-v1' });
    expect(shell.dialogs.calls.at(-1)).toMatchObject({ kind: 'open', options: { title: 'Open Graph' } });
    expect(await page.getByTestId('open-dialog').count()).toBe(0); // not the browser's workspace list
    await expect.poll(() => page.getByTestId('node-clip').count(), { timeout: 10_000 }).toBe(1);

    shell.menu('file.new');
    await expect.poll(() => shell.state(), { timeout: 10_000 }).toMatchObject({ dirty: false, path: null, title: 'untitled' });
    const given = join(documents, 'given.rlgraph.json');
    copyFileSync(join(ROOT, 'templates', REINFORCE), given);
    shell.showPath(given);
    await expect.poll(() => shell.state(), { timeout: 10_000 }).toMatchObject({ dirty: false, path: given, title: 'REINFORCE · CartPole-v1' });
    await expect.poll(() => page.getByTestId('node-returns').count(), { timeout: 10_000 }).toBe(1);
    // The top bar shows the file name; its tooltip has the whole path.
    expect(await page.getByTestId('doc-title').textContent()).toContain(basename(given));
    expect(await page.getByTestId('doc-title').getAttribute('title')).toBe(given);
    expect(shell.files.recent()).toEqual([given, ppo]);
    await validated();
    await screenshot(page, 'desktop-08-open-file');
  });

  it('saves before the window closes when main asks (close request)', async () => {
    const given = join(documents, 'given.rlgraph.json');
    await setParam('returns', 'gamma', '0.95');
    await expect.poll(() => shell.state()?.dirty, { timeout: 10_000 }).toBe(true);
    expect(await shell.windows.requestSave(shell.window)).toBe(true);
    expect(parseGraph(readFileSync(given, 'utf8')).nodes.find((n) => n.id === 'returns')!.params.gamma).toBe(0.95);
    await expect.poll(() => shell.state()?.dirty, { timeout: 10_000 }).toBe(false);
  });

  it('offers the autosaved work after the app died, and restores it', async () => {
    await setParam('returns', 'gamma', '0.9');
    await expect.poll(recoveryFiles, { timeout: 5000 }).toHaveLength(1);
    // The app is killed: no clean close, the recovery file stays; its engine goes with it.
    await page.close();
    await engines.current!.die(null);

    shell = new DesktopShell(userData, documents, context);
    expect(shell.recovery.pendingCount).toBe(1);
    let offered = '';
    const next = await shell.launch(() => {
      shell.page.once('dialog', (dialog) => {
        offered = dialog.message();
        void dialog.accept();
      });
    });
    page = next;
    await expect.poll(() => offered, { timeout: 10_000 }).toMatch(/unsaved changes to .*given\.rlgraph\.json.*Restore them\?/);
    await expect.poll(() => page.getByTestId('node-returns').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => shell.state(), { timeout: 10_000 }).toMatchObject({ dirty: true, title: 'REINFORCE · CartPole-v1' });
    expect(await page.getByTestId('gallery').count()).toBe(0);
    expect(await page.getByTestId('dirty').count()).toBe(1);
    expect(recoveryFiles()).toHaveLength(0); // restored: forgotten
    await expect.poll(badge, { timeout: 10_000 }).toBe(`Engine: ${engines.backend.name}`);
    await page.getByTestId('node-returns').click();
    expect(await page.getByTestId('param-gamma').inputValue()).toBe('0.9');
    await validated();
    await screenshot(page, 'desktop-09-recovered');
  });

  it('launched with a file: the file opens and the template gallery does not cover it', async () => {
    await page.close();
    await engines.current!.die(0);
    const given = join(documents, 'given.rlgraph.json');
    shell = new DesktopShell(tempDir('rlc-desktop-userdata-'), documents, context);
    page = await shell.launch(() => shell.showPath(given));
    await expect.poll(() => page.getByTestId('node-returns').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => shell.calls, { timeout: 10_000 }).toContain(IPC.recoveryPending);
    await page.waitForTimeout(500); // the gallery would open right after the recovery check
    expect(await page.getByTestId('gallery').count()).toBe(0);
    expect(shell.state()).toMatchObject({ dirty: false, path: given });
    await expect.poll(badge, { timeout: 10_000 }).toBe(`Engine: ${engines.backend.name}`);
    await validated();
    await screenshot(page, 'desktop-10-launched-with-file');
    expect(pageErrors).toEqual([]);
  });
});
