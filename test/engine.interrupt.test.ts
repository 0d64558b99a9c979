/**
 * Stop and Pause inside a long iteration. An off-policy iteration (1,000 env steps, each with an
 * update) takes 10–20 s; the learning half hands the event loop back between env steps so that
 * Stop and Pause are seen at once, a paused run computes exactly what an uninterrupted one does,
 * and a stopped one records the part of the iteration it ran and checkpoints where it was.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphFile } from '../engine/graph/schema.ts';
import { createRunActor, whenFinished } from '../engine/machine.ts';
import type { MetricsRow } from '../engine/run-folder.ts';
import { RunSession } from '../engine/session.ts';
import { tf } from '../engine/tf.ts';
import { tempDir, template, waitFor, withoutTiming } from './helpers.ts';

/** TD3 with small networks and long iterations (as in the shipped template, only smaller). */
function td3(steps: number, stepsPerIteration: number): GraphFile {
  const g = structuredClone(template('td3.pendulum'));
  g.run = { totalSteps: steps, seed: 3, backend: 'wasm' };
  for (const node of g.nodes) {
    if (node.type === 'net.mlp' || node.type === 'net.qNetwork') node.params.hidden = [16, 16];
    if (node.type === 'replay.sample') Object.assign(node.params, { batchSize: 16, learningStarts: 40 });
    if (node.type === 'collect.offPolicy') Object.assign(node.params, { stepsPerIteration, randomSteps: 40 });
    if (node.type === 'sink.evaluator') Object.assign(node.params, { episodes: 1, every: 1000 });
  }
  return g;
}

async function straightRows(graph: GraphFile, n: number): Promise<MetricsRow[]> {
  const session = new RunSession({ graph, outDir: tempDir() });
  await session.prepare();
  const rows: MetricsRow[] = [];
  for (let i = 0; i < n; i++) {
    session.collect();
    rows.push(session.learn().row);
  }
  session.dispose();
  return rows;
}

/** A started run of 3,000-step iterations, once `steps` env steps of its first iteration are done. */
async function longRunUnderWay(steps: number) {
  const dir = tempDir();
  const { actor, session } = createRunActor({ graph: td3(6_000, 3_000), outDir: dir });
  const states: string[] = [];
  actor.subscribe((s) => states.push(JSON.stringify(s.value)));
  const metrics: MetricsRow[] = [];
  actor.on('metrics', ({ row }) => metrics.push(row));
  actor.start();
  actor.send({ type: 'START' });
  await waitFor(() => (session.executor?.globalStep >= steps ? true : undefined), 60_000);
  return { dir, actor, session, states, metrics };
}

describe('interrupting a long iteration', () => {
  it('suspends part-way on Pause and resumes to exactly the rows of an uninterrupted run, without leaking tensors', async () => {
    const graph = td3(1_000, 250);
    const expected = await straightRows(graph, 3);
    const session = new RunSession({ graph, outDir: tempDir() });
    await session.prepare();
    const rows: MetricsRow[] = [];
    let suspensions = 0;
    const tensorsAfterIteration: number[] = [];
    session.interrupt.pause = true;
    while (rows.length < 3) {
      session.collect();
      const outcome = await session.learnCooperatively(0); // a slice per env step
      if (outcome === 'suspended') {
        suspensions += 1;
        expect(session.midIteration).toBe(true);
        // The agent view plays an episode while the iteration is suspended: it must not disturb it.
        if (suspensions === 5) expect(session.recordEpisode(50).states.length).toBeGreaterThan(0);
        // Mostly one env step per call; now and then the rest of the iteration in one go.
        session.interrupt.pause = suspensions % 100 !== 0;
        continue;
      }
      rows.push(outcome.row);
      // Across iterations the count is steady: suspending leaks nothing. (Within one, the metrics
      // sink keeps a scalar per tick until the iteration ends, by design.)
      tensorsAfterIteration.push(tf.memory().numTensors);
      session.interrupt.pause = true;
    }
    expect(suspensions).toBeGreaterThanOrEqual(300);
    expect(tensorsAfterIteration[2]).toBe(tensorsAfterIteration[1]);
    expect(rows.map(withoutTiming)).toEqual(expected.map(withoutTiming));
    const settled = tf.memory().numTensors;
    session.dispose();
    expect(tf.memory().numTensors).toBeLessThan(settled);
  }, 120_000);

  it('a run disposed while suspended part-way closes its tensor scope', async () => {
    const before = tf.memory().numTensors;
    const session = new RunSession({ graph: td3(1_000, 500), outDir: tempDir() });
    await session.prepare();
    session.collect();
    session.interrupt.pause = true;
    for (let i = 0; i < 100; i++) expect(await session.learnCooperatively(0)).toBe('suspended');
    session.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('Stop in the middle of a 3,000-step iteration ends it within a second, records the steps it ran and checkpoints there; resume goes on from it', async () => {
    const { dir, actor, states, metrics } = await longRunUnderWay(400);
    const stopAt = performance.now();
    actor.send({ type: 'STOP' });
    await waitFor(() => (states.at(-1) !== JSON.stringify({ running: 'learning' }) ? true : undefined), 10_000);
    const reaction = performance.now() - stopAt;
    expect(reaction).toBeLessThan(1_000);
    expect(await whenFinished(actor)).toBe('done');
    expect(metrics).toHaveLength(1);
    expect(metrics[0].step).toBeGreaterThanOrEqual(400);
    expect(metrics[0].step).toBeLessThan(3_000);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.interrupted).toBe(true);
    expect(summary.steps).toBe(metrics[0].step);
    expect(readdirSync(join(dir, 'checkpoints'))).toHaveLength(1);

    const resumed = new RunSession({ graph: td3(6_000, 3_000), outDir: dir, resume: true });
    await resumed.prepare();
    expect(resumed.executor.globalStep).toBe(metrics[0].step);
    resumed.collect();
    const next = resumed.learn().row;
    expect(next.iteration).toBe(2);
    expect(next.step).toBe(Number(metrics[0].step) + 3_000);
    resumed.dispose();
  }, 120_000);

  it('Pause in the middle of a long iteration pauses at once; Stop while paused records the part it ran', async () => {
    const { dir, actor, session, metrics } = await longRunUnderWay(300);
    const pauseAt = performance.now();
    actor.send({ type: 'PAUSE' });
    await waitFor(() => (actor.getSnapshot().value === 'paused' ? true : undefined), 10_000);
    expect(performance.now() - pauseAt).toBeLessThan(1_000);
    expect(session.midIteration).toBe(true);
    const pausedAt = session.executor.globalStep;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(session.executor.globalStep).toBe(pausedAt); // really paused
    expect(metrics).toHaveLength(0);
    actor.send({ type: 'STOP' });
    expect(await whenFinished(actor)).toBe('done');
    expect(metrics).toHaveLength(1);
    expect(metrics[0].step).toBe(pausedAt);
    expect(existsSync(join(dir, 'summary.json'))).toBe(true);
  }, 120_000);
});
