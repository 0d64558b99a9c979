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
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type FocusEvent as ReactFocusEvent, type KeyboardEvent as ReactKeyboardEvent, type MouseEvent as ReactMouseEvent } from 'react';
import type { Problem } from '../../../engine/host/protocol.ts';
import type { GraphEdge, GraphFile } from '../../../engine/graph/schema.ts';
import { batchFieldsOf, catalogueStore, categoryColor, connectionRefusal, edgeKey, findPort, PORT_COLORS, type Catalogue, type ConnectionAttempt } from '../catalogue.ts';
import { docStore } from '../doc.ts';
import { addEdge, addNode, deleteElements, GRID, moveNodes } from '../graphOps.ts';
import { layoutGraph, READABLE_ZOOM, readableViewport } from '../layout.ts';
import { useStore } from '../store.ts';
import { setSelected, toast, uiStore } from '../ui.ts';
import { validationStore } from '../validation.ts';
import { attemptBetween, pickUp, portLabel, putDown, refusalFor, say, UNDO_KEY, wiringStore, type PortRef } from '../wiring.ts';
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
  /** The port a keyboard connection was made from: focus goes back there. */
  returnFocus?: HTMLElement;
}

/** React Flow's screen-reader descriptions, extended with ports and keyboard wiring. */
const ARIA_LABELS = {
  'node.a11yDescription.default':
    'Press Enter or Space to select a block; Tab then reaches its ports. On a port, Enter picks it up: Tab or the arrow keys move to a port it fits, Enter connects, Escape cancels. Arrow keys move a selected block; Delete removes it.',
  'edge.a11yDescription.default': 'Press Enter or Space to select an edge; Delete then removes it, Escape cancels.',
};

const isHandle = (el: EventTarget | null): el is HTMLElement => el instanceof HTMLElement && el.classList.contains('react-flow__handle');

function portOf(el: HTMLElement): PortRef | null {
  const { nodeid, handleid } = el.dataset;
  if (!nodeid || !handleid) return null;
  return { node: nodeid, port: handleid, side: el.classList.contains('source') ? 'out' : 'in' };
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

  /** What the opening view shows first: the blocks of its first screenful (where the data comes from, the env). */
  const sourceBounds = useCallback(() => {
    const pane = wrapper.current?.getBoundingClientRect();
    const all = flow.getNodes();
    if (!pane || !all.length) return undefined;
    const left = Math.min(...all.map((n) => n.position.x));
    const first = all.filter((n) => n.position.x < left + pane.width / READABLE_ZOOM);
    const env = docRef.current.nodes.find((n) => n.type.startsWith('env.'));
    const envNode = env && flow.getNode(env.id);
    return flow.getNodesBounds(envNode && !first.includes(envNode) ? [...first, envNode] : first);
  }, [flow]);

  // A newly loaded document: show it once its nodes are measured, readably (layout.ts readableViewport).
  const loadId = useStore(docStore, (s) => s.loadId);
  const nodesInitialized = useNodesInitialized();
  const pendingFit = useRef(true);
  useEffect(() => {
    pendingFit.current = true;
  }, [loadId]);
  useEffect(() => {
    if (!pendingFit.current || !nodesInitialized || nodes.length !== doc.nodes.length) return;
    pendingFit.current = false;
    const pane = wrapper.current?.getBoundingClientRect();
    if (pane) void flow.setViewport(readableViewport(flow.getNodesBounds(flow.getNodes()), pane, undefined, sourceBounds()), { duration: 0 });
  }, [nodesInitialized, nodes, doc.nodes.length, flow, sourceBounds]);

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

  /** Adds an accepted connection's edge; Batch → Tensor first asks for the field, at `anchor` (client coordinates). */
  const connectPorts = useCallback((c: ConnectionAttempt, anchor: { x: number; y: number }, returnFocus?: HTMLElement): 'added' | 'picking' | 'failed' => {
    const cat = catalogueStore.get().catalogue;
    const current = docRef.current;
    if (!cat || !c.sourceHandle || !c.targetHandle) return 'failed';
    const attempt = { source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle };
    const from = current.nodes.find((n) => n.id === c.source);
    const to = current.nodes.find((n) => n.id === c.target);
    const out = findPort(from && cat.byType.get(from.type), 'out', c.sourceHandle);
    const inp = findPort(to && cat.byType.get(to.type), 'in', c.targetHandle);
    if (out?.type === 'Batch' && inp?.type === 'Tensor') {
      const fields = batchFieldsOf(current, c.source);
      const box = wrapper.current?.getBoundingClientRect();
      const x = Math.min(anchor.x - (box?.left ?? 0), (box?.width ?? 800) - 260);
      const y = Math.min(anchor.y - (box?.top ?? 0), (box?.height ?? 600) - 200);
      setPick({ attempt, fields: fields.length ? fields : ['obs', 'act', 'rew', 'logp', 'value', 'adv', 'ret'], x: Math.max(8, x), y: Math.max(8, y), returnFocus });
      return 'picking';
    }
    addEdge({ from: { node: c.source, port: c.sourceHandle }, to: { node: c.target, port: c.targetHandle } });
    return 'added';
  }, []);

  const onConnect = useCallback((c: Connection) => void connectPorts(c, pointer.current), [connectPorts]);

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

  // Keyboard wiring. Capture phase, so that React Flow's node handler (Enter selects, arrows move)
  // never sees keys meant for a port, and the window's Space-to-insert listener neither.
  const onKeyDownCapture = useCallback(
    (e: ReactKeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const { carried } = wiringStore.get();
      const stop = () => {
        e.preventDefault();
        e.stopPropagation();
      };
      if (e.key === 'Escape' && carried) {
        stop();
        putDown(`Cancelled connecting ${portLabel(carried)}.`);
        return;
      }
      const el = e.target;
      if (!isHandle(el)) return;
      const port = portOf(el);
      if (!port) return;
      if (e.key === 'Enter' || e.key === ' ') {
        stop();
        if (e.repeat) return;
        if (!carried || carried.side === port.side) {
          if (carried && carried.node === port.node && carried.port === port.port) putDown(`Cancelled connecting ${portLabel(port)}.`);
          else pickUp(port, el.dataset.portType ?? '');
          return;
        }
        const attempt = attemptBetween(carried, port);
        const names = `${attempt.source}.${attempt.sourceHandle} → ${attempt.target}.${attempt.targetHandle}`;
        const reason = refusalFor(carried, port);
        if (reason) {
          say(`Cannot connect ${names}: ${reason}`, true);
          return;
        }
        const box = el.getBoundingClientRect();
        const result = connectPorts(attempt, { x: box.right + 6, y: box.bottom + 6 }, el);
        if (result === 'picking') putDown(`Choose the Batch field that ${names} takes.`);
        else if (result === 'added') putDown(`Connected ${names}. ${UNDO_KEY} undoes it.`);
        return;
      }
      if (carried && e.key.startsWith('Arrow')) {
        // Arrows step through the ports the carried one fits (and back to it), in document order.
        stop();
        const ring = Array.from(wrapper.current?.querySelectorAll<HTMLElement>('.react-flow__handle') ?? []).filter(
          (h) => h === el || h.classList.contains('port-candidate') || h.classList.contains('port-carried'),
        );
        const step = e.key === 'ArrowDown' || e.key === 'ArrowRight' ? 1 : -1;
        ring[(ring.indexOf(el) + step + ring.length) % ring.length]?.focus();
      }
    },
    [connectPorts],
  );

  // A port focused off-screen (Tab, arrows) is brought into view: the browser cannot scroll the pane.
  const onFocusCapture = useCallback(
    (e: ReactFocusEvent) => {
      const el = e.target;
      const box = wrapper.current?.getBoundingClientRect();
      if (!isHandle(el) || !box) return;
      const r = el.getBoundingClientRect();
      const margin = 40;
      if (r.left >= box.left + margin && r.right <= box.right - margin && r.top >= box.top + margin && r.bottom <= box.bottom - margin) return;
      const p = flow.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 });
      void flow.setCenter(p.x, p.y, { zoom: flow.getZoom(), duration: 200 });
    },
    [flow],
  );

  // The carried port's block is gone (undo, delete, another document): nothing is carried any more.
  const wiring = useStore(wiringStore);
  useEffect(() => {
    const { carried } = wiringStore.get();
    if (!carried) return;
    if (!doc.nodes.some((n) => n.id === carried.node)) putDown();
    else wiringStore.set((s) => ({ ...s })); // fresh state: the handles recompute where it fits
  }, [doc]);
  // Messages after the fact (connected, cancelled) fade; the ones guiding a connection stay.
  useEffect(() => {
    if (wiring.carried || !wiring.message) return;
    const timer = setTimeout(() => wiringStore.get() === wiring && say(''), 6000);
    return () => clearTimeout(timer);
  }, [wiring]);

  const miniColor = useCallback((n: BlockFlowNode) => (n.data.entry ? categoryColor(n.data.entry.category) : '#c62828'), []);

  const [layingOut, setLayingOut] = useState(false);
  const autoLayout = useCallback(async () => {
    setLayingOut(true);
    const sizes = new Map(flow.getNodes().map((n) => [n.id, { width: n.measured?.width ?? 190, height: n.measured?.height ?? 100 }]));
    try {
      const moves = await layoutGraph(docRef.current, sizes);
      moveNodes(moves);
      setTimeout(() => {
        const pane = wrapper.current?.getBoundingClientRect();
        if (pane) void flow.setViewport(readableViewport(flow.getNodesBounds(flow.getNodes()), pane, undefined, sourceBounds()), { duration: 300 });
      }, 50);
    } catch (error) {
      toast(`Auto layout failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
    } finally {
      setLayingOut(false);
    }
  }, [flow, sourceBounds]);

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
      onKeyDownCapture={onKeyDownCapture}
      onFocusCapture={onFocusCapture}
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
          if (wiringStore.get().carried) putDown();
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
        ariaLabelConfig={ARIA_LABELS}
      >
        <Background variant={BackgroundVariant.Dots} gap={GRID} size={1.2} />
        <MiniMap pannable zoomable nodeColor={miniColor} nodeStrokeWidth={2} ariaLabel="Mini map" style={{ width: 170, height: 110 }} />
        <Controls aria-label="Zoom controls" />
        <Panel position="top-right" className="canvas-tools">
          <button type="button" onClick={() => void autoLayout()} disabled={layingOut} aria-busy={layingOut} title="Arrange the blocks left to right (elkjs), keeping edges off blocks" data-testid="auto-layout">
            {layingOut ? 'Laying out…' : 'Auto layout'}
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
      <div className="wire-status-region" role="status" data-testid="wire-status-region">
        {wiring.message && (
          <div className={`wire-status${wiring.refused ? ' refused' : wiring.carried ? ' carrying' : ''}`} data-testid="wire-status">
            {wiring.message}
          </div>
        )}
      </div>
      {insert && <QuickInsert x={insert.x} y={insert.y} onInsert={onInsert} onClose={() => setInsert(null)} />}
      {pick && (
        <FieldPicker
          pick={pick}
          onPick={(field) => {
            const a = pick.attempt;
            addEdge({ from: { node: a.source, port: a.sourceHandle!, field }, to: { node: a.target, port: a.targetHandle! } });
            setPick(null);
            if (pick.returnFocus) {
              say(`Connected ${a.source}.${a.sourceHandle}[${field}] → ${a.target}.${a.targetHandle}. ${UNDO_KEY} undoes it.`);
              pick.returnFocus.focus();
            }
          }}
          onCancel={() => {
            setPick(null);
            if (pick.returnFocus) {
              say('Cancelled: no field chosen, no edge made.');
              pick.returnFocus.focus();
            }
          }}
        />
      )}
    </div>
  );
}
