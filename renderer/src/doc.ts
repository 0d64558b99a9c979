/**
 * The graph document store: one immer-updated GraphFile with undo/redo from patches. Every edit is
 * one `produceWithPatches`; its inverse patches undo it (so a deleted node comes back with its
 * edges). Consecutive edits with the same `coalesce` key within a second merge into one step
 * (typing a number is one undo step, not one per key).
 */
import { applyPatches, enablePatches, freeze, produceWithPatches, type Draft, type Patch } from 'immer';
import { GRAPH_FORMAT, GRAPH_VERSION, type GraphFile } from '../../engine/graph/schema.ts';
import { createStore } from './store.ts';

enablePatches();

interface HistoryEntry {
  patches: Patch[];
  inverse: Patch[];
  coalesce?: string;
  at: number;
  /** Change id before/after this entry. */
  before: number;
  after: number;
}

export interface DocState {
  doc: GraphFile;
  /** Workspace-relative path when the document was opened from or saved to the workspace. */
  path: string | null;
  /** Where it came from, for the title bar. */
  origin: string;
  changeId: number;
  savedId: number;
  /** Changes when another document is loaded (the canvas fits it to the view). */
  loadId: number;
  past: HistoryEntry[];
  future: HistoryEntry[];
}

export function emptyDocument(name = 'untitled'): GraphFile {
  return {
    format: GRAPH_FORMAT,
    version: GRAPH_VERSION,
    meta: { name },
    run: { totalSteps: 100_000, seed: 1, backend: 'auto' },
    nodes: [],
    edges: [],
  };
}

let nextId = 1;
const MAX_HISTORY = 500;

export const docStore = createStore<DocState>({
  doc: emptyDocument(),
  path: null,
  origin: 'new',
  changeId: 0,
  savedId: 0,
  loadId: 0,
  past: [],
  future: [],
});

export const isDirty = (s: DocState) => s.changeId !== s.savedId;

/** Applies one edit; returns false when it changed nothing. */
export function edit(recipe: (draft: Draft<GraphFile>) => void, options: { coalesce?: string } = {}): boolean {
  const state = docStore.get();
  const [doc, patches, inverse] = produceWithPatches(state.doc, recipe);
  if (patches.length === 0) return false;
  const now = Date.now();
  const last = state.past[state.past.length - 1];
  let past: HistoryEntry[];
  let changeId: number;
  if (options.coalesce && last && last.coalesce === options.coalesce && now - last.at < 1000 && state.future.length === 0 && state.changeId !== state.savedId) {
    changeId = last.after;
    past = [...state.past.slice(0, -1), { ...last, patches: [...last.patches, ...patches], inverse: [...inverse, ...last.inverse], at: now }];
  } else {
    changeId = nextId++;
    past = [...state.past, { patches, inverse, coalesce: options.coalesce, at: now, before: state.changeId, after: changeId }].slice(-MAX_HISTORY);
  }
  docStore.set({ ...state, doc, changeId, past, future: [] });
  return true;
}

export function undo(): void {
  const state = docStore.get();
  const entry = state.past[state.past.length - 1];
  if (!entry) return;
  docStore.set({
    ...state,
    doc: applyPatches(state.doc, entry.inverse),
    changeId: entry.before,
    past: state.past.slice(0, -1),
    future: [{ ...entry, coalesce: undefined }, ...state.future],
  });
}

export function redo(): void {
  const state = docStore.get();
  const entry = state.future[0];
  if (!entry) return;
  docStore.set({
    ...state,
    doc: applyPatches(state.doc, entry.patches),
    changeId: entry.after,
    past: [...state.past, entry],
    future: state.future.slice(1),
  });
}

/** Replaces the document (New, Open): history starts over, not dirty. */
export function loadDocument(doc: GraphFile, path: string | null, origin: string): void {
  const id = nextId++;
  docStore.set({ doc: freeze(structuredClone(doc), true), path, origin, changeId: id, savedId: id, loadId: id, past: [], future: [] });
}

export function markSaved(path: string): void {
  const state = docStore.get();
  docStore.set({ ...state, path, origin: path, savedId: state.changeId });
}
