/**
 * `window.rlcDesktop`, built from ipcRenderer. Kept apart from preload.ts (which only hands it
 * to contextBridge) so it can be tested without Electron; it imports nothing but the contract's
 * constants, since a sandboxed preload can `require` only 'electron' (Vite bundles this in).
 *
 * The page never sees ipcRenderer or an IPC event: each call maps to one fixed channel and each
 * subscription gets only the payload. A few messages can arrive before the page subscribes, so
 * the preload subscribes at once and holds them: files to open are queued until the first
 * onOpenFile handler, the last engine status is replayed to each new onEngineStatus handler.
 */
import {
  type DesktopApi,
  type DocumentState,
  ENGINE_PORT_MESSAGE,
  type EngineStatus,
  IPC,
  MENU_COMMANDS,
  type MenuCommand,
  type NativeEditAction,
  type OpenedGraph,
  type Recovery,
  type SavedGraph,
  type SaveRequest,
  type TemplateInfo,
  type DesktopInfo,
} from './desktop-api.ts';

/** The parts of Electron's ipcRenderer used (it fits; `ports` carries transferred MessagePorts). */
export interface RendererIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: { ports: readonly unknown[] }, ...args: unknown[]) => void): unknown;
}

/** Posts the engine port to the page's main world (contextBridge cannot carry ports). */
export type PostToPage = (message: typeof ENGINE_PORT_MESSAGE, ports: unknown[]) => void;

export function createDesktopApi(ipc: RendererIpc, postToPage: PostToPage): DesktopApi {
  // invoke's results come from the main process's handlers, which return these contract types.
  const invoke = <T>(channel: string, ...args: unknown[]) => ipc.invoke(channel, ...args) as Promise<T>;

  const menuHandlers = new Set<(command: MenuCommand) => void>();
  const openFileHandlers = new Set<(file: OpenedGraph) => void>();
  const statusHandlers = new Set<(status: EngineStatus) => void>();
  const closeHandlers = new Set<() => void>();
  const queuedFiles: OpenedGraph[] = [];
  let lastStatus: EngineStatus | null = null;

  const subscribe = <T>(set: Set<T>, handler: T): (() => void) => {
    set.add(handler);
    return () => void set.delete(handler);
  };

  ipc.on(IPC.menu, (_event, command) => {
    if (typeof command !== 'string' || !(MENU_COMMANDS as readonly string[]).includes(command)) return;
    for (const handler of menuHandlers) handler(command as MenuCommand);
  });
  ipc.on(IPC.openFile, (_event, file) => {
    if (openFileHandlers.size === 0) queuedFiles.push(file as OpenedGraph);
    else for (const handler of openFileHandlers) handler(file as OpenedGraph);
  });
  ipc.on(IPC.engineStatus, (_event, status) => {
    lastStatus = status as EngineStatus;
    for (const handler of statusHandlers) handler(lastStatus);
  });
  ipc.on(IPC.closeRequest, () => {
    // No editor listening cannot save: say so, and the window stays open.
    if (closeHandlers.size === 0) ipc.send(IPC.closeReply, false);
    else for (const handler of closeHandlers) handler();
  });
  ipc.on(IPC.enginePort, (event) => {
    if (event.ports.length > 0) postToPage(ENGINE_PORT_MESSAGE, [...event.ports]);
  });

  return {
    info: () => invoke<DesktopInfo>(IPC.info),
    listTemplates: () => invoke<TemplateInfo[]>(IPC.listTemplates),
    readTemplate: (file: string) => invoke<OpenedGraph>(IPC.readTemplate, file),
    openDialog: () => invoke<OpenedGraph | null>(IPC.openDialog),
    readFile: (path: string) => invoke<OpenedGraph>(IPC.readFile, path),
    save: (request: SaveRequest) => invoke<SavedGraph | null>(IPC.save, request),
    exportCopy: (text: string) => invoke<SavedGraph | null>(IPC.exportCopy, text),
    importDialog: () => invoke<OpenedGraph | null>(IPC.importDialog),
    recent: () => invoke<string[]>(IPC.recent),
    setDocumentState: (state: DocumentState) => ipc.send(IPC.documentState, state),
    autosave: (text: string) => invoke<void>(IPC.autosave, text),
    recoveryPending: () => invoke<Recovery | null>(IPC.recoveryPending),
    recoveryDiscard: () => invoke<void>(IPC.recoveryDiscard),
    restartEngine: () => invoke<void>(IPC.restartEngine),
    onMenu: (handler) => subscribe(menuHandlers, handler),
    onOpenFile: (handler) => {
      const unsubscribe = subscribe(openFileHandlers, handler);
      for (const file of queuedFiles.splice(0)) handler(file);
      return unsubscribe;
    },
    onEngineStatus: (handler) => {
      const unsubscribe = subscribe(statusHandlers, handler);
      if (lastStatus) handler(lastStatus);
      return unsubscribe;
    },
    onCloseRequest: (handler) => subscribe(closeHandlers, handler),
    replyClose: (mayClose: boolean) => ipc.send(IPC.closeReply, mayClose),
    connectEngine: () => ipc.send(IPC.connectEngine),
    nativeEdit: (action: NativeEditAction) => ipc.send(IPC.nativeEdit, action),
  };
}
