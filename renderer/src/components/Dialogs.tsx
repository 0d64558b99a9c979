import { useEffect, useRef, useState, type ReactNode } from 'react';
import { confirmDiscard, GRAPH_EXT, listFiles, listTemplates, openFile, openTemplate, type TemplateInfo } from '../files.ts';
import { useStore } from '../store.ts';
import { openDialog, uiStore } from '../ui.ts';

/** A modal <dialog>: focus stays inside, Escape closes it. */
function Modal({ title, onClose, children, wide = false, testId }: { title: string; onClose(): void; children: ReactNode; wide?: boolean; testId: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className={`modal${wide ? ' wide' : ''}`}
      aria-label={title}
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
        <h2>{title}</h2>
        <button type="button" className="icon" aria-label="Close" onClick={onClose}>
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
      {!templates && !error && <p className="muted">Loading…</p>}
      <div className="gallery">
        {templates?.map((t) => (
          <button
            key={t.file}
            type="button"
            className="gallery-item"
            data-testid={`template-${t.file}`}
            onClick={async () => {
              if (!confirmDiscard()) return;
              if (await openTemplate(t.file)) close();
            }}
          >
            <span className="gallery-name">{t.name}</span>
            {t.algorithm && <span className="tag">{t.algorithm}</span>}
            <span className="gallery-desc">{t.description}</span>
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
