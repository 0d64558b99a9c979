/**
 * The off-policy benchmark's arithmetic (bench/offpolicy.ts): the baseline of the on-policy DPG
 * improvement target and the learning-phase steps/s that is compared with CleanRL.
 */
import { describe, expect, it } from 'vitest';
import { baselineReturn, learningStepsPerSecond, OFF_POLICY_LEARNING } from '../bench/offpolicy.ts';
import { template } from './helpers.ts';

describe('off-policy bench', () => {
  it('names existing templates, each with one kind of target', () => {
    for (const spec of OFF_POLICY_LEARNING) {
      expect(() => template(spec.template)).not.toThrow();
      expect((spec.target === undefined) !== (spec.improvement === undefined), spec.template).toBe(true);
    }
  });

  it('baseline: episode-weighted mean return of the episodes finished within the first steps', () => {
    const rows = [
      { step: 1000, episodes: 0 },
      { step: 2000, episodes: 2, returnMean: -1000 },
      { step: 3000, episodes: 1, returnMean: -1300 },
      { step: 6000, episodes: 5, returnMean: -200 },
    ];
    expect(baselineReturn(rows, 5000)).toBeCloseTo(-1100, 9);
    expect(baselineReturn(rows, 1500)).toBeNull();
  });

  it('learning-phase speed counts only iterations that began after the warm-up', () => {
    const rows = [
      { step: 500, iterationSeconds: 0.1 },
      { step: 1000, iterationSeconds: 0.1 },
      { step: 1500, iterationSeconds: 10 },
      { step: 2000, iterationSeconds: 5 },
    ];
    expect(learningStepsPerSecond(rows, 1000)).toBeCloseTo(1000 / 15, 9);
    expect(learningStepsPerSecond(rows.slice(0, 2), 1000)).toBeNull();
  });
});
