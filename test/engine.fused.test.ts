import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModuleResource, PolicyResource } from '../engine/block.ts';
import { canFuse, FusedChains } from '../engine/fused-forward.ts';
import { tf } from '../engine/tf.ts';
import { classicEnvSpec } from '../nodes/env/classic/index.ts';
import { categoricalHead } from '../nodes/head/categorical.ts';
import { valueHead } from '../nodes/head/value.ts';
import { mlp } from '../nodes/net/mlp.ts';
import { makeCtx } from './fakes.ts';

function build(activation: 'tanh' | 'relu', hidden: number[]) {
  const envSpec = classicEnvSpec('CartPole-v1');
  const torso = (id: string) =>
    mlp.create(makeCtx(id, { envSpec }), { hidden, activation, init: 'orthogonal', gain: Math.SQRT2, inputSize: 0 }).resources!
      .module as ModuleResource;
  const policy = categoricalHead.create(makeCtx('policy', { envSpec, resources: { torso: torso('pi') } }), { gain: 0.5, init: 'orthogonal' })
    .resources!.policy as PolicyResource;
  const value = valueHead.create(makeCtx('value', { envSpec, resources: { torso: torso('v') } }), { gain: 1, init: 'orthogonal' }).resources!
    .value as ModuleResource;
  return { policy, value };
}

describe('fused policy + value forward', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });

  it('equals the two separate forward passes, and follows weight updates', () => {
    const { policy, value } = build('tanh', [64, 64]);
    expect(canFuse(policy.chain, value.chain)).toBe(true);
    const fused = new FusedChains(policy.chain!, value.chain!);
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 7);
    const check = () => {
      const got = tf.tidy(() => fused.forward(x)).arraySync() as number[][];
      const logits = tf.tidy(() => policy.applyForActing(x)).arraySync() as number[][];
      const v = tf.tidy(() => value.apply(x)).arraySync() as number[];
      for (let i = 0; i < 5; i++) {
        expect(got[i][0]).toBeCloseTo(logits[i][0], 5);
        expect(got[i][1]).toBeCloseTo(logits[i][1], 5);
        expect(got[i][2]).toBeCloseTo(v[i], 5);
      }
    };
    check();
    // A changed weight (as after an optimizer step) must reach the fused layers.
    const w = value.chain![1].layer.weight;
    tf.tidy(() => w.assign(tf.mul(w, 1.5)));
    check();
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      fused.forward(x);
    });
    expect(tf.memory().numTensors).toBe(before);
    fused.dispose();
  });

  it('refuses chains that differ in depth or activation', () => {
    const a = build('tanh', [64, 64]);
    const b = build('relu', [64, 64]);
    const c = build('tanh', [32]);
    expect(canFuse(a.policy.chain, b.value.chain)).toBe(false);
    expect(canFuse(a.policy.chain, c.value.chain)).toBe(false);
    expect(canFuse(a.policy.chain, undefined)).toBe(false);
  });
});
