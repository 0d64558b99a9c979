/** The block catalogue (GET /api/catalogue, or the engine's `catalogue` message) and what the editor derives from it. */
import type { ParamSpec } from '../../engine/params.ts';
import { connectionProblem, isResourceType, PORT_COLORS, type PortType } from '../../engine/ports.ts';
import type { GraphEdge, GraphFile } from '../../engine/graph/schema.ts';
import { api } from './api.ts';
import { onConnected } from './connection.ts';
import { desktop } from './host.ts';
import { createStore } from './store.ts';

export interface PortEntry {
  name: string;
  type: PortType;
  doc: string;
  optional?: boolean;
  multi?: boolean;
  color: string;
}

export type ParamEntry = ParamSpec & { range: string };

/** Mirrors engine/registry.ts CatalogueEntry (which imports every block, so it is not imported here). */
export interface CatalogueEntry {
  type: string;
  category: string;
  title: string;
  role: string;
  doc: { summary: string; formula?: string; reference?: string };
  params: Record<string, ParamEntry>;
  inputs: PortEntry[];
  outputs: PortEntry[];
}

export interface Catalogue {
  list: CatalogueEntry[];
  byType: Map<string, CatalogueEntry>;
}

export const catalogueStore = createStore<{ catalogue: Catalogue | null; error: string | null }>({ catalogue: null, error: null });

export async function loadCatalogue(): Promise<void> {
  if (desktop) {
    // No HTTP in the desktop app: the engine process answers once its port arrives.
    onConnected((client) => {
      client.call({ type: 'catalogue' }, 'catalogue').then(
        (reply) => setCatalogue(reply.blocks as CatalogueEntry[]),
        (error: unknown) => catalogueStore.set({ catalogue: null, error: error instanceof Error ? error.message : String(error) }),
      );
    });
    return;
  }
  try {
    setCatalogue(await api<CatalogueEntry[]>('/api/catalogue'));
  } catch (error) {
    catalogueStore.set({ catalogue: null, error: error instanceof Error ? error.message : String(error) });
  }
}

function setCatalogue(list: CatalogueEntry[]): void {
  catalogueStore.set({ catalogue: { list, byType: new Map(list.map((b) => [b.type, b])) }, error: null });
}

/** Palette order: the order data flows through an algorithm (the lecture's sections). */
export const CATEGORY_ORDER = ['Environments', 'Networks', 'Collectors', 'Advantages', 'Values', 'Control', 'Policy', 'Losses', 'Optimizers', 'Sinks'];

const CATEGORY_COLORS: Record<string, string> = {
  Environments: '#43a047',
  Networks: '#8e24aa',
  Collectors: '#1e88e5',
  Advantages: '#00acc1',
  Values: '#3949ab',
  Control: '#757575',
  Policy: '#d81b60',
  Losses: '#f4511e',
  Optimizers: '#fdd835',
  Sinks: '#6d4c41',
};

export function categoryColor(category: string): string {
  if (CATEGORY_COLORS[category]) return CATEGORY_COLORS[category];
  let h = 0;
  for (const c of category) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h} 55% 50%)`;
}

export function categoryRank(category: string): number {
  const i = CATEGORY_ORDER.indexOf(category);
  return i < 0 ? CATEGORY_ORDER.length : i;
}

export { PORT_COLORS, isResourceType };

/** Handle shape per port type, so that colour is never the only carrier of the type. */
export function portShape(type: PortType): 'square' | 'circle' | 'diamond' {
  if (type === 'Trigger') return 'diamond';
  return isResourceType(type) ? 'square' : 'circle';
}

export function findPort(entry: CatalogueEntry | undefined, side: 'in' | 'out', name: string | null | undefined): PortEntry | undefined {
  if (!entry || !name) return undefined;
  return (side === 'in' ? entry.inputs : entry.outputs).find((p) => p.name === name);
}

/**
 * Fields a Batch output carries, as far as the editor can tell without the compiler (suggestions
 * for the field picker; validation has the last word).
 */
export function batchFieldsOf(doc: GraphFile, nodeId: string, depth = 0): string[] {
  const node = doc.nodes.find((n) => n.id === nodeId);
  if (!node || depth > 32) return [];
  const upstream = () => {
    const edge = doc.edges.find((e) => e.to.node === nodeId && e.to.port === 'batch' && !e.from.field);
    return edge ? batchFieldsOf(doc, edge.from.node, depth + 1) : [];
  };
  const base = ['obs', 'act', 'rew', 'logp', 'terminated', 'cont'];
  let fields: string[];
  switch (node.type) {
    case 'collect.rollout':
      fields = doc.edges.some((e) => e.to.node === nodeId && e.to.port === 'value') ? [...base, 'value', 'nextValue'] : base;
      break;
    case 'adv.gae':
      fields = [...upstream(), 'adv', 'ret'];
      break;
    case 'adv.returnsToGo':
      fields = [...upstream(), 'ret'];
      break;
    default:
      fields = upstream();
  }
  // Fields other edges already take from this output are known to exist (or will be reported).
  for (const e of doc.edges) if (e.from.node === nodeId && e.from.field) fields.push(e.from.field);
  return [...new Set(fields)];
}

export interface ConnectionAttempt {
  source: string;
  sourceHandle: string | null;
  target: string;
  targetHandle: string | null;
}

/**
 * Why a connection may not be made (null = it may). A Batch output into a Tensor input is allowed:
 * the editor asks which field to take.
 */
export function connectionRefusal(doc: GraphFile, catalogue: Catalogue, c: ConnectionAttempt): string | null {
  if (c.source === c.target) return 'a block cannot feed itself';
  const sourceNode = doc.nodes.find((n) => n.id === c.source);
  const targetNode = doc.nodes.find((n) => n.id === c.target);
  const out = findPort(sourceNode && catalogue.byType.get(sourceNode.type), 'out', c.sourceHandle);
  const inp = findPort(targetNode && catalogue.byType.get(targetNode.type), 'in', c.targetHandle);
  if (!out || !inp) return 'unknown port';
  const needsField = out.type === 'Batch' && inp.type === 'Tensor';
  const typeProblem = connectionProblem(out.type, inp.type, needsField ? 'field' : undefined);
  if (typeProblem) return `${out.type} → ${inp.type}: ${typeProblem}`;
  const existing = doc.edges.filter((e) => e.to.node === c.target && e.to.port === c.targetHandle);
  if (!inp.multi && existing.length > 0) {
    const e = existing[0];
    return `input '${inp.name}' takes one edge and already has ${e.from.node}.${e.from.port}${e.from.field ? `[${e.from.field}]` : ''}`;
  }
  if (!needsField && existing.some((e) => e.from.node === c.source && e.from.port === c.sourceHandle)) return 'these ports are already connected';
  if (reaches(doc, c.target, c.source)) return `this would make a cycle (${c.target} already feeds ${c.source})`;
  return null;
}

/** Whether `to` is reachable from `from` along edges. */
function reaches(doc: GraphFile, from: string, to: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of doc.edges) next.set(e.from.node, [...(next.get(e.from.node) ?? []), e.to.node]);
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return false;
}

export function edgeKey(e: GraphEdge): string {
  return `${e.from.node}.${e.from.port}${e.from.field ? `[${e.from.field}]` : ''}->${e.to.node}.${e.to.port}`;
}

/** A readable id not used yet: 'policy.clip' → clip, clip2, clip3… */
export function freshId(doc: GraphFile, type: string, taken: Set<string> = new Set()): string {
  const used = new Set([...doc.nodes.map((n) => n.id), ...taken]);
  let base = (type.split('.').pop() ?? 'node').replace(/[^A-Za-z0-9_-]/g, '_');
  if (!/^[A-Za-z_]/.test(base)) base = `n_${base}`;
  base = base.slice(0, 56);
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}${i}`)) return `${base}${i}`;
}

/** The value a node's param has: its own or the block's default. */
export function paramValue(params: Record<string, unknown>, name: string, spec: ParamEntry): unknown {
  return name in params ? params[name] : spec.default;
}

export function formatValue(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    const abs = Math.abs(value);
    return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(1) : String(Number(value.toPrecision(4)));
  }
  if (Array.isArray(value)) return value.join('×');
  if (value && typeof value === 'object') return `{${Object.keys(value).length}}`;
  return String(value);
}
