/**
 * Multithreaded wasm in Node (engine/wasm-threads.ts): the pool really has 2 threads and they
 * really compute, results equal single-threaded wasm, failures fall back to one thread with a
 * one-line reason, and a script that uses threads ends by itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker as NodeWorker } from 'node:worker_threads';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../engine/tf.ts';
import { activateWasm, defaultWasmThreads, wasmThreadCount, wasmThreadsFromEnv } from '../engine/wasm-threads.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Host copies of a matMul, an MLP's gradients and its weights after three Adam steps; no tensors left behind. */
function workload(): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  const a = tf.randomNormal([256, 256], 0, 1, 'float32', 11);
  const b = tf.randomNormal([256, 256], 0, 1, 'float32', 12);
  const c = tf.matMul(a, b);
  out.matmul = c.dataSync() as Float32Array;
  c.dispose();
  const x = tf.randomNormal([256, 4], 0, 1, 'float32', 13) as tf.Tensor2D;
  const y = tf.randomNormal([256, 1], 0, 1, 'float32', 14);
  const ps = tf.tidy(() => [
    tf.variable(tf.randomUniform([4, 256], -0.5, 0.5, 'float32', 15)),
    tf.variable(tf.zeros([1, 256])),
    tf.variable(tf.randomUniform([256, 256], -0.1, 0.1, 'float32', 16)),
    tf.variable(tf.zeros([1, 256])),
    tf.variable(tf.randomUniform([256, 1], -0.1, 0.1, 'float32', 17)),
    tf.variable(tf.zeros([1, 1])),
  ]);
  const loss = () =>
    tf.tidy(() => {
      let h = x as tf.Tensor2D;
      for (let i = 0; i < ps.length; i += 2) {
        h = tf.add(tf.matMul(h, ps[i] as tf.Tensor2D), ps[i + 1]);
        if (i + 2 < ps.length) h = tf.relu(h);
      }
      return tf.mean(tf.square(tf.sub(h, y))) as tf.Scalar;
    });
  const { value, grads } = tf.variableGrads(loss, ps);
  out.grads = Float32Array.from(ps.flatMap((p) => Array.from(grads[p.name].dataSync())));
  tf.dispose([value, ...Object.values(grads)]);
  const opt = tf.train.adam(1e-2);
  for (let i = 0; i < 3; i++) opt.minimize(loss, true, ps)?.dispose();
  out.params = Float32Array.from(ps.flatMap((p) => Array.from(p.dataSync())));
  opt.dispose();
  tf.dispose([a, b, x, y, ...ps]);
  return out;
}

function expectClose(got: Record<string, Float32Array>, want: Record<string, Float32Array>): void {
  for (const key of Object.keys(want)) {
    expect(got[key].length, key).toBe(want[key].length);
    let worst = 0;
    for (let i = 0; i < want[key].length; i++) {
      worst = Math.max(worst, Math.abs(got[key][i] - want[key][i]) / (1e-3 + Math.abs(want[key][i])));
    }
    expect(worst, `${key}: largest relative difference`).toBeLessThan(1e-5);
  }
}

/** CPU ticks per OS thread of this process (Linux), keyed by thread id. */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(tid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return ticks;
}

/**
 * Runs 1024² matMuls and returns the largest share of their CPU time spent by one thread other
 * than the main thread (about 0.5 when two threads split the work, about 0 for one thread).
 */
let lastTicks: [string, number][] = [];
function helperShare(): number {
  const a = tf.randomNormal([1024, 1024], 0, 1, 'float32', 21);
  const b = tf.randomNormal([1024, 1024], 0, 1, 'float32', 22);
  const before = threadTicks();
  for (let i = 0; i < 12; i++) {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  }
  const after = threadTicks();
  lastTicks = [...after].map(([tid, t]) => [tid, t - (before.get(tid) ?? 0)]);
  tf.dispose([a, b]);
  let total = 0;
  let helper = 0;
  for (const [tid, t] of after) {
    const d = t - (before.get(tid) ?? 0);
    total += d;
    if (tid !== String(process.pid)) helper = Math.max(helper, d);
  }
  return total > 0 ? helper / total : 0;
}

describe('wasm threads in Node', () => {
  afterAll(async () => {
    await activateWasm({ threads: 1, reinit: true });
  });

  it('runs XNNPACK on 2 threads that both compute, with results equal to single-threaded wasm', async () => {
    const lines: string[] = [];
    const single = await activateWasm({ threads: 1, reinit: true, log: (l) => lines.push(l) });
    expect(single).toEqual({ ok: true, threads: 1 });
    expect(wasmThreadCount()).toBe(1);
    const want = workload();
    const singleShare = existsSync('/proc/self/task') ? helperShare() : 0;

    const threaded = await activateWasm({ threads: 2, reinit: true, log: (l) => lines.push(l) });
    expect(lines).toEqual([]);
    expect(threaded).toEqual({ ok: true, threads: 2 });
    expect(tf.getBackend()).toBe('wasm');
    expect(wasmThreadCount()).toBe(2);
    expect(getThreadsCount()).toBe(2);
    const tensors = tf.memory().numTensors;
    expectClose(workload(), want);
    expect(tf.memory().numTensors).toBe(tensors);
    if (existsSync('/proc/self/task')) {
      // The second thread does a real part of the work (single-threaded wasm: none).
      const share = helperShare();
      expect(singleShare).toBeLessThan(0.1);
      expect(share, `ticks ${JSON.stringify(lastTicks)}`).toBeGreaterThan(0.15);
    }
  });

  it('falls back to one thread, with a one-line reason, when a pthread worker fails', async () => {
    await activateWasm({ threads: 1, reinit: true });
    const want = workload();
    const lines: string[] = [];
    const got = await activateWasm({ threads: 2, reinit: true, workerScript: 'throw new Error("no pthreads today")', log: (l) => lines.push(l) });
    expect(got.ok).toBe(true);
    expect(got.threads).toBe(1);
    expect(got.reason).toContain('no pthreads today');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(lines[0]).toContain('using 1');
    expect(wasmThreadCount()).toBe(1);
    expect(getThreadsCount()).toBe(1);
    expectClose(workload(), want);
    // The hook is gone (Emscripten's own assignment, worker_threads.Worker, may remain).
    expect([undefined, NodeWorker]).toContain((globalThis as { Worker?: unknown }).Worker);
  });

  it('falls back to one thread when the threaded start does not finish in time', async () => {
    const lines: string[] = [];
    const got = await activateWasm({ threads: 2, reinit: true, workerScript: 'setInterval(() => {}, 1000);', timeoutMs: 1500, log: (l) => lines.push(l) });
    expect(got).toMatchObject({ ok: true, threads: 1 });
    expect(got.reason).toContain('longer than 1500 ms');
    expect(lines).toHaveLength(1);
    expect(wasmThreadCount()).toBe(1);
    const c = tf.tidy(() => tf.sum(tf.matMul(tf.ones([8, 8]), tf.ones([8, 8])))).dataSync()[0];
    expect(c).toBe(512);
  });

  it('keeps a running wasm backend that holds tensors unless told to re-create it', async () => {
    await activateWasm({ threads: 1, reinit: true });
    const held = tf.ones([4]);
    const lines: string[] = [];
    const got = await activateWasm({ threads: 2, log: (l) => lines.push(l) });
    expect(got).toMatchObject({ ok: true, threads: 1 });
    expect(got.reason).toContain('holds tensors');
    expect(lines).toHaveLength(1);
    expect(Array.from(held.dataSync())).toEqual([1, 1, 1, 1]);
    held.dispose();
  });

  it('reads RLC_WASM_THREADS', () => {
    expect(wasmThreadsFromEnv(undefined)).toBeUndefined();
    expect(wasmThreadsFromEnv(' ')).toBeUndefined();
    expect(wasmThreadsFromEnv('0')).toBe(0);
    expect(wasmThreadsFromEnv('3')).toBe(3);
    expect(wasmThreadsFromEnv('auto')).toBe(defaultWasmThreads());
    expect(defaultWasmThreads()).toBeGreaterThanOrEqual(1);
    expect(defaultWasmThreads()).toBeLessThanOrEqual(4);
    expect(() => wasmThreadsFromEnv('two')).toThrow(/RLC_WASM_THREADS/);
  });

  it('lets a script that trains on 2 wasm threads (RLC_WASM_THREADS=2, selectBackend) end by itself', () => {
    const backendUrl = pathToFileURL(`${repoRoot}engine/backend.ts`).href;
    const tfUrl = pathToFileURL(`${repoRoot}engine/tf.ts`).href;
    const threadsUrl = pathToFileURL(`${repoRoot}engine/wasm-threads.ts`).href;
    const code = `
      const { selectBackend } = await import(${JSON.stringify(backendUrl)});
      const { tf } = await import(${JSON.stringify(tfUrl)});
      const { wasmThreadCount } = await import(${JSON.stringify(threadsUrl)});
      const choice = await selectBackend('wasm');
      const w = tf.variable(tf.randomNormal([64, 64], 0, 0.1, 'float32', 1));
      const x = tf.randomNormal([256, 64], 0, 1, 'float32', 2);
      const opt = tf.train.adam(1e-3);
      for (let i = 0; i < 5; i++) opt.minimize(() => tf.mean(tf.square(tf.matMul(x, w))), false, [w]);
      console.log(JSON.stringify({ detail: choice.detail, threads: wasmThreadCount() }));
    `;
    const started = Date.now();
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: repoRoot,
      env: { ...process.env, RLC_WASM_THREADS: '2' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(res.signal, `stderr: ${res.stderr}`).toBeNull();
    expect(res.status, `stderr: ${res.stderr}`).toBe(0);
    expect(JSON.parse(res.stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ detail: '@tensorflow/tfjs-backend-wasm (2 threads)', threads: 2 });
    expect(Date.now() - started).toBeLessThan(25_000);
  });
});
