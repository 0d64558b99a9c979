/**
 * The current run as the editor sees it: machine state, progress, metrics (decimated for charts),
 * log and error. Picks the run up again after a reconnection (run.subscribe replays its metrics).
 */
import type { GraphFile } from '../../engine/graph/schema.ts';
import type { RunInfo } from '../../engine/host/protocol.ts';
import { call, onConnected, onRunEvent } from './connection.ts';
import { createStore } from './store.ts';

export interface Progress {
  iteration: number;
  step: number;
  totalSteps: number;
  episodes: number;
  meanReturnLast20: number | null;
  stepsPerSecond: number;
  wallSeconds: number;
  etaSeconds: number | null;
}

export type MetricsRow = Record<string, number | null>;

export interface LogLine {
  at: number;
  message: string;
  nodeId?: string;
  level: 'info' | 'error';
}

export interface RunState {
  runId: string | null;
  info: RunInfo | null;
  /** The machine's state value: 'idle', {running: 'learning'}, 'paused', 'done', … */
  state: unknown;
  progress: Progress | null;
  summary: Record<string, unknown> | null;
  error: { message: string; code?: string; nodeId?: string } | null;
  logs: LogLine[];
  /** Bumped whenever metrics change (charts redraw on it). */
  metricsVersion: number;
  lastRow: MetricsRow | null;
  busy: boolean;
}

export const runStore = createStore<RunState>({
  runId: null,
  info: null,
  state: null,
  progress: null,
  summary: null,
  error: null,
  logs: [],
  metricsVersion: 0,
  lastRow: null,
  busy: false,
});

/** Keeps at most ~MAX rows: when full, every other row is dropped and the stride doubles. */
export class MetricsBuffer {
  rows: MetricsRow[] = [];
  private tail: MetricsRow | null = null;
  private stride = 1;
  private count = 0;
  readonly keys = new Set<string>();
  constructor(private readonly max = 2000) {}

  clear(): void {
    this.rows = [];
    this.tail = null;
    this.stride = 1;
    this.count = 0;
    this.keys.clear();
  }

  push(row: MetricsRow): void {
    for (const k of Object.keys(row)) this.keys.add(k);
    if (this.count % this.stride === 0) {
      this.rows.push(row);
      this.tail = null;
      if (this.rows.length > this.max) {
        this.rows = this.rows.filter((_, i) => i % 2 === 0);
        this.stride *= 2;
      }
    } else {
      this.tail = row; // the newest row is always shown
    }
    this.count++;
  }

  /** The rows to plot (decimated, plus the newest). */
  view(): MetricsRow[] {
    return this.tail ? [...this.rows, this.tail] : this.rows;
  }

  get total(): number {
    return this.count;
  }
}

export const metrics = new MetricsBuffer(2000);

export function stateName(state: unknown): string {
  if (state === null || state === undefined) return 'no run';
  if (typeof state === 'string') return state;
  if (typeof state === 'object') {
    const [k, v] = Object.entries(state as Record<string, unknown>)[0] ?? [];
    return k ? `${k} · ${stateName(v)}` : 'unknown';
  }
  return String(state);
}

export function topState(state: unknown): string | null {
  if (state === null || state === undefined) return null;
  if (typeof state === 'string') return state;
  if (typeof state === 'object') return Object.keys(state as object)[0] ?? null;
  return String(state);
}

export function isActive(state: unknown): boolean {
  const top = topState(state);
  return top !== null && top !== 'done' && top !== 'failed';
}

function log(line: Omit<LogLine, 'at'>): void {
  runStore.set((s) => ({ ...s, logs: [...s.logs.slice(-299), { ...line, at: Date.now() }] }));
}

let redrawQueued = false;
/** Charts redraw at most once a frame however fast metrics arrive. */
function metricsChanged(): void {
  if (redrawQueued) return;
  redrawQueued = true;
  requestAnimationFrame(flushMetrics);
}

/** Publishes pending metrics now (a state change must never show before the rows that led to it). */
function flushMetrics(): void {
  if (!redrawQueued) return;
  redrawQueued = false;
  runStore.set((s) => ({ ...s, metricsVersion: s.metricsVersion + 1 }));
}

function handleEvent(runId: string, event: Record<string, unknown>): void {
  if (runId !== runStore.get().runId) return;
  switch (event.type) {
    case 'state':
      flushMetrics();
      runStore.set((s) => ({ ...s, state: event.state }));
      break;
    case 'progress':
      runStore.set((s) => ({ ...s, progress: event.progress as Progress }));
      break;
    case 'metrics': {
      const row = event.row as MetricsRow;
      metrics.push(row);
      runStore.set((s) => ({ ...s, lastRow: row }));
      metricsChanged();
      break;
    }
    case 'log':
      log({ message: String(event.message), nodeId: event.nodeId as string | undefined, level: 'info' });
      break;
    case 'error': {
      const error = { message: String(event.message), code: event.code as string | undefined, nodeId: event.nodeId as string | undefined };
      runStore.set((s) => ({ ...s, error }));
      log({ message: error.message, nodeId: error.nodeId, level: 'error' });
      break;
    }
    case 'summary':
      runStore.set((s) => ({ ...s, summary: event.summary as Record<string, unknown> }));
      break;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function subscribe(runId: string): Promise<void> {
  const snap = await call({ type: 'run.subscribe', runId }, 'run.snapshot');
  metrics.clear();
  for (const row of snap.metrics) metrics.push(row);
  runStore.set((s) => ({
    ...s,
    runId,
    info: snap.run,
    state: snap.run.state,
    progress: (snap.progress as Progress | undefined) ?? null,
    summary: (snap.summary as Record<string, unknown> | undefined) ?? null,
    lastRow: snap.metrics[snap.metrics.length - 1] ?? null,
  }));
  metricsChanged();
}

/** After (re)connecting: follow the run this page followed, else the active one. */
async function pickUp(): Promise<void> {
  try {
    const { runs } = await call({ type: 'runs.list' }, 'runs');
    const mine = runStore.get().runId;
    const target = runs.find((r) => r.runId === mine) ?? runs.find((r) => isActive(r.state));
    if (target) await subscribe(target.runId);
  } catch (error) {
    log({ message: `could not pick up the run: ${messageOf(error)}`, level: 'error' });
  }
}

export function initRun(): void {
  onRunEvent(handleEvent);
  onConnected(() => void pickUp());
}

export async function startRun(graph: GraphFile, name?: string): Promise<void> {
  runStore.set((s) => ({ ...s, busy: true, error: null }));
  try {
    const { run } = await call({ type: 'run.start', graph, name }, 'run.started');
    metrics.clear();
    runStore.set((s) => ({ ...s, runId: run.runId, info: run, state: run.state, progress: null, summary: null, lastRow: null, logs: [] }));
    metricsChanged();
    log({ message: `run ${run.runId} started; folder ${run.dir}`, level: 'info' });
  } catch (error) {
    const message = messageOf(error);
    runStore.set((s) => ({ ...s, error: { message } }));
    log({ message: `cannot start: ${message}`, level: 'error' });
  } finally {
    runStore.set((s) => ({ ...s, busy: false }));
  }
}

export type ControlEvent = { type: 'PAUSE' } | { type: 'RESUME' } | { type: 'STEP' } | { type: 'STOP'; reason?: string };

export async function control(event: ControlEvent): Promise<void> {
  const { runId } = runStore.get();
  if (!runId) return;
  try {
    await call({ type: 'run.control', runId, event }, 'ack');
  } catch (error) {
    log({ message: `${event.type}: ${messageOf(error)}`, level: 'error' });
  }
}

/** A live param edit during a run (the engine applies it from the next tick). */
export async function setLiveParam(node: string, param: string, value: unknown): Promise<void> {
  const { runId, state } = runStore.get();
  if (!runId || !isActive(state)) return;
  try {
    await call({ type: 'run.control', runId, event: { type: 'SET_PARAM', node, param, value } }, 'ack');
    log({ message: `${param} = ${JSON.stringify(value)} (live, applied to the run)`, nodeId: node, level: 'info' });
  } catch (error) {
    log({ message: `${node}.${param}: ${messageOf(error)}`, nodeId: node, level: 'error' });
  }
}
