/**
 * New / Open (templates, files) / Save / Save As / Import / Export. In a browser files live in the
 * `rlc serve` workspace (HTTP); in the desktop app they go through the shell's native dialogs,
 * which grant the editor exactly the paths the user chose.
 */
import type { OpenedGraph } from '../../electron/desktop-api.ts';
import { graphSchema, type GraphFile } from '../../engine/graph/schema.ts';
import { api, encodePath } from './api.ts';
import { docStore, emptyDocument, isDirty, loadDocument, markSaved } from './doc.ts';
import { desktop } from './host.ts';
import { openDialog, setSelected, toast } from './ui.ts';

export const GRAPH_EXT = '.rlgraph.json';

export interface TemplateInfo {
  file: string;
  name: string;
  algorithm: string | null;
  description: string;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Electron wraps what the main process threw: "Error invoking remote method 'rlc:file.save':
  // Error: ENOTDIR: …". The user needs the reason, not the IPC plumbing.
  return text.replace(/^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?/, '');
}

/** Asks before throwing away unsaved changes. */
export function confirmDiscard(): boolean {
  return !isDirty(docStore.get()) || confirm('The document has unsaved changes. Discard them?');
}

export function listTemplates(): Promise<TemplateInfo[]> {
  return desktop ? desktop.listTemplates() : api<TemplateInfo[]>('/api/templates');
}

/** A graph file's text checked against the schema; the error names the field. */
export function parseGraphText(text: string): GraphFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON: ${message(error)}`);
  }
  const parsed = graphSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue.path.join('.') || 'top level'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Desktop: a file the shell read (opened, recent, passed by the OS) becomes the document. */
export function loadOpened(file: OpenedGraph, origin = file.path ?? file.name): boolean {
  try {
    loadDocument(parseGraphText(file.text), file.path, origin);
    setSelected([]);
    return true;
  } catch (error) {
    toast(`Cannot open ${file.name}: ${message(error)}`, 'error');
    return false;
  }
}

/** File → Open: the native dialog on the desktop, the workspace list in a browser. */
export async function openCommand(): Promise<void> {
  if (!desktop) return openDialog('open');
  if (!confirmDiscard()) return;
  try {
    const file = await desktop.openDialog();
    if (file) loadOpened(file);
  } catch (error) {
    toast(`Cannot open: ${message(error)}`, 'error');
  }
}

export function listFiles(): Promise<string[]> {
  return api<string[]>('/api/files');
}

export async function openTemplate(file: string): Promise<boolean> {
  if (desktop) {
    try {
      return loadOpened(await desktop.readTemplate(file), `template ${file}`);
    } catch (error) {
      toast(`Cannot open template ${file}: ${message(error)}`, 'error');
      return false;
    }
  }
  try {
    const graph = await api<GraphFile>(`/api/templates/${encodePath(file)}`);
    loadDocument(graph, null, `template ${file}`);
    setSelected([]);
    return true;
  } catch (error) {
    toast(`Cannot open template ${file}: ${message(error)}`, 'error');
    return false;
  }
}

export async function openFile(path: string): Promise<boolean> {
  try {
    const graph = await api<GraphFile>(`/api/files/${encodePath(path)}`);
    loadDocument(graph, path, path);
    setSelected([]);
    return true;
  } catch (error) {
    toast(`Cannot open ${path}: ${message(error)}`, 'error');
    return false;
  }
}

export function newDocument(): void {
  loadDocument(emptyDocument(), null, 'new');
  setSelected([]);
}

export async function saveTo(path: string): Promise<boolean> {
  const { doc } = docStore.get();
  try {
    await api(`/api/files/${encodePath(path)}`, { method: 'PUT', body: doc });
    markSaved(path);
    toast(`Saved ${path}`);
    return true;
  } catch (error) {
    toast(`Cannot save ${path}: ${message(error)}`, 'error');
    return false;
  }
}

/** A file name for Save As: the document's name as a slug. */
export function suggestedFileName(doc: GraphFile): string {
  const base = (doc.meta.template ?? doc.meta.name ?? 'untitled').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'untitled';
  return base.endsWith(GRAPH_EXT) ? base : `${base}${GRAPH_EXT}`;
}

/**
 * Save As: asks for a workspace path ending in .rlgraph.json (a name without the suffix gets it),
 * confirms before replacing an existing file, saves. Returns whether it saved.
 */
export async function saveAs(): Promise<boolean> {
  if (desktop) return saveDesktop(true);
  const { doc, path } = docStore.get();
  const answer = prompt(`Save the graph in the workspace as (a name ending in ${GRAPH_EXT}; folders allowed):`, path ?? suggestedFileName(doc));
  if (answer === null) return false;
  let name = answer.trim().replace(/^\/+/, '');
  if (!name) return false;
  if (!name.endsWith(GRAPH_EXT)) name = name.replace(/\.json$/, '').replace(/\.rlgraph$/, '') + GRAPH_EXT;
  if (name !== path) {
    const existing = await listFiles().catch(() => [] as string[]);
    if (existing.includes(name) && !confirm(`${name} exists in the workspace. Replace it?`)) return false;
  }
  return saveTo(name);
}

/** Save: to the file the document came from, else Save As. */
export async function save(): Promise<boolean> {
  if (desktop) return saveDesktop(false);
  const { path } = docStore.get();
  return path ? saveTo(path) : saveAs();
}

/** Desktop Save / Save As: the shell validates, shows the dialog if needed, and writes atomically. */
async function saveDesktop(saveAsDialog: boolean): Promise<boolean> {
  const { doc, path } = docStore.get();
  try {
    const saved = await desktop!.save({ path, text: JSON.stringify(doc), saveAs: saveAsDialog, suggestedName: suggestedFileName(doc) });
    if (!saved) return false; // the dialog was cancelled
    markSaved(saved.path);
    toast(`Saved ${saved.name}`);
    return true;
  } catch (error) {
    toast(`Cannot save: ${message(error)}`, 'error');
    return false;
  }
}

/** File → Import: a native dialog on the desktop (the graph opens unsaved); a file picker in a browser. */
export async function importDesktop(): Promise<void> {
  if (!desktop || !confirmDiscard()) return;
  try {
    const file = await desktop.importDialog();
    if (file && loadOpened(file, `imported ${file.name}`)) toast(`Imported ${file.name}; Save As to keep it`);
  } catch (error) {
    toast(`Cannot import: ${message(error)}`, 'error');
  }
}

/** Import: a local *.rlgraph.json checked against the graph schema. */
export async function importFile(file: File): Promise<void> {
  try {
    loadDocument(parseGraphText(await file.text()), null, `imported ${file.name}`);
    setSelected([]);
    toast(`Imported ${file.name}; Save As to keep it in the workspace`);
  } catch (error) {
    toast(`Cannot import ${file.name}: ${message(error)}`, 'error');
  }
}

export function exportFile(): void {
  const { doc, path } = docStore.get();
  if (desktop) {
    desktop.exportCopy(JSON.stringify(doc)).then(
      (saved) => saved && toast(`Exported a copy to ${saved.name}`),
      (error: unknown) => toast(`Cannot export: ${message(error)}`, 'error'),
    );
    return;
  }
  const blob = new Blob([JSON.stringify(doc, null, 2) + '\n'], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = path?.split('/').pop() ?? suggestedFileName(doc);
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
