/**
 * The desktop app's security posture (Electron's security checklist), as plain functions over
 * narrow slices of the Electron API so tests can check every setting without the binary:
 * window and webPreferences options, the renderer's Content-Security-Policy, navigation /
 * new-window / webview / permission guards, the sender check for IPC, and the `app://rlc/`
 * protocol that serves the built editor.
 */
import { realpathSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve } from 'node:path';
import type { BrowserWindowConstructorOptions, CustomScheme, WebPreferences } from 'electron';

/** The app's own scheme: `app://rlc/index.html` serves the packaged editor. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'rlc';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Registered before `ready`. `standard` gives the scheme a real origin (relative URLs, storage),
 * `secure` makes it a secure context like https, `supportFetchAPI` lets the page fetch its own
 * assets. Deliberately not `bypassCSP` nor `corsEnabled`.
 */
export function privilegedSchemes(): CustomScheme[] {
  return [{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }];
}

/**
 * The renderer's policy. Scripts only from the app itself (no inline script, no eval); inline
 * style attributes are allowed because React Flow, KaTeX and uPlot set them; fonts and images
 * from the app or data: URLs; the page talks to nothing but itself (the engine is reached over a
 * MessagePort, which CSP does not govern). In development the Vite dev server is "self" and its
 * HMR WebSocket is added to connect-src.
 */
export function contentSecurityPolicy(devServerUrl?: string): string {
  const connect = ["'self'"];
  if (devServerUrl) {
    const dev = new URL(devServerUrl);
    connect.push(`${dev.protocol === 'https:' ? 'wss:' : 'ws:'}//${dev.host}`);
  }
  const directives: [string, string[]][] = [
    ['default-src', ["'none'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'", "'unsafe-inline'"]],
    ['img-src', ["'self'", 'data:']],
    ['font-src', ["'self'", 'data:']],
    ['connect-src', connect],
    ['object-src', ["'none'"]],
    ['frame-src', ["'none'"]],
    ['worker-src', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
  ];
  return directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');
}

/**
 * Every window's webPreferences: an isolated, sandboxed page with no Node and no way around web
 * security. DevTools exist only in development builds.
 */
export function secureWebPreferences(preload: string, devTools = false): WebPreferences {
  return {
    preload,
    devTools,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  };
}

export interface Bounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
}

export function mainWindowOptions(options: { preload: string; bounds: Bounds; title?: string; devTools?: boolean }): BrowserWindowConstructorOptions {
  return {
    ...options.bounds,
    minWidth: 720,
    minHeight: 480,
    title: options.title ?? 'RL Composer',
    // Shown on 'ready-to-show', so the window never flashes white before the editor paints.
    show: false,
    backgroundColor: '#1b1d21',
    webPreferences: secureWebPreferences(options.preload, options.devTools ?? false),
  };
}

/** Whether a URL is the app's own page: `app://rlc/...`, or the Vite dev server in development. */
export function isAppUrl(url: string, devServerUrl?: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (devServerUrl) return parsed.origin === new URL(devServerUrl).origin;
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
}

/** The part of an IPC event's `senderFrame` the check needs (Electron's WebFrameMain fits). */
export interface SenderFrame {
  readonly url: string;
  readonly parent: unknown;
}

/**
 * IPC is accepted only from the top frame of the app's own page: never from a subframe, another
 * origin the window was somehow navigated to, or a frame that has gone (senderFrame null).
 */
export function isTrustedSender(frame: SenderFrame | null | undefined, devServerUrl?: string): boolean {
  if (!frame || frame.parent !== null) return false;
  return isAppUrl(frame.url, devServerUrl);
}

interface Preventable {
  preventDefault(): void;
}

/** The events of a WebContents the guards hook (Electron's WebContents fits). */
export interface GuardedContents {
  on(event: 'will-navigate', listener: (event: Preventable, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: Preventable) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/**
 * For every WebContents the app creates (`web-contents-created`): the editor is a single page,
 * so it never navigates (reloads do not emit will-navigate), never opens windows and never
 * embeds a webview. There are no external links, so nothing is handed to the OS browser either.
 */
export function guardWebContents(contents: GuardedContents, log: (message: string) => void = () => {}): void {
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    log(`blocked navigation to ${url}`);
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('blocked a <webview>');
  });
  contents.setWindowOpenHandler(({ url }) => {
    log(`blocked a new window for ${url}`);
    return { action: 'deny' };
  });
}

/** The permission hooks of a Session (Electron's Session fits). */
export interface PermissionSession {
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string) => boolean): void;
}

/** The editor needs no camera, notifications, clipboard-read, geolocation, ...: deny everything. */
export function denyPermissions(session: PermissionSession): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** `session.webRequest`'s header hook (Electron's WebRequest fits). */
export interface HeaderHook {
  onHeadersReceived(
    listener: (
      details: { url: string; responseHeaders?: Record<string, string[]> },
      callback: (response: { responseHeaders?: Record<string, string[]> }) => void,
    ) => void,
  ): void;
}

/**
 * Development only: the Vite dev server sends no CSP, so it is added to its responses here (in
 * production the app protocol sets it). Other responses pass unchanged.
 */
export function addCspToResponses(webRequest: HeaderHook, origin: string, csp: string): void {
  webRequest.onHeadersReceived((details, callback) => {
    if (!details.url.startsWith(`${origin}/`) && details.url !== origin) return callback({ responseHeaders: details.responseHeaders });
    const headers: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [csp];
    callback({ responseHeaders: headers });
  });
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * The `app://rlc/` handler (for `protocol.handle`): serves files of the built renderer folder,
 * with the CSP on every response. Refuses other hosts, methods other than GET/HEAD, and any path
 * that resolves outside the folder, also through `..` hidden in escapes or a symlink.
 */
export function createAppProtocolHandler(options: { root: string; csp: string }): (request: Request) => Promise<Response> {
  const root = resolve(options.root);
  const headers = (extra: Record<string, string> = {}) => ({
    'content-security-policy': options.csp,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
    ...extra,
  });
  const refuse = (status: number, text: string) =>
    new Response(text, { status, headers: headers({ 'content-type': 'text/plain; charset=utf-8' }) });

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'method not allowed');
    let url: URL;
    let path: string;
    try {
      url = new URL(request.url);
      path = decodeURIComponent(url.pathname);
    } catch {
      return refuse(400, 'bad request');
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return refuse(404, 'not found');
    if (path.includes('\0')) return refuse(400, 'bad request');
    const full = resolve(root, `.${path === '/' ? '/index.html' : path}`);
    if (!within(root, full)) return refuse(403, 'forbidden');
    try {
      if (!(await stat(full)).isFile()) return refuse(404, 'not found');
      // A symlink inside the folder must not lead out of it.
      if (!within(realpathSync(root), realpathSync(full))) return refuse(403, 'forbidden');
      const body = await readFile(full);
      const type = MIME[extname(full).toLowerCase()] ?? 'application/octet-stream';
      return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers: headers({ 'content-type': type }) });
    } catch {
      return refuse(404, 'not found');
    }
  };
}
