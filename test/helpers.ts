/** Shared helpers for engine tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadGraph } from '../engine/graph/io.ts';
import type { GraphFile } from '../engine/graph/schema.ts';
import type { MetricsRow } from '../engine/run-folder.ts';

export const ROOT = new URL('..', import.meta.url).pathname;

export function template(name: string): GraphFile {
  return loadGraph(join(ROOT, 'templates', `${name}.rlgraph.json`));
}

export function tempDir(prefix = 'rlc-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Fields that measure time, which two identical runs cannot share. */
export const TIMING_FIELDS = ['wallSeconds', 'stepsPerSecond', 'collectSeconds', 'learnSeconds', 'advantageSeconds', 'iterationSeconds'];

export function withoutTiming(row: MetricsRow): MetricsRow {
  const copy = { ...row };
  for (const f of TIMING_FIELDS) delete copy[f];
  return copy;
}

export function rlc(args: string[], options: { timeout?: number } = {}) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/rlc.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: options.timeout ?? 120_000,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Two iterations of a 512-step PPO CartPole run (wasm) into <workspace>/runs/<name>, with a summary. */
export async function tinyRun(workspace: string, name: string, seed: number): Promise<void> {
  const { RunSession } = await import('../engine/session.ts');
  const graph = template('ppo-clip.cartpole');
  graph.run = { totalSteps: 512, seed, backend: 'wasm' };
  const session = new RunSession({ graph, outDir: join(workspace, 'runs', name) });
  try {
    await session.prepare();
    for (let i = 0; i < 2; i++) {
      session.collect();
      session.learn();
    }
    session.summary(session.evaluate(2));
  } finally {
    session.dispose();
  }
}

/** The PPO-clip CartPole template with a short budget on wasm (engine and server tests). */
export function smallPpo(steps: number, seed = 2): GraphFile {
  const graph = template('ppo-clip.cartpole');
  graph.run = { totalSteps: steps, seed, backend: 'wasm' };
  return graph;
}

/** Polls `check` every 20 ms until it returns a value (or rejects after `timeoutMs`). */
export function waitFor<T>(check: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const value = check();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error('timed out'));
      setTimeout(tick, 20);
    };
    tick();
  });
}
