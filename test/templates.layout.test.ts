/**
 * Issue 3: every shipped template lays out readably in the editor. The rule: a template is one
 * band that reads left to right —
 *   - no two node boxes overlap;
 *   - every edge, resource edges (Env/Module/Policy) included, leaves its source's right side
 *     into a block that starts further right, with room for the edge (and its field label) in
 *     between: the canvas draws beziers out of the right side into the left, so an edge that
 *     doubled back would loop across the blocks;
 *   - the band is low enough to fit the editor's canvas at the zoom a graph opens with
 *     (renderer/src/layout.ts READABLE_ZOOM, 0.75, in the 1440×900 window of the e2e tests, whose
 *     canvas is ~870×600 px), so a reader pans only along the flow.
 * Wrapping the flow into rows was tried and rejected: PPO's minibatch feeds eight inputs, whose
 * edges then all run back across the rows. test/e2e/templates.test.ts checks the same templates
 * as drawn in chromium (overlaps, legible titles, edges over blocks, field labels).
 *
 * Node boxes are estimated from the catalogue the way renderer/src/components/BlockNode.tsx +
 * styles.css draw them, erring large:
 *   width 196 px (.block);
 *   height ≈ borders 2 + head 30 + ports (6 + 19 per row, rows = max(inputs, outputs))
 *            + param summary (11 + 17 per line, up to 3 lines, assuming one param per line).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { blockRegistry, type CatalogueEntry } from '../engine/registry.ts';

const TEMPLATES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'templates');
const NODE_WIDTH = 196;
const MARGIN = 10;
/** Least horizontal room between an edge's source block and its target: the widest field label ("value") and its offset. */
const EDGE_GAP = 40;
/** The canvas is ~600 px high in a 1440×900 window; less margins, at zoom 0.75: 735 px of graph. */
const MAX_HEIGHT = 735;
/**
 * The off-policy graphs with twin critics, target networks and a temperature (TD3, SAC: 34–36
 * blocks) do not fit one such band: elk stacks their networks in the first layers. They may take
 * 1,000 px (one vertical pan at the opening zoom; "Fit view" shows them whole).
 */
const MAX_HEIGHT_LARGE = 1000;
const LARGE_GRAPH = 30;

interface Node { id: string; type: string; params: Record<string, unknown>; ui: { x: number; y: number } }
interface Edge { from: { node: string; port: string; field?: string }; to: { node: string; port: string } }
interface Box { id: string; x: number; y: number; w: number; h: number }

const catalogue = new Map<string, CatalogueEntry>(blockRegistry().catalogue().map((e) => [e.type, e]));

export function nodeBox(node: Node, entry: CatalogueEntry): Box {
  const rows = Math.max(entry.inputs.length, entry.outputs.length);
  const paramLines = Math.min(3, Object.values(entry.params).filter((p) => p.kind !== 'weights').length);
  const h = 32 + (rows > 0 ? 6 + 19 * rows : 0) + (paramLines > 0 ? 11 + 17 * paramLines : 0);
  return { id: node.id, x: node.ui.x, y: node.ui.y, w: NODE_WIDTH, h };
}

function overlaps(a: Box, b: Box, margin: number): boolean {
  return a.x < b.x + b.w + margin && b.x < a.x + a.w + margin && a.y < b.y + b.h + margin && b.y < a.y + a.h + margin;
}

const files = fs.readdirSync(TEMPLATES).filter((f) => f.endsWith('.rlgraph.json')).sort();

describe('template layout', () => {
  it('finds the templates', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  for (const file of files) {
    describe(file, () => {
      const graph = JSON.parse(fs.readFileSync(path.join(TEMPLATES, file), 'utf8')) as { nodes: Node[]; edges: Edge[] };
      const byId = new Map(graph.nodes.map((n) => [n.id, n]));
      const boxes = () => graph.nodes.map((n) => nodeBox(n, catalogue.get(n.type)!));

      it('places every node with a known block type', () => {
        for (const node of graph.nodes) {
          expect(catalogue.has(node.type), `${node.id}: ${node.type}`).toBe(true);
          expect(Number.isFinite(node.ui?.x) && Number.isFinite(node.ui?.y), `${node.id} has ui {x, y}`).toBe(true);
        }
      });

      it(`has no overlapping node boxes (${MARGIN} px margin)`, () => {
        const all = boxes();
        const clashes: string[] = [];
        for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) if (overlaps(all[i], all[j], MARGIN)) clashes.push(`${all[i].id} × ${all[j].id}`);
        expect(clashes).toEqual([]);
      });

      it(`flows left to right: every edge's target starts ≥ ${EDGE_GAP} px right of its source's right side`, () => {
        const backwards: string[] = [];
        for (const edge of graph.edges) {
          const from = byId.get(edge.from.node)!;
          const to = byId.get(edge.to.node)!;
          expect(catalogue.get(from.type)!.outputs.some((p) => p.name === edge.from.port), `${edge.from.node}.${edge.from.port}`).toBe(true);
          if (to.ui.x < from.ui.x + NODE_WIDTH + EDGE_GAP) backwards.push(`${edge.from.node}.${edge.from.port} (x ${from.ui.x}) → ${edge.to.node}.${edge.to.port} (x ${to.ui.x})`);
        }
        expect(backwards).toEqual([]);
      });

      it(`is one band at most ${MAX_HEIGHT} px high (${MAX_HEIGHT_LARGE} px above ${LARGE_GRAPH} blocks)`, () => {
        const all = boxes();
        const height = Math.max(...all.map((b) => b.y + b.h)) - Math.min(...all.map((b) => b.y));
        expect(height).toBeLessThanOrEqual(all.length > LARGE_GRAPH ? MAX_HEIGHT_LARGE : MAX_HEIGHT);
      });
    });
  }
});
