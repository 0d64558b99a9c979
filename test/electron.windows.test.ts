/**
 * Editor windows (document state, titles, queued messages, file routing, close requests) and their
 * engine connections (a port per page, again after reloads and engine restarts), with fake
 * windows and the engine host's real EngineProcess over a fake child process.
 */
import { describe, expect, it, vi } from 'vitest';
import { EngineProcess, type EngineChild } from '../engine/host/engine-process.ts';
import { IPC, type EngineStatus, type OpenedGraph } from '../electron/desktop-api.ts';
import { EngineLink } from '../electron/engine-link.ts';
import { type ManagedWindow, WindowManager, type WindowManagerOptions } from '../electron/windows.ts';

/** Any listener (fakes accept every event's signature, as Electron's emitters do). */
type Listener = (...args: never[]) => void;

class Emitter {
  private readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string, ...args: unknown[]): boolean {
    let prevented = false;
    const e = { preventDefault: () => (prevented = true) };
    for (const l of this.listeners.get(event) ?? []) (l as (...a: unknown[]) => void)(...(args.length > 0 ? args : [e]));
    return prevented;
  }
}

class FakePort {
  closed = false;
  constructor(readonly name: string) {}
  close() {
    this.closed = true;
  }
}

let nextId = 1;
class FakeContents extends Emitter {
  readonly id = nextId++;
  sent: { channel: string; args: unknown[] }[] = [];
  posted: { channel: string; ports: FakePort[] }[] = [];
  destroyed = false;
  send(channel: string, ...args: unknown[]) {
    this.sent.push({ channel, args });
  }
  postMessage(channel: string, _message: unknown, ports: FakePort[] = []) {
    this.posted.push({ channel, ports });
  }
  isDestroyed() {
    return this.destroyed;
  }
  load() {
    this.emit('did-finish-load');
  }
}

class FakeWindow extends Emitter implements ManagedWindow {
  readonly id = nextId++;
  readonly webContents = new FakeContents();
  title = '';
  edited = false;
  represented = '';
  shown = false;
  focused = 0;
  minimized = false;
  destroyed = false;
  setTitle(title: string) {
    this.title = title;
  }
  setDocumentEdited(edited: boolean) {
    this.edited = edited;
  }
  setRepresentedFilename(filename: string) {
    this.represented = filename;
  }
  show() {
    this.shown = true;
  }
  focus() {
    this.focused++;
    this.emit('focus');
  }
  isMinimized() {
    return this.minimized;
  }
  restore() {
    this.minimized = false;
  }
  isDestroyed() {
    return this.destroyed;
  }
  closeNow() {
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

function manager(overrides: Partial<WindowManagerOptions<FakeWindow>> = {}) {
  const created: FakeWindow[] = [];
  const hooks = { onLoaded: vi.fn(), onClean: vi.fn(), onCrashed: vi.fn(), onClosed: vi.fn() };
  const windows = new WindowManager<FakeWindow>({
    appName: 'RL Composer',
    platform: 'linux',
    createWindow: () => {
      const w = new FakeWindow();
      created.push(w);
      return w;
    },
    ...hooks,
    ...overrides,
  });
  return { windows, created, hooks };
}

const file = (path: string): OpenedGraph => ({ path, name: path.split('/').pop()!, text: '{}' });
const state = (s: Partial<{ dirty: boolean; title: string; path: string | null }>) => ({
  dirty: false,
  title: 'Untitled',
  path: null,
  selectedBlockType: null,
  ...s,
});

describe('window manager', () => {
  it('shows a window when ready, owns its title, and queues messages until the page loads', () => {
    const { windows, hooks } = manager();
    const w = windows.open();
    expect(w.title).toBe('Untitled — RL Composer');
    w.emit('ready-to-show');
    expect(w.shown).toBe(true);
    expect(w.emit('page-title-updated')).toBe(true);

    windows.send(w, IPC.menu, 'run.start');
    windows.broadcast(IPC.engineStatus, { state: 'starting' });
    expect(w.webContents.sent).toEqual([]);
    w.webContents.load();
    expect(hooks.onLoaded).toHaveBeenCalledWith(w);
    expect(w.webContents.sent).toEqual([{ channel: IPC.menu, args: ['run.start'] }]);
    windows.send(w, IPC.menu, 'run.stop');
    windows.broadcast(IPC.engineStatus, { state: 'starting' });
    expect(w.webContents.sent.slice(1)).toEqual([
      { channel: IPC.menu, args: ['run.stop'] },
      { channel: IPC.engineStatus, args: [{ state: 'starting' }] },
    ]);
    // A reload is a new page: onLoaded again (new engine port, fresh status).
    w.webContents.load();
    expect(hooks.onLoaded).toHaveBeenCalledTimes(2);
  });

  it('finds windows by sender, tracks focus, forgets closed windows', () => {
    const { windows, hooks } = manager();
    const a = windows.open();
    const b = windows.open();
    expect(windows.fromContents({ id: a.webContents.id })).toBe(a);
    expect(windows.fromContents({ id: 12345 })).toBeUndefined();
    expect(windows.focused()).toBe(b);
    a.focus();
    expect(windows.focused()).toBe(a);
    a.closeNow();
    expect(hooks.onClosed).toHaveBeenCalledWith(a, false);
    expect(windows.fromContents({ id: a.webContents.id })).toBeUndefined();
    expect(windows.focused()).toBe(b);
    expect(windows.all()).toEqual([b]);
    expect(windows.keyOf(b)).toBe(`w${b.id}`);
  });

  it('shows the document state in the title (• when dirty) and reports when it becomes clean', () => {
    const { windows, hooks } = manager();
    const w = windows.open();
    windows.setDocumentState(w, state({ dirty: true, title: 'ppo.rlgraph.json', path: '/d/ppo.rlgraph.json' }));
    expect(w.title).toBe('• ppo.rlgraph.json — RL Composer');
    expect(windows.isDirty(w)).toBe(true);
    expect(hooks.onClean).not.toHaveBeenCalled();
    windows.setDocumentState(w, state({ dirty: false, title: 'ppo.rlgraph.json', path: '/d/ppo.rlgraph.json' }));
    expect(w.title).toBe('ppo.rlgraph.json — RL Composer');
    expect(hooks.onClean).toHaveBeenCalledTimes(1);
  });

  it('uses the macOS document-edited dot and proxy icon', () => {
    const { windows } = manager({ platform: 'darwin' });
    const w = windows.open();
    windows.setDocumentState(w, state({ dirty: true, title: 'a.rlgraph.json', path: '/d/a.rlgraph.json' }));
    expect(w.title).toBe('a.rlgraph.json — RL Composer');
    expect(w.edited).toBe(true);
    expect(w.represented).toBe('/d/a.rlgraph.json');
  });

  it('routes files: to the window showing them, a pristine window, else a new one', () => {
    const { windows, created } = manager();
    const first = windows.open();
    first.webContents.load();
    // The pristine startup window takes the first file.
    expect(windows.showFile(file('/d/a.rlgraph.json'))).toBe(first);
    expect(first.webContents.sent.at(-1)).toEqual({ channel: IPC.openFile, args: [file('/d/a.rlgraph.json')] });
    // Another file while the first is showing: a new window (its page gets the file once loaded).
    const second = windows.showFile(file('/d/b.rlgraph.json'));
    expect(second).not.toBe(first);
    expect(second.webContents.sent).toEqual([]);
    second.webContents.load();
    expect(second.webContents.sent).toEqual([{ channel: IPC.openFile, args: [file('/d/b.rlgraph.json')] }]);
    // The same file again: its window comes to the front, no new window.
    first.minimized = true;
    expect(windows.showFile(file('/d/a.rlgraph.json'))).toBe(first);
    expect(first.minimized).toBe(false);
    expect(created).toHaveLength(2);
    // A dirty untitled document is never replaced.
    windows.setDocumentState(second, state({ dirty: true }));
    second.focus();
    expect(windows.showFile(file('/d/c.rlgraph.json'))).toBe(created[2]);
  });

  it('asks the editor to save before closing and waits for its answer', async () => {
    const { windows } = manager();
    const w = windows.open();
    expect(await windows.requestSave(w)).toBe(false); // not loaded: nothing can save
    w.webContents.load();
    const answer = windows.requestSave(w);
    expect(w.webContents.sent.at(-1)).toEqual({ channel: IPC.closeRequest, args: [] });
    windows.closeReply(w, true);
    expect(await answer).toBe(true);
    windows.closeReply(w, true); // unasked: ignored

    const pending = windows.requestSave(w);
    w.closeNow();
    expect(await pending).toBe(false);
  });

  it('treats a crashed page as unable to save, and reports it', async () => {
    const { windows, hooks } = manager();
    const w = windows.open();
    w.webContents.load();
    windows.setDocumentState(w, state({ dirty: true }));
    const pending = windows.requestSave(w);
    w.webContents.emit('render-process-gone', {}, { reason: 'crashed' });
    expect(await pending).toBe(false);
    expect(hooks.onCrashed).toHaveBeenCalledWith(w);
    expect(windows.isDirty(w)).toBe(false);
    w.closeNow();
    expect(hooks.onClosed).toHaveBeenCalledWith(w, true);
  });
});

/** A fake utility process for the real EngineProcess. */
class FakeChild extends Emitter implements EngineChild {
  messages: { message: unknown; transfer?: unknown[] }[] = [];
  killed = false;
  postMessage(message: unknown, transfer?: unknown[]) {
    this.messages.push({ message, transfer });
  }
  kill() {
    this.killed = true;
    return true;
  }
  override on(event: 'exit' | 'message', listener: (value: never) => void) {
    return super.on(event, listener);
  }
}

describe('engine link', () => {
  function setup() {
    const children: FakeChild[] = [];
    const statuses: EngineStatus[] = [];
    const { windows } = manager({ onLoaded: (w) => link.connect(w.webContents) });
    const engine = new EngineProcess({
      spawn: () => {
        const child = new FakeChild();
        children.push(child);
        return child;
      },
      onStatus: (s) => {
        statuses.push(s);
        windows.broadcast(IPC.engineStatus, s);
      },
    });
    let n = 0;
    const link: EngineLink<FakePort> = new EngineLink(
      engine,
      () => ({ port1: new FakePort(`p${++n}a`), port2: new FakePort(`p${n}b`) }),
      () => windows.all().map((w) => w.webContents),
    );
    return { windows, engine, link, children, statuses };
  }

  const connects = (child: FakeChild) => child.messages.filter((m) => (m.message as { type: string }).type === 'host.connect').map((m) => (m.transfer![0] as FakePort).name);

  it('gives each page its own channel, queued by the engine until it is ready', () => {
    const { windows, engine, children, statuses } = setup();
    engine.start();
    const a = windows.open();
    const b = windows.open();
    a.webContents.load();
    b.webContents.load();
    expect(a.webContents.posted).toEqual([{ channel: IPC.enginePort, ports: [expect.objectContaining({ name: 'p1a' })] }]);
    expect(b.webContents.posted[0].ports[0].name).toBe('p2a');
    expect(connects(children[0])).toEqual([]);
    children[0].emit('message', { type: 'host.ready', backend: 'wasm', backendDetail: '@tensorflow/tfjs-backend-wasm' });
    expect(connects(children[0])).toEqual(['p1b', 'p2b']);
    expect(statuses.at(-1)).toEqual({ state: 'ready', backend: 'wasm', backendDetail: '@tensorflow/tfjs-backend-wasm' });
    expect(a.webContents.sent.at(-1)).toEqual({ channel: IPC.engineStatus, args: [statuses.at(-1)] });
    // A reload gets a fresh channel.
    a.webContents.load();
    expect(a.webContents.posted.map((p) => p.ports[0].name)).toEqual(['p1a', 'p3a']);
    expect(connects(children[0])).toEqual(['p1b', 'p2b', 'p3b']);
  });

  it('after a crash connects nobody; a restart reconnects every window', () => {
    const { windows, engine, link, children, statuses } = setup();
    engine.start();
    const a = windows.open();
    a.webContents.load();
    children[0].emit('message', { type: 'host.ready', backend: 'cpu', backendDetail: 'x' });
    children[0].emit('exit', 9);
    expect(statuses.at(-1)).toMatchObject({ state: 'crashed', exitCode: 9 });
    expect(a.webContents.sent.at(-1)?.args[0]).toMatchObject({ state: 'crashed' });
    a.webContents.load();
    expect(a.webContents.posted).toHaveLength(1);

    link.restart();
    expect(children).toHaveLength(2);
    expect(statuses.slice(-2)).toEqual([{ state: 'restarting' }, { state: 'starting' }]);
    expect(a.webContents.posted).toHaveLength(2);
    children[1].emit('message', { type: 'host.ready', backend: 'cpu', backendDetail: 'x' });
    expect(connects(children[1])).toEqual([a.webContents.posted[1].ports[0].name.replace('a', 'b')]);
  });

  it('closes both ports when the engine cannot take one', () => {
    const made: FakePort[] = [];
    const link = new EngineLink<FakePort>(
      {
        state: { state: 'starting' },
        attach: () => {
          throw new Error('the engine process is not running');
        },
        restart: () => undefined,
      },
      () => {
        const pair = { port1: new FakePort('a'), port2: new FakePort('b') };
        made.push(pair.port1, pair.port2);
        return pair;
      },
      () => [],
    );
    const target = new FakeContents();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(link.connect(target)).toBe(false);
    errors.mockRestore();
    expect(made.every((p) => p.closed)).toBe(true);
    expect(target.posted).toEqual([]);
    target.destroyed = true;
    expect(link.connect(target)).toBe(false);
  });
});
