/** The desktop app's security settings, guards and app protocol, against fakes of Electron's API. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addCspToResponses,
  APP_ENTRY_URL,
  contentSecurityPolicy,
  createAppProtocolHandler,
  denyPermissions,
  guardWebContents,
  type GuardedContents,
  type HeaderHook,
  isAppUrl,
  isTrustedSender,
  mainWindowOptions,
  type PermissionSession,
  privilegedSchemes,
  secureWebPreferences,
} from '../electron/security.ts';

describe('content security policy', () => {
  it('has exactly the strict directives for the packaged app', () => {
    expect(contentSecurityPolicy()).toBe(
      [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-src 'none'",
        "worker-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
      ].join('; '),
    );
  });

  it('never allows inline or eval scripts, remote hosts, objects or frames', () => {
    for (const csp of [contentSecurityPolicy(), contentSecurityPolicy('http://localhost:5173/')]) {
      const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
      expect(directives.get('script-src')).toEqual(["'self'"]);
      expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
      expect(directives.get('object-src')).toEqual(["'none'"]);
      expect(directives.get('frame-src')).toEqual(["'none'"]);
      expect(directives.get('base-uri')).toEqual(["'none'"]);
      expect(directives.get('form-action')).toEqual(["'none'"]);
    }
  });

  it('adds only the dev server HMR socket in development', () => {
    const csp = contentSecurityPolicy('http://localhost:5173/');
    expect(csp).toContain("connect-src 'self' ws://localhost:5173;");
    expect(csp.replace(' ws://localhost:5173', '')).toBe(contentSecurityPolicy());
  });
});

describe('window options', () => {
  it('isolates, sandboxes and strips Node from every window', () => {
    expect(secureWebPreferences('/app/preload.js')).toEqual({
      preload: '/app/preload.js',
      devTools: false,
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
    });
  });

  it('builds window options with the secure preferences, hidden until ready', () => {
    const options = mainWindowOptions({ preload: '/p.js', bounds: { x: 10, y: 20, width: 1000, height: 700 } });
    expect(options).toMatchObject({ x: 10, y: 20, width: 1000, height: 700, show: false, title: 'RL Composer' });
    expect(options.webPreferences).toEqual(secureWebPreferences('/p.js'));
    expect(options.webPreferences?.devTools).toBe(false);
    // Development builds keep DevTools; nothing else changes.
    const dev = mainWindowOptions({ preload: '/p.js', bounds: { width: 800, height: 600 }, devTools: true });
    expect(dev.webPreferences).toEqual({ ...secureWebPreferences('/p.js'), devTools: true });
    expect(options.webPreferences).not.toHaveProperty('enableBlinkFeatures');
    expect(options.webPreferences).not.toHaveProperty('additionalArguments');
  });

  it('registers one privileged scheme: standard and secure, never CSP-bypassing', () => {
    expect(privilegedSchemes()).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
    expect(APP_ENTRY_URL).toBe('app://rlc/index.html');
  });
});

type Listener = (...args: unknown[]) => unknown;

function fakeContents() {
  const listeners = new Map<string, Listener>();
  let openHandler: ((details: { url: string }) => { action: string }) | null = null;
  const contents: GuardedContents = {
    on(event: string, listener: Listener) {
      listeners.set(event, listener);
      return contents;
    },
    setWindowOpenHandler(handler) {
      openHandler = handler;
    },
  } as GuardedContents;
  const fire = (event: string, ...args: unknown[]) => {
    let prevented = false;
    listeners.get(event)?.({ preventDefault: () => (prevented = true) }, ...args);
    return prevented;
  };
  return { contents, fire, open: (url: string) => openHandler?.({ url }) };
}

describe('guards', () => {
  it('blocks every navigation, webview and new window', () => {
    const fake = fakeContents();
    const log: string[] = [];
    guardWebContents(fake.contents, (m) => log.push(m));
    expect(fake.fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(fake.fire('will-navigate', 'app://rlc/index.html')).toBe(true);
    expect(fake.fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(fake.fire('will-attach-webview', {}, {})).toBe(true);
    expect(fake.open('https://example.com/')).toEqual({ action: 'deny' });
    expect(fake.open('app://rlc/index.html')).toEqual({ action: 'deny' });
    expect(log).toHaveLength(6);
  });

  it('denies every permission request and check', () => {
    let request: Parameters<PermissionSession['setPermissionRequestHandler']>[0] | null = null;
    let check: Parameters<PermissionSession['setPermissionCheckHandler']>[0] | null = null;
    denyPermissions({ setPermissionRequestHandler: (h) => (request = h), setPermissionCheckHandler: (h) => (check = h) });
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen']) {
      const answers: boolean[] = [];
      request!({}, permission, (granted) => answers.push(granted));
      expect(answers).toEqual([false]);
      expect(check!({}, permission)).toBe(false);
    }
  });

  it('adds the CSP header to dev server responses only (development)', () => {
    let hook: Parameters<HeaderHook['onHeadersReceived']>[0] | null = null;
    addCspToResponses({ onHeadersReceived: (l) => (hook = l) }, 'http://localhost:5173', 'default-src x');
    const answer = (url: string, headers: Record<string, string[]>) => {
      let out: Record<string, string[]> | undefined;
      hook!({ url, responseHeaders: headers }, (r) => (out = r.responseHeaders));
      return out;
    };
    expect(answer('http://localhost:5173/src/main.tsx', { 'content-type': ['x'], 'Content-Security-Policy': ['loose'] })).toEqual({
      'content-type': ['x'],
      'Content-Security-Policy': ['default-src x'],
    });
    expect(answer('https://elsewhere.example/', { a: ['b'] })).toEqual({ a: ['b'] });
    expect(answer('http://localhost:51730/x', { a: ['b'] })).toEqual({ a: ['b'] });
  });

  it('trusts only the top frame of the app page', () => {
    expect(isTrustedSender({ url: 'app://rlc/index.html', parent: null })).toBe(true);
    expect(isTrustedSender({ url: 'app://rlc/index.html', parent: {} })).toBe(false);
    expect(isTrustedSender({ url: 'app://other/index.html', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'https://rlc/index.html', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'file:///index.html', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'not a url', parent: null })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
    // Development: the Vite dev server's origin, and nothing else (not even the app scheme).
    expect(isTrustedSender({ url: 'http://localhost:5173/', parent: null }, 'http://localhost:5173/')).toBe(true);
    expect(isTrustedSender({ url: 'http://localhost:5174/', parent: null }, 'http://localhost:5173/')).toBe(false);
    expect(isTrustedSender({ url: 'app://rlc/index.html', parent: null }, 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('app://rlc/assets/x.js')).toBe(true);
  });
});

describe('app protocol', () => {
  let base: string;
  let root: string;
  const csp = contentSecurityPolicy();
  let handler: (request: Request) => Promise<Response>;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'rlc-protocol-'));
    root = join(base, 'renderer', 'main_window');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>RL Composer</title>');
    writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(root, 'assets', 'font.woff2'), Buffer.from([1, 2, 3]));
    writeFileSync(join(base, 'renderer', 'secret.txt'), 'SECRET');
    writeFileSync(join(base, 'secret.txt'), 'SECRET');
    symlinkSync(join(base, 'secret.txt'), join(root, 'assets', 'link.txt'));
    handler = createAppProtocolHandler({ root, csp });
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

  it('serves the editor with the CSP and the right content types', async () => {
    for (const url of ['app://rlc/', 'app://rlc/index.html']) {
      const res = await get(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toBe(csp);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toContain('RL Composer');
    }
    const js = await get('app://rlc/assets/index-abc.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log(1)');
    const font = await get('app://rlc/assets/font.woff2');
    expect(font.headers.get('content-type')).toBe('font/woff2');
    expect(new Uint8Array(await font.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    const head = await get('app://rlc/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses path traversal in every disguise', async () => {
    for (const url of [
      'app://rlc/..%2fsecret.txt',
      'app://rlc/..%2f..%2fsecret.txt',
      'app://rlc/assets/..%2f..%2f..%2fsecret.txt',
      'app://rlc/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://rlc/..%5c..%5csecret.txt',
      'app://rlc/assets/link.txt',
    ]) {
      const res = await get(url);
      expect(res.status, url).toBeGreaterThanOrEqual(400);
      expect(await res.text(), url).not.toContain('SECRET');
      expect(res.headers.get('content-security-policy')).toBe(csp);
    }
    // Plain '..' segments are normalised away by the URL parser and stay inside the folder.
    for (const url of ['app://rlc/../secret.txt', 'app://rlc/%2e%2e/%2e%2e/secret.txt']) {
      const res = await get(url);
      expect(res.status, url).toBe(404);
      expect(await res.text()).not.toContain('SECRET');
    }
    expect((await get('app://rlc/..%2fsecret.txt')).status).toBe(403);
    expect((await get('app://rlc/assets/link.txt')).status).toBe(403);
  });

  it('refuses other hosts, methods, NULs, folders and missing files', async () => {
    expect((await get('app://other/index.html')).status).toBe(404);
    expect((await get('app://rlc/index.html', 'POST')).status).toBe(405);
    expect((await get('app://rlc/index.html%00.js')).status).toBe(400);
    expect((await get('app://rlc/%E0%A4%A')).status).toBe(400);
    expect((await get('app://rlc/assets')).status).toBe(404);
    expect((await get('app://rlc/missing.js')).status).toBe(404);
  });
});
