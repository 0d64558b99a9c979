/** Editor UI state that is not part of the document: selection, theme, dialogs, toasts. */
import { createStore } from './store.ts';

export type Dialog = null | 'gallery' | 'open';
export type Theme = 'dark' | 'light';

export interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
}

export interface UiState {
  /** Selected node ids (stable array; replaced, never mutated). */
  selected: string[];
  theme: Theme;
  dialog: Dialog;
  toasts: Toast[];
  /** Bumped to ask the canvas to centre on a node. */
  focus: { id: string; n: number } | null;
  bottomTab: 'problems' | 'log' | 'runs';
}

const storedTheme = (() => {
  try {
    return localStorage.getItem('rlc.theme');
  } catch {
    return null;
  }
})();

export const uiStore = createStore<UiState>({
  selected: [],
  theme: storedTheme === 'light' ? 'light' : 'dark',
  dialog: null,
  toasts: [],
  focus: null,
  bottomTab: 'problems',
});

export function setSelected(ids: string[]): void {
  const prev = uiStore.get().selected;
  if (prev.length === ids.length && prev.every((id, i) => id === ids[i])) return;
  uiStore.set((s) => ({ ...s, selected: ids }));
}

export function focusNode(id: string): void {
  uiStore.set((s) => ({ ...s, selected: [id], focus: { id, n: (s.focus?.n ?? 0) + 1 } }));
}

export function openDialog(dialog: Dialog): void {
  uiStore.set((s) => ({ ...s, dialog }));
}

export function setTheme(theme: Theme): void {
  try {
    localStorage.setItem('rlc.theme', theme);
  } catch {
    /* private mode */
  }
  uiStore.set((s) => ({ ...s, theme }));
}

let toastId = 0;
export function toast(message: string, kind: Toast['kind'] = 'info'): void {
  const id = ++toastId;
  uiStore.set((s) => ({ ...s, toasts: [...s.toasts.slice(-3), { id, message, kind }] }));
  setTimeout(() => uiStore.set((s) => ({ ...s, toasts: s.toasts.filter((t) => t.id !== id) })), kind === 'error' ? 7000 : 3500);
}
