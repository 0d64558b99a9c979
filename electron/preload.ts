/**
 * The preload script: exposes `window.rlcDesktop` (DesktopApi) to the editor through
 * contextBridge. It runs sandboxed and context-isolated; bundled by Vite into one CJS file whose
 * only `require` is 'electron'.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createDesktopApi } from './preload-api.ts';

/**
 * The isolated world's window (this project's Node tsconfig has no DOM lib). Its postMessage
 * reaches the page's main world, the one way to hand it a MessagePort.
 */
const page = globalThis as unknown as { postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void };

contextBridge.exposeInMainWorld(
  'rlcDesktop',
  createDesktopApi(ipcRenderer, (message, ports) => page.postMessage(message, '*', ports)),
);
