/**
 * IPC handlers (zod checks, sender checks) wired to the real GraphFiles on a temp folder: grants,
 * dialogs, atomic byte-stable saves, refusals that leave files intact, recent list, templates.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenDialogOptions, SaveDialogOptions } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseGraph, serializeGraph } from '../engine/graph/io.ts';
import { IPC, type DocumentState } from '../electron/desktop-api.ts';
import { GraphFiles, resolveTemplatesDir } from '../electron/files.ts';
import { type DesktopServices, type IpcEventLike, type IpcMainLike, registerIpcHandlers } from '../electron/ipc.ts';
import { isTrustedSender } from '../electron/security.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const templatesDir = join(repo, 'templates');
const TEMPLATE = 'reinforce.cartpole.rlgraph.json';
const templateText = readFileSync(join(templatesDir, TEMPLATE), 'utf8');

interface FakeWindow {
  id: number;
}

/** A scripted dialog: each call takes the next answer (a path, or null = cancelled). */
function fakeDialog() {
  const answers: (string | null)[] = [];
  const calls: { kind: 'open' | 'save'; window: FakeWindow; options: OpenDialogOptions | SaveDialogOptions }[] = [];
  const next = () => {
    if (answers.length === 0) throw new Error('unexpected dialog');
    return answers.shift() ?? null;
  };
  return {
    answers,
    calls,
    dialog: {
      async showOpenDialog(window: FakeWindow, options: OpenDialogOptions) {
        calls.push({ kind: 'open' as const, window, options });
        const path = next();
        return { canceled: path === null, filePaths: path === null ? [] : [path] };
      },
      async showSaveDialog(window: FakeWindow, options: SaveDialogOptions) {
        calls.push({ kind: 'save' as const, window, options });
        const path = next();
        return { canceled: path === null, filePath: path ?? '' };
      },
    },
  };
}

function fakeIpcMain() {
  const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  const listeners = new Map<string, (event: IpcEventLike, ...args: unknown[]) => void>();
  const ipcMain: IpcMainLike = {
    handle: (channel, listener) => void handlers.set(channel, listener),
    on: (channel, listener) => listeners.set(channel, listener),
  };
  return { ipcMain, handlers, listeners };
}

const APP_FRAME = { url: 'app://rlc/index.html', parent: null };

describe('IPC handlers with graph files', () => {
  let dir: string;
  let window: FakeWindow;
  let dialogs: ReturnType<typeof fakeDialog>;
  let files: GraphFiles<FakeWindow>;
  let ipc: ReturnType<typeof fakeIpcMain>;
  let states: DocumentState[];
  let refused: string[];
  let services: DesktopServices<FakeWindow>;

  const newFiles = () =>
    new GraphFiles<FakeWindow>({
      dialog: dialogs.dialog,
      platform: 'linux',
      recentFile: join(dir, 'userData', 'recent.json'),
      templatesDir,
      documentsDir: join(dir, 'docs'),
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rlc-ipc-'));
    mkdirSync(join(dir, 'docs'));
    window = { id: 1 };
    dialogs = fakeDialog();
    files = newFiles();
    ipc = fakeIpcMain();
    states = [];
    refused = [];
    services = {
      info: () => ({ platform: 'linux', appVersion: '0.1.0', electronVersion: '45.5.0', workspace: join(dir, 'ws') }),
      listTemplates: () => files.listTemplates(),
      readTemplate: (file) => files.readTemplate(file),
      openDialog: (w) => files.openDialog(w),
      readFile: (path) => files.read(path),
      save: (w, request) => files.save(w, request),
      exportCopy: (w, text) => files.exportCopy(w, text),
      importDialog: (w) => files.importDialog(w),
      recent: () => files.recent(),
      documentState: (_w, state) => void states.push(state),
      autosave: vi.fn(),
      recoveryPending: () => null,
      recoveryDiscard: vi.fn(),
      restartEngine: vi.fn(),
      connectEngine: vi.fn(),
      closeReply: vi.fn(),
      nativeEdit: vi.fn(),
    };
    registerIpcHandlers<FakeWindow>({
      ipcMain: ipc.ipcMain,
      services,
      isTrustedFrame: (frame) => isTrustedSender(frame),
      windowFor: (sender) => (sender.id === 7 ? window : undefined),
      log: (m) => refused.push(m),
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const event = (frame: IpcEventLike['senderFrame'] = APP_FRAME, senderId = 7): IpcEventLike => ({ sender: { id: senderId }, senderFrame: frame });
  const invoke = async (channel: string, ...args: unknown[]) => {
    const handler = ipc.handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    return handler(event(), ...args);
  };
  const sendFrom = (e: IpcEventLike, channel: string, ...args: unknown[]) => ipc.listeners.get(channel)!(e, ...args);

  it('registers every channel of the contract', () => {
    const channels = [...ipc.handlers.keys(), ...ipc.listeners.keys()].sort();
    const expected = Object.values(IPC)
      .filter((c) => ![IPC.menu, IPC.openFile, IPC.engineStatus, IPC.enginePort, IPC.closeRequest].includes(c as never))
      .sort();
    expect(channels).toEqual(expected);
    expect(ipc.listeners.has(IPC.documentState)).toBe(true);
    expect(ipc.listeners.has(IPC.closeReply)).toBe(true);
  });

  it('rejects malformed arguments with a message naming the channel', async () => {
    await expect(invoke(IPC.readFile, 42)).rejects.toThrow(/rlc:file\.read: invalid arguments/);
    await expect(invoke(IPC.readFile)).rejects.toThrow(/invalid arguments/);
    await expect(invoke(IPC.readFile, '/a.rlgraph.json', 'extra')).rejects.toThrow(/invalid arguments/);
    await expect(invoke(IPC.readFile, '')).rejects.toThrow(/invalid arguments/);
    await expect(invoke(IPC.readFile, '/a\0.rlgraph.json')).rejects.toThrow(/NUL/);
    await expect(invoke(IPC.save, { path: null })).rejects.toThrow(/invalid arguments: argument 0\.text/);
    await expect(invoke(IPC.save, { path: null, text: '{}', evil: true })).rejects.toThrow(/invalid arguments/);
    await expect(invoke(IPC.save, { path: null, text: 'x'.repeat(16 * 1024 * 1024 + 1) })).rejects.toThrow(/invalid arguments/);
    await expect(invoke(IPC.save, 'text')).rejects.toThrow(/invalid arguments/);
    await expect(invoke(IPC.info, 'x')).rejects.toThrow(/invalid arguments/);
    await expect(invoke(IPC.exportCopy, { text: 'x' })).rejects.toThrow(/invalid arguments/);
    expect(dialogs.calls).toEqual([]);

    sendFrom(event(), IPC.documentState, { dirty: 'yes', title: 't', path: null, selectedBlockType: null });
    sendFrom(event(), IPC.documentState, { dirty: true, title: 't', path: null });
    sendFrom(event(), IPC.closeReply, 'true');
    sendFrom(event(), IPC.nativeEdit, 'reload');
    expect(states).toEqual([]);
    expect(services.closeReply).not.toHaveBeenCalled();
    expect(services.nativeEdit).not.toHaveBeenCalled();
    expect(refused).toHaveLength(4);

    sendFrom(event(), IPC.documentState, { dirty: true, title: 't', path: null, selectedBlockType: 'net.mlp' });
    sendFrom(event(), IPC.nativeEdit, 'paste');
    expect(states).toEqual([{ dirty: true, title: 't', path: null, selectedBlockType: 'net.mlp' }]);
    expect(services.nativeEdit).toHaveBeenCalledWith(window, 'paste');
  });

  it('refuses foreign senders: other origins, subframes, gone frames, unknown windows', async () => {
    const handler = ipc.handlers.get(IPC.info)!;
    expect(await handler(event())).toMatchObject({ platform: 'linux' });
    for (const frame of [
      { url: 'https://evil.example/', parent: null },
      { url: 'app://rlc/index.html', parent: { url: 'app://rlc/index.html' } },
      { url: 'file:///tmp/x.html', parent: null },
      null,
    ]) {
      expect(() => handler(event(frame))).toThrow(/rlc:info: refused: the sender is not the app's own page/);
    }
    expect(() => handler(event(APP_FRAME, 99))).toThrow(/refused: the sender is not an app window/);
    expect(() => ipc.handlers.get(IPC.restartEngine)!(event({ url: 'https://evil.example/', parent: null }))).toThrow(/refused/);
    expect(services.restartEngine).not.toHaveBeenCalled();
    sendFrom(event({ url: 'https://evil.example/', parent: null }), IPC.closeReply, true);
    sendFrom(event(APP_FRAME, 99), IPC.connectEngine);
    expect(services.closeReply).not.toHaveBeenCalled();
    expect(services.connectEngine).not.toHaveBeenCalled();
  });

  it('refuses to read a path that was never granted', async () => {
    const path = join(dir, 'docs', 'a.rlgraph.json');
    writeFileSync(path, templateText);
    await expect(invoke(IPC.readFile, path)).rejects.toThrow(/refused to read/);
    await expect(invoke(IPC.readFile, 'docs/a.rlgraph.json')).rejects.toThrow(/refused to read/);
    await expect(invoke(IPC.readFile, '/etc/passwd')).rejects.toThrow(/refused to read/);
  });

  it('grants what the Open dialog chose, and adds it to the recent list', async () => {
    const path = join(dir, 'docs', 'a.rlgraph.json');
    writeFileSync(path, templateText);
    dialogs.answers.push(path);
    expect(await invoke(IPC.openDialog)).toEqual({ path, name: 'a.rlgraph.json', text: templateText });
    expect(dialogs.calls[0].window).toBe(window);
    expect(await invoke(IPC.readFile, path)).toMatchObject({ path, text: templateText });
    expect(await invoke(IPC.recent)).toEqual([path]);
    dialogs.answers.push(null);
    expect(await invoke(IPC.openDialog)).toBeNull();
    // Granting one file grants nothing beside it.
    writeFileSync(join(dir, 'docs', 'b.rlgraph.json'), templateText);
    await expect(invoke(IPC.readFile, join(dir, 'docs', 'b.rlgraph.json'))).rejects.toThrow(/refused/);
  });

  it('saves atomically, in canonical form, byte for byte stable', async () => {
    const path = join(dir, 'docs', 'a.rlgraph.json');
    writeFileSync(path, templateText);
    files.grant(path);
    const before = statSync(path).ino;
    expect(await invoke(IPC.save, { path, text: templateText })).toEqual({ path, name: 'a.rlgraph.json' });
    const canonical = serializeGraph(parseGraph(templateText));
    expect(readFileSync(path, 'utf8')).toBe(canonical);
    // Replaced by rename (a new inode), never rewritten in place; no temp file left behind.
    expect(statSync(path).ino).not.toBe(before);
    expect(readdirSync(join(dir, 'docs'))).toEqual(['a.rlgraph.json']);
    // Saving the saved text again, or a reordered copy, gives the same bytes.
    await invoke(IPC.save, { path, text: readFileSync(path, 'utf8') });
    expect(readFileSync(path, 'utf8')).toBe(canonical);
    const shuffled = JSON.parse(templateText) as { nodes: unknown[] };
    shuffled.nodes.reverse();
    await invoke(IPC.save, { path, text: JSON.stringify(shuffled) });
    expect(readFileSync(path, 'utf8')).toBe(canonical);
    expect(dialogs.calls).toEqual([]);
  });

  it('refuses an invalid graph with a clear message and leaves the old file intact', async () => {
    const path = join(dir, 'docs', 'a.rlgraph.json');
    writeFileSync(path, templateText);
    files.grant(path);
    const bad = JSON.parse(templateText) as { nodes: { type?: string }[] };
    delete bad.nodes[0].type;
    await expect(invoke(IPC.save, { path, text: JSON.stringify(bad) })).rejects.toThrow(/^Not saved: .*node 'env' \(type\)/);
    await expect(invoke(IPC.save, { path, text: '{"format": "rl-composer/gr' })).rejects.toThrow(/Not saved: .*not valid JSON/);
    await expect(invoke(IPC.save, { path, text: '[]' })).rejects.toThrow(/Not saved: .*JSON object/);
    await expect(invoke(IPC.save, { path: null, text: '{}' })).rejects.toThrow(/Not saved/);
    await expect(invoke(IPC.exportCopy, '{}')).rejects.toThrow(/Not saved/);
    expect(readFileSync(path, 'utf8')).toBe(templateText);
    expect(readdirSync(join(dir, 'docs'))).toEqual(['a.rlgraph.json']);
    // Validation comes first: no dialog was shown for an invalid document.
    expect(dialogs.calls).toEqual([]);
  });

  it('asks for a path when there is none, the path was not granted, or Save As is asked', async () => {
    const chosen = join(dir, 'docs', 'chosen.rlgraph.json');
    dialogs.answers.push(chosen);
    expect(await invoke(IPC.save, { path: null, text: templateText, suggestedName: 'PPO run' })).toEqual({ path: chosen, name: 'chosen.rlgraph.json' });
    expect(dialogs.calls[0]).toMatchObject({ kind: 'save', window, options: { defaultPath: join(dir, 'docs', 'PPO run.rlgraph.json') } });
    expect(readFileSync(chosen, 'utf8')).toBe(serializeGraph(parseGraph(templateText)));
    // Now granted: a plain Save goes straight to it.
    await invoke(IPC.save, { path: chosen, text: templateText });
    expect(dialogs.calls).toHaveLength(1);

    // An ungranted path is never written blindly; cancelling writes nothing.
    const foreign = join(dir, 'elsewhere.rlgraph.json');
    dialogs.answers.push(null);
    expect(await invoke(IPC.save, { path: foreign, text: templateText })).toBeNull();
    expect(existsSync(foreign)).toBe(false);
    expect(dialogs.calls[1].options.defaultPath).toBe(join(dir, 'docs', 'elsewhere.rlgraph.json'));

    // Save As on a granted path still asks; a name typed without extension gets ours.
    dialogs.answers.push(join(dir, 'docs', 'copy'));
    expect(await invoke(IPC.save, { path: chosen, text: templateText, saveAs: true })).toEqual({
      path: join(dir, 'docs', 'copy.rlgraph.json'),
      name: 'copy.rlgraph.json',
    });
    expect(dialogs.calls[2].options.defaultPath).toBe(chosen);
    expect(await invoke(IPC.recent)).toEqual([join(dir, 'docs', 'copy.rlgraph.json'), chosen]);
  });

  it('asks again rather than overwrite a file whose name the dialog never showed', async () => {
    const existing = join(dir, 'docs', 'x.rlgraph.json');
    writeFileSync(existing, 'old');
    dialogs.answers.push(join(dir, 'docs', 'x'), null);
    expect(await invoke(IPC.save, { path: null, text: templateText })).toBeNull();
    expect(dialogs.calls[1].options.defaultPath).toBe(existing);
    expect(readFileSync(existing, 'utf8')).toBe('old');
  });

  it('exports a copy through a dialog and imports text without granting its file', async () => {
    const target = join(dir, 'docs', 'export.rlgraph.json');
    dialogs.answers.push(target);
    expect(await invoke(IPC.exportCopy, templateText)).toEqual({ path: target, name: 'export.rlgraph.json' });
    expect(readFileSync(target, 'utf8')).toBe(serializeGraph(parseGraph(templateText)));
    expect(await invoke(IPC.recent)).toEqual([]);

    const source = join(dir, 'import.json');
    writeFileSync(source, templateText);
    dialogs.answers.push(source);
    expect(await invoke(IPC.importDialog)).toEqual({ path: null, name: 'import.json', text: templateText });
    await expect(invoke(IPC.readFile, source)).rejects.toThrow(/refused/);
  });

  it('keeps the recent list across restarts (granted again), drops missing files, clears', async () => {
    const a = join(dir, 'docs', 'a.rlgraph.json');
    const b = join(dir, 'docs', 'b.rlgraph.json');
    writeFileSync(a, templateText);
    writeFileSync(b, templateText);
    files.openPath(a);
    files.openPath(b);
    files.openPath(a);
    expect(files.recent()).toEqual([a, b]);
    const restarted = newFiles();
    expect(restarted.recent()).toEqual([a, b]);
    expect(restarted.read(b).text).toBe(templateText);
    rmSync(b);
    expect(restarted.recent()).toEqual([a]);
    restarted.clearRecent();
    expect(newFiles().recent()).toEqual([]);
    expect(() => newFiles().read(a)).toThrow(/refused/);
  });

  it('refuses files that are not files or too large', () => {
    expect(() => files.openPath(join(dir, 'docs'))).toThrow(/not a file/);
    expect(() => files.openPath(join(dir, 'missing.rlgraph.json'))).toThrow(/cannot open/);
    const big = join(dir, 'big.rlgraph.json');
    writeFileSync(big, Buffer.alloc(16 * 1024 * 1024 + 1, 32));
    expect(() => files.openPath(big)).toThrow(/too large/);
  });

  it('lists and reads the bundled templates, and nothing outside them', async () => {
    const list = (await invoke(IPC.listTemplates)) as { file: string; name: string }[];
    expect(list.map((t) => t.file)).toContain(TEMPLATE);
    expect(list.find((t) => t.file === TEMPLATE)).toMatchObject({ name: 'REINFORCE · CartPole-v1', algorithm: 'reinforce' });
    expect(await invoke(IPC.readTemplate, TEMPLATE)).toEqual({ path: null, name: TEMPLATE, text: templateText });
    for (const file of ['../package.json', '../templates/../package.json', '/etc/passwd', 'missing.rlgraph.json', `../${'x'}.rlgraph.json`, `${templatesDir}/${TEMPLATE}`]) {
      await expect(invoke(IPC.readTemplate, file), file).rejects.toThrow(/not a template|no template/);
    }
  });

  it('finds the templates folder in development and in a packaged app', () => {
    expect(resolveTemplatesDir({ isPackaged: true, resourcesPath: '/opt/rlc/resources', appPath: '/x', here: '/x' })).toBe('/opt/rlc/resources/templates');
    expect(resolveTemplatesDir({ isPackaged: false, resourcesPath: '/r', appPath: repo, here: join(repo, '.vite', 'build') })).toBe(templatesDir);
    expect(resolveTemplatesDir({ isPackaged: false, resourcesPath: '/r', appPath: '/nowhere', here: join(repo, '.vite', 'build') })).toBe(templatesDir);
  });
});
