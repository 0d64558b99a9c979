/**
 * What the main process does for each IPC request of the editor: the wiring between the file
 * access, the recovery store, the window manager and the engine link. One function, so that the
 * app (main.ts) and its end-to-end test (test/e2e/desktop.test.ts) run the same wiring.
 */
import type { DesktopInfo, NativeEditAction } from './desktop-api.ts';
import type { GraphFiles } from './files.ts';
import type { DesktopServices } from './ipc.ts';
import type { RecoveryStore } from './recovery.ts';
import type { ManagedWindow, WindowManager } from './windows.ts';

export interface ServiceParts<W extends ManagedWindow> {
  info: () => DesktopInfo;
  files: Pick<GraphFiles<W>, 'listTemplates' | 'readTemplate' | 'openDialog' | 'read' | 'save' | 'exportCopy' | 'importDialog' | 'recent'>;
  recovery: Pick<RecoveryStore, 'clear' | 'autosave' | 'claim' | 'discard'>;
  windows: Pick<WindowManager<W>, 'keyOf' | 'state' | 'setDocumentState' | 'closeReply'>;
  restartEngine: () => void;
  connectEngine: (window: W) => void;
  nativeEdit: (window: W, action: NativeEditAction) => void;
}

export function desktopServices<W extends ManagedWindow>(parts: ServiceParts<W>): DesktopServices<W> {
  const { files, recovery, windows } = parts;
  return {
    info: parts.info,
    listTemplates: () => files.listTemplates(),
    readTemplate: (file) => files.readTemplate(file),
    openDialog: (window) => files.openDialog(window),
    readFile: (path) => files.read(path),
    save: async (window, request) => {
      const saved = await files.save(window, request);
      // Saved work needs no recovery file any more.
      if (saved) recovery.clear(windows.keyOf(window));
      return saved;
    },
    exportCopy: (window, text) => files.exportCopy(window, text, windows.state(window)?.title || undefined),
    importDialog: (window) => files.importDialog(window),
    recent: () => files.recent(),
    documentState: (window, state) => windows.setDocumentState(window, state),
    autosave: (window, text) => {
      const state = windows.state(window);
      // A clean document needs no recovery (and its file would outlive the reason for it).
      if (state === null || state.dirty) recovery.autosave(windows.keyOf(window), text, state?.path ?? null);
    },
    recoveryPending: (window) => recovery.claim(windows.keyOf(window)),
    recoveryDiscard: (window) => recovery.discard(windows.keyOf(window)),
    restartEngine: parts.restartEngine,
    connectEngine: parts.connectEngine,
    closeReply: (window, saved) => windows.closeReply(window, saved),
    nativeEdit: parts.nativeEdit,
  };
}
