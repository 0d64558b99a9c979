/**
 * The editor windows: what each one's document is (as its editor reports it), messages for a
 * page that has not loaded yet, routing files handed to the app (to the window that already
 * shows the file, else a pristine focused window, else a new one), the title / macOS
 * document-edited marker, and the close-request round trip with the editor.
 */
import { IPC, type DocumentState, type OpenedGraph } from './desktop-api.ts';

interface Preventable {
  preventDefault(): void;
}

/** What is needed of a window's WebContents (Electron's WebContents fits). */
export interface ManagedContents {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  on(event: 'did-finish-load', listener: () => void): unknown;
  on(event: 'render-process-gone', listener: (event: unknown, details: { reason: string }) => void): unknown;
}

/** What is needed of a window (Electron's BrowserWindow fits). */
export interface ManagedWindow {
  readonly id: number;
  readonly webContents: ManagedContents;
  on(event: 'closed', listener: () => void): unknown;
  on(event: 'focus', listener: () => void): unknown;
  on(event: 'ready-to-show', listener: () => void): unknown;
  on(event: 'page-title-updated', listener: (event: Preventable) => void): unknown;
  setTitle(title: string): void;
  setDocumentEdited(edited: boolean): void;
  setRepresentedFilename(filename: string): void;
  show(): void;
  focus(): void;
  isMinimized(): boolean;
  restore(): void;
  isDestroyed(): boolean;
}

export interface WindowManagerOptions<W extends ManagedWindow> {
  /** Makes a window (secured, placed) and starts loading the editor in it. */
  createWindow(): W;
  appName: string;
  platform: NodeJS.Platform;
  /** The page (re)loaded: connect it to the engine, send the engine status. */
  onLoaded?(window: W): void;
  /** The document became clean (saved, or edits undone): its recovery file can go. */
  onClean?(window: W): void;
  /** The window's page crashed: nothing more can be saved from it. */
  onCrashed?(window: W): void;
  /** The window is gone (`closed`); `crashed` when its page had crashed. */
  onClosed?(window: W, crashed: boolean): void;
}

interface WindowRecord<W> {
  window: W;
  state: DocumentState | null;
  loaded: boolean;
  crashed: boolean;
  /** Messages for a page that has not finished loading. */
  outbox: { channel: string; payload: unknown }[];
  /** The editor's pending answer to IPC.closeRequest. */
  closeReply: ((saved: boolean) => void) | null;
}

export class WindowManager<W extends ManagedWindow> {
  private readonly records = new Map<number, WindowRecord<W>>();
  private lastFocused: W | null = null;

  constructor(private readonly options: WindowManagerOptions<W>) {}

  /** Opens a new editor window. */
  open(): W {
    const window = this.options.createWindow();
    this.adopt(window);
    return window;
  }

  adopt(window: W): void {
    const record: WindowRecord<W> = { window, state: null, loaded: false, crashed: false, outbox: [], closeReply: null };
    this.records.set(window.webContents.id, record);
    this.lastFocused = window;
    this.updateTitle(record);
    window.on('ready-to-show', () => window.show());
    window.on('focus', () => {
      this.lastFocused = window;
    });
    // The title is ours (document name + dirty marker), not the page's <title>.
    window.on('page-title-updated', (event) => event.preventDefault());
    window.webContents.on('did-finish-load', () => {
      record.loaded = true;
      record.crashed = false;
      this.options.onLoaded?.(window);
      for (const { channel, payload } of record.outbox.splice(0)) window.webContents.send(channel, payload);
    });
    window.webContents.on('render-process-gone', (_event, details) => {
      if (details.reason === 'clean-exit') return;
      record.crashed = true;
      record.loaded = false;
      this.answerClose(record, false);
      this.options.onCrashed?.(window);
    });
    window.on('closed', () => {
      // Keyed by WebContents id; the contents object is destroyed by now, so the id was read before.
      for (const [id, r] of this.records) if (r === record) this.records.delete(id);
      if (this.lastFocused === window) this.lastFocused = null;
      this.answerClose(record, false);
      this.options.onClosed?.(window, record.crashed);
    });
  }

  all(): W[] {
    return [...this.records.values()].map((r) => r.window).filter((w) => !w.isDestroyed());
  }

  get count(): number {
    return this.all().length;
  }

  /** The window whose page sent an IPC message. */
  fromContents(contents: { id: number }): W | undefined {
    return this.records.get(contents.id)?.window;
  }

  /** The window menu commands go to: the focused one, or the last focused. */
  focused(): W | undefined {
    const last = this.lastFocused;
    if (last && !last.isDestroyed()) return last;
    return this.all()[0];
  }

  /** A stable name per window for its recovery file. */
  keyOf(window: W): string {
    return `w${window.id}`;
  }

  state(window: W): DocumentState | null {
    return this.record(window)?.state ?? null;
  }

  isDirty(window: W): boolean {
    const record = this.record(window);
    return !!record && !record.crashed && record.state?.dirty === true;
  }

  setDocumentState(window: W, state: DocumentState): void {
    const record = this.record(window);
    if (!record) return;
    const wasDirty = record.state?.dirty === true;
    record.state = state;
    this.updateTitle(record);
    if (!state.dirty && wasDirty) this.options.onClean?.(window);
  }

  /** Sends to the window's page now, or once it has loaded. */
  send(window: W, channel: string, payload: unknown): void {
    const record = this.record(window);
    if (!record || window.isDestroyed()) return;
    if (record.loaded && !window.webContents.isDestroyed()) window.webContents.send(channel, payload);
    else record.outbox.push({ channel, payload });
  }

  /** Sends to every loaded page (a page still loading gets fresh state in onLoaded). */
  broadcast(channel: string, payload: unknown): void {
    for (const record of this.records.values()) {
      if (record.loaded && !record.window.isDestroyed() && !record.window.webContents.isDestroyed()) {
        record.window.webContents.send(channel, payload);
      }
    }
  }

  /** Brings a window to the front (restoring it if minimized). */
  reveal(window: W): void {
    if (window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }

  /**
   * Shows a file handed to the app: focuses the window that already has it; else uses the
   * focused window if its document is pristine (no path, no changes); else opens a new window.
   */
  showFile(file: OpenedGraph): W {
    const existing = file.path === null ? undefined : this.all().find((w) => this.state(w)?.path === file.path);
    if (existing) {
      this.reveal(existing);
      return existing;
    }
    const focused = this.focused();
    const state = focused ? this.state(focused) : null;
    const pristine = focused && !this.record(focused)?.crashed && (state === null || (state.path === null && !state.dirty));
    const target = pristine && focused ? focused : this.open();
    // Until its editor reports, the window counts as showing this file: a second file handed over
    // meanwhile gets its own window, and the same file again finds this one.
    const record = this.record(target);
    if (record) record.state = { dirty: false, title: file.name, path: file.path, selectedBlockType: null };
    this.send(target, IPC.openFile, file);
    this.reveal(target);
    return target;
  }

  /** Asks the window's editor to save before closing; resolves with its answer (false if it goes away). */
  requestSave(window: W): Promise<boolean> {
    const record = this.record(window);
    if (!record || !record.loaded || record.crashed || window.isDestroyed()) return Promise.resolve(false);
    this.answerClose(record, false); // a stale request is superseded
    return new Promise((resolve) => {
      record.closeReply = resolve;
      window.webContents.send(IPC.closeRequest);
    });
  }

  /** The editor's answer to the close request (IPC.closeReply). Unasked answers are ignored. */
  closeReply(window: W, saved: boolean): void {
    const record = this.record(window);
    if (record) this.answerClose(record, saved);
  }

  private answerClose(record: WindowRecord<W>, saved: boolean): void {
    const reply = record.closeReply;
    record.closeReply = null;
    reply?.(saved);
  }

  private record(window: W): WindowRecord<W> | undefined {
    for (const record of this.records.values()) if (record.window === window) return record;
    return undefined;
  }

  private updateTitle(record: WindowRecord<W>): void {
    const { window, state } = record;
    if (window.isDestroyed()) return;
    const name = state?.title || 'Untitled';
    const mac = this.options.platform === 'darwin';
    // macOS shows unsaved changes as a dot in the close button (setDocumentEdited) and the file as
    // a proxy icon in the title bar; elsewhere a bullet in the title is the convention.
    window.setTitle(`${!mac && state?.dirty ? '• ' : ''}${name} — ${this.options.appName}`);
    if (mac) {
      window.setDocumentEdited(state?.dirty === true);
      window.setRepresentedFilename(state?.path ?? '');
    }
  }
}
