/** Load → migrate → validate → save for graph files. */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { stableStringify, writeFileAtomic } from '../atomic.ts';
import { GraphError } from '../errors.ts';
import { migrate } from './migrations.ts';
import { type GraphFile, graphSchema } from './schema.ts';

/** Parses graph text (any supported version) into a validated v1 graph. */
export function parseGraph(text: string, source = 'graph'): GraphFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new GraphError('malformed-json', `${source} is not valid JSON: ${detail}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GraphError('schema', `${source} must hold a JSON object`);
  }
  const migrated = migrate(raw as Record<string, unknown>);
  const result = graphSchema.safeParse(migrated);
  if (!result.success) throw schemaError(result.error, migrated, source);
  return result.data;
}

export function loadGraph(path: string): GraphFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new GraphError('io', `cannot read ${path}: ${detail}`);
  }
  return parseGraph(text, path);
}

/** Canonical text of a graph: sorted keys, nodes sorted by id, edges by target then source. */
export function serializeGraph(graph: GraphFile): string {
  const validated = graphSchema.parse(graph);
  const nodes = [...validated.nodes].sort((a, b) => cmp(a.id, b.id));
  const edgeKey = (e: GraphFile['edges'][number]) =>
    `${e.to.node}\u0000${e.to.port}\u0000${e.from.node}\u0000${e.from.port}\u0000${e.from.field ?? ''}`;
  const edges = [...validated.edges].sort((a, b) => cmp(edgeKey(a), edgeKey(b)));
  return stableStringify({ ...validated, nodes, edges });
}

export function saveGraph(path: string, graph: GraphFile): void {
  writeFileAtomic(path, serializeGraph(graph));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Turns the first zod issue into a message that names the node or edge it is about. */
function schemaError(error: z.ZodError, doc: Record<string, unknown>, source: string): GraphError {
  const issue = error.issues[0];
  const path = issue.path;
  let where = path.join('.');
  let nodeId: string | undefined;
  if (path[0] === 'nodes' && typeof path[1] === 'number') {
    const node = (doc.nodes as unknown[])[path[1]] as { id?: unknown } | undefined;
    nodeId = typeof node?.id === 'string' ? node.id : undefined;
    where = `node ${nodeId ? `'${nodeId}'` : `#${path[1]}`}${path.length > 2 ? ` (${path.slice(2).join('.')})` : ''}`;
  } else if (path[0] === 'edges' && typeof path[1] === 'number') {
    const edge = (doc.edges as unknown[])[path[1]];
    where = `edge #${path[1]} ${JSON.stringify(edge)}${path.length > 2 ? ` (${path.slice(2).join('.')})` : ''}`;
  }
  return new GraphError('schema', `${source}: ${where || 'top level'}: ${issue.message}`, { nodeId });
}
