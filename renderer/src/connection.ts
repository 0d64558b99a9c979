/**
 * The engine connection: one WebSocketEngineClient at a time, reconnected with backoff when the
 * socket drops. Other modules register `onConnected` (e.g. to pick up the current run again) and
 * `onRunEvent` handlers, which survive reconnections.
 */
import { WebSocketEngineClient } from '../../engine/host/client.ts';
import type { ClientMessage, ServerMessage } from '../../engine/host/protocol.ts';
import { api, ApiError, token, wsUrl } from './api.ts';
import { createStore } from './store.ts';

export type ConnectionStatus =
  | { kind: 'no-token' }
  | { kind: 'unauthorized' }
  | { kind: 'connecting'; attempt: number }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number; retryAt: number; reason: string };

export const connectionStore = createStore<ConnectionStatus>(token ? { kind: 'connecting', attempt: 0 } : { kind: 'no-token' });

type RunEventHandler = (runId: string, event: Record<string, unknown>) => void;

let client: WebSocketEngineClient | null = null;
let attempt = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
const connectedHandlers = new Set<(client: WebSocketEngineClient) => void>();
const runHandlers = new Set<RunEventHandler>();

export function onConnected(handler: (client: WebSocketEngineClient) => void): () => void {
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

export async function connect(): Promise<void> {
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
    client = next;
    attempt = 0;
    next.onRunEvent((runId, event) => {
      for (const h of runHandlers) h(runId, event);
    });
    connectionStore.set({ kind: 'connected' });
    for (const h of connectedHandlers) h(next);
  } catch {
    await lost('cannot reach the engine');
  }
}

async function lost(reason: string): Promise<void> {
  client = null;
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
