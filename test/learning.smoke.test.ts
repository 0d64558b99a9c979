/**
 * Short learning smoke test: PPO-clip on CartPole must clearly learn within 41k steps (a random
 * policy averages ~22). The full budgets and thresholds are checked by `npm run bench -- --suite
 * learning`; this only guards against an engine change that silently stops learning.
 */
import { describe, expect, it } from 'vitest';
import { RunSession } from '../engine/session.ts';
import { template } from './helpers.ts';

describe('learning smoke test', () => {
  it('PPO-clip CartPole-v1 (wasm, seed 1) reaches a mean return > 200 within 40,960 steps', async () => {
    const graph = template('ppo-clip.cartpole');
    graph.run = { ...graph.run, seed: 1, backend: 'wasm' }; // the template's own 100k schedule
    const session = new RunSession({ graph });
    await session.prepare();
    while (session.executor.globalStep < 40_960) {
      session.collect();
      session.learn();
    }
    const last20 = session.meanReturnLast20()!;
    const evaluation = session.evaluate(20);
    session.dispose();
    expect(session.executor.globalStep).toBe(40_960);
    expect(last20).toBeGreaterThan(200);
    expect(evaluation.meanReturn!).toBeGreaterThan(150);
  });
});
