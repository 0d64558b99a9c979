/**
 * A fake of the parts of the 'electron' module that electron/main.ts uses, for running the main
 * process's wiring under vitest (`vi.mock('electron', ...)`) without the Electron binary. Records
 * what main.ts does (windows, menus, IPC handlers, dialogs, child processes) for tests to inspect
 * and drive.
 */
import { EventEmitter } from 'node:events';

type Handler = (event: unknown, ...args: unknown[]) => unknown;

class PreventableEmitter extends EventEmitter {
  /** Emits with a preventable event first; true when a listener called preventDefault. */
  fire(event: string, ...args: unknown[]): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => (prevented = true) }, ...args);
    return prevented;
  }
}

let ids = 1;

export class FakeWebContents extends PreventableEmitter {
  readonly id = ids++;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  readonly posted: { channel: string; ports: unknown[] }[] = [];
  readonly edits: string[] = [];
  windowOpenHandler: ((details: { url: string }) => unknown) | null = null;
  destroyed = false;
  send(channel: string, ...args: unknown[]) {
    this.sent.push({ channel, args });
  }
  postMessage(channel: string, _message: unknown, ports: unknown[] = []) {
    this.posted.push({ channel, ports });
  }
  setWindowOpenHandler(handler: (details: { url: string }) => unknown) {
    this.windowOpenHandler = handler;
  }
  isDestroyed() {
    return this.destroyed;
  }
  undo() {
    this.edits.push('undo');
  }
  redo() {
    this.edits.push('redo');
  }
  cut() {
    this.edits.push('cut');
  }
  copy() {
    this.edits.push('copy');
  }
  paste() {
    this.edits.push('paste');
  }
  selectAll() {
    this.edits.push('selectAll');
  }
  /** The page finished loading. */
  load() {
    this.emit('did-finish-load');
  }
}

export class FakeBrowserWindow extends PreventableEmitter {
  static all: FakeBrowserWindow[] = [];
  readonly id = ids++;
  readonly webContents = new FakeWebContents();
  loadedUrl: string | null = null;
  title = '';
  shown = false;
  destroyed = false;
  maximized = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.all.push(this);
    fake.app.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url: string) {
    this.loadedUrl = url;
  }
  setTitle(title: string) {
    this.title = title;
  }
  setDocumentEdited() {}
  setRepresentedFilename() {}
  show() {
    this.shown = true;
  }
  focus() {
    this.emit('focus');
  }
  isMinimized() {
    return false;
  }
  restore() {}
  isDestroyed() {
    return this.destroyed;
  }
  maximize() {
    this.maximized = true;
  }
  setFullScreen() {}
  isMaximized() {
    return this.maximized;
  }
  isFullScreen() {
    return false;
  }
  getNormalBounds() {
    const o = this.options as { x: number; y: number; width: number; height: number };
    return { x: o.x, y: o.y, width: o.width, height: o.height };
  }
  /** Like BrowserWindow.close(): 'close' (preventable), then 'closed'. */
  close() {
    if (this.destroyed || this.fire('close')) return;
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

export class FakeChild extends EventEmitter {
  readonly messages: { message: unknown; transfer?: unknown[] }[] = [];
  killed = false;
  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: Record<string, unknown>,
  ) {
    super();
  }
  postMessage(message: unknown, transfer?: unknown[]) {
    this.messages.push({ message, transfer });
  }
  kill() {
    this.killed = true;
    this.emit('exit', null);
    return true;
  }
}

export class FakePort {
  closed = false;
  close() {
    this.closed = true;
  }
}

class FakeApp extends PreventableEmitter {
  isPackaged = false;
  name = 'rl-composer';
  paths: Record<string, string> = {};
  appPath = process.cwd();
  sandboxed = false;
  quits = 0;
  recentDocuments: string[] = [];
  lockData: unknown = null;
  private readyResolve: () => void = () => {};
  private readonly ready = new Promise<void>((resolve) => (this.readyResolve = resolve));
  setName(name: string) {
    this.name = name;
  }
  enableSandbox() {
    this.sandboxed = true;
  }
  requestSingleInstanceLock(data: unknown) {
    this.lockData = data;
    return true;
  }
  whenReady() {
    return this.ready;
  }
  /** Test control: the app becomes ready. */
  becomeReady() {
    this.readyResolve();
  }
  quit() {
    this.quits++;
  }
  exit() {}
  getPath(name: string) {
    const path = this.paths[name];
    if (!path) throw new Error(`no path ${name}`);
    return path;
  }
  getAppPath() {
    return this.appPath;
  }
  getVersion() {
    return '0.1.0';
  }
  addRecentDocument(path: string) {
    this.recentDocuments.push(path);
  }
  clearRecentDocuments() {
    this.recentDocuments = [];
  }
}

const display = { workArea: { x: 0, y: 0, width: 1920, height: 1080 } };

export const fake = {
  app: new FakeApp(),
  handlers: new Map<string, Handler>(),
  listeners: new Map<string, Handler>(),
  schemes: [] as unknown[],
  protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
  permissionRequest: null as null | ((...args: unknown[]) => void),
  permissionCheck: null as null | ((...args: unknown[]) => boolean),
  menus: [] as { template: unknown[] }[],
  children: [] as FakeChild[],
  /** Scripted answers for dialog.showMessageBox (button index). */
  messageBoxAnswers: [] as number[],
  messageBoxes: [] as { window: unknown; options: Record<string, unknown> }[],
};

export const electronModule = {
  app: fake.app,
  BrowserWindow: FakeBrowserWindow,
  MessageChannelMain: class {
    port1 = new FakePort();
    port2 = new FakePort();
  },
  ipcMain: {
    handle: (channel: string, handler: Handler) => void fake.handlers.set(channel, handler),
    on: (channel: string, handler: Handler) => void fake.listeners.set(channel, handler),
  },
  protocol: {
    registerSchemesAsPrivileged: (schemes: unknown[]) => void fake.schemes.push(...schemes),
    handle: (scheme: string, handler: (request: Request) => Promise<Response>) => void fake.protocolHandlers.set(scheme, handler),
  },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (h: (...args: unknown[]) => void) => void (fake.permissionRequest = h),
      setPermissionCheckHandler: (h: (...args: unknown[]) => boolean) => void (fake.permissionCheck = h),
      webRequest: { onHeadersReceived: () => {} },
    },
  },
  dialog: {
    showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
    showSaveDialog: async () => ({ canceled: true, filePath: '' }),
    showMessageBox: async (window: unknown, options?: Record<string, unknown>) => {
      fake.messageBoxes.push({ window, options: options ?? (window as Record<string, unknown>) });
      return { response: fake.messageBoxAnswers.shift() ?? 2, checkboxChecked: false };
    },
    showErrorBox: () => {},
  },
  Menu: {
    buildFromTemplate: (template: unknown[]) => ({ template }),
    setApplicationMenu: (menu: { template: unknown[] }) => void fake.menus.push(menu),
  },
  screen: { getAllDisplays: () => [display], getPrimaryDisplay: () => display },
  utilityProcess: {
    fork: (modulePath: string, args: string[], options: Record<string, unknown>) => {
      const child = new FakeChild(modulePath, args, options);
      fake.children.push(child);
      return child;
    },
  },
};
