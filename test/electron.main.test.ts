/**
 * electron/main.ts's wiring, run under vitest with 'electron' replaced by test/fake-electron.ts:
 * startup order, the secure window it creates, the engine utility process and its ports, a file
 * handed over before `ready`, IPC, menus, the unsaved-changes prompt, second instance and quit.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC } from '../electron/desktop-api.ts';
import { secureWebPreferences } from '../electron/security.ts';
import { fake, FakeBrowserWindow, type FakeWebContents } from './fake-electron.ts';

vi.mock('electron', async () => (await import('./fake-electron.ts')).electronModule);

const template = readFileSync(new URL('../templates/reinforce.cartpole.rlgraph.json', import.meta.url), 'utf8');
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
const APP_FRAME = { url: 'app://rlc/index.html', parent: null };

let dir: string;
let graph: string;

function invoke(contents: FakeWebContents, channel: string, ...args: unknown[]) {
  const handler = fake.handlers.get(channel);
  if (!handler) throw new Error(`no handler ${channel}`);
  return Promise.resolve().then(() => handler({ sender: contents, senderFrame: APP_FRAME }, ...args));
}
function send(contents: FakeWebContents, channel: string, ...args: unknown[]) {
  fake.listeners.get(channel)!({ sender: contents, senderFrame: APP_FRAME }, ...args);
}
function menuItem(id: string): MenuItemConstructorOptions {
  const flat = (items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] =>
    items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flat(i.submenu as MenuItemConstructorOptions[]) : [])]);
  const item = flat(fake.menus.at(-1)!.template as MenuItemConstructorOptions[]).find((i) => i.id === id);
  if (!item) throw new Error(`no menu item ${id}`);
  return item;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rlc-main-'));
  fake.app.paths = { userData: join(dir, 'userData'), documents: join(dir, 'Documents') };
  graph = join(dir, 'given.rlgraph.json');
  writeFileSync(graph, template);
  vi.spyOn(console, 'warn').mockImplementation(() => {}); // the guards log what they block
  await import('../electron/main.ts');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('main process', () => {
  it('before ready: names the app, sandboxes every renderer, takes the lock, registers the scheme', () => {
    expect(fake.app.name).toBe('RL Composer');
    expect(fake.app.sandboxed).toBe(true);
    expect(fake.app.lockData).toEqual({ files: [] });
    expect(fake.schemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
    expect(FakeBrowserWindow.all).toHaveLength(0);
  });

  it('queues a macOS open-file that arrives before ready, and opens it in the first window', async () => {
    expect(fake.app.fire('open-file', graph)).toBe(true);
    fake.app.becomeReady();
    await tick();
    expect(FakeBrowserWindow.all).toHaveLength(1);
    const [window] = FakeBrowserWindow.all;
    expect(window.loadedUrl).toBe('app://rlc/index.html');
    expect(window.options.webPreferences).toEqual({ ...secureWebPreferences(join(process.cwd(), 'electron', 'preload.js')), devTools: true });
    expect(window.options.show).toBe(false);
    // Guards were hooked through web-contents-created.
    expect(window.webContents.windowOpenHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    expect(window.webContents.fire('will-navigate', 'https://example.com')).toBe(true);
    // Permissions are denied, the protocol is served.
    const answers: boolean[] = [];
    fake.permissionRequest!({}, 'media', (granted: boolean) => answers.push(granted));
    expect(answers).toEqual([false]);
    expect(fake.protocolHandlers.has('app')).toBe(true);
    // Built at start, and again when the file joined the recent list.
    expect(fake.menus).toHaveLength(2);
  });

  it('starts the engine in a utility process and connects the page once it loads', async () => {
    const [child] = fake.children;
    expect(child.modulePath).toBe(join(process.cwd(), 'electron', 'engine.js'));
    expect(child.args).toEqual(['--workspace', join(dir, 'Documents', 'RL Composer')]);
    expect(child.options).toEqual({ serviceName: 'RL Composer engine' });

    const [window] = FakeBrowserWindow.all;
    window.emit('ready-to-show');
    expect(window.shown).toBe(true);
    window.webContents.load();
    expect(window.webContents.sent.map((s) => s.channel)).toEqual([IPC.engineStatus, IPC.openFile]);
    expect(window.webContents.sent[0].args).toEqual([{ state: 'starting' }]);
    expect(window.webContents.sent[1].args).toEqual([{ path: graph, name: 'given.rlgraph.json', text: template }]);
    expect(window.webContents.posted).toHaveLength(1);
    expect(window.webContents.posted[0].channel).toBe(IPC.enginePort);

    child.emit('message', { type: 'host.ready', backend: 'wasm', backendDetail: '@tensorflow/tfjs-backend-wasm' });
    expect(child.messages).toEqual([{ message: { type: 'host.connect' }, transfer: [expect.anything()] }]);
    expect(window.webContents.sent.at(-1)).toEqual({
      channel: IPC.engineStatus,
      args: [{ state: 'ready', backend: 'wasm', backendDetail: '@tensorflow/tfjs-backend-wasm' }],
    });
    // The page asks for a port of its own accord.
    send(window.webContents, IPC.connectEngine);
    expect(window.webContents.posted).toHaveLength(2);
  });

  it('answers IPC from its page: the handed-over file is granted, others are not', async () => {
    const contents = FakeBrowserWindow.all[0].webContents;
    expect(await invoke(contents, IPC.info)).toMatchObject({ workspace: join(dir, 'Documents', 'RL Composer'), appVersion: '0.1.0' });
    expect(await invoke(contents, IPC.readFile, graph)).toMatchObject({ path: graph });
    await expect(invoke(contents, IPC.readFile, join(dir, 'other.rlgraph.json'))).rejects.toThrow(/refused/);
    expect(await invoke(contents, IPC.recent)).toEqual([graph]);
    const templates = (await invoke(contents, IPC.listTemplates)) as { file: string }[];
    expect(templates.map((t) => t.file)).toContain('reinforce.cartpole.rlgraph.json');
    expect(() => fake.handlers.get(IPC.info)!({ sender: contents, senderFrame: { url: 'https://evil.example/', parent: null } })).toThrow(/refused/);
    send(contents, IPC.nativeEdit, 'paste');
    expect(contents.edits).toEqual(['paste']);
  });

  it('sends menu commands to the focused window; Open Recent lists the file', () => {
    const contents = FakeBrowserWindow.all[0].webContents;
    (menuItem('run.start').click as () => void)();
    expect(contents.sent.at(-1)).toEqual({ channel: IPC.menu, args: ['run.start'] });
    expect(menuItem('file.recent.0').label).toBe(`given.rlgraph.json — ${graph}`);
  });

  it('autosaves unsaved work, titles the window, and prompts before closing it', async () => {
    const [window] = FakeBrowserWindow.all;
    const contents = window.webContents;
    send(contents, IPC.documentState, { dirty: true, title: 'given.rlgraph.json', path: graph, selectedBlockType: null });
    expect(window.title).toBe(process.platform === 'darwin' ? 'given.rlgraph.json — RL Composer' : '• given.rlgraph.json — RL Composer');
    await invoke(contents, IPC.autosave, '{"unsaved": true}');
    const recoveryDir = join(dir, 'userData', 'recovery');
    expect(readdirSync(recoveryDir)).toHaveLength(1);

    // Cancel keeps the window; Save asks the page, which saves and says so; then it closes.
    fake.messageBoxAnswers.push(2, 0);
    window.close();
    await tick();
    expect(window.destroyed).toBe(false);
    expect(fake.messageBoxes[0].options).toMatchObject({ buttons: ['Save', expect.stringMatching(/Do&?n't Save/), 'Cancel'] });
    window.close();
    await tick();
    expect(contents.sent.at(-1)).toEqual({ channel: IPC.closeRequest, args: [] });
    expect(window.destroyed).toBe(false);
    const saved = await invoke(contents, IPC.save, { path: graph, text: template });
    expect(saved).toEqual({ path: graph, name: 'given.rlgraph.json' });
    expect(readdirSync(recoveryDir)).toHaveLength(0);
    send(contents, IPC.closeReply, true);
    await tick();
    expect(window.destroyed).toBe(true);
    expect(existsSync(join(dir, 'userData', 'window-state.json'))).toBe(true);
  });

  it('opens files a second instance forwards, and quits after stopping the engine', async () => {
    const other = join(dir, 'second.rlgraph.json');
    writeFileSync(other, template);
    fake.app.emit('second-instance', {}, ['exe', 'ignored'], dir, { files: [other] });
    expect(FakeBrowserWindow.all).toHaveLength(2);
    const window = FakeBrowserWindow.all[1];
    window.webContents.load();
    expect(window.webContents.sent.find((s) => s.channel === IPC.openFile)?.args[0]).toMatchObject({ path: other });

    fake.app.emit('before-quit');
    window.close();
    expect(window.destroyed).toBe(true);
    const [child] = fake.children;
    const quitsBefore = fake.app.quits;
    expect(fake.app.fire('will-quit')).toBe(true);
    expect(child.messages.at(-1)).toEqual({ message: { type: 'host.stop' }, transfer: undefined });
    child.emit('exit', 0);
    await tick();
    expect(fake.app.quits).toBe(quitsBefore + 1);
    expect(fake.app.fire('will-quit')).toBe(false);
  });
});
