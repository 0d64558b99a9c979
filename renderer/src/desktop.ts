/**
 * The editor's side of the desktop shell: menu commands, the document state the shell needs
 * (title, dirty marker for the close prompt, selected block for Help), autosave to the recovery
 * file and the offer to restore it, files handed over by the OS, and "save before closing".
 * Nothing here runs in a browser.
 */
import type { MenuCommand } from '../../electron/desktop-api.ts';
import { docStore, isDirty, loadDocument, redo, undo } from './doc.ts';
import { confirmDiscard, exportFile, importDesktop, loadOpened, newDocument, openCommand, parseGraphText, save, saveAs } from './files.ts';
import { copySelection, deleteElements, paste } from './graphOps.ts';
import { desktop } from './host.ts';
import { control, runStore, startRun, isActive } from './run.ts';
import { openDialog, setSelected, setTheme, toast, uiStore } from './ui.ts';

/** Commands that need the canvas (zoom, fit) are handed to it through this event. */
export const VIEW_EVENT = 'rlc:view';
export type ViewAction = 'fit' | 'zoomIn' | 'zoomOut';

const AUTOSAVE_DELAY_MS = 1500;

function inTextField(): boolean {
  const el = document.activeElement as HTMLElement | null;
  return !!el && (el.isContentEditable || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT');
}

/** Edit commands act on a focused text field natively, otherwise on the graph. */
function editCommand(command: 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'selectAll'): void {
  if (inTextField()) {
    // The menu took the keystroke from the field: the shell gives the field its own behaviour back
    // (paste in particular cannot be done from the page).
    desktop?.nativeEdit(command);
    return;
  }
  const selected = uiStore.get().selected;
  if (command === 'undo') undo();
  else if (command === 'redo') redo();
  else if (command === 'copy') copySelection(selected);
  else if (command === 'cut') {
    if (copySelection(selected)) deleteElements(selected);
  } else if (command === 'paste') paste();
  else setSelected(docStore.get().doc.nodes.map((n) => n.id));
}

export function runMenuCommand(command: MenuCommand): void {
  switch (command) {
    case 'file.new':
      if (confirmDiscard()) newDocument();
      return;
    case 'file.open':
      return void openCommand();
    case 'file.save':
      return void save();
    case 'file.saveAs':
      return void saveAs();
    case 'file.import':
      return void importDesktop();
    case 'file.export':
      return exportFile();
    case 'file.close':
      return window.close(); // the shell handles Close itself; kept for completeness
    case 'edit.undo':
    case 'edit.redo':
    case 'edit.cut':
    case 'edit.copy':
    case 'edit.paste':
    case 'edit.selectAll':
      return editCommand(command.slice('edit.'.length) as Parameters<typeof editCommand>[0]);
    case 'view.fit':
    case 'view.zoomIn':
    case 'view.zoomOut':
      window.dispatchEvent(new CustomEvent<ViewAction>(VIEW_EVENT, { detail: command.slice('view.'.length) as ViewAction }));
      return;
    case 'view.toggleTheme':
      return setTheme(uiStore.get().theme === 'dark' ? 'light' : 'dark');
    case 'view.togglePalette':
      document.documentElement.classList.toggle('hide-palette');
      return;
    case 'run.start': {
      if (isActive(runStore.get().state)) return toast('A run is already going: stop it first');
      const { doc } = docStore.get();
      return void startRun(doc, doc.meta.template ?? undefined);
    }
    case 'run.pause':
      return void control({ type: 'PAUSE' });
    case 'run.step':
      return void control({ type: 'STEP' });
    case 'run.stop':
      return void control({ type: 'STOP', reason: 'stopped from the menu' });
    case 'help.blockDocs': {
      const id = uiStore.get().selected[0];
      const node = docStore.get().doc.nodes.find((n) => n.id === id);
      if (!node) return toast('Select a block to see its documentation in the inspector');
      // The inspector shows the selected block's formula, help and reference: bring it into view.
      const inspector = document.querySelector<HTMLElement>('aside.inspector');
      inspector?.scrollIntoView();
      inspector?.querySelector<HTMLElement>('h2, h3, [tabindex]')?.focus();
      return;
    }
    case 'help.about':
      void desktop?.info().then((info) =>
        toast(`RL Composer ${info.appVersion} · Electron ${info.electronVersion} · runs in ${info.workspace}`),
      );
      return;
  }
}

/** Offers what the last session left unsaved, once, at startup. */
async function offerRecovery(): Promise<boolean> {
  const recovery = await desktop!.recoveryPending();
  if (!recovery) return false;
  const when = new Date(recovery.savedAt).toLocaleString();
  const what = recovery.path ?? 'an unsaved graph';
  if (confirm(`RL Composer closed with unsaved changes to ${what} (autosaved ${when}). Restore them?`)) {
    try {
      loadDocument(parseGraphText(recovery.text), recovery.path, `recovered ${what}`);
      // Restored work is unsaved work: mark it dirty so Save and the close prompt apply.
      docStore.set((s) => ({ ...s, savedId: -1 }));
      await desktop!.recoveryDiscard();
      return true;
    } catch (error) {
      toast(`Cannot restore the recovered graph: ${error instanceof Error ? error.message : String(error)}`, 'error');
    }
  }
  await desktop!.recoveryDiscard();
  return false;
}

/** Wires the editor to the desktop shell; returns whether a document was restored or opened (skip the gallery). */
export async function initDesktop(): Promise<boolean> {
  if (!desktop) return false;
  desktop.onMenu(runMenuCommand);
  let fileOpened = false;
  desktop.onOpenFile((file) => {
    if (!confirmDiscard() || !loadOpened(file)) return;
    fileOpened = true;
    // The file is what the user asked for (double-clicked, on the command line): the template
    // gallery shown at startup must not cover it.
    if (uiStore.get().dialog === 'gallery') openDialog(null);
  });
  // A run lives in the engine process: when that crashes the run is gone, and the restarted engine
  // does not know it. Without this the panel would show it running forever and refuse to start another.
  desktop.onEngineStatus((status) => {
    if (status.state !== 'crashed' || !isActive(runStore.get().state)) return;
    const message = 'The run ended with the engine process; its folder keeps what was written so far.';
    runStore.set((s) => ({
      ...s,
      state: 'failed',
      busy: false,
      error: { message },
      logs: [...s.logs.slice(-299), { at: Date.now(), message, level: 'error' }],
    }));
  });
  desktop.onCloseRequest(() => {
    save().then(
      (saved) => desktop!.replyClose(saved),
      () => desktop!.replyClose(false),
    );
  });

  let last = '';
  let autosaveTimer: ReturnType<typeof setTimeout> | undefined;
  const report = () => {
    const state = docStore.get();
    const dirty = isDirty(state);
    const selected = uiStore.get().selected[0];
    const selectedBlockType = state.doc.nodes.find((n) => n.id === selected)?.type ?? null;
    const summary = { dirty, title: state.doc.meta.name, path: state.path, selectedBlockType };
    const key = JSON.stringify(summary);
    if (key !== last) {
      last = key;
      desktop!.setDocumentState(summary);
    }
    clearTimeout(autosaveTimer);
    if (dirty) autosaveTimer = setTimeout(() => void desktop!.autosave(JSON.stringify(docStore.get().doc)), AUTOSAVE_DELAY_MS);
  };
  docStore.subscribe(report);
  uiStore.subscribe(report);
  report();
  const restored = await offerRecovery();
  return restored || fileOpened;
}
