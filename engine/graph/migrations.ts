/**
 * Graph format migrations: `MIGRATIONS[v]` turns a version-v document into version v+1. Loading
 * applies them in order up to GRAPH_VERSION, so files saved by older versions keep opening.
 */
import { GraphError } from '../errors.ts';
import { GRAPH_VERSION } from './schema.ts';

export type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;

/**
 * Version 0 was the pre-release draft: `links` instead of `edges` with "node.port" strings, and
 * params under `config`. Kept so that the migration path is exercised by a real test.
 */
export const MIGRATIONS: Record<number, Migration> = {
  0: (doc) => {
    const { links, nodes, ...rest } = doc as {
      links?: { from: string; to: string; field?: string }[];
      nodes?: { config?: Record<string, unknown>; params?: Record<string, unknown> }[];
    } & Record<string, unknown>;
    const split = (ref: string) => {
      const dot = ref.indexOf('.');
      return { node: ref.slice(0, dot), port: ref.slice(dot + 1) };
    };
    return {
      ...rest,
      version: 1,
      nodes: (nodes ?? []).map(({ config, ...node }) => ({ ...node, params: node.params ?? config ?? {} })),
      edges: (links ?? []).map((link) => ({
        from: link.field ? { ...split(link.from), field: link.field } : split(link.from),
        to: split(link.to),
      })),
    };
  },
};

export function migrate(doc: Record<string, unknown>): Record<string, unknown> {
  let version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    throw new GraphError('schema', `graph file has no integer "version" (expected ${GRAPH_VERSION})`);
  }
  if (version > GRAPH_VERSION) {
    throw new GraphError(
      'unsupported-version',
      `graph file version ${version} is newer than this RL Composer understands (${GRAPH_VERSION}); update RL Composer`,
    );
  }
  let current = doc;
  while (version < GRAPH_VERSION) {
    const step = MIGRATIONS[version];
    if (!step) throw new GraphError('unsupported-version', `no migration from graph file version ${version}`);
    current = step(current);
    version += 1;
  }
  return current;
}
