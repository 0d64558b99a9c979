import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  Panel,
  ReactFlow,
  useConnection,
  useNodesInitialized,
  useReactFlow,
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type Edge,
  type EdgeChange,
  type EdgeTypes,
  type FinalConnectionState,
  type IsValidConnection,
  type NodeChange,
  type NodeTypes,
  type OnDelete,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type MouseEvent as ReactMouseEvent } from 'react';
import type { Problem } from '../../../engine/host/protocol.ts';
import type { GraphEdge, GraphFile } from '../../../engine/graph/schema.ts';
import { batchFieldsOf, catalogueStore, categoryColor, connectionRefusal, edgeKey, findPort, PORT_COLORS, type Catalogue, type ConnectionAttempt } from '../catalogue.ts';
import { docStore } from '../doc.ts';
import { addEdge, addNode, deleteElements, GRID, moveNodes } from '../graphOps.ts';
import { layoutGraph } from '../layout.ts';
import { useStore } from '../store.ts';
import { setSelected, toast, uiStore } from '../ui.ts';
import { validationStore } from '../validation.ts';
import { BlockNode, type BlockFlowNode } from './BlockNode.tsx';
import { DataEdge } from './DataEdge.tsx';
import { QuickInsert } from './QuickInsert.tsx';

export const BLOCK_MIME = 'application/x-rlc-block';

const nodeTypes: NodeTypes = { block: BlockNode };
const edgeTypes: EdgeTypes = { data: DataEdge };

function syncNodes(prev: BlockFlowNode[], doc: GraphFile, catalogue: Catalogue | null, byNode: Map<string, Problem[]>, selected: ReadonlySet<string>): BlockFlowNode[] {
  const before = new Map(prev.map((n) => [n.id, n]));
  let changed = prev.length !== doc.nodes.length;
  const next = doc.nodes.map((node, i) => {
    const p = before.get(node.id);
    const entry = catalogue?.byType.get(node.type);
    const problems = byNode.get(node.id);
    const isSelected = selected.has(node.id);
    if (p && p.data.node === node && p.data.entry === entry && p.data.problems === problems && !!p.selected === isSelected) {
      if (prev[i] !== p) changed = true;
      return p;
    }
    changed = true;
    const position = p?.dragging ? p.position : { x: node.ui?.x ?? 0, y: node.ui?.y ?? 0 };
    return {
      ...(p ?? {}),
      id: node.id,
      type: 'block' as const,
      position,
      selected: isSelected,
      data: { node, entry, problems },
      ariaLabel: `block ${node.id} (${entry?.title ?? node.type})`,
    } as BlockFlowNode;
  });
  return changed ? next : prev;
}

function edgeColor(e: GraphEdge, doc: GraphFile, catalogue: Catalogue | null): string {
  if (e.from.field) return PORT_COLORS.Tensor;
  const node = doc.nodes.find((n) => n.id === e.from.node);
  const port = findPort(node && catalogue?.byType.get(node.type), 'out', e.from.port);
  return port ? PORT_COLORS[port.type] : '#888';
}

function syncEdges(prev: Edge[], doc: GraphFile, catalogue: Catalogue | null, bad: ReadonlySet<string>): Edge[] {
  const selected = new Set(prev.filter((e) => e.selected).map((e) => e.id));
  const before = new Map(prev.map((e) => [e.id, e]));
  return doc.edges.map((e) => {
    const id = edgeKey(e);
    const p = before.get(id);
    const color = edgeColor(e, doc, catalogue);
    const error = bad.has(id);
    if (p && p.data?.edge === e && p.style?.stroke === color && p.data?.error === error) return p;
    return {
      id,
      type: 'data',
      source: e.from.node,
      sourceHandle: e.from.port,
      target: e.to.node,
      targetHandle: e.to.port,
      selected: selected.has(id),
      label: e.from.field,
      className: `${error ? 'edge-error' : ''}${e.from.field ? ' edge-field' : ''}`,
      style: { stroke: error ? '#e53935' : color },
      ariaLabel: `edge ${id}`,
      data: { edge: e, error },
    };
  });
}

/** The reason a connection being dragged would be refused, next to the cursor. */
function RefusalHint({ doc, catalogue }: { doc: GraphFile; catalogue: Catalogue | null }) {
  const c = useConnection();
  if (!c.inProgress || !c.toHandle || c.isValid !== false || !catalogue) return null;
  let reason: string | null;
  if (c.toHandle.type === c.fromHandle.type) reason = c.fromHandle.type === 'source' ? 'connect an output to an input' : 'connect an input to an output';
  else {
    const attempt: ConnectionAttempt =
      c.fromHandle.type === 'source'
        ? { source: c.fromHandle.nodeId, sourceHandle: c.fromHandle.id ?? null, target: c.toHandle.nodeId, targetHandle: c.toHandle.id ?? null }
        : { source: c.toHandle.nodeId, sourceHandle: c.toHandle.id ?? null, target: c.fromHandle.nodeId, targetHandle: c.fromHandle.id ?? null };
    reason = connectionRefusal(doc, catalogue, attempt);
  }
  if (!reason) return null;
  return (
    <div className="refusal" data-testid="connect-refusal" role="status" style={{ left: c.pointer.x + 14, top: c.pointer.y + 14 }}>
      {reason}
    </div>
  );
}

interface FieldPick {
  attempt: ConnectionAttempt;
  fields: string[];
  x: number;
  y: number;
}

function FieldPicker({ pick, onPick, onCancel }: { pick: FieldPick; onPick: (field: string) => void; onCancel: () => void }) {
  const [custom, setCustom] = useState('');
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <div
      className="field-picker"
      data-testid="field-picker"
      role="dialog"
      aria-label="Pick the Batch field this edge takes"
      style={{ left: pick.x, top: pick.y }}
      onKeyDown={(e) => e.key === 'Escape' && onCancel()}
    >
      <div className="field-picker-title">
        Field of {pick.attempt.source}.{pick.attempt.sourceHandle} → {pick.attempt.target}.{pick.attempt.targetHandle}
      </div>
      <div className="field-list">
        {pick.fields.map((f, i) => (
          <button key={f} ref={i === 0 ? first : undefined} type="button" data-testid={`field-${f}`} onClick={() => onPick(f)}>
            {f}
          </button>
        ))}
      </div>
      <form
        className="field-custom"
        onSubmit={(e) => {
          e.preventDefault();
          if (custom.trim()) onPick(custom.trim());
        }}
      >
        <input aria-label="Other field name" placeholder="other field…" value={custom} onChange={(e) => setCustom(e.target.value)} />
        <button type="submit">Use</button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </form>
    </div>
  );
}

export function Canvas() {
  const doc = useStore(docStore, (s) => s.doc);
  const catalogue = useStore(catalogueStore, (s) => s.catalogue);
  const byNode = useStore(validationStore, (s) => s.byNode);
  const problems = useStore(validationStore, (s) => s.problems);
  const selectedIds = useStore(uiStore, (s) => s.selected);
  const focus = useStore(uiStore, (s) => s.focus);
  const theme = useStore(uiStore, (s) => s.theme);
  const flow = useReactFlow();
  const wrapper = useRef<HTMLDivElement>(null);
  const [nodes, setNodes] = useState<BlockFlowNode[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);
  const [pick, setPick] = useState<FieldPick | null>(null);
  const pointer = useRef({ x: 0, y: 0 });
  const hovered = useRef(false);
  /** The search-and-insert box: where it shows (in the wrapper) and the screen point it inserts at. */
  const [insert, setInsert] = useState<{ x: number; y: number; screen: { x: number; y: number } } | null>(null);
  const docRef = useRef(doc);
  docRef.current = doc;

  const selectedSet = useMemo(() => new Set(selectedIds), [selectedIds]);
  const badEdges = useMemo(() => {
    const set = new Set<string>();
    for (const p of problems) if (p.edge && typeof p.edge === 'object' && 'from' in p.edge && 'to' in p.edge) set.add(edgeKey(p.edge as GraphEdge));
    return set;
  }, [problems]);

  useEffect(() => setNodes((prev) => syncNodes(prev, doc, catalogue, byNode, selectedSet)), [doc, catalogue, byNode, selectedSet]);
  useEffect(() => setEdges((prev) => syncEdges(prev, doc, catalogue, badEdges)), [doc, catalogue, badEdges]);

  // A newly loaded document: show all of it once its nodes are measured.
  const loadId = useStore(docStore, (s) => s.loadId);
  const nodesInitialized = useNodesInitialized();
  const pendingFit = useRef(true);
  useEffect(() => {
    pendingFit.current = true;
  }, [loadId]);
  useEffect(() => {
    if (!pendingFit.current || !nodesInitialized || nodes.length !== doc.nodes.length) return;
    pendingFit.current = false;
    void flow.fitView({ padding: 0.08, duration: 0, maxZoom: 1 });
  }, [nodesInitialized, nodes, doc.nodes.length, flow]);

  useEffect(() => {
    if (!focus) return;
    const node = flow.getNode(focus.id);
    if (!node) return;
    const w = node.measured?.width ?? 200;
    const h = node.measured?.height ?? 100;
    void flow.setCenter(node.position.x + w / 2, node.position.y + h / 2, { zoom: Math.max(flow.getZoom(), 0.9), duration: 300 });
  }, [focus, flow]);

  const onNodesChange = useCallback((changes: NodeChange<BlockFlowNode>[]) => {
    const local = changes.filter((c) => c.type !== 'remove');
    setNodes((prev) => applyNodeChanges(local, prev));
    const ended = changes.filter((c) => c.type === 'position' && c.dragging === false && c.position);
    if (ended.length) {
      moveNodes(ended.map((c) => (c.type === 'position' ? { id: c.id, x: Math.round(c.position!.x), y: Math.round(c.position!.y) } : { id: '', x: 0, y: 0 })));
    }
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    setEdges((prev) => applyEdgeChanges(changes.filter((c) => c.type !== 'remove'), prev));
  }, []);

  const onSelectionChange = useCallback(({ nodes: sel }: { nodes: BlockFlowNode[] }) => {
    setSelected(sel.map((n) => n.id).sort());
  }, []);

  const onDelete: OnDelete<BlockFlowNode> = useCallback(({ nodes: gone, edges: cut }) => {
    deleteElements(
      gone.map((n) => n.id),
      cut.map((e) => e.id),
    );
  }, []);

  const isValidConnection: IsValidConnection = useCallback(
    (c) => {
      const cat = catalogueStore.get().catalogue;
      if (!cat) return false;
      return connectionRefusal(docRef.current, cat, { source: c.source, sourceHandle: c.sourceHandle ?? null, target: c.target, targetHandle: c.targetHandle ?? null }) === null;
    },
    [],
  );

  const onConnect = useCallback((c: Connection) => {
    const cat = catalogueStore.get().catalogue;
    const current = docRef.current;
    if (!cat || !c.sourceHandle || !c.targetHandle) return;
    const attempt = { source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle };
    const from = current.nodes.find((n) => n.id === c.source);
    const to = current.nodes.find((n) => n.id === c.target);
    const out = findPort(from && cat.byType.get(from.type), 'out', c.sourceHandle);
    const inp = findPort(to && cat.byType.get(to.type), 'in', c.targetHandle);
    if (out?.type === 'Batch' && inp?.type === 'Tensor') {
      const fields = batchFieldsOf(current, c.source);
      const box = wrapper.current?.getBoundingClientRect();
      const x = Math.min(pointer.current.x - (box?.left ?? 0), (box?.width ?? 800) - 260);
      const y = Math.min(pointer.current.y - (box?.top ?? 0), (box?.height ?? 600) - 200);
      setPick({ attempt, fields: fields.length ? fields : ['obs', 'act', 'rew', 'logp', 'value', 'adv', 'ret'], x: Math.max(8, x), y: Math.max(8, y) });
      return;
    }
    addEdge({ from: { node: c.source, port: c.sourceHandle }, to: { node: c.target, port: c.targetHandle } });
  }, []);

  const onConnectEnd = useCallback((_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    const cat = catalogueStore.get().catalogue;
    if (!cat || state.isValid !== false || !state.toHandle || !state.fromHandle) return;
    if (state.toHandle.type === state.fromHandle.type) return;
    const a = state.fromHandle.type === 'source' ? { from: state.fromHandle, to: state.toHandle } : { from: state.toHandle, to: state.fromHandle };
    const reason = connectionRefusal(docRef.current, cat, { source: a.from.nodeId, sourceHandle: a.from.id ?? null, target: a.to.nodeId, targetHandle: a.to.id ?? null });
    if (reason) toast(`Connection refused: ${reason}`, 'error');
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(BLOCK_MIME)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(BLOCK_MIME);
      if (!type) return;
      e.preventDefault();
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addNode(type, { x: p.x - 90, y: p.y - 20 });
    },
    [flow],
  );

  const openInsert = useCallback((clientX: number, clientY: number) => {
    const box = wrapper.current?.getBoundingClientRect();
    const x = Math.min(clientX - (box?.left ?? 0), (box?.width ?? 800) - 270);
    const y = Math.min(clientY - (box?.top ?? 0), (box?.height ?? 600) - 260);
    setPick(null);
    setInsert({ x: Math.max(8, x), y: Math.max(8, y), screen: { x: clientX, y: clientY } });
  }, []);

  const onInsert = useCallback(
    (type: string) => {
      if (!insert) return;
      const p = flow.screenToFlowPosition(insert.screen);
      addNode(type, { x: p.x - 90, y: p.y - 20 });
      setInsert(null);
    },
    [flow, insert],
  );

  const onCanvasDoubleClick = useCallback(
    (e: ReactMouseEvent) => {
      const target = e.target as HTMLElement;
      if (!target.classList?.contains('react-flow__pane')) return;
      e.preventDefault();
      openInsert(e.clientX, e.clientY);
    },
    [openInsert],
  );

  // "/" (or a tap of Space that did not pan) over the focused canvas opens the box at the pointer.
  useEffect(() => {
    let space: { dragged: boolean } | null = null;
    const canOpen = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || !hovered.current || uiStore.get().dialog) return false;
      const active = document.activeElement;
      if (active && active !== document.body && !wrapper.current?.contains(active)) return false;
      const el = e.target as HTMLElement | null;
      if (el && (el.isContentEditable || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.tagName === 'BUTTON')) return false;
      return true;
    };
    const down = (e: KeyboardEvent) => {
      if (e.key === '/' && canOpen(e)) {
        e.preventDefault();
        openInsert(pointer.current.x, pointer.current.y);
      } else if (e.key === ' ' && !e.repeat) space = canOpen(e) ? { dragged: false } : null;
    };
    const up = (e: KeyboardEvent) => {
      if (e.key !== ' ' || !space) return;
      const tap = !space.dragged;
      space = null;
      if (tap && canOpen(e)) openInsert(pointer.current.x, pointer.current.y);
    };
    const move = (e: PointerEvent) => {
      if (space && e.buttons) space.dragged = true;
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('pointermove', move);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('pointermove', move);
    };
  }, [openInsert]);

  const miniColor = useCallback((n: BlockFlowNode) => (n.data.entry ? categoryColor(n.data.entry.category) : '#c62828'), []);

  const autoLayout = useCallback(async () => {
    const sizes = new Map(flow.getNodes().map((n) => [n.id, { width: n.measured?.width ?? 190, height: n.measured?.height ?? 100 }]));
    try {
      const moves = await layoutGraph(docRef.current, sizes);
      moveNodes(moves);
      setTimeout(() => void flow.fitView({ padding: 0.12, duration: 300, maxZoom: 1 }), 50);
    } catch (error) {
      toast(`Auto layout failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
    }
  }, [flow]);

  return (
    <div
      className="canvas"
      ref={wrapper}
      onPointerMove={(e) => {
        pointer.current = { x: e.clientX, y: e.clientY };
        hovered.current = true;
      }}
      onPointerEnter={() => {
        hovered.current = true;
      }}
      onPointerLeave={() => {
        hovered.current = false;
      }}
      onDoubleClick={onCanvasDoubleClick}
    >
      <ReactFlow<BlockFlowNode, Edge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onSelectionChange={onSelectionChange}
        onDelete={onDelete}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onDragOver={onDragOver}
        onDrop={onDrop}
        onPaneClick={() => {
          setPick(null);
          setInsert(null);
        }}
        zoomOnDoubleClick={false}
        colorMode={theme}
        snapToGrid
        snapGrid={[GRID, GRID]}
        deleteKeyCode={['Delete', 'Backspace']}
        connectionRadius={24}
        minZoom={0.1}
        maxZoom={2.5}
        defaultEdgeOptions={{ interactionWidth: 14 }}
        proOptions={{ hideAttribution: true }}
        aria-label="Graph canvas"
      >
        <Background variant={BackgroundVariant.Dots} gap={GRID} size={1.2} />
        <MiniMap pannable zoomable nodeColor={miniColor} nodeStrokeWidth={2} ariaLabel="Mini map" style={{ width: 170, height: 110 }} />
        <Controls aria-label="Zoom controls" />
        <Panel position="top-right" className="canvas-tools">
          <button type="button" onClick={() => void autoLayout()} title="Arrange the blocks left to right (elkjs)" data-testid="auto-layout">
            Auto layout
          </button>
          <button type="button" onClick={() => void flow.fitView({ padding: 0.12, duration: 300, maxZoom: 1 })} data-testid="fit-view">
            Fit view
          </button>
        </Panel>
        {doc.nodes.length === 0 && (
          <Panel position="top-center" className="canvas-empty">
            Open a template (Templates…) or drag blocks here from the palette.
          </Panel>
        )}
        <RefusalHint doc={doc} catalogue={catalogue} />
      </ReactFlow>
      {insert && <QuickInsert x={insert.x} y={insert.y} onInsert={onInsert} onClose={() => setInsert(null)} />}
      {pick && (
        <FieldPicker
          pick={pick}
          onPick={(field) => {
            const a = pick.attempt;
            addEdge({ from: { node: a.source, port: a.sourceHandle!, field }, to: { node: a.target, port: a.targetHandle! } });
            setPick(null);
          }}
          onCancel={() => setPick(null)}
        />
      )}
    </div>
  );
}
