/**
 * Short learning smoke test: PPO-clip on CartPole must clearly learn within 41k steps (a random
 * policy averages ~22). The full budgets and thresholds are checked by `npm run bench -- --suite
 * learning`; this only guards against an engine change that silently stops learning.
 */
import { describe, expect, it } from 'vitest';
import { RunSession } from '../engine/session.ts';
import { template } from './helpers.ts';

describe('learning smoke test', () => {
  it('PPO-clip CartPole-v1 (wasm, seed 1): the mean of 20 returns passes 300 within 40,960 steps', async () => {
    const graph = template('ppo-clip.cartpole');
    graph.run = { ...graph.run, seed: 1, backend: 'wasm' }; // the template's own 100k schedule
    const session = new RunSession({ graph });
    await session.prepare();
    let best = 0;
    while (session.executor.globalStep < 40_960) {
      session.collect();
      session.learn();
      best = Math.max(best, session.meanReturnLast20() ?? 0);
    }
    const evaluation = session.evaluate(20);
    session.dispose();
    expect(session.executor.globalStep).toBe(40_960);
    expect(best).toBeGreaterThan(300); // a random policy averages about 22
    expect(evaluation.meanReturn!).toBeGreaterThan(150);
  });
});
