/**
 * `rlc serve`: one Node process serving the editor over HTTP and the engine over a WebSocket at
 * /ws. Binds 127.0.0.1 by default. A random token (printed in the URL) is required by the
 * WebSocket and the /api routes; WebSocket upgrades from another origin are refused; graph files
 * are read and written only inside the workspace folder.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseGraph, saveGraph, serializeGraph } from '../graph/io.ts';
import { blockRegistry } from '../registry.ts';
import { selectBackend } from '../backend.ts';
import { type Channel, EngineEndpoint } from './endpoint.ts';
import { listRuns, pickCurve, readMetricsRows, runFolderPath } from './run-history.ts';
import { RunManager, toProblems } from './run-manager.ts';

export interface ServeOptions {
  port: number;
  host: string;
  workspace: string;
  /** Folder of the built editor (index.html + assets); omitted = API only. */
  uiDir?: string;
  templatesDir: string;
  /** Fixed token (tests); default: 24 random bytes. */
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  manager: RunManager;
  close(): Promise<void>;
}

const GRAPH_EXT = '.rlgraph.json';
const MAX_BODY = 4 * 1024 * 1024;
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * Resolves a workspace-relative graph path; refuses anything outside the workspace or not a
 * graph file. Returns null when refused.
 */
export function workspacePath(workspace: string, relativePath: string): string | null {
  if (!relativePath.endsWith(GRAPH_EXT) || relativePath.includes('\0')) return null;
  const root = resolve(workspace);
  const full = resolve(root, relativePath);
  if (!full.startsWith(root + sep)) return null;
  return full;
}

function listGraphs(root: string, dir = root, depth = 0): string[] {
  if (depth > 4 || !existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules' || (depth === 0 && entry.name === 'runs')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listGraphs(root, full, depth + 1));
    else if (entry.name.endsWith(GRAPH_EXT)) out.push(relative(root, full).split(sep).join('/'));
  }
  return out.sort();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const manager = new RunManager(options.workspace);
  const registry = blockRegistry();
  // Selected once up front so the editor can show it; a run's own `run.backend` may still differ.
  const backend = await selectBackend('auto');
  const endpoint = new EngineEndpoint({ manager, workspace: options.workspace, backend });

  const authorised = (req: IncomingMessage, url: URL): boolean => {
    const header = req.headers.authorization;
    const given = url.searchParams.get('token') ?? (header?.startsWith('Bearer ') ? header.slice(7) : '');
    return sameSecret(given, token);
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // The raw path, not URL's normalised one: a '..' must reach workspacePath and be refused there.
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    if (path === '/api/catalogue' && req.method === 'GET') return sendJson(res, 200, registry.catalogue());
    if (path === '/api/templates' && req.method === 'GET') {
      const templates = listGraphs(options.templatesDir).map((file) => {
        const graph = parseGraph(readFileSync(join(options.templatesDir, file), 'utf8'), file);
        return { file, name: graph.meta.name, algorithm: graph.meta.algorithm ?? null, description: graph.meta.description ?? '' };
      });
      return sendJson(res, 200, templates);
    }
    if (path.startsWith('/api/templates/') && req.method === 'GET') {
      const full = workspacePath(options.templatesDir, path.slice('/api/templates/'.length));
      if (!full || !existsSync(full)) return sendJson(res, 404, { error: 'no such template' });
      return sendJson(res, 200, parseGraph(readFileSync(full, 'utf8'), full));
    }
    if (path === '/api/files' && req.method === 'GET') return sendJson(res, 200, listGraphs(options.workspace));
    if (path === '/api/runs' && req.method === 'GET') return sendJson(res, 200, listRuns(options.workspace));
    const runMetrics = /^\/api\/runs\/(.+)\/metrics$/.exec(path);
    if (runMetrics && req.method === 'GET') {
      const dir = runFolderPath(options.workspace, runMetrics[1]);
      if (dir === null) return sendJson(res, 403, { error: `refused: '${runMetrics[1]}' is not a run name` });
      if (!existsSync(dir) || !statSync(dir).isDirectory()) return sendJson(res, 404, { error: `no run '${runMetrics[1]}'` });
      return sendJson(res, 200, readMetricsRows(dir).map(pickCurve));
    }
    if (path.startsWith('/api/files/')) {
      const rel = path.slice('/api/files/'.length);
      const full = workspacePath(options.workspace, rel);
      if (!full) return sendJson(res, 403, { error: `refused: '${rel}' is not a ${GRAPH_EXT} file inside the workspace` });
      if (req.method === 'GET') {
        if (!existsSync(full) || !statSync(full).isFile()) return sendJson(res, 404, { error: `no file '${rel}'` });
        return sendJson(res, 200, parseGraph(readFileSync(full, 'utf8'), rel));
      }
      if (req.method === 'PUT') {
        const graph = parseGraph(await readBody(req), rel);
        mkdirSync(dirname(full), { recursive: true });
        saveGraph(full, graph);
        return sendJson(res, 200, { saved: rel, bytes: Buffer.byteLength(serializeGraph(graph)) });
      }
    }
    return sendJson(res, 404, { error: 'no such API route' });
  };

  const handleStatic = (res: ServerResponse, url: URL): void => {
    if (!options.uiDir || !existsSync(join(options.uiDir, 'index.html'))) {
      return sendJson(res, 404, { error: 'this server has no editor UI build; the engine API is at /api and /ws' });
    }
    const root = resolve(options.uiDir);
    const requested = resolve(root, `.${decodeURIComponent(url.pathname)}`);
    const file = requested.startsWith(root + sep) && existsSync(requested) && statSync(requested).isFile() ? requested : join(root, 'index.html');
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/api/')) return handleStatic(res, url);
    if (!authorised(req, url)) return sendJson(res, 401, { error: 'missing or wrong token' });
    handleApi(req, res).catch((error: unknown) => sendJson(res, 400, { error: toProblems(error)[0].message, problems: toProblems(error) }));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: number, reason: string) => {
      socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (url.pathname !== '/ws') return refuse(404, 'Not Found');
    if (!authorised(req, url)) return refuse(401, 'Unauthorized');
    // Browsers always send Origin: it must be this server. (Non-browser clients send none.)
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) return refuse(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => connection(ws));
  });

  const sockets = new Set<WebSocket>();
  function connection(ws: WebSocket): void {
    sockets.add(ws);
    const channel: Channel = { send: (message) => ws.send(JSON.stringify(message)), isOpen: () => ws.readyState === ws.OPEN };
    ws.on('close', () => {
      sockets.delete(ws);
      endpoint.close(channel); // the run goes on; a new connection can subscribe
    });
    ws.on('message', (data) => {
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString());
      } catch {
        raw = null; // answered by the endpoint as a bad message
      }
      endpoint.receive(channel, raw);
    });
    endpoint.open(channel);
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    manager,
    async close() {
      await manager.stopAll();
      for (const ws of sockets) ws.close();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
