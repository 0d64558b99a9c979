import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { Problem } from '../../../engine/host/protocol.ts';
import type { GraphNode } from '../../../engine/graph/schema.ts';
import { categoryColor, formatValue, paramValue, portShape, type CatalogueEntry, type PortEntry } from '../catalogue.ts';
import { runStore } from '../run.ts';
import { useStore } from '../store.ts';
import { refusalFor, wiringStore } from '../wiring.ts';

export interface BlockData extends Record<string, unknown> {
  node: GraphNode;
  entry: CatalogueEntry | undefined;
  problems: Problem[] | undefined;
}

export type BlockFlowNode = Node<BlockData, 'block'>;

const EMPTY: Problem[] = [];

function portTitle(port: PortEntry, side: 'in' | 'out'): string {
  const extra = [port.optional ? 'optional' : '', port.multi ? 'takes several edges' : ''].filter(Boolean).join(', ');
  return `${side === 'in' ? 'input' : 'output'} ${port.name}: ${port.type}${extra ? ` (${extra})` : ''} — ${port.doc}`;
}

/** The handle's accessible name, e.g. "input obs (Tensor)"; the title adds the optional/multi flags and doc. */
function portName(port: PortEntry, side: 'in' | 'out'): string {
  return `${side === 'in' ? 'input' : 'output'} ${port.name} (${port.type})`;
}

/** Where a port stands in keyboard wiring: the one carried, one that would take it, one that would refuse it. */
type WireState = 'idle' | 'carried' | 'candidate' | 'refused';

function PortHandle({ nodeId, port, side, nodeSelected }: { nodeId: string; port: PortEntry; side: 'in' | 'out'; nodeSelected: boolean }) {
  const shape = portShape(port.type);
  const wire = useStore(wiringStore, ({ carried }): WireState => {
    if (!carried) return 'idle';
    if (carried.node === nodeId && carried.port === port.name && carried.side === side) return 'carried';
    const refusal = refusalFor(carried, { node: nodeId, port: port.name, side });
    return refusal === undefined ? 'idle' : refusal === null ? 'candidate' : 'refused';
  });
  // Ports are tab stops only inside the selected block, and while a port is carried, where it
  // could go: so Tab walks blocks, not every port of the graph.
  const tabbable = nodeSelected || wire === 'carried' || wire === 'candidate';
  return (
    <Handle
      type={side === 'in' ? 'target' : 'source'}
      position={side === 'in' ? Position.Left : Position.Right}
      id={port.name}
      className={`port port-${shape}${port.multi ? ' port-multi' : ''}${wire === 'idle' ? '' : ` port-${wire}`}`}
      style={{ background: port.color, borderColor: port.color }}
      title={portTitle(port, side)}
      role="button"
      tabIndex={tabbable ? 0 : -1}
      aria-label={portName(port, side)}
      aria-pressed={wire === 'carried'}
      data-port-type={port.type}
      data-testid={`port-${side}-${port.name}`}
    />
  );
}

/** The last value a metric-producing output reported in the current run (e.g. surrogate.objective). */
function LastValue({ nodeId, port }: { nodeId: string; port: string }) {
  const value = useStore(runStore, (s) => s.lastRow?.[`${nodeId}.${port}`]);
  if (value === undefined || value === null) return null;
  return (
    <span className="port-value" title={`last value of ${nodeId}.${port}`}>
      {formatValue(value)}
    </span>
  );
}

/** Up to three key params: those the node sets first, then defaults (dimmed). */
function summary(node: GraphNode, entry: CatalogueEntry | undefined): { name: string; text: string; own: boolean }[] {
  if (!entry) return [];
  const names = Object.keys(entry.params);
  const own = names.filter((n) => n in node.params && n !== 'weights');
  const rest = names.filter((n) => !(n in node.params) && entry.params[n].kind !== 'weights');
  return [...own, ...rest].slice(0, 3).map((name) => ({
    name,
    text: formatValue(paramValue(node.params, name, entry.params[name])),
    own: name in node.params,
  }));
}

function BlockNodeView({ id, data, selected }: NodeProps<BlockFlowNode>) {
  const { node, entry } = data;
  const problems = data.problems ?? EMPTY;
  const color = entry ? categoryColor(entry.category) : '#c62828';
  const inputs = entry?.inputs ?? [];
  const outputs = entry?.outputs ?? [];
  const rows = Math.max(inputs.length, outputs.length);
  const params = summary(node, entry);
  return (
    <div
      className={`block${selected ? ' selected' : ''}${problems.length ? ' has-error' : ''}${entry ? '' : ' unknown'}`}
      data-testid={`node-${id}`}
      style={{ ['--cat' as string]: color }}
      aria-label={`${id}: ${entry?.title ?? node.type}${problems.length ? `, ${problems.length} problem(s)` : ''}`}
    >
      <div className="block-head">
        <span className="block-id">{node.label ?? id}</span>
        <span className="block-title" title={node.type}>
          {entry?.title ?? `unknown block ${node.type}`}
        </span>
        {problems.length > 0 && (
          <span className="block-badge" data-testid={`node-error-${id}`} title={problems.map((p) => p.message).join('\n')} role="img" aria-label={`${problems.length} problem(s)`}>
            !{problems.length > 1 ? problems.length : ''}
          </span>
        )}
      </div>
      {rows > 0 && (
        <div className="block-ports">
          {Array.from({ length: rows }, (_, i) => {
            const input = inputs[i];
            const output = outputs[i];
            return (
              <div className="port-row" key={i}>
                <div className="port-cell in">
                  {input && (
                    <>
                      <PortHandle nodeId={id} port={input} side="in" nodeSelected={!!selected} />
                      <span className={`port-label${input.optional ? ' optional' : ''}`}>
                        {input.name}
                        {input.multi ? <span className="port-multi-mark" aria-hidden="true">⁺</span> : null}
                      </span>
                    </>
                  )}
                </div>
                <div className="port-cell out">
                  {output && (
                    <>
                      <LastValue nodeId={id} port={output.name} />
                      <span className="port-label">{output.name}</span>
                      <PortHandle nodeId={id} port={output} side="out" nodeSelected={!!selected} />
                    </>
                  )}
                </div>
              </div>
            );
          })}
        </div>
      )}
      {params.length > 0 && (
        <div className="block-params">
          {params.map((p) => (
            <span key={p.name} className={p.own ? 'own' : 'default'}>
              <span className="k">{p.name}</span> {p.text}
            </span>
          ))}
        </div>
      )}
    </div>
  );
}

export const BlockNode = memo(BlockNodeView);
