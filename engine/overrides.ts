/** `--set node.param=value` (and `node.param.key=value` for weight tables) applied to a graph. */
import { GraphError } from './errors.ts';
import type { GraphFile } from './graph/schema.ts';
import { parseParamText, type ParamSpec } from './params.ts';
import type { BlockRegistry } from './registry.ts';

export interface ParamOverride {
  node: string;
  param: string;
  key?: string;
  value: unknown;
}

export function parseOverride(text: string, graph: GraphFile, registry: BlockRegistry): ParamOverride {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new GraphError('argument', `--set expects node.param=value, got '${text}'`);
  const [node, param, key, ...rest] = text.slice(0, eq).split('.');
  if (!node || !param || rest.length) throw new GraphError('argument', `--set expects node.param=value, got '${text}'`);
  const target = graph.nodes.find((n) => n.id === node);
  if (!target) throw new GraphError('argument', `--set ${text}: there is no node '${node}'`, { nodeId: node });
  const spec = (registry.get(target.type)?.params as Record<string, ParamSpec> | undefined)?.[param];
  if (!spec) throw new GraphError('unknown-param', `--set ${text}: node '${node}' (${target.type}) has no param '${param}'`, { nodeId: node });
  const raw = text.slice(eq + 1);
  if (key !== undefined) {
    if (spec.kind !== 'weights') throw new GraphError('argument', `--set ${text}: param '${param}' has no keys`, { nodeId: node });
    return { node, param, key, value: Number(raw) };
  }
  return { node, param, value: parseParamText(spec, raw) };
}

/** A copy of the graph with the overrides applied (validation happens in the compiler). */
export function applyOverrides(graph: GraphFile, overrides: ParamOverride[]): GraphFile {
  const copy = structuredClone(graph);
  for (const o of overrides) {
    const node = copy.nodes.find((n) => n.id === o.node)!;
    if (o.key !== undefined) {
      const table = { ...((node.params[o.param] as Record<string, number> | undefined) ?? {}) };
      table[o.key] = o.value as number;
      node.params[o.param] = table;
    } else {
      node.params[o.param] = o.value;
    }
  }
  return copy;
}
