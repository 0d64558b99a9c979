/** New / Open (templates, workspace files) / Save / Save As / Import / Export. */
import { graphSchema, type GraphFile } from '../../engine/graph/schema.ts';
import { api, encodePath } from './api.ts';
import { docStore, emptyDocument, isDirty, loadDocument, markSaved } from './doc.ts';
import { setSelected, toast } from './ui.ts';

export const GRAPH_EXT = '.rlgraph.json';

export interface TemplateInfo {
  file: string;
  name: string;
  algorithm: string | null;
  description: string;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Asks before throwing away unsaved changes. */
export function confirmDiscard(): boolean {
  return !isDirty(docStore.get()) || confirm('The document has unsaved changes. Discard them?');
}

export function listTemplates(): Promise<TemplateInfo[]> {
  return api<TemplateInfo[]>('/api/templates');
}

export function listFiles(): Promise<string[]> {
  return api<string[]>('/api/files');
}

export async function openTemplate(file: string): Promise<boolean> {
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
  const { path } = docStore.get();
  return path ? saveTo(path) : saveAs();
}

/** Import: a local *.rlgraph.json checked against the graph schema. */
export async function importFile(file: File): Promise<void> {
  try {
    const parsed = graphSchema.safeParse(JSON.parse(await file.text()));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${issue.path.join('.') || 'top level'}: ${issue.message}`);
    }
    loadDocument(parsed.data, null, `imported ${file.name}`);
    setSelected([]);
    toast(`Imported ${file.name}; Save As to keep it in the workspace`);
  } catch (error) {
    toast(`Cannot import ${file.name}: ${message(error)}`, 'error');
  }
}

export function exportFile(): void {
  const { doc, path } = docStore.get();
  const blob = new Blob([JSON.stringify(doc, null, 2) + '\n'], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = path?.split('/').pop() ?? suggestedFileName(doc);
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
