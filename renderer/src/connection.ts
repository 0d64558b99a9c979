/**
 * The engine connection: one EngineClient at a time. In a browser it is a WebSocket to
 * `rlc serve`, reconnected with backoff when the socket drops; in the desktop app it is a
 * MessagePort to the engine process, handed over by the shell (again after an engine restart).
 * Other modules register `onConnected` (e.g. to pick up the current run again) and `onRunEvent`
 * handlers, which survive reconnections.
 */
import { type MessageEngineClient, MessagePortEngineClient, WebSocketEngineClient } from '../../engine/host/client.ts';
import type { ClientMessage, ServerMessage } from '../../engine/host/protocol.ts';
import { ENGINE_PORT_MESSAGE } from '../../electron/desktop-api.ts';
import { api, ApiError, token, wsUrl } from './api.ts';
import { desktop } from './host.ts';
import { createStore } from './store.ts';

export type ConnectionStatus =
  | { kind: 'no-token' }
  | { kind: 'unauthorized' }
  | { kind: 'connecting'; attempt: number }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number; retryAt: number; reason: string }
  /** Desktop: the engine process died; the shell restarts it on request. */
  | { kind: 'engine-crashed'; message: string }
  | { kind: 'engine-restarting' };

export const connectionStore = createStore<ConnectionStatus>(token || desktop ? { kind: 'connecting', attempt: 0 } : { kind: 'no-token' });

/** The engine host's backend (from its greeting), shown in the top bar. */
export const engineInfoStore = createStore<{ backend: string; backendDetail: string; workspace: string } | null>(null);

type RunEventHandler = (runId: string, event: Record<string, unknown>) => void;

let client: MessageEngineClient | null = null;
let attempt = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
const connectedHandlers = new Set<(client: MessageEngineClient) => void>();
const runHandlers = new Set<RunEventHandler>();

export function onConnected(handler: (client: MessageEngineClient) => void): () => void {
  connectedHandlers.add(handler);
  if (client) handler(client);
  return () => connectedHandlers.delete(handler);
}

export function onRunEvent(handler: RunEventHandler): () => void {
  runHandlers.add(handler);
  return () => runHandlers.delete(handler);
}

export function isConnected(): boolean {
  return client !== null;
}

/** Sends a request on the current connection; rejects when there is none. */
export async function request(message: ClientMessage): Promise<ServerMessage> {
  if (!client) throw new Error('not connected to the engine');
  return client.request(message);
}

export async function call<T extends ServerMessage['type']>(message: ClientMessage, expected: T): Promise<Extract<ServerMessage, { type: T }>> {
  if (!client) throw new Error('not connected to the engine');
  return client.call(message, expected);
}

function backoff(n: number): number {
  return Math.min(10_000, 500 * 2 ** Math.min(n, 5));
}

function scheduleReconnect(reason: string): void {
  clearTimeout(timer);
  const delay = backoff(attempt);
  attempt += 1;
  connectionStore.set({ kind: 'reconnecting', attempt, retryAt: Date.now() + delay, reason });
  timer = setTimeout(() => void connect(), delay);
}

/** Tells a wrong token (401 on the HTTP API) from a server that is down or restarting. */
async function tokenRefused(): Promise<boolean> {
  try {
    await api('/api/files');
    return false;
  } catch (error) {
    return error instanceof ApiError && error.status === 401;
  }
}

/** A fresh connection is up: greet, forward run events, tell the rest of the editor. */
function adopt(next: MessageEngineClient): void {
  client = next;
  attempt = 0;
  next.onRunEvent((runId, event) => {
    for (const h of runHandlers) h(runId, event);
  });
  void next.greeting().then((hello) => {
    if (client === next) engineInfoStore.set({ backend: hello.backend, backendDetail: hello.backendDetail, workspace: hello.workspace });
  });
  connectionStore.set({ kind: 'connected' });
  for (const h of connectedHandlers) h(next);
}

/**
 * Desktop: the shell posts a MessagePort to the page whenever the engine (re)starts or the page
 * loads. Listening from module load on, so a port sent before React mounts is not missed.
 */
let desktopPort: MessagePortEngineClient | null = null;
if (desktop) {
  window.addEventListener('message', (event: MessageEvent) => {
    if (event.source !== window || event.data !== ENGINE_PORT_MESSAGE || !event.ports[0]) return;
    desktopPort?.close();
    desktopPort = new MessagePortEngineClient(event.ports[0]);
    adopt(desktopPort);
  });
  desktop.onEngineStatus((status) => {
    if (status.state === 'crashed') {
      desktopPort?.lost(status.message);
      client = null;
      engineInfoStore.set(null);
      connectionStore.set({ kind: 'engine-crashed', message: status.message });
    } else if (status.state === 'restarting' || status.state === 'starting') {
      if (connectionStore.get().kind !== 'connected') connectionStore.set({ kind: 'engine-restarting' });
    }
  });
}

/** Desktop: restart a crashed engine process (the banner's button); a new port follows. */
export function restartEngine(): void {
  if (!desktop) return;
  connectionStore.set({ kind: 'engine-restarting' });
  void desktop.restartEngine();
}

export async function connect(): Promise<void> {
  if (desktop) {
    // The shell sends a port when the page loads; ask again in case that one came before us.
    if (!client) desktop.connectEngine();
    return;
  }
  if (!token) {
    connectionStore.set({ kind: 'no-token' });
    return;
  }
  clearTimeout(timer);
  if (connectionStore.get().kind !== 'reconnecting') connectionStore.set({ kind: 'connecting', attempt });
  let opened = false;
  try {
    const next = await WebSocketEngineClient.connect(wsUrl(), (url) => {
      const socket = new WebSocket(url);
      socket.addEventListener('close', () => {
        if (!opened) return; // a failed attempt: handled by the catch below
        if (client === next) client = null;
        void lost('the connection to the engine dropped');
      });
      return socket;
    });
    opened = true;
    adopt(next);
  } catch {
    await lost('cannot reach the engine');
  }
}

async function lost(reason: string): Promise<void> {
  client = null;
  engineInfoStore.set(null);
  if (await tokenRefused()) {
    connectionStore.set({ kind: 'unauthorized' });
    return;
  }
  scheduleReconnect(reason);
}

/** Retry now (the banner's "Reconnect" button). */
export function reconnectNow(): void {
  clearTimeout(timer);
  attempt = 0;
  void connect();
}
