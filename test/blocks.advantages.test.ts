/**
 * Advantage blocks against values computed by hand: GAE (adv.gae / computeGae), returns-to-go
 * (adv.returnsToGo / computeReturnsToGo) and advantage normalisation (adv.normalize).
 */
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HostBatch } from '../engine/block.ts';
import { Rng } from '../engine/rng.ts';
import { tf } from '../engine/tf.ts';
import { computeGae, gae } from '../nodes/adv/gae.ts';
import { normalize } from '../nodes/adv/normalize.ts';
import { computeReturnsToGo, returnsToGo } from '../nodes/adv/returns-to-go.ts';
import { makeCtx, makeTick, asTensor, asBatch } from './fakes.ts';

// ---------------------------------------------------------------- fakes





const f32 = (values: number[]) => Float32Array.from(values);

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(actual[i], `index ${i}`).toBeCloseTo(expected[i], digits);
  }
}

// ---------------------------------------------------------------- the hand batch

/*
 * 2 envs × 3 steps, trajectory-contiguous (env 0 rows 0–2, env 1 rows 3–5):
 *   row 0: env 0, continues to row 1                  (cont 1)
 *   row 1: env 0, TERMINATED (nextValue must be ignored: it is set to 5 on purpose)
 *   row 2: env 0, new episode cut by the batch end      (cont 0, bootstrap from nextValue 0.7)
 *   row 3: env 1, TRUNCATED by the time limit           (cont 0, bootstrap from V(finalObs) 1.5)
 *   row 4: env 1, continues to row 5                    (cont 1, nextValue = value[5])
 *   row 5: env 1, cut by the batch end                  (cont 0, bootstrap from nextValue −0.3)
 */
const GAMMA = 0.9;
const LAMBDA = 0.8;
const rew = f32([1, 2, 3, 0.5, -1, 2]);
const value = f32([0.3, 0.6, -0.2, 0.4, 0.9, 1.1]);
const nextValue = f32([0.6, 5, 0.7, 1.5, 1.1, -0.3]);
const terminated = f32([0, 1, 0, 0, 0, 0]);
const cont = f32([1, 0, 0, 0, 1, 0]);

/*
 * TD errors δ_t = r_t + γ(1 − term_t)V' − V_t, by hand:
 *   δ0 = 1 + 0.9·0.6 − 0.3      = 1.24
 *   δ1 = 2 + 0 − 0.6            = 1.4
 *   δ2 = 3 + 0.9·0.7 + 0.2      = 3.83
 *   δ3 = 0.5 + 0.9·1.5 − 0.4    = 1.45
 *   δ4 = −1 + 0.9·1.1 − 0.9     = −0.91
 *   δ5 = 2 + 0.9·(−0.3) − 1.1   = 0.63
 */
const DELTA = [1.24, 1.4, 3.83, 1.45, -0.91, 0.63];

function runGae(gamma: number, lambda: number): { adv: Float32Array; ret: Float32Array } {
  const adv = new Float32Array(6);
  const ret = new Float32Array(6);
  computeGae(rew, value, nextValue, terminated, cont, gamma, lambda, adv, ret);
  return { adv, ret };
}

function handBatch(withNextValue: boolean): HostBatch {
  const fields: HostBatch['fields'] = {
    rew: { data: rew.slice(), width: 1 },
    value: { data: value.slice(), width: 1 },
    terminated: { data: terminated.slice(), width: 1 },
    cont: { data: cont.slice(), width: 1 },
  };
  if (withNextValue) fields.nextValue = { data: nextValue.slice(), width: 1 };
  return { kind: 'batch', size: 6, fields };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---------------------------------------------------------------- GAE

describe('GAE (computeGae)', () => {
  it('matches hand values on a batch with termination, truncation and batch-end cuts (γ = 0.9, λ = 0.8)', () => {
    const { adv, ret } = runGae(GAMMA, LAMBDA);
    // Â_t = δ_t + γλ·cont_t·Â_{t+1}, γλ = 0.72:
    //   Â5 = 0.63;  Â4 = −0.91 + 0.72·0.63 = −0.4564;  Â3 = 1.45 (cut);  Â2 = 3.83 (cut)
    //   Â1 = 1.4 (terminated);  Â0 = 1.24 + 0.72·1.4 = 2.248
    expectClose(adv, [2.248, 1.4, 3.83, 1.45, -0.4564, 0.63]);
    // ret = Â + V
    expectClose(ret, [2.548, 2.0, 3.63, 1.85, 0.4436, 1.73]);
  });

  it('λ = 0 is the one-step TD error', () => {
    const { adv } = runGae(GAMMA, 0);
    expectClose(adv, DELTA);
  });

  it('λ = 1 is the Monte-Carlo return (bootstrapped at cuts, not at terminals) minus V', () => {
    const { adv, ret } = runGae(GAMMA, 1);
    // Discounted returns written out by hand:
    //   G0 = 1 + 0.9·2                       = 2.8     (episode terminates at row 1)
    //   G1 = 2                               = 2
    //   G2 = 3 + 0.9·0.7                     = 3.63    (batch end: bootstrap)
    //   G3 = 0.5 + 0.9·1.5                   = 1.85    (truncated: bootstrap from V(finalObs))
    //   G4 = −1 + 0.9·2 + 0.81·(−0.3)        = 0.557
    //   G5 = 2 + 0.9·(−0.3)                  = 1.73
    const G = [2.8, 2, 3.63, 1.85, 0.557, 1.73];
    expectClose(adv, G.map((g, i) => g - value[i]));
    expectClose(ret, G);
  });

  it('equals Σ_l (γλ)^l δ_{t+l} over a long single episode (direct sum, not the recursion)', () => {
    const n = 40;
    const rng = new Rng(7);
    const r = new Float32Array(n);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      r[i] = rng.uniformIn(-1, 1);
      v[i] = rng.uniformIn(-1, 1);
    }
    const vNext = new Float32Array(n);
    for (let i = 0; i < n - 1; i++) vNext[i] = v[i + 1];
    vNext[n - 1] = 0.25;
    const term = new Float32Array(n);
    const c = new Float32Array(n).fill(1);
    c[n - 1] = 0;
    const gamma = 0.97;
    const lambda = 0.9;
    const adv = new Float32Array(n);
    const ret = new Float32Array(n);
    computeGae(r, v, vNext, term, c, gamma, lambda, adv, ret);
    for (let t = 0; t < n; t++) {
      let sum = 0;
      for (let l = 0; t + l < n; l++) {
        const k = t + l;
        const delta = r[k] + gamma * vNext[k] - v[k];
        sum += (gamma * lambda) ** l * delta;
      }
      expect(adv[t]).toBeCloseTo(sum, 4);
      expect(ret[t]).toBeCloseTo(sum + v[t], 4);
    }
  });

  it('the adv.gae block adds adv and ret and leaves its input batch untouched', () => {
    const runtime = gae.create(makeCtx('gae'), { gamma: GAMMA, lambda: LAMBDA });
    const input = handBatch(true);
    const out = asBatch(runtime.run!({ batch: input }, makeTick()).batch);
    expect(out.size).toBe(6);
    expect(Object.keys(input.fields).sort()).toEqual(['cont', 'nextValue', 'rew', 'terminated', 'value']);
    expect(Object.keys(out.fields).sort()).toEqual(['adv', 'cont', 'nextValue', 'ret', 'rew', 'terminated', 'value']);
    expectClose(out.fields.adv.data, [2.248, 1.4, 3.83, 1.45, -0.4564, 0.63]);
    expectClose(out.fields.ret.data, [2.548, 2.0, 3.63, 1.85, 0.4436, 1.73]);
    expect(out.fields.rew.data).toEqual(rew);
  });

  it('the adv.gae block refuses a batch without value estimates', () => {
    const runtime = gae.create(makeCtx('gae'), { gamma: GAMMA, lambda: LAMBDA });
    expect(() => runtime.run!({ batch: handBatch(false) }, makeTick())).toThrow(/nextValue/);
  });
});

// ---------------------------------------------------------------- returns-to-go

describe('returns-to-go (computeReturnsToGo)', () => {
  it('bootstraps truncated and batch-end cuts from nextValue, never a terminal step', () => {
    const ret = new Float32Array(6);
    computeReturnsToGo(rew, terminated, cont, nextValue, GAMMA, ret);
    //   G5 = 2 + 0.9·(−0.3)  = 1.73;   G4 = −1 + 0.9·1.73 = 0.557
    //   G3 = 0.5 + 0.9·1.5   = 1.85;   G2 = 3 + 0.9·0.7   = 3.63
    //   G1 = 2 (terminal);             G0 = 1 + 0.9·2     = 2.8
    expectClose(ret, [2.8, 2, 3.63, 1.85, 0.557, 1.73]);
  });

  it('without bootstrap every cut counts as the end of the return', () => {
    const ret = new Float32Array(6);
    computeReturnsToGo(rew, terminated, cont, undefined, GAMMA, ret);
    //   G5 = 2;  G4 = −1 + 0.9·2 = 0.8;  G3 = 0.5;  G2 = 3;  G1 = 2;  G0 = 1 + 0.9·2 = 2.8
    expectClose(ret, [2.8, 2, 3, 0.5, 0.8, 2]);
  });

  it('the block honours its bootstrap param and works on batches without nextValue', () => {
    const tick = makeTick();
    const withBoot = returnsToGo.create(makeCtx('rtg'), { gamma: GAMMA, bootstrap: true });
    expectClose(asBatch(withBoot.run!({ batch: handBatch(true) }, tick).batch).fields.ret.data, [2.8, 2, 3.63, 1.85, 0.557, 1.73]);
    const noBoot = returnsToGo.create(makeCtx('rtg2'), { gamma: GAMMA, bootstrap: false });
    expectClose(asBatch(noBoot.run!({ batch: handBatch(true) }, tick).batch).fields.ret.data, [2.8, 2, 3, 0.5, 0.8, 2]);
    const noField = returnsToGo.create(makeCtx('rtg3'), { gamma: GAMMA, bootstrap: true });
    expectClose(asBatch(noField.run!({ batch: handBatch(false) }, tick).batch).fields.ret.data, [2.8, 2, 3, 0.5, 0.8, 2]);
  });

  it('γ = 1 sums the undiscounted rewards to the end of the episode', () => {
    const ret = new Float32Array(6);
    computeReturnsToGo(rew, terminated, cont, undefined, 1, ret);
    expectClose(ret, [3, 2, 3, 0.5, 1, 2]);
  });
});

// ---------------------------------------------------------------- normalize

// Both paths: on the host (a constant input) and with tensor ops (inside a gradient closure).
describe.each([false, true])('adv.normalize (differentiating: %s)', (differentiating) => {
  function normalizeValues(values: number[], epsilon: number): number[] {
    const runtime = normalize.create(makeCtx('norm'), { epsilon });
    const out = asTensor(runtime.run!({ x: tf.tensor1d(values) }, { ...makeTick(), differentiating }).out);
    return Array.from(out.dataSync());
  }

  it('[1, 2, 3, 4] by hand: mean 2.5, unbiased std √(5/3) = 1.2909944', () => {
    const out = normalizeValues([1, 2, 3, 4], 1e-8);
    // (x − 2.5) / 1.2909944: ±1.5 → ±1.1618950, ±0.5 → ±0.3872983
    expectClose(out, [-1.161895, -0.3872983, 0.3872983, 1.161895]);
  });

  it('adds epsilon to the standard deviation (not the variance)', () => {
    const out = normalizeValues([1, 2, 3, 4], 1);
    // −1.5 / (1.2909944 + 1) = −0.6547367
    expectClose(out, [-0.6547367, -0.2182456, 0.2182456, 0.6547367]);
  });

  it('gives mean 0 and unbiased std 1 on random data', () => {
    const rng = new Rng(3);
    const values = Array.from({ length: 257 }, () => 5 + 3 * rng.normal());
    const out = normalizeValues(values, 1e-8);
    const n = out.length;
    const mean = out.reduce((a, b) => a + b, 0) / n;
    const varUnbiased = out.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    expect(varUnbiased).toBeCloseTo(1, 4);
    // The biased (÷n) variance is then (n−1)/n, distinguishably below 1.
    expect(varUnbiased * ((n - 1) / n)).toBeLessThan(0.997);
  });
});
