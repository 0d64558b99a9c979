/**
 * Small, pure edits of a graph file (no TensorFlow.js, no registry): find, remove, add and wire
 * nodes. The PPO ablation (bench/ablation/variants.ts) derives its eleven variants from the PPO-clip
 * templates with these. Every function returns a new graph; the input is never mutated.
 */
import type { GraphEdge, GraphFile, GraphNode } from '../../engine/graph/schema.ts';

export class GraphEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphEditError';
  }
}

/** The one node of `type`; an error naming the graph when there is none or several. */
export function nodeOfType(graph: GraphFile, type: string): GraphNode {
  const found = graph.nodes.filter((n) => n.type === type);
  if (found.length !== 1) {
    throw new GraphEditError(
      `graph '${graph.meta.template ?? graph.meta.name}' has ${found.length} nodes of type '${type}' (expected exactly one)`,
    );
  }
  return found[0];
}

export function hasNodeOfType(graph: GraphFile, type: string): boolean {
  return graph.nodes.some((n) => n.type === type);
}

export function nodeById(graph: GraphFile, id: string): GraphNode {
  const node = graph.nodes.find((n) => n.id === id);
  if (!node) throw new GraphEditError(`graph '${graph.meta.template ?? graph.meta.name}' has no node '${id}'`);
  return node;
}

/** The edges into `node.port`. */
export function edgesInto(graph: GraphFile, node: string, port: string): GraphEdge[] {
  return graph.edges.filter((e) => e.to.node === node && e.to.port === port);
}

/** The one edge into `node.port` (its source is what a replacement block gets wired to). */
export function edgeInto(graph: GraphFile, node: string, port: string): GraphEdge {
  const found = edgesInto(graph, node, port);
  if (found.length !== 1) throw new GraphEditError(`expected one edge into ${node}.${port}, found ${found.length}`);
  return found[0];
}

/**
 * Removes a node, every edge touching it, and the weight-table keys that named it
 * (`loss.weightedSum` weights are keyed by "node" or "node.port"; a key naming no connected term is
 * a compile error).
 */
export function removeNode(graph: GraphFile, id: string): GraphFile {
  nodeById(graph, id);
  const copy = structuredClone(graph);
  copy.nodes = copy.nodes.filter((n) => n.id !== id);
  copy.edges = copy.edges.filter((e) => e.from.node !== id && e.to.node !== id);
  for (const node of copy.nodes) {
    if (node.type !== 'loss.weightedSum') continue;
    const weights = node.params.weights;
    if (!weights || typeof weights !== 'object') continue;
    node.params.weights = Object.fromEntries(
      Object.entries(weights as Record<string, number>).filter(([key]) => key !== id && !key.startsWith(`${id}.`)),
    );
  }
  return copy;
}

/** Adds a node (its id must be new). `ui` defaults to a spot to the right of `near`, if given. */
export function addNode(graph: GraphFile, node: GraphNode, near?: string): GraphFile {
  if (graph.nodes.some((n) => n.id === node.id)) throw new GraphEditError(`node id '${node.id}' is already taken`);
  const copy = structuredClone(graph);
  const anchor = near ? copy.nodes.find((n) => n.id === near)?.ui : undefined;
  copy.nodes.push({ ...structuredClone(node), ...(node.ui || !anchor ? {} : { ui: { x: anchor.x, y: anchor.y + 140 } }) });
  return copy;
}

export interface Endpoint {
  node: string;
  port: string;
  field?: string;
}

export function connect(graph: GraphFile, from: Endpoint, to: { node: string; port: string }): GraphFile {
  nodeById(graph, from.node);
  nodeById(graph, to.node);
  const copy = structuredClone(graph);
  copy.edges.push({ from: { node: from.node, port: from.port, ...(from.field ? { field: from.field } : {}) }, to: { node: to.node, port: to.port } });
  return copy;
}

export function setParam(graph: GraphFile, id: string, param: string, value: unknown): GraphFile {
  nodeById(graph, id);
  const copy = structuredClone(graph);
  nodeById(copy, id).params[param] = structuredClone(value);
  return copy;
}

/** Sets one key of a weight table (`loss.weightedSum.weights`). */
export function setWeight(graph: GraphFile, id: string, key: string, weight: number): GraphFile {
  const node = nodeById(graph, id);
  const table = { ...((node.params.weights as Record<string, number> | undefined) ?? {}) };
  table[key] = weight;
  return setParam(graph, id, 'weights', table);
}

/** A node id not used in the graph: `base`, else `base_2`, `base_3`, … */
export function freshId(graph: GraphFile, base: string): string {
  const used = new Set(graph.nodes.map((n) => n.id));
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}_${i}`)) return `${base}_${i}`;
}
