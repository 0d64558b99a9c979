import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphFile } from '../engine/graph/schema.ts';
import { createRunActor, whenFinished } from '../engine/machine.ts';
import type { MetricsRow } from '../engine/run-folder.ts';
import { RunSession } from '../engine/session.ts';
import { tempDir, template, withoutTiming } from './helpers.ts';

function small(graph: GraphFile, steps: number, seed = 3): GraphFile {
  const g = structuredClone(graph);
  g.run = { totalSteps: steps, seed, backend: 'wasm' };
  return g;
}

async function runIterations(session: RunSession, iterations: number): Promise<MetricsRow[]> {
  const rows: MetricsRow[] = [];
  for (let i = 0; i < iterations; i++) {
    session.collect();
    rows.push(session.learn().row);
  }
  return rows;
}

function readRows(dir: string): MetricsRow[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetricsRow);
}

describe('run engine', () => {
  it('is deterministic: same graph + seed + backend ⇒ identical metrics (timing aside)', async () => {
    const graph = small(template('ppo-clip.cartpole'), 100_000);
    const a = new RunSession({ graph });
    await a.prepare();
    const rowsA = await runIterations(a, 4);
    a.dispose();
    const b = new RunSession({ graph });
    await b.prepare();
    const rowsB = await runIterations(b, 4);
    b.dispose();
    expect(rowsA.map(withoutTiming)).toEqual(rowsB.map(withoutTiming));
    const c = new RunSession({ graph: small(template('ppo-clip.cartpole'), 100_000, 4) });
    await c.prepare();
    const rowsC = await runIterations(c, 4);
    c.dispose();
    expect(rowsC.map(withoutTiming)).not.toEqual(rowsA.map(withoutTiming));
  });

  it('is deterministic on the pure-JS cpu backend too', async () => {
    const graph = small(template('ppo-clip.cartpole'), 100_000);
    graph.run.backend = 'cpu';
    const rows: MetricsRow[][] = [];
    for (let k = 0; k < 2; k++) {
      const session = new RunSession({ graph });
      await session.prepare();
      expect(session.backend.name).toBe('cpu');
      rows.push(await runIterations(session, 2));
      session.dispose();
    }
    expect(rows[0].map(withoutTiming)).toEqual(rows[1].map(withoutTiming));
  });

  it('resumes from a checkpoint exactly where it stopped', async () => {
    const graph = small(template('ppo-clip.cartpole'), 100_000);
    const straightDir = tempDir();
    const straight = new RunSession({ graph, outDir: straightDir });
    await straight.prepare();
    await runIterations(straight, 6);
    straight.dispose();

    const splitDir = tempDir();
    const first = new RunSession({ graph, outDir: splitDir });
    await first.prepare();
    await runIterations(first, 3);
    first.checkpoint();
    await runIterations(first, 1); // written after the checkpoint: must be dropped on resume
    first.dispose();
    const second = new RunSession({ graph, outDir: splitDir, resume: true });
    await second.prepare();
    expect(second.resumedFrom).toBe(3);
    await runIterations(second, 3);
    second.dispose();

    const a = readRows(straightDir).map(withoutTiming);
    const b = readRows(splitDir).map(withoutTiming);
    expect(b).toHaveLength(6);
    expect(b).toEqual(a);
  });

  it('does not leak tensors between iterations', async () => {
    const session = new RunSession({ graph: small(template('ppo-clip.cartpole'), 1_000_000) });
    await session.prepare();
    await runIterations(session, 5);
    const before = session.memory().numTensors;
    await runIterations(session, 20);
    expect(session.memory().numTensors).toBe(before);
    session.dispose();
  });

  it('runs PPO with the clip node removed (the lecture\'s "no clipping" row)', async () => {
    const graph = small(template('ppo-clip.cartpole'), 100_000);
    graph.nodes = graph.nodes.filter((n) => n.id !== 'clip');
    graph.edges = graph.edges.filter((e) => e.from.node !== 'clip' && e.to.node !== 'clip');
    const session = new RunSession({ graph });
    await session.prepare();
    expect(session.plan.cones.get('adam')).toEqual(['entropy', 'logp', 'ratio', 'surrogate', 'value_loss', 'loss']);
    const rows = await runIterations(session, 2);
    expect(rows[1]['surrogate.objective']).toEqual(expect.any(Number));
    expect(rows[1]).not.toHaveProperty('clip.clipFraction');
    session.dispose();
  });

  it('stops with an error naming the block when a loss becomes non-finite, keeping the last good checkpoint', async () => {
    const dir = tempDir();
    const graph = small(template('ppo-clip.cartpole'), 100_000);
    const session = new RunSession({ graph, outDir: dir });
    await session.prepare();
    await runIterations(session, 2);
    const good = session.checkpoint()!;
    session.executor.setParam('loss', 'weights', { surrogate: -1, value_loss: 1e38, entropy: 0 });
    session.collect();
    expect(() => session.learn()).toThrow(/block 'loss' \(loss\.weightedSum\) output a non-finite value/);
    session.dispose();
    expect(readdirSync(join(dir, 'checkpoints'))).toEqual([good.split('/').pop()]);
    expect(JSON.parse(readFileSync(good, 'utf8')).iteration).toBe(2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('drives the xstate machine: START, PAUSE, STEP, SET_PARAM, RESUME, done', async () => {
    const dir = tempDir();
    const { actor } = createRunActor({ graph: small(template('ppo-clip.cartpole'), 3_000), outDir: dir });
    const states: string[] = [];
    const metrics: MetricsRow[] = [];
    actor.subscribe((s) => states.push(JSON.stringify(s.value)));
    actor.on('metrics', ({ row }) => metrics.push(row));
    const logs: string[] = [];
    actor.on('log', ({ message }) => logs.push(message));
    actor.start();
    actor.send({ type: 'START' });
    actor.send({ type: 'PAUSE' });
    await new Promise<void>((resolve) => {
      const sub = actor.subscribe((s) => {
        if (s.value === 'paused') {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    // Pause takes effect within the first iteration's learning half (suspended part-way) or,
    // if that half was shorter than a slice, at its end.
    const before = metrics.length;
    expect(before).toBeLessThanOrEqual(1);
    actor.send({ type: 'SET_PARAM', node: 'adam', param: 'lr', value: 1e-4 });
    actor.send({ type: 'STEP' });
    await new Promise<void>((resolve) => {
      const sub = actor.subscribe((s) => {
        if (s.value === 'paused' && metrics.length === before + 1) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    expect(metrics[before]['adam.lr'] ?? null).toBeNull(); // lr is not wired to metrics in the template
    expect(actor.getSnapshot().context.session.plan.nodes.get('adam')!.params.lr).toBe(1e-4);
    actor.send({ type: 'RESUME' });
    expect(await whenFinished(actor)).toBe('done');
    expect(states).toContain(JSON.stringify({ running: 'collecting' }));
    expect(states).toContain(JSON.stringify({ running: 'learning' }));
    expect(states).toContain(JSON.stringify({ running: 'evaluating' }));
    expect(states).toContain('"compiling"');
    expect(logs).toContain('backend wasm (@tensorflow/tfjs-backend-wasm)');
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.steps).toBeGreaterThanOrEqual(3_000);
    expect(summary.eval.episodes).toBe(20);
    expect(existsSync(join(dir, 'metrics.csv'))).toBe(true);
  });

  it('rejects a live change of a param that is not live, naming node and param', async () => {
    const session = new RunSession({ graph: small(template('ppo-clip.cartpole'), 10_000) });
    await session.prepare();
    expect(() => session.executor.setParam('gae', 'lambda', 0.9)).toThrow(/param 'lambda' of 'gae' cannot change during a run/);
    expect(() => session.executor.setParam('adam', 'lr', -1)).toThrow(/node 'adam': param 'lr'/);
    session.dispose();
  });
});

describe('every-k clock', () => {
  it('runs blocks after control.every on every k-th iteration only', async () => {
    const graph = small(template('ppo-clip.cartpole'), 100_000);
    graph.nodes.push({ id: 'every2', type: 'control.every', params: { k: 2 } });
    graph.edges.push({ from: { node: 'rollout', port: 'batch' }, to: { node: 'every2', port: 'after' } });
    graph.edges.push({ from: { node: 'every2', port: 'tick' }, to: { node: 'eval', port: 'when' } });
    graph.nodes.find((n) => n.id === 'eval')!.params = { episodes: 2 };
    const session = new RunSession({ graph });
    await session.prepare();
    expect(session.plan.nodes.get('eval')!.clock).toBe('every:every2');
    expect(session.plan.iteration.find((s) => s.id === 'every2')).toMatchObject({ kind: 'loop', body: [{ kind: 'node', id: 'eval' }] });
    const rows = await runIterations(session, 4);
    session.dispose();
    expect(rows.map((r) => r['eval.meanReturn'] !== undefined)).toEqual([false, true, false, true]);
  });
});

describe('final evaluation', () => {
  it('a graph without an evaluator block is evaluated with its collector\'s env and policy', async () => {
    const graph = small(template('ppo-clip.cartpole'), 100_000);
    graph.nodes = graph.nodes.filter((n) => n.id !== 'eval');
    graph.edges = graph.edges.filter((e) => e.to.node !== 'eval');
    const session = new RunSession({ graph });
    await session.prepare();
    await runIterations(session, 1);
    const evaluation = session.evaluate(20);
    session.dispose();
    expect(evaluation.episodes).toBe(20);
    expect(evaluation.nodeId).toBe('rollout');
    // An almost untrained CartPole policy: short episodes, but real ones (≥ 8 steps each).
    expect(evaluation.meanReturn!).toBeGreaterThanOrEqual(8);
    expect(evaluation.meanReturn!).toBeLessThan(200);
  });
});
