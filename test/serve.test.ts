import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketEngineClient } from '../engine/host/client.ts';
import { type RunningServer, startServer, workspacePath } from '../engine/host/server.ts';
import { serializeGraph } from '../engine/graph/io.ts';
import { ROOT, tempDir, template, smallPpo, waitFor } from './helpers.ts';

let server: RunningServer;
let workspace: string;
const base = () => `http://127.0.0.1:${server.port}`;
const wsUrl = (token = server.token) => `ws://127.0.0.1:${server.port}/ws?token=${token}`;
const connect = () => WebSocketEngineClient.connect(wsUrl(), (url) => new WebSocket(url));

/** Resolves with the HTTP status of a refused upgrade, or 101 when the socket opened. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

/** Status of a GET with the path sent exactly as given. */
function rawStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}



beforeAll(async () => {
  workspace = tempDir('rlc-ws-');
  server = await startServer({ port: 0, host: '127.0.0.1', workspace, templatesDir: join(ROOT, 'templates'), token: 'test-token-123' });
});

afterAll(async () => {
  await server.close();
});

describe('rlc serve: access control', () => {
  it('prints a loopback URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=test-token-123`);
  });

  it('refuses API requests without the right token', async () => {
    expect((await fetch(`${base()}/api/catalogue`)).status).toBe(401);
    expect((await fetch(`${base()}/api/catalogue?token=wrong`)).status).toBe(401);
    const ok = await fetch(`${base()}/api/catalogue?token=${server.token}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { type: string }[]).map((b) => b.type)).toContain('loss.surrogate');
    const bearer = await fetch(`${base()}/api/files`, { headers: { authorization: `Bearer ${server.token}` } });
    expect(bearer.status).toBe(200);
  });

  it('refuses WebSocket upgrades without the token or from another origin', async () => {
    expect(await upgradeStatus(wsUrl('nope'))).toBe(401);
    expect(await upgradeStatus(`ws://127.0.0.1:${server.port}/ws`)).toBe(401);
    expect(await upgradeStatus(wsUrl(), { origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus(wsUrl(), { origin: `http://127.0.0.1:${server.port}` })).toBe(101);
  });
});

describe('rlc serve: files', () => {
  it('saves and reopens a graph byte-for-byte inside the workspace', async () => {
    const graph = template('ppo-clip.cartpole');
    const put = await fetch(`${base()}/api/files/mine/ppo.rlgraph.json?token=${server.token}`, { method: 'PUT', body: JSON.stringify(graph) });
    expect(put.status).toBe(200);
    expect(readFileSync(join(workspace, 'mine/ppo.rlgraph.json'), 'utf8')).toBe(serializeGraph(graph));
    const list = (await (await fetch(`${base()}/api/files?token=${server.token}`)).json()) as string[];
    expect(list).toEqual(['mine/ppo.rlgraph.json']);
    const back = await (await fetch(`${base()}/api/files/mine/ppo.rlgraph.json?token=${server.token}`)).json();
    expect(serializeGraph(back as typeof graph)).toBe(serializeGraph(graph));
  });

  it('refuses paths outside the workspace or that are not graph files', async () => {
    writeFileSync(join(workspace, '..', 'outside.rlgraph.json'), '{}');
    // Raw request paths (a browser or fetch would normalise the dots away before sending).
    for (const path of ['..%2Foutside.rlgraph.json', '../outside.rlgraph.json', '%2E%2E/outside.rlgraph.json', 'notes.txt', '%2Fetc%2Fpasswd.rlgraph.json']) {
      expect(await rawStatus(`/api/files/${path}?token=${server.token}`), path).toBe(403);
    }
    expect(workspacePath(workspace, '../x.rlgraph.json')).toBeNull();
    expect(workspacePath(workspace, '/etc/x.rlgraph.json')).toBeNull();
    expect(workspacePath(workspace, 'a/../b.rlgraph.json')).toBe(join(workspace, 'b.rlgraph.json'));
  });

  it('refuses to save an invalid graph and says why', async () => {
    const r = await fetch(`${base()}/api/files/bad.rlgraph.json?token=${server.token}`, { method: 'PUT', body: '{"format": "nope"' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/not valid JSON/);
  });

  it('lists the templates with their names', async () => {
    const templates = (await (await fetch(`${base()}/api/templates?token=${server.token}`)).json()) as { file: string; name: string }[];
    expect(templates.map((t) => t.file)).toContain('ppo-clip.cartpole.rlgraph.json');
    expect(templates.find((t) => t.file === 'a2c.cartpole.rlgraph.json')!.name).toBe('A2C · CartPole-v1');
  });
});

describe('rlc serve: engine over the WebSocket', () => {
  it('validates a graph and pins problems to the node', async () => {
    const client = await connect();
    const graph = template('ppo-clip.cartpole');
    graph.nodes.find((n) => n.id === 'clip')!.params.epsilon = 3;
    const reply = await client.call({ type: 'validate', graph }, 'validation');
    expect(reply.valid).toBe(false);
    expect(reply.problems[0]).toMatchObject({ code: 'invalid-param', node: 'clip' });
    const good = await client.call({ type: 'validate', graph: template('ppo-clip.cartpole') }, 'validation');
    expect(good).toMatchObject({ valid: true, problems: [] });
    await expect(client.request({ type: 'run.control', runId: 'nope', event: { type: 'PAUSE' } })).rejects.toThrow(/no run 'nope'/);
    client.close();
  });

  it('runs a graph, streams its events, and survives a dropped connection', async () => {
    const first = await connect();
    const seen: Record<string, unknown>[] = [];
    first.onRunEvent((_id, event) => seen.push(event));
    const started = await first.call({ type: 'run.start', graph: smallPpo(1_000_000) }, 'run.started');
    const runId = started.run.runId;
    expect(started.run.dir.startsWith(join(workspace, 'runs'))).toBe(true);
    await waitFor(() => (seen.filter((e) => e.type === 'metrics').length >= 2 ? true : undefined));
    expect(seen.some((e) => e.type === 'progress')).toBe(true);
    first.close(); // the page goes away; the run must not stop

    const again = await connect();
    const events: Record<string, unknown>[] = [];
    again.onRunEvent((id, event) => id === runId && events.push(event));
    const snapshot = await again.call({ type: 'run.subscribe', runId }, 'run.snapshot');
    expect(snapshot.metrics.length).toBeGreaterThanOrEqual(2);
    expect(snapshot.run.state).toEqual({ running: expect.any(String) });
    await waitFor(() => (events.some((e) => e.type === 'metrics') ? true : undefined));
    const rows = (await again.call({ type: 'runs.list' }, 'runs')).runs;
    expect(rows.map((r) => r.runId)).toContain(runId);

    await again.call({ type: 'run.control', runId, event: { type: 'SET_PARAM', node: 'adam', param: 'lr', value: 5e-4 } }, 'ack');
    await again.call({ type: 'run.control', runId, event: { type: 'STOP' } }, 'ack');
    const summary = await waitFor(() => events.find((e) => e.type === 'summary'));
    expect(summary).toMatchObject({ type: 'summary', summary: { interrupted: true, backend: 'wasm' } });
    await waitFor(() => (events.some((e) => e.type === 'state' && e.state === 'done') ? true : undefined));
    const onDisk = JSON.parse(readFileSync(join(snapshot.run.dir, 'summary.json'), 'utf8'));
    expect(onDisk.interrupted).toBe(true);
    again.close();
  });
});

describe('rlc serve: the editor files', () => {
  it('serves the UI build without a token, falls back to index.html, and never leaves its folder', async () => {
    const ui = tempDir('rlc-ui-dist-');
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>RL Composer</title>');
    writeFileSync(join(ui, 'app.js'), 'console.log(1)');
    writeFileSync(join(ui, '..', 'secret.txt'), 'TOP-SECRET');
    const s = await startServer({ port: 0, host: '127.0.0.1', workspace: tempDir(), uiDir: ui, templatesDir: join(ROOT, 'templates') });
    try {
      const page = await fetch(`http://127.0.0.1:${s.port}/?token=${s.token}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toContain('RL Composer');
      const js = await fetch(`http://127.0.0.1:${s.port}/app.js`);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      const deep = await fetch(`http://127.0.0.1:${s.port}/some/route`);
      expect(await deep.text()).toContain('RL Composer');
      const raw = await new Promise<string>((resolve) => {
        request({ host: '127.0.0.1', port: s.port, path: '/../secret.txt' }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body));
        }).end();
      });
      expect(raw).not.toContain('TOP-SECRET');
      expect(raw).toContain('RL Composer');
    } finally {
      await s.close();
    }
  });
});
