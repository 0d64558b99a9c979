import { useRef } from 'react';
import { docStore, isDirty, redo, undo } from '../doc.ts';
import { confirmDiscard, exportFile, importDesktop, importFile, newDocument, openCommand, save, saveAs } from '../files.ts';
import { desktop } from '../host.ts';
import { useStore } from '../store.ts';
import { openDialog, setTheme, uiStore } from '../ui.ts';

export function TopBar() {
  const name = useStore(docStore, (s) => s.doc.meta.name);
  const origin = useStore(docStore, (s) => s.path ?? s.origin);
  const dirty = useStore(docStore, isDirty);
  const canUndo = useStore(docStore, (s) => s.past.length > 0);
  const canRedo = useStore(docStore, (s) => s.future.length > 0);
  const theme = useStore(uiStore, (s) => s.theme);
  const importer = useRef<HTMLInputElement>(null);
  const mod = navigator.platform.startsWith('Mac') ? '⌘' : 'Ctrl+';
  return (
    <header className="topbar">
      <div className="brand" aria-hidden="true">
        RL Composer
      </div>
      <nav className="menu" aria-label="File">
        <button type="button" onClick={() => confirmDiscard() && newDocument()} data-testid="file-new">
          New
        </button>
        <button type="button" onClick={() => openDialog('gallery')} data-testid="file-templates">
          Templates…
        </button>
        <button type="button" onClick={() => void openCommand()} data-testid="file-open">
          Open…
        </button>
        <button type="button" onClick={() => void save()} data-testid="file-save" title={`Save (${mod}S)`}>
          Save
        </button>
        <button type="button" onClick={() => void saveAs()} data-testid="file-saveas" title={`Save as (${mod}Shift+S)`}>
          Save as…
        </button>
        <span className="sep" aria-hidden="true" />
        <button type="button" onClick={() => (desktop ? void importDesktop() : importer.current?.click())} data-testid="file-import" title="Import a .rlgraph.json from this computer">
          Import
        </button>
        <input
          ref={importer}
          type="file"
          accept=".json,application/json"
          hidden
          aria-label="Import a graph file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f && confirmDiscard()) void importFile(f);
            e.target.value = '';
          }}
        />
        <button type="button" onClick={exportFile} data-testid="file-export" title={desktop ? 'Save a copy of the graph elsewhere (the document keeps its file)' : 'Download the graph as .rlgraph.json'}>
          Export
        </button>
        <span className="sep" aria-hidden="true" />
        <button type="button" onClick={undo} disabled={!canUndo} data-testid="undo" title={`Undo (${mod}Z)`} aria-label="Undo">
          ↶ Undo
        </button>
        <button type="button" onClick={redo} disabled={!canRedo} data-testid="redo" title={`Redo (${mod}Shift+Z)`} aria-label="Redo">
          ↷ Redo
        </button>
      </nav>
      <div className="doc-title" data-testid="doc-title" title={origin}>
        <span className="doc-name">{name}</span>
        {dirty && (
          <span className="dirty" data-testid="dirty" title="Unsaved changes" role="img" aria-label="unsaved changes">
            ●
          </span>
        )}
        {/* Only the file name: a full desktop path would squeeze the document name (the tooltip has it all). */}
        <span className="muted small doc-origin">{origin.split(/[\\/]/).pop()}</span>
      </div>
      <button type="button" className="theme-toggle" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to the ${theme === 'dark' ? 'light' : 'dark'} theme`} data-testid="theme-toggle">
        {theme === 'dark' ? '☀ Light' : '☾ Dark'}
      </button>
    </header>
  );
}
