/** Validation as the user edits: `validate` over the engine connection, debounced. */
import type { Problem } from '../../engine/host/protocol.ts';
import { call, onConnected } from './connection.ts';
import { docStore } from './doc.ts';
import { createStore } from './store.ts';

export interface ValidationState {
  /** null: not validated yet (or no connection). */
  valid: boolean | null;
  problems: Problem[];
  byNode: Map<string, Problem[]>;
  pending: boolean;
}

export const validationStore = createStore<ValidationState>({ valid: null, problems: [], byNode: new Map(), pending: false });

const DEBOUNCE_MS = 300;
let timer: ReturnType<typeof setTimeout> | undefined;
let sequence = 0;

async function validateNow(): Promise<void> {
  const seq = ++sequence;
  const doc = docStore.get().doc;
  try {
    const reply = await call({ type: 'validate', graph: doc }, 'validation');
    if (seq !== sequence) return; // a newer edit is being validated
    const byNode = new Map<string, Problem[]>();
    for (const p of reply.problems) {
      const ids = new Set<string>();
      if (p.node) ids.add(p.node);
      else if (p.edge && typeof p.edge === 'object') {
        const e = p.edge as { to?: { node?: string } };
        if (e.to?.node) ids.add(e.to.node);
      }
      for (const id of ids) byNode.set(id, [...(byNode.get(id) ?? []), p]);
    }
    validationStore.set({ valid: reply.valid, problems: reply.problems, byNode, pending: false });
  } catch {
    if (seq === sequence) validationStore.set((s) => ({ ...s, pending: false }));
  }
}

export function scheduleValidation(): void {
  clearTimeout(timer);
  validationStore.set((s) => (s.pending ? s : { ...s, pending: true }));
  timer = setTimeout(() => void validateNow(), DEBOUNCE_MS);
}

export function initValidation(): void {
  let last = docStore.get().doc;
  docStore.subscribe(() => {
    const doc = docStore.get().doc;
    if (doc === last) return;
    last = doc;
    scheduleValidation();
  });
  onConnected(() => scheduleValidation());
}
