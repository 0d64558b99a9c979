/**
 * Short learning smoke tests: PPO-clip on CartPole must clearly learn within 41k steps (a random
 * policy averages ~22), and TD3 (the off-policy step clock: replay, twin critics, target networks,
 * delayed actor updates) with 64-64 networks must swing Pendulum up within 8,000 steps. The full
 * budgets and thresholds are checked by `npm run bench -- --suite learning` and
 * `npm run bench -- offpolicy`; these only guard against an engine change that silently stops
 * learning.
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

  it('TD3 Pendulum-v1, 64-64 networks (wasm, seed 1): evaluation above −400 after 8,000 steps', async () => {
    const graph = template('td3.pendulum');
    graph.run = { ...graph.run, totalSteps: 8_000, seed: 1, backend: 'wasm' };
    for (const node of graph.nodes) {
      if (node.type === 'net.mlp' || node.type === 'net.qNetwork') node.params.hidden = [64, 64];
      if (node.type === 'replay.sample') node.params.batchSize = 64;
    }
    const session = new RunSession({ graph });
    await session.prepare();
    const firstReturns: number[] = [];
    while (session.executor.globalStep < 8_000) {
      session.collect();
      session.learn();
      if (session.executor.globalStep === 1_000) firstReturns.push(session.meanReturnLast20() ?? 0);
    }
    const evaluation = session.evaluate(20);
    session.dispose();
    // The random warm-up (first 1,000 steps) scores about −1,200 per episode; a swung-up pendulum
    // about −150.
    expect(firstReturns[0]).toBeLessThan(-900);
    expect(evaluation.meanReturn!).toBeGreaterThan(-400);
  }, 120_000);
});
