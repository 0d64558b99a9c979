/** Document edits shared by the canvas, the palette, the inspector and the keyboard. */
import type { Draft } from 'immer';
import type { GraphEdge, GraphFile, GraphNode } from '../../engine/graph/schema.ts';
import { catalogueStore, edgeKey, freshId } from './catalogue.ts';
import { docStore, edit } from './doc.ts';
import { setSelected } from './ui.ts';

export const GRID = 20;
export const snap = (v: number) => Math.round(v / GRID) * GRID;

const NODE_W = 200;
const NODE_H = 120;

/** The nearest free spot at or below/right of `at` (approximate block size), on the grid. */
export function freeSpot(doc: GraphFile, at: { x: number; y: number }): { x: number; y: number } {
  const hits = (x: number, y: number) =>
    doc.nodes.some((n) => n.ui && Math.abs(n.ui.x - x) < NODE_W && Math.abs(n.ui.y - y) < NODE_H);
  const x0 = snap(at.x);
  const y0 = snap(at.y);
  for (let ring = 0; ring < 12; ring++) {
    for (const [dx, dy] of [[0, ring], [ring, 0], [0, -ring], [-ring, 0], [ring, ring]]) {
      const x = x0 + dx * (NODE_W + GRID);
      const y = y0 + dy * (NODE_H / 2 + GRID);
      if (!hits(x, y)) return { x, y };
    }
  }
  return { x: x0, y: y0 };
}

/** Adds a block; `avoid` moves it off existing blocks (click-to-add), a drop keeps the spot. */
export function addNode(type: string, at: { x: number; y: number }, avoid = false): string {
  const doc = docStore.get().doc;
  const id = freshId(doc, type);
  const spot = avoid ? freeSpot(doc, at) : { x: snap(at.x), y: snap(at.y) };
  edit((d) => {
    d.nodes.push({ id, type, params: {}, ui: spot });
  });
  setSelected([id]);
  return id;
}

/** Removes weight keys that name a node which is gone (loss.weightedSum's `weights`). */
function dropWeightKeys(d: Draft<GraphFile>, removed: Set<string>): void {
  const catalogue = catalogueStore.get().catalogue;
  for (const node of d.nodes) {
    const entry = catalogue?.byType.get(node.type);
    if (!entry) continue;
    for (const [name, spec] of Object.entries(entry.params)) {
      if (spec.kind !== 'weights') continue;
      const table = node.params[name] as Record<string, number> | undefined;
      if (!table || typeof table !== 'object') continue;
      for (const key of Object.keys(table)) if (removed.has(key.split('.')[0])) delete table[key];
    }
  }
}

/** Deletes nodes (with their edges) and edges in one undoable step. */
export function deleteElements(nodeIds: Iterable<string>, edgeKeys: Iterable<string> = []): void {
  const nodes = new Set(nodeIds);
  const edges = new Set(edgeKeys);
  if (nodes.size === 0 && edges.size === 0) return;
  edit((d) => {
    d.nodes = d.nodes.filter((n) => !nodes.has(n.id));
    d.edges = d.edges.filter((e) => !nodes.has(e.from.node) && !nodes.has(e.to.node) && !edges.has(edgeKey(e)));
    dropWeightKeys(d, nodes);
  });
  setSelected([]);
}

export function addEdge(edge: GraphEdge): void {
  edit((d) => {
    if (d.edges.some((e) => edgeKey(e) === edgeKey(edge))) return;
    d.edges.push(edge);
  });
}

export function moveNodes(moves: { id: string; x: number; y: number }[]): void {
  if (moves.length === 0) return;
  edit((d) => {
    for (const m of moves) {
      const node = d.nodes.find((n) => n.id === m.id);
      if (!node) continue;
      if (node.ui && node.ui.x === m.x && node.ui.y === m.y) continue;
      node.ui = { ...(node.ui ?? {}), x: m.x, y: m.y };
    }
  });
}

export function setParam(nodeId: string, name: string, value: unknown): void {
  edit(
    (d) => {
      const node = d.nodes.find((n) => n.id === nodeId);
      if (!node) return;
      if (value === undefined) delete node.params[name];
      else node.params[name] = value as never;
    },
    { coalesce: `param:${nodeId}.${name}` },
  );
}

/** The in-memory clipboard of copy/paste/duplicate: nodes and the edges among them. */
let clipboard: { nodes: GraphNode[]; edges: GraphEdge[] } | null = null;

export function copySelection(ids: string[]): number {
  const doc = docStore.get().doc;
  const set = new Set(ids);
  const nodes = doc.nodes.filter((n) => set.has(n.id));
  if (nodes.length === 0) return 0;
  clipboard = {
    nodes: structuredClone(nodes),
    edges: structuredClone(doc.edges.filter((e) => set.has(e.from.node) && set.has(e.to.node))),
  };
  return nodes.length;
}

/** Pastes the clipboard offset by `offset`, with fresh ids; selects the new nodes. */
export function paste(offset = 2 * GRID): void {
  if (!clipboard) return;
  const doc = docStore.get().doc;
  const rename = new Map<string, string>();
  const taken = new Set<string>();
  for (const n of clipboard.nodes) {
    const id = freshId(doc, n.id.replace(/\d+$/, '') || n.type, taken);
    taken.add(id);
    rename.set(n.id, id);
  }
  const nodes = clipboard.nodes.map((n) => ({
    ...structuredClone(n),
    id: rename.get(n.id)!,
    ui: { ...(n.ui ?? { x: 0, y: 0 }), x: (n.ui?.x ?? 0) + offset, y: (n.ui?.y ?? 0) + offset },
  }));
  const edges = clipboard.edges.map((e) => ({
    from: { ...e.from, node: rename.get(e.from.node)! },
    to: { ...e.to, node: rename.get(e.to.node)! },
  }));
  edit((d) => {
    d.nodes.push(...(nodes as Draft<GraphNode>[]));
    d.edges.push(...edges);
  });
  // Shift the clipboard so that pasting again cascades.
  clipboard = { nodes: clipboard.nodes.map((n) => ({ ...n, ui: { ...(n.ui ?? { x: 0, y: 0 }), x: (n.ui?.x ?? 0) + offset, y: (n.ui?.y ?? 0) + offset } })), edges: clipboard.edges };
  setSelected(nodes.map((n) => n.id));
}

export function duplicate(ids: string[]): void {
  if (copySelection(ids)) paste();
}
