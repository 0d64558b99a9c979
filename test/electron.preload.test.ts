/** window.rlcDesktop as the preload builds it from ipcRenderer (faked). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type DesktopApi, ENGINE_PORT_MESSAGE, IPC, type MenuCommand, type OpenedGraph } from '../electron/desktop-api.ts';
import { createDesktopApi, type RendererIpc } from '../electron/preload-api.ts';

function fakeIpc() {
  const invoked: unknown[][] = [];
  const sent: unknown[][] = [];
  const listeners = new Map<string, (event: { ports: readonly unknown[] }, ...args: unknown[]) => void>();
  const ipc: RendererIpc = {
    invoke: async (channel, ...args) => {
      invoked.push([channel, ...args]);
      return `result of ${channel}`;
    },
    send: (channel, ...args) => void sent.push([channel, ...args]),
    on: (channel, listener) => listeners.set(channel, listener),
  };
  const emit = (channel: string, payload?: unknown, ports: unknown[] = []) =>
    listeners.get(channel)!({ ports }, ...(payload === undefined ? [] : [payload]));
  return { ipc, invoked, sent, emit, listeners };
}

function setup() {
  const fake = fakeIpc();
  const posted: { message: string; ports: unknown[] }[] = [];
  const api = createDesktopApi(fake.ipc, (message, ports) => posted.push({ message, ports }));
  return { ...fake, api, posted };
}

describe('preload API', () => {
  it('implements every member of DesktopApi', () => {
    const { api } = setup();
    const members: (keyof DesktopApi)[] = [
      'info', 'listTemplates', 'readTemplate', 'openDialog', 'readFile', 'save', 'exportCopy', 'importDialog', 'recent',
      'setDocumentState', 'autosave', 'recoveryPending', 'recoveryDiscard', 'restartEngine', 'onMenu', 'onOpenFile',
      'onEngineStatus', 'onCloseRequest', 'replyClose', 'connectEngine', 'nativeEdit',
    ];
    expect(Object.keys(api).sort()).toEqual([...members].sort());
    for (const m of members) expect(typeof api[m]).toBe('function');
  });

  it('maps each call to its fixed channel with exactly the given arguments', async () => {
    const { api, invoked, sent } = setup();
    expect(await api.info()).toBe(`result of ${IPC.info}`);
    await api.listTemplates();
    await api.readTemplate('a.rlgraph.json');
    await api.openDialog();
    await api.readFile('/d/a.rlgraph.json');
    await api.save({ path: null, text: '{}', saveAs: true });
    await api.exportCopy('{}');
    await api.importDialog();
    await api.recent();
    await api.autosave('{"x":1}');
    await api.recoveryPending();
    await api.recoveryDiscard();
    await api.restartEngine();
    expect(invoked).toEqual([
      [IPC.info],
      [IPC.listTemplates],
      [IPC.readTemplate, 'a.rlgraph.json'],
      [IPC.openDialog],
      [IPC.readFile, '/d/a.rlgraph.json'],
      [IPC.save, { path: null, text: '{}', saveAs: true }],
      [IPC.exportCopy, '{}'],
      [IPC.importDialog],
      [IPC.recent],
      [IPC.autosave, '{"x":1}'],
      [IPC.recoveryPending],
      [IPC.recoveryDiscard],
      [IPC.restartEngine],
    ]);
    const state = { dirty: true, title: 't', path: null, selectedBlockType: null };
    api.setDocumentState(state);
    api.replyClose(true);
    api.connectEngine();
    api.nativeEdit('paste');
    expect(sent).toEqual([[IPC.documentState, state], [IPC.closeReply, true], [IPC.connectEngine], [IPC.nativeEdit, 'paste']]);
  });

  it('delivers menu commands (known ones only) without the IPC event, and unsubscribes', () => {
    const { api, emit } = setup();
    const got: MenuCommand[] = [];
    const off = api.onMenu((c) => got.push(c));
    emit(IPC.menu, 'run.start');
    emit(IPC.menu, 'shell.exec');
    emit(IPC.menu, 42);
    off();
    emit(IPC.menu, 'run.stop');
    expect(got).toEqual(['run.start']);
  });

  it('holds files opened before the editor listens, then delivers them in order', () => {
    const { api, emit } = setup();
    const a: OpenedGraph = { path: '/a.rlgraph.json', name: 'a.rlgraph.json', text: '{}' };
    const b: OpenedGraph = { path: '/b.rlgraph.json', name: 'b.rlgraph.json', text: '{}' };
    emit(IPC.openFile, a);
    emit(IPC.openFile, b);
    const got: OpenedGraph[] = [];
    api.onOpenFile((f) => got.push(f));
    expect(got).toEqual([a, b]);
    emit(IPC.openFile, a);
    expect(got).toEqual([a, b, a]);
  });

  it('replays the latest engine status to a new listener', () => {
    const { api, emit } = setup();
    const early: unknown[] = [];
    api.onEngineStatus((s) => early.push(s));
    emit(IPC.engineStatus, { state: 'starting' });
    emit(IPC.engineStatus, { state: 'ready', backend: 'wasm', backendDetail: 'x' });
    const late: unknown[] = [];
    api.onEngineStatus((s) => late.push(s));
    expect(early).toEqual([{ state: 'starting' }, { state: 'ready', backend: 'wasm', backendDetail: 'x' }]);
    expect(late).toEqual([{ state: 'ready', backend: 'wasm', backendDetail: 'x' }]);
  });

  it('answers a close request itself (cannot save) when the editor does not listen', () => {
    const { api, emit, sent } = setup();
    emit(IPC.closeRequest);
    expect(sent).toEqual([[IPC.closeReply, false]]);
    let asked = 0;
    api.onCloseRequest(() => asked++);
    emit(IPC.closeRequest);
    expect(asked).toBe(1);
    expect(sent).toHaveLength(1);
  });

  it('posts the engine port to the page, since contextBridge cannot carry ports', () => {
    const { emit, posted } = setup();
    const port = { fake: 'MessagePort' };
    emit(IPC.enginePort, null, [port]);
    emit(IPC.enginePort, null, []);
    expect(posted).toEqual([{ message: ENGINE_PORT_MESSAGE, ports: [port] }]);
  });

  it('the preload entry requires only electron, and exposes the API as window.rlcDesktop', () => {
    const source = readFileSync(new URL('../electron/preload.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports).toEqual(['electron', './preload-api.ts']);
    expect(source).toContain("exposeInMainWorld(\n  'rlcDesktop'");
    const api = readFileSync(new URL('../electron/preload-api.ts', import.meta.url), 'utf8');
    expect([...api.matchAll(/from '([^']+)'/g)].map((m) => m[1])).toEqual(['./desktop-api.ts']);
    const contract = readFileSync(new URL('../electron/desktop-api.ts', import.meta.url), 'utf8');
    expect(contract).not.toMatch(/^import /m);
  });
});
