/**
 * Auto layout with elkjs (layered, left to right; loaded on first use to keep the main bundle
 * small), and the view a graph opens with. A wide graph stays one left-to-right band, compact in
 * height, that the view shows readably from its start — wrapping it into rows was tried and sends
 * the many edges out of a Batch (minibatch → 8 inputs) back across the rows as diagonals.
 */
import type { Rect, Viewport } from '@xyflow/react';
import type { ElkNode } from 'elkjs/lib/elk-api';
import type { GraphFile } from '../../engine/graph/schema.ts';
import { isResourceType } from '../../engine/ports.ts';
import { catalogueStore } from './catalogue.ts';
import { snap } from './graphOps.ts';

type Size = { width: number; height: number };

export async function layoutGraph(doc: GraphFile, sizes: Map<string, Size>): Promise<{ id: string; x: number; y: number }[]> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  const catalogue = catalogueStore.get().catalogue;
  const wired = new Set(doc.edges.flatMap((e) => [e.from.node, e.to.node]));
  const portId = (node: string, side: 'in' | 'out', port: string) => `${node}\u0000${side}\u0000${port}`;
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      // Columns 250 px apart (196 + ports 2 × 8 + 38): room for the field label before an input
      // ("value": 40 px, 12 px off the handle), no more.
      'elk.layered.spacing.nodeNodeBetweenLayers': '38',
      'elk.spacing.nodeNode': '30',
      // The canvas draws its own bezier edges: elk's edge lanes would only make the graph taller.
      'elk.spacing.edgeEdge': '4',
      'elk.spacing.edgeNode': '6',
      // Of elk's placements, the most compact vertically (BRANDES_KOEPF straightens long resource
      // edges, e.g. policy → adam, by spreading the blocks over twice the height).
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.layered.crossingMinimization.semiInteractive': 'false',
      'elk.edgeRouting': 'SPLINES',
      // One component, so that unwired blocks (a checkpoint) can be sent to the last layer.
      'elk.separateConnectedComponents': 'false',
    },
    children: doc.nodes.map((n) => {
      const entry = catalogue?.byType.get(n.type);
      const size = sizes.get(n.id) ?? { width: 190, height: 100 };
      return {
        id: n.id,
        width: size.width,
        height: size.height,
        layoutOptions: {
          'elk.portConstraints': 'FIXED_ORDER',
          // An unwired block (a checkpoint needs no input) goes with the sinks at the end of the flow, not before the env.
          ...(wired.has(n.id) ? {} : { 'elk.layered.layering.layerConstraint': 'LAST' }),
        },
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
  const blocks: Placed[] = (result.children ?? []).map((c) => ({ id: c.id, x: c.x ?? 0, y: snap(c.y ?? 0), width: c.width ?? 190, height: c.height ?? 100 }));
  const index = new Map(blocks.map((b, i) => [b.id, i]));
  const types = new Map(doc.nodes.map((n) => [n.id, catalogue?.byType.get(n.type)]));
  const links: Link[] = [];
  for (const e of doc.edges) {
    const out = types.get(e.from.node)?.outputs.findIndex((p) => p.name === e.from.port) ?? -1;
    const inp = types.get(e.to.node)?.inputs.findIndex((p) => p.name === e.to.port) ?? -1;
    const from = index.get(e.from.node);
    const to = index.get(e.to.node);
    if (from === undefined || to === undefined || out < 0 || inp < 0) continue;
    const type = types.get(e.from.node)!.outputs[out].type;
    // The field's label sits left of the input (DataEdge; styles.css .edge-field-label: 10 px monospace + padding).
    const label = e.from.field ? 6.1 * e.from.field.length + 8 : 0;
    links.push({ from, fromY: PORT_TOP + PORT_ROW * out, to, toY: PORT_TOP + PORT_ROW * inp, level: isResourceType(type) ? 0.05 : 0.5, label });
  }
  await untangle(blocks, links);
  const top = Math.min(...blocks.map((b) => b.y));
  // x to 10 px rather than the grid, to keep the columns 250 px apart.
  return blocks.map((b) => ({ id: b.id, x: Math.round((b.x + 40) / 10) * 10, y: snap(b.y - top + 40) }));
}

/** Where the port handles sit below a block's top: its head, then 19-px port rows (BlockNode.tsx, styles.css .port-row). */
const PORT_TOP = 43;
const PORT_ROW = 19;
/**
 * The height a layout should keep under: the canvas of a 1440×900 window at READABLE_ZOOM; graphs
 * of more than LARGE_GRAPH blocks (TD3, SAC: twin critics, targets, temperature) may take one
 * vertical pan more (test/templates.layout.test.ts).
 */
const BAND_HEIGHT = 700;
const BAND_HEIGHT_LARGE = 960;
const LARGE_GRAPH = 30;
/** Random restarts: a fixed number, so that the same graph always gets the same layout. */
const KICKS = 12;
const KICKS_LARGE = 30;
/** Least horizontal gap between a block and the next one along an edge (test/templates.layout.test.ts). */
const EDGE_GAP = 40;

interface Placed {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An edge between handles (offsets below the blocks' tops), what it costs per px to run it uphill or down, and the width of its field label. */
interface Link {
  from: number;
  fromY: number;
  to: number;
  toY: number;
  level: number;
  label: number;
}

/**
 * elk places blocks for its own edge routes, but the canvas draws each edge as one bezier from the
 * output handle to the input handle (DataEdge: xyflow's getBezierPath, curvature 0.25), which runs
 * across whatever blocks lie on the way. Greedy passes move one block at a time up or down, and
 * sideways within the room its edges leave, to where the fewest edges and field labels lie on
 * blocks, data edges stay level and the band stays low, and let two blocks of a column trade
 * places; while some still do, random kicks (seeded: the same graph gets the same layout) and
 * greedy passes again, keeping the best. (On-policy templates: elk's 7–22 down to 0–3; off-policy:
 * 5–19 down to 0–8.)
 */
async function untangle(blocks: Placed[], links: Link[]): Promise<void> {
  // Seconds of work on a 36-block graph: the page stays responsive between passes and restarts.
  let lastYield = performance.now();
  const breathe = async () => {
    if (performance.now() - lastYield < 40) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    lastYield = performance.now();
  };
  const pad = { x: 4, y: 6 };
  const bandLimit = blocks.length > LARGE_GRAPH ? BAND_HEIGHT_LARGE : BAND_HEIGHT;
  /** Points along a link's bezier (x, y pairs), as drawn for the blocks' current places. */
  const trace = (l: Link): number[] => {
    const a = blocks[l.from];
    const b = blocks[l.to];
    const [sx, sy, tx, ty] = [a.x + a.width + 5, a.y + l.fromY, b.x - 5, b.y + l.toY];
    const d = tx - sx;
    const c = d >= 0 ? d / 2 : 6.25 * Math.sqrt(-d);
    const n = Math.max(8, Math.ceil(Math.abs(d) / 20));
    const points: number[] = [];
    for (let k = 1; k < n; k++) {
      const t = k / n;
      const u = 1 - t;
      points.push(u * u * u * sx + 3 * u * u * t * (sx + c) + 3 * u * t * t * (tx - c) + t * t * t * tx, u * u * u * sy + 3 * u * u * t * sy + 3 * u * t * t * ty + t * t * t * ty);
    }
    return points;
  };
  const crosses = (points: number[], o: Placed): boolean => {
    for (let k = 0; k < points.length; k += 2) {
      const [x, y] = [points[k], points[k + 1]];
      if (x > o.x - pad.x && x < o.x + o.width + pad.x && y > o.y - pad.y && y < o.y + o.height + pad.y) return true;
    }
    return false;
  };
  const labelOn = (l: Link, o: Placed): boolean => {
    if (!l.label) return false;
    const b = blocks[l.to];
    const [right, bottom] = [b.x - 13, b.y + l.toY - 1];
    return right - l.label < o.x + o.width && o.x < right && bottom - 14 < o.y + o.height && o.y < bottom;
  };
  const band = (): number => {
    const height = Math.max(...blocks.map((b) => b.y + b.height)) - Math.min(...blocks.map((b) => b.y));
    return height + 50 * Math.max(0, height - bandLimit);
  };
  const clash = (a: Placed, b: Placed) => a !== b && a.x < b.x + b.width + 10 && b.x < a.x + a.width + 10 && a.y < b.y + b.height + 30 && b.y < a.y + a.height + 30;
  /** Cost of one link drawn along `points`: 1000 per block it crosses or its label lies on, plus its slope. */
  const linkCost = (l: Link, points: number[]): number => {
    let cost = l.level * Math.abs(blocks[l.from].y + l.fromY - blocks[l.to].y - l.toY);
    blocks.forEach((o, j) => {
      if (j !== l.from && j !== l.to && crosses(points, o)) cost += 1000;
      if (labelOn(l, o)) cost += 1000;
    });
    return cost;
  };
  const traces = links.map(trace);
  const touching = blocks.map((_, i) => new Set(links.flatMap((l, k) => (l.from === i || l.to === i ? [k] : []))));
  /** The part of the cost that depends on where block i is (the rest stays put while it moves). */
  const local = (i: number): number => {
    const me = blocks[i];
    let total = band() + 1e6 * blocks.filter((o) => clash(me, o)).length;
    links.forEach((l, k) => {
      if (touching[i].has(k)) total += linkCost(l, trace(l));
      else total += 1000 * (Number(crosses(traces[k], me)) + Number(labelOn(l, me)));
    });
    return total;
  };
  const total = (): number => {
    let cost = band();
    blocks.forEach((a, i) => (cost += 1e6 * blocks.slice(i + 1).filter((b) => clash(a, b)).length));
    links.forEach((l, k) => (cost += linkCost(l, traces[k])));
    return cost;
  };
  /** How far block i may slide left or right and keep every edge left to right (EDGE_GAP clear, field label included). */
  const slack = (i: number): [number, number] => {
    let [lo, hi] = [-Infinity, Infinity];
    for (const k of touching[i]) {
      const l = links[k];
      if (l.to === i && l.from !== i) lo = Math.max(lo, blocks[l.from].x + blocks[l.from].width + EDGE_GAP + l.label);
      if (l.from === i && l.to !== i) hi = Math.min(hi, blocks[l.to].x - EDGE_GAP - l.label - blocks[i].width);
    }
    return [lo, hi];
  };
  /** Moves block i to the best of `candidates` (x or y values), returns whether it moved. */
  const tryMoves = (i: number, axis: 'x' | 'y', candidates: number[]): boolean => {
    const b = blocks[i];
    const start = b[axis];
    let [best, bestAt] = [local(i), start];
    for (const at of candidates) {
      if (at === start) continue;
      b[axis] = at;
      const c = local(i);
      if (c < best) [best, bestAt] = [c, at];
    }
    b[axis] = bestAt;
    if (bestAt === start) return false;
    for (const k of touching[i]) traces[k] = trace(links[k]);
    return true;
  };
  const greedy = async () => {
    for (let pass = 0; pass < 6; pass++) {
      await breathe();
      let moved = false;
      blocks.forEach((b, i) => {
        const ys: number[] = [];
        for (let dy = -300; dy <= 300; dy += 20) ys.push(b.y + dy);
        if (tryMoves(i, 'y', ys)) moved = true;
        // Sideways within the block's slack: a long edge may pass where the block stood.
        const [lo, hi] = slack(i);
        const xs: number[] = [];
        for (let dx = -250; dx <= 250; dx += 25) if (b.x + dx >= lo && b.x + dx <= hi && b.x + dx >= 0) xs.push(b.x + dx);
        if (xs.length && tryMoves(i, 'x', xs)) moved = true;
      });
      // Two blocks of one column trading places: a way out that single moves cannot reach (each
      // would have to pass through the other).
      for (let i = 0; i < blocks.length; i++) {
        for (let j = i + 1; j < blocks.length; j++) {
          const [a, b] = [blocks[i], blocks[j]];
          if (a.x >= b.x + b.width || b.x >= a.x + a.width) continue;
          const before = local(i) + local(j);
          const retraceBoth = () => {
            for (const k of touching[i]) traces[k] = trace(links[k]);
            for (const k of touching[j]) traces[k] = trace(links[k]);
          };
          [a.y, b.y] = [b.y, a.y];
          retraceBoth();
          if (local(i) + local(j) < before) moved = true;
          else {
            [a.y, b.y] = [b.y, a.y];
            retraceBoth();
          }
        }
      }
      if (!moved) break;
    }
  };
  const retrace = () => links.forEach((l, k) => (traces[k] = trace(l)));
  await greedy();
  let best = blocks.map((b) => [b.x, b.y] as const);
  let bestCost = total();
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const kicks = blocks.length > LARGE_GRAPH ? KICKS_LARGE : KICKS;
  for (let kick = 0; kick < kicks && bestCost >= 1000; kick++) {
    const top = Math.min(...best.map(([, y]) => y));
    for (let m = 0; m < 2; m++) blocks[Math.floor(random() * blocks.length)].y = top + 20 * Math.floor((random() * bandLimit) / 20);
    retrace();
    await greedy();
    const cost = total();
    if (cost < bestCost) [best, bestCost] = [blocks.map((b) => [b.x, b.y] as const), cost];
    else blocks.forEach((b, i) => ([b.x, b.y] = best[i]));
  }
  blocks.forEach((b, i) => ([b.x, b.y] = best[i]));
}

/**
 * Block text is 11.5–12 px (styles.css .block): below this zoom it is drawn smaller than ~8.6 px
 * on screen and stops being readable without leaning in.
 */
export const READABLE_ZOOM = 0.75;

/**
 * The view a graph opens with (and gets after auto layout): all of it when it fits the pane at a
 * readable zoom (never above 1:1); otherwise READABLE_ZOOM, starting at the graph's left edge —
 * the data sources, the env — and its top, so the user pans along the flow instead of squinting.
 * Where the graph is taller than the pane, the view centres `focus` vertically (the blocks of
 * the first screenful, with the env). The left margin keeps the zoom controls (bottom left) off the
 * first column of blocks.
 */
export function readableViewport(bounds: Rect, pane: { width: number; height: number }, margin = { left: 56, right: 24, top: 24, bottom: 24 }, focus?: Rect): Viewport {
  const room = { width: pane.width - margin.left - margin.right, height: pane.height - margin.top - margin.bottom };
  const fit = Math.min(1, room.width / Math.max(1, bounds.width), room.height / Math.max(1, bounds.height));
  const zoom = Math.max(READABLE_ZOOM, fit);
  // Centred on an axis where the graph fits, else aligned to its start (left / top).
  const place = (start: number, size: number, before: number, space: number) => before + Math.max(0, (space - size * zoom) / 2) - start * zoom;
  let y = place(bounds.y, bounds.height, margin.top, room.height);
  if (focus && bounds.height * zoom > room.height) {
    // The part of the graph the view opens on (its first columns, the env) centred vertically,
    // without showing empty space above or below the graph.
    const centred = margin.top + room.height / 2 - (focus.y + focus.height / 2) * zoom;
    const highest = margin.top - bounds.y * zoom;
    const lowest = margin.top + room.height - (bounds.y + bounds.height) * zoom;
    y = Math.min(highest, Math.max(lowest, centred));
  }
  return { x: place(bounds.x, bounds.width, margin.left, room.width), y, zoom };
}
