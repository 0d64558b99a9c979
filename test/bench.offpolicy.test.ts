/**
 * The off-policy benchmark's arithmetic (bench/offpolicy.ts): the baseline of the on-policy DPG
 * improvement target and the learning-phase steps/s that is compared with CleanRL.
 */
import { describe, expect, it } from 'vitest';
import { baselineReturn, learningStepsPerSecond, mergeOffPolicyReport, OFF_POLICY_LEARNING } from '../bench/offpolicy.ts';
import { template } from './helpers.ts';

describe('off-policy bench', () => {
  it('names existing templates, each with one kind of target', () => {
    for (const spec of OFF_POLICY_LEARNING) {
      expect(() => template(spec.template)).not.toThrow();
      expect((spec.target === undefined) !== (spec.improvement === undefined), spec.template).toBe(true);
    }
  });

  it('baseline: episode-weighted mean return of the episodes finished within the first steps', () => {
    // As metrics.jsonl has them: `episodes` is the running total, `returnMean` is null in an
    // iteration where no episode finished.
    const rows = [
      { step: 1000, episodes: 0, returnMean: null },
      { step: 2000, episodes: 2, returnMean: -1000 },
      { step: 2500, episodes: 2, returnMean: null },
      { step: 3000, episodes: 3, returnMean: -1300 },
      { step: 6000, episodes: 8, returnMean: -200 },
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

  it('a --templates rerun replaces only its templates in the day\'s results, in suite order', () => {
    const previous = { speed: [{ template: 'td3.pendulum' }], templates: [{ template: 'td3.pendulum', v: 1 }, { template: 'dpg-onpolicy.pendulum', v: 1 }, { template: 'soft-q.cartpole', v: 1 }] };
    const merged = mergeOffPolicyReport(previous, { speed: [], templates: [{ template: 'dpg-onpolicy.pendulum', v: 2 }] });
    expect(merged.templates).toEqual([{ template: 'td3.pendulum', v: 1 }, { template: 'dpg-onpolicy.pendulum', v: 2 }, { template: 'soft-q.cartpole', v: 1 }]);
    expect(merged.speed).toEqual([{ template: 'td3.pendulum' }]);
    expect(mergeOffPolicyReport(undefined, { templates: [] })).toEqual({ templates: [] });
  });
});
