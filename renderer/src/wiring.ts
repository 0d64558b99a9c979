/**
 * Keyboard wiring: a port "picked up" with Enter/Space on its handle, waiting for Enter on a port
 * of the other side. The canvas owns the keys; the handles read this store for their look and
 * tab stops; `message` feeds the canvas's live region.
 */
import { catalogueStore, connectionRefusal, type ConnectionAttempt } from './catalogue.ts';
import { docStore } from './doc.ts';
import { createStore } from './store.ts';

export interface PortRef {
  node: string;
  port: string;
  side: 'in' | 'out';
}

export interface WiringState {
  carried: PortRef | null;
  /** What the live region says (and shows); `refused` shows it as an error. */
  message: string;
  refused: boolean;
}

export const wiringStore = createStore<WiringState>({ carried: null, message: '', refused: false });

export const portLabel = (p: PortRef) => `${p.node}.${p.port}`;

/** How the announcements name undo (as the top bar's tooltips do). */
export const UNDO_KEY = typeof navigator !== 'undefined' && navigator.platform.startsWith('Mac') ? '⌘Z' : 'Ctrl+Z';

/** The connection from `a` to `b` (either order), output first. */
export function attemptBetween(a: PortRef, b: PortRef): ConnectionAttempt {
  const [from, to] = a.side === 'out' ? [a, b] : [b, a];
  return { source: from.node, sourceHandle: from.port, target: to.node, targetHandle: to.port };
}

/** Why `port` cannot take the carried one (null = it can; undefined = nothing carried or same side). */
export function refusalFor(carried: PortRef | null, port: PortRef): string | null | undefined {
  if (!carried || carried.side === port.side) return undefined;
  const catalogue = catalogueStore.get().catalogue;
  if (!catalogue) return 'the block catalogue is not loaded';
  return connectionRefusal(docStore.get().doc, catalogue, attemptBetween(carried, port));
}

export function say(message: string, refused = false): void {
  wiringStore.set((s) => ({ ...s, message, refused }));
}

export function pickUp(port: PortRef, type: string): void {
  const target = port.side === 'out' ? 'input' : 'output';
  wiringStore.set({
    carried: port,
    refused: false,
    message: `Connecting from ${port.side === 'out' ? 'output' : 'input'} ${portLabel(port)} (${type}): Tab or arrow keys to a highlighted ${target}, Enter connects, Escape cancels.`,
  });
}

export function putDown(message = ''): void {
  wiringStore.set({ carried: null, message, refused: false });
}
