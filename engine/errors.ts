/**
 * User-facing errors. Every problem with a graph or a run is reported as a `GraphError` that names
 * the node (and port or edge) it comes from, so the CLI can print it without a stack trace and the
 * editor can pin it to the block.
 */
export type ErrorCode =
  | 'malformed-json'
  | 'schema'
  | 'unsupported-version'
  | 'duplicate-id'
  | 'unknown-block'
  | 'unknown-param'
  | 'invalid-param'
  | 'dangling-edge'
  | 'unknown-port'
  | 'port-type'
  | 'missing-input'
  | 'too-many-edges'
  | 'cycle'
  | 'clock-conflict'
  | 'unresolved'
  | 'non-finite'
  | 'runtime'
  | 'io'
  | 'argument';

export interface EdgeRef {
  from: { node: string; port: string; field?: string };
  to: { node: string; port: string };
}

export class GraphError extends Error {
  readonly code: ErrorCode;
  readonly nodeId: string | undefined;
  readonly port: string | undefined;
  readonly edge: EdgeRef | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    where: { nodeId?: string; port?: string; edge?: EdgeRef } = {},
  ) {
    super(message);
    this.name = 'GraphError';
    this.code = code;
    this.nodeId = where.nodeId;
    this.port = where.port;
    this.edge = where.edge;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, node: this.nodeId, port: this.port, edge: this.edge };
  }
}

/** Several problems found in one pass (the compiler reports all it finds, not just the first). */
export class GraphErrors extends Error {
  readonly errors: GraphError[];
  constructor(errors: GraphError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'GraphErrors';
    this.errors = errors;
  }
}

export function describeEdge(edge: EdgeRef): string {
  const field = edge.from.field ? `[${edge.from.field}]` : '';
  return `${edge.from.node}.${edge.from.port}${field} → ${edge.to.node}.${edge.to.port}`;
}
