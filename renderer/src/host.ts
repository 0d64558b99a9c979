/**
 * Which shell the editor runs in. In the desktop app the preload exposes `window.rlcDesktop`
 * (electron/desktop-api.ts): files go through native dialogs and the engine is reached over a
 * MessagePort. In a browser (`rlc serve`) there is no such object: HTTP for files, a WebSocket for
 * the engine.
 */
import type { DesktopApi } from '../../electron/desktop-api.ts';

export const desktop: DesktopApi | null = (window as unknown as { rlcDesktop?: DesktopApi }).rlcDesktop ?? null;
