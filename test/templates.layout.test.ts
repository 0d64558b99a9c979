/**
 * Issue 3: every shipped template lays out readably in the editor — no two node boxes overlap and
 * data (Batch/Tensor/Scalar/Trigger edges) flows left to right. Node boxes are estimated from the
 * catalogue the way renderer/src/components/BlockNode.tsx + styles.css draw them:
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
/** Resource types: edges carrying them may run in any direction (they wire objects, not data). */
const RESOURCE_TYPES = new Set(['Env', 'Module', 'Policy']);

interface Node { id: string; type: string; params: Record<string, unknown>; ui: { x: number; y: number } }
interface Edge { from: { node: string; port: string }; to: { node: string; port: string } }
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

      it('places every node with a known block type', () => {
        for (const node of graph.nodes) {
          expect(catalogue.has(node.type), `${node.id}: ${node.type}`).toBe(true);
          expect(Number.isFinite(node.ui?.x) && Number.isFinite(node.ui?.y), `${node.id} has ui {x, y}`).toBe(true);
        }
      });

      it(`has no overlapping node boxes (${MARGIN} px margin)`, () => {
        const boxes = graph.nodes.map((n) => nodeBox(n, catalogue.get(n.type)!));
        const clashes: string[] = [];
        for (let i = 0; i < boxes.length; i++)
          for (let j = i + 1; j < boxes.length; j++)
            if (overlaps(boxes[i], boxes[j], MARGIN)) clashes.push(`${boxes[i].id} × ${boxes[j].id}`);
        expect(clashes).toEqual([]);
      });

      it('flows data left to right (value edges: target.x > source.x)', () => {
        const backwards: string[] = [];
        for (const edge of graph.edges) {
          const from = byId.get(edge.from.node)!;
          const to = byId.get(edge.to.node)!;
          const port = catalogue.get(from.type)!.outputs.find((p) => p.name === edge.from.port);
          expect(port, `${edge.from.node}.${edge.from.port}`).toBeDefined();
          if (RESOURCE_TYPES.has(port!.type)) continue;
          if (!(to.ui.x > from.ui.x)) backwards.push(`${edge.from.node}.${edge.from.port} (${port!.type}) → ${edge.to.node}.${edge.to.port}`);
        }
        expect(backwards).toEqual([]);
      });
    });
  }
});
