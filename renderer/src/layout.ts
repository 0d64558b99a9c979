/** Auto layout with elkjs (layered, left to right); loaded on first use to keep the main bundle small. */
import type { ElkNode } from 'elkjs/lib/elk-api';
import type { GraphFile } from '../../engine/graph/schema.ts';
import { catalogueStore } from './catalogue.ts';
import { snap } from './graphOps.ts';

type Size = { width: number; height: number };

export async function layoutGraph(doc: GraphFile, sizes: Map<string, Size>): Promise<{ id: string; x: number; y: number }[]> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  const catalogue = catalogueStore.get().catalogue;
  const portId = (node: string, side: 'in' | 'out', port: string) => `${node}\u0000${side}\u0000${port}`;
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '70',
      'elk.spacing.nodeNode': '40',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.crossingMinimization.semiInteractive': 'false',
      'elk.edgeRouting': 'SPLINES',
    },
    children: doc.nodes.map((n) => {
      const entry = catalogue?.byType.get(n.type);
      const size = sizes.get(n.id) ?? { width: 190, height: 100 };
      return {
        id: n.id,
        width: size.width,
        height: size.height,
        layoutOptions: { 'elk.portConstraints': 'FIXED_ORDER' },
        ports: [
          ...(entry?.inputs ?? []).map((p, i) => ({ id: portId(n.id, 'in', p.name), width: 8, height: 8, layoutOptions: { 'elk.port.side': 'WEST', 'elk.port.index': String((entry?.inputs.length ?? 0) - i) } })),
          ...(entry?.outputs ?? []).map((p, i) => ({ id: portId(n.id, 'out', p.name), width: 8, height: 8, layoutOptions: { 'elk.port.side': 'EAST', 'elk.port.index': String(i) } })),
        ],
      };
    }),
    edges: doc.edges.map((e, i) => {
      const hasPorts = (id: string, side: 'in' | 'out', port: string) => {
        const node = doc.nodes.find((n) => n.id === id);
        const entry = node && catalogue?.byType.get(node.type);
        return !!(side === 'in' ? entry?.inputs : entry?.outputs)?.some((p) => p.name === port);
      };
      return {
        id: `e${i}`,
        sources: [hasPorts(e.from.node, 'out', e.from.port) ? portId(e.from.node, 'out', e.from.port) : e.from.node],
        targets: [hasPorts(e.to.node, 'in', e.to.port) ? portId(e.to.node, 'in', e.to.port) : e.to.node],
      };
    }),
  };
  const result = await elk.layout(graph);
  return (result.children ?? []).map((c) => ({ id: c.id, x: snap((c.x ?? 0) + 40), y: snap((c.y ?? 0) + 40) }));
}
