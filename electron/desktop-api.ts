/**
 * The contract between the desktop shell and the editor: what the preload script exposes on
 * `window.rlcDesktop` (through `contextBridge`), and the IPC channel names behind it. Types only
 * plus plain constants, so the renderer, the preload and the main process share one source of
 * truth without the renderer importing Node or Electron.
 */

/** IPC channels (renderer → main: `invoke`; main → renderer: `send`). */
export const IPC = {
  /** invoke: () => DesktopInfo */
  info: 'rlc:info',
  /** invoke: () => TemplateInfo[] (the templates bundled with the app, read-only) */
  listTemplates: 'rlc:templates.list',
  /** invoke: (file: string) => OpenedGraph */
  readTemplate: 'rlc:templates.read',
  /** invoke: () => OpenedGraph | null (an Open dialog; the chosen path is granted) */
  openDialog: 'rlc:file.open',
  /** invoke: (path: string) => OpenedGraph (only a granted path: chosen in a dialog, recent, or passed by the OS) */
  readFile: 'rlc:file.read',
  /** invoke: (request: SaveRequest) => SavedGraph | null (null: the Save As dialog was cancelled) */
  save: 'rlc:file.save',
  /** invoke: (text: string) => SavedGraph | null (an Export dialog; writes a copy, the document keeps its path) */
  exportCopy: 'rlc:file.export',
  /** invoke: () => OpenedGraph | null (an Import dialog: opens a graph JSON as a new, unsaved document) */
  importDialog: 'rlc:file.import',
  /** invoke: () => string[] (recent files, newest first) */
  recent: 'rlc:file.recent',
  /** send (renderer → main): DocumentState, on every change of dirty state, path or title */
  documentState: 'rlc:document.state',
  /** invoke: (text: string) => void; the unsaved document, written to the recovery file (debounced by the renderer) */
  autosave: 'rlc:recovery.autosave',
  /** invoke: () => Recovery | null; what the last session left unsaved */
  recoveryPending: 'rlc:recovery.pending',
  /** invoke: () => void; the user declined or restored the recovery: forget it */
  recoveryDiscard: 'rlc:recovery.discard',
  /** invoke: () => void; restarts the engine process after a crash */
  restartEngine: 'rlc:engine.restart',
  /** main → renderer: MenuCommand */
  menu: 'rlc:menu',
  /** main → renderer: OpenedGraph (a file passed on the command line, by the OS, or from Open Recent) */
  openFile: 'rlc:open-file',
  /** main → renderer: EngineStatus */
  engineStatus: 'rlc:engine.status',
  /** main → renderer, with a MessagePort in `ports[0]`: the engine connection (see engine/host/client.ts) */
  enginePort: 'rlc:engine.port',
  /**
   * main → renderer: the user closes a window with unsaved changes and chose "Save" in the main
   * process's prompt; the renderer saves (Save As if the document has no path) and answers
   * `closeReply` with true when it saved, false when the save was cancelled or failed.
   */
  closeRequest: 'rlc:close.request',
  /** send (renderer → main): boolean */
  closeReply: 'rlc:close.reply',
  /**
   * send (renderer → main), no payload: asks for a fresh engine port now (it arrives as
   * ENGINE_PORT_MESSAGE). Main also sends one unasked when the page loads and after an engine
   * restart; this is for a page whose listener was registered after the load event, or to reconnect.
   */
  connectEngine: 'rlc:engine.connect',
  /**
   * send (renderer → main): NativeEditAction; performs the browser's own edit command on the
   * page (webContents.undo(), .paste(), ...). Edit-menu shortcuts arrive as MenuCommands even
   * while a text field has focus; the editor hands them back here so text fields keep native
   * undo / cut / copy / paste (paste in particular cannot be done from the page itself).
   */
  nativeEdit: 'rlc:edit.native',
} as const;

/** The message the preload posts to the page (`window.postMessage`) carrying the engine port. */
export const ENGINE_PORT_MESSAGE = 'rlc:engine-port';

export interface DesktopInfo {
  platform: string;
  appVersion: string;
  electronVersion: string;
  /** Folder where runs are written (`<workspace>/runs/...`). */
  workspace: string;
}

export interface TemplateInfo {
  file: string;
  name: string;
  algorithm: string | null;
  description: string;
}

export interface OpenedGraph {
  /** Absolute path, or null for a template or an imported copy (not yet saved). */
  path: string | null;
  /** File name to show (basename of path, or the template's file name). */
  name: string;
  /** The graph file's text as on disk (the renderer parses and validates it). */
  text: string;
}

export interface SaveRequest {
  /** null, or a path the main process did not grant: a Save As dialog is shown. */
  path: string | null;
  /** The graph document (JSON text); the main process validates and writes it atomically. */
  text: string;
  /** Force the Save As dialog even when `path` is set. */
  saveAs?: boolean;
  /** Suggested file name for the dialog. */
  suggestedName?: string;
}

export interface SavedGraph {
  path: string;
  name: string;
}

export interface DocumentState {
  dirty: boolean;
  /** Window title part: the document name. */
  title: string;
  path: string | null;
  /** The selected block's type, for Help → Block documentation. */
  selectedBlockType: string | null;
}

export interface Recovery {
  text: string;
  /** ISO time of the autosave. */
  savedAt: string;
  /** The path the document had, if it had one. */
  path: string | null;
}

export type MenuCommand =
  | 'file.new'
  | 'file.open'
  | 'file.save'
  | 'file.saveAs'
  | 'file.import'
  | 'file.export'
  | 'file.close'
  | 'edit.undo'
  | 'edit.redo'
  | 'edit.cut'
  | 'edit.copy'
  | 'edit.paste'
  | 'edit.selectAll'
  | 'view.fit'
  | 'view.zoomIn'
  | 'view.zoomOut'
  | 'view.toggleTheme'
  | 'view.togglePalette'
  | 'run.start'
  | 'run.pause'
  | 'run.step'
  | 'run.stop'
  | 'help.blockDocs'
  | 'help.about';

export const MENU_COMMANDS: readonly MenuCommand[] = [
  'file.new',
  'file.open',
  'file.save',
  'file.saveAs',
  'file.import',
  'file.export',
  'file.close',
  'edit.undo',
  'edit.redo',
  'edit.cut',
  'edit.copy',
  'edit.paste',
  'edit.selectAll',
  'view.fit',
  'view.zoomIn',
  'view.zoomOut',
  'view.toggleTheme',
  'view.togglePalette',
  'run.start',
  'run.pause',
  'run.step',
  'run.stop',
  'help.blockDocs',
  'help.about',
];

export type EngineStatus =
  | { state: 'starting' }
  /** `backend`: the tfjs backend the engine process loaded (tensorflow | wasm | cpu) and its package. */
  | { state: 'ready'; backend: string; backendDetail: string }
  | { state: 'crashed'; message: string; exitCode: number | null }
  | { state: 'restarting' };

/** The browser's own edit commands (see IPC.nativeEdit). */
export type NativeEditAction = 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'selectAll';

/** `window.rlcDesktop`, as the preload exposes it. */
export interface DesktopApi {
  info(): Promise<DesktopInfo>;
  listTemplates(): Promise<TemplateInfo[]>;
  readTemplate(file: string): Promise<OpenedGraph>;
  openDialog(): Promise<OpenedGraph | null>;
  readFile(path: string): Promise<OpenedGraph>;
  save(request: SaveRequest): Promise<SavedGraph | null>;
  exportCopy(text: string): Promise<SavedGraph | null>;
  importDialog(): Promise<OpenedGraph | null>;
  recent(): Promise<string[]>;
  setDocumentState(state: DocumentState): void;
  autosave(text: string): Promise<void>;
  recoveryPending(): Promise<Recovery | null>;
  recoveryDiscard(): Promise<void>;
  restartEngine(): Promise<void>;
  onMenu(handler: (command: MenuCommand) => void): () => void;
  onOpenFile(handler: (file: OpenedGraph) => void): () => void;
  onEngineStatus(handler: (status: EngineStatus) => void): () => void;
  /** The main process asks the editor to save before closing (see IPC.closeRequest); answer with `replyClose`. */
  onCloseRequest(handler: () => void): () => void;
  replyClose(mayClose: boolean): void;
  /** Asks for a fresh engine port (see IPC.connectEngine); register the ENGINE_PORT_MESSAGE listener first. */
  connectEngine(): void;
  /** Runs the browser's own edit command (see IPC.nativeEdit): for Edit-menu commands while a text field has focus. */
  nativeEdit(action: NativeEditAction): void;
}
