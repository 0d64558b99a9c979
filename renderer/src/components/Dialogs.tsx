import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { confirmDiscard, GRAPH_EXT, listFiles, listTemplates, openFile, openTemplate, type TemplateInfo } from '../files.ts';
import { useStore } from '../store.ts';
import { openDialog, uiStore } from '../ui.ts';

/**
 * A modal <dialog>: showModal() makes the rest of the page inert and moves focus inside, Escape
 * closes it, and focus goes back to where it was (the button that opened it).
 */
function Modal({ title, onClose, children, wide = false, testId }: { title: string; onClose(): void; children: ReactNode; wide?: boolean; testId: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    const opener = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
    if (d && !d.open) d.showModal();
    return () => {
      d?.close();
      // React removes the dialog before this runs, so the browser's own focus restore has nothing to go on.
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={`modal${wide ? ' wide' : ''}`}
      aria-labelledby={titleId}
      aria-modal="true"
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === ref.current) onClose(); // backdrop
      }}
    >
      <div className="modal-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon" aria-label="Close" title="Close (Escape)" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="modal-body">{children}</div>
    </dialog>
  );
}

function Gallery() {
  const [templates, setTemplates] = useState<TemplateInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    listTemplates()
      .then(setTemplates)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  const close = () => openDialog(null);
  return (
    <Modal title="Templates" onClose={close} wide testId="gallery">
      <p className="muted">Start from a known algorithm: every step of it is a block you can inspect and change.</p>
      {error && <p className="error-text">Cannot list templates: {error}</p>}
      {!templates && !error && (
        <p className="muted" role="status">
          Loading…
        </p>
      )}
      <div className="gallery">
        {templates?.map((t) => (
          <button
            key={t.file}
            type="button"
            className="gallery-item"
            data-testid={`template-${t.file}`}
            // Named by the template; the description is read after it, not as part of the name.
            aria-label={t.algorithm ? `${t.name} (${t.algorithm})` : t.name}
            aria-describedby={`template-desc-${t.file}`}
            onClick={async () => {
              if (!confirmDiscard()) return;
              if (await openTemplate(t.file)) close();
            }}
          >
            <span className="gallery-name">{t.name}</span>
            {t.algorithm && <span className="tag">{t.algorithm}</span>}
            <span className="gallery-desc" id={`template-desc-${t.file}`}>
              {t.description}
            </span>
            <span className="gallery-file muted small">{t.file}</span>
          </button>
        ))}
      </div>
    </Modal>
  );
}

function OpenFile() {
  const [files, setFiles] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    listFiles()
      .then(setFiles)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  const close = () => openDialog(null);
  return (
    <Modal title="Open a workspace file" onClose={close} testId="open-dialog">
      {error && <p className="error-text">Cannot list files: {error}</p>}
      {files && files.length === 0 && <p className="muted">The workspace has no {GRAPH_EXT} files yet. Save one first, or open a template.</p>}
      <ul className="file-list">
        {files?.map((f) => (
          <li key={f}>
            <button
              type="button"
              data-testid={`file-${f}`}
              onClick={async () => {
                if (!confirmDiscard()) return;
                if (await openFile(f)) close();
              }}
            >
              {f}
            </button>
          </li>
        ))}
      </ul>
    </Modal>
  );
}

export function Dialogs() {
  const dialog = useStore(uiStore, (s) => s.dialog);
  if (dialog === 'gallery') return <Gallery />;
  if (dialog === 'open') return <OpenFile />;
  return null;
}
