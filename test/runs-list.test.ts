/** `rlc serve`'s runs list: GET /api/runs and /api/runs/<name>/metrics over two tiny runs in the workspace. */
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../engine/host/server.ts';
import { ROOT, tempDir, tinyRun } from './helpers.ts';


let server: RunningServer;
let workspace: string;
const get = (path: string) => fetch(`http://127.0.0.1:${server.port}${path}${path.includes('?') ? '&' : '?'}token=${server.token}`);

/** Status of a GET with the path sent exactly as given (no URL normalisation). */
function rawStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: `${path}?token=${server.token}`, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  workspace = tempDir('rlc-runs-');
  server = await startServer({ port: 0, host: '127.0.0.1', workspace, templatesDir: join(ROOT, 'templates') });
  await tinyRun(workspace, 'a', 1);
  await tinyRun(workspace, 'b', 2);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('rlc serve: runs list', () => {
  it('needs the token', async () => {
    expect((await fetch(`http://127.0.0.1:${server.port}/api/runs`)).status).toBe(401);
  });

  it('lists the run folders with their template, seed, steps and returns, newest first', async () => {
    const res = await get('/api/runs');
    expect(res.status).toBe(200);
    const runs = (await res.json()) as Record<string, unknown>[];
    expect(runs.map((r) => r.name).sort()).toEqual(['a', 'b']);
    const times = runs.map((r) => Date.parse(r.startedAt as string));
    expect(times[0]).toBeGreaterThanOrEqual(times[1]);
    for (const r of runs) {
      expect(r.template).toBe('ppo-clip.cartpole');
      expect(r.seed).toBe(r.name === 'a' ? 1 : 2);
      expect(r.steps).toBe(512);
      expect(r.finished).toBe(true);
      expect(typeof r.evalMeanReturn).toBe('number');
      expect(r.meanReturnLast20 === null || typeof r.meanReturnLast20 === 'number').toBe(true);
      expect(Number.isNaN(Date.parse(r.startedAt as string))).toBe(false);
    }
  });

  it('returns the return curve rows of one run', async () => {
    const res = await get('/api/runs/a/metrics');
    expect(res.status).toBe(200);
    const rows = (await res.json()) as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0]).sort()).toEqual(['iteration', 'returnMean', 'returnMeanLast20', 'step']);
    expect(rows.map((r) => r.step)).toEqual([256, 512]);
  });

  it('refuses traversal and unknown runs', async () => {
    expect((await get('/api/runs/nope/metrics')).status).toBe(404);
    expect((await get(`/api/runs/${encodeURIComponent('../a')}/metrics`)).status).toBe(403);
    expect((await get(`/api/runs/${encodeURIComponent('a\\..')}/metrics`)).status).toBe(403);
    expect((await get('/api/runs/..%2Fruns%2Fa/metrics')).status).toBe(403);
    expect(await rawStatus('/api/runs/../metrics')).toBe(403);
    expect(await rawStatus('/api/runs/a/../b/metrics')).toBe(403);
  });
});
