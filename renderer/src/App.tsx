import { ReactFlowProvider } from '@xyflow/react';
import { useEffect } from 'react';
import { loadCatalogue } from './catalogue.ts';
import { connect } from './connection.ts';
import { docStore, isDirty, redo, undo } from './doc.ts';
import { copySelection, deleteElements, duplicate, paste } from './graphOps.ts';
import { initAgent } from './agent.ts';
import { initRun } from './run.ts';
import { useStore } from './store.ts';
import { openDialog, toast, uiStore } from './ui.ts';
import { initValidation } from './validation.ts';
import { token } from './api.ts';
import { initDesktop } from './desktop.ts';
import { desktop } from './host.ts';
import { Banner, Toasts } from './components/Banner.tsx';
import { Canvas } from './components/Canvas.tsx';
import { Dialogs } from './components/Dialogs.tsx';
import { Inspector } from './components/Inspector.tsx';
import { Palette } from './components/Palette.tsx';
import { RunPanel } from './components/RunPanel.tsx';
import { TopBar } from './components/TopBar.tsx';
import { EngineBadge, topRowStyle } from './components/EngineBadge.tsx';
import { ViewCommands } from './components/ViewCommands.tsx';
import { save, saveAs } from './files.ts';

let started = false;
function startOnce(): void {
  if (started) return;
  started = true;
  initRun();
  initAgent();
  initValidation();
  if (desktop) {
    void loadCatalogue();
    // The gallery opens unless unsaved work from the last session was restored.
    void initDesktop().then((restored) => restored || openDialog('gallery'));
  } else if (token) {
    void loadCatalogue();
    void connect();
    openDialog('gallery');
  } else void connect();
}

function isTextField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT';
}

function onKeyDown(e: KeyboardEvent): void {
  const mod = e.ctrlKey || e.metaKey;
  if (!mod) return;
  const key = e.key.toLowerCase();
  if (key === 's') {
    e.preventDefault();
    if (e.shiftKey) void saveAs();
    else void save();
    return;
  }
  if (uiStore.get().dialog) return;
  // Inside a text field the browser's own undo/copy/paste apply.
  if (isTextField(e.target)) return;
  const selected = uiStore.get().selected;
  if (key === 'z') {
    e.preventDefault();
    if (e.shiftKey) redo();
    else undo();
  } else if (key === 'y') {
    e.preventDefault();
    redo();
  } else if (key === 'c') {
    const n = copySelection(selected);
    if (n) toast(`Copied ${n} block${n === 1 ? '' : 's'}`);
  } else if (key === 'x') {
    if (copySelection(selected)) deleteElements(selected);
  } else if (key === 'v') {
    e.preventDefault();
    paste();
  } else if (key === 'd') {
    e.preventDefault();
    duplicate(selected);
  }
}

export function App() {
  const theme = useStore(uiStore, (s) => s.theme);
  const name = useStore(docStore, (s) => s.doc.meta.name);
  const dirty = useStore(docStore, isDirty);

  useEffect(() => {
    startOnce();
    window.addEventListener('keydown', onKeyDown);
    const beforeUnload = (e: BeforeUnloadEvent) => {
      // The desktop shell asks itself (Save / Don't Save / Cancel) before a window closes.
      if (!desktop && isDirty(docStore.get())) e.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, []);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => {
    document.title = `${dirty ? '● ' : ''}${name} — RL Composer`;
  }, [name, dirty]);

  return (
    <ReactFlowProvider>
      <div className="app">
        <div style={topRowStyle}>
          <TopBar />
          <EngineBadge />
        </div>
        <Banner />
        <main className="workspace">
          <Palette />
          <Canvas />
          <Inspector />
        </main>
        <RunPanel />
        <Dialogs />
        <Toasts />
        {desktop && <ViewCommands />}
      </div>
    </ReactFlowProvider>
  );
}
