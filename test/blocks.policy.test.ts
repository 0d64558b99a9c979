/**
 * Policy-side blocks against closed forms computed in float64 here: categorical and diagonal-
 * Gaussian log-probabilities and entropies (engine/distributions.ts, the head blocks, the
 * policy.logProb and loss.entropy blocks), host sampling, and the ratio / clip / surrogate /
 * policy-gradient blocks with hand values.
 */
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModuleResource, PolicyResource, PortValue } from '../engine/block.ts';
import { categorical, diagGaussian } from '../engine/distributions.ts';
import type { EnvSpec } from '../engine/env.ts';
import { Rng } from '../engine/rng.ts';
import { type Tensor, tf } from '../engine/tf.ts';
import { classicEnvSpec } from '../nodes/env/classic/index.ts';
import { categoricalHead } from '../nodes/head/categorical.ts';
import { gaussianHead } from '../nodes/head/gaussian.ts';
import { entropy as entropyBlock } from '../nodes/loss/entropy.ts';
import { policyGradient } from '../nodes/loss/policy-gradient.ts';
import { surrogate } from '../nodes/loss/surrogate.ts';
import { mlp } from '../nodes/net/mlp.ts';
import { clip } from '../nodes/policy/clip.ts';
import { logProb as logProbBlock } from '../nodes/policy/log-prob.ts';
import { ratio } from '../nodes/policy/ratio.ts';
import { makeCtx, makeTick, asTensor } from './fakes.ts';

// ---------------------------------------------------------------- fakes




const host = (t: Tensor): number[] => Array.from(t.dataSync());
const scalarOf = (v: PortValue | undefined): number => asTensor(v).dataSync()[0];
const LOG_2PI = Math.log(2 * Math.PI);

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `index ${i}`).toBeCloseTo(expected[i], digits);
}

// ---------------------------------------------------------------- float64 references

function catLogProb64(logits: ArrayLike<number>, k: number, row: number, a: number): number {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, logits[row * k + j]);
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.exp(logits[row * k + j] - max);
  return logits[row * k + a] - (max + Math.log(s));
}

function catProbs64(logits: ArrayLike<number>, k: number, row: number): number[] {
  return Array.from({ length: k }, (_, a) => Math.exp(catLogProb64(logits, k, row, a)));
}

function catEntropy64(logits: ArrayLike<number>, k: number, row: number): number {
  const p = catProbs64(logits, k, row);
  return -p.reduce((acc, pi) => acc + (pi > 0 ? pi * Math.log(pi) : 0), 0);
}

function gaussLogProb64(mean: ArrayLike<number>, logStd: ArrayLike<number>, k: number, row: number, a: ArrayLike<number>): number {
  let total = 0;
  for (let j = 0; j < k; j++) {
    const sigma = Math.exp(logStd[j]);
    const z = (a[row * k + j] - mean[row * k + j]) / sigma;
    total += -0.5 * z * z - logStd[j] - 0.5 * LOG_2PI;
  }
  return total;
}

function gaussEntropy64(logStd: ArrayLike<number>): number {
  let total = 0;
  for (const ls of Array.from(logStd)) total += ls + 0.5 * (1 + LOG_2PI);
  return total;
}

// ---------------------------------------------------------------- policies built from blocks

function buildCategorical(seed = 5): PolicyResource {
  const envSpec = classicEnvSpec('CartPole-v1');
  const torso = mlp.create(makeCtx('torso', { seed, envSpec }), { hidden: [8], activation: 'tanh', init: 'orthogonal', gain: Math.SQRT2, inputSize: 0 })
    .resources!.module as ModuleResource;
  // gain 1: logits far from uniform, so wrong formulas show.
  const head = categoricalHead.create(makeCtx('pi', { seed, envSpec, resources: { torso } }), { gain: 1, init: 'orthogonal' });
  return head.resources!.policy as PolicyResource;
}

function buildGaussian(envSpec: EnvSpec, initLogStd: number, seed = 5): PolicyResource {
  const torso = mlp.create(makeCtx('torso', { seed, envSpec }), { hidden: [8], activation: 'tanh', init: 'orthogonal', gain: Math.SQRT2, inputSize: 0 })
    .resources!.module as ModuleResource;
  const head = gaussianHead.create(makeCtx('pi', { seed, envSpec, resources: { torso } }), { gain: 1, initLogStd, init: 'orthogonal' });
  return head.resources!.policy as PolicyResource;
}

/** Pendulum's spec with a 2-D action box (to exercise the sums over action dimensions). */
function twoDimBoxSpec(): EnvSpec {
  const spec = classicEnvSpec('Pendulum-v1');
  spec.id = 'Pendulum2D-test';
  spec.actionSpace = { kind: 'box', shape: [2], low: [-2, -2], high: [2, 2] };
  return spec;
}

function randomObs(n: number, d: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * d }, () => rng.uniformIn(-1.5, 1.5));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---------------------------------------------------------------- categorical

describe('categorical distribution', () => {
  it('hand values: logits [0, ln 3] → p = [1/4, 3/4]', () => {
    const logits = tf.tensor2d([[0, Math.log(3)], [0, Math.log(3)]]);
    const logp = host(categorical.logProb(logits, tf.tensor1d([0, 1])));
    expectClose(logp, [Math.log(0.25), Math.log(0.75)], 6);
    expectClose(logp, [-1.3862944, -0.2876821], 6);
    // H = −(¼ ln ¼ + ¾ ln ¾) = 0.5623351
    expectClose(host(categorical.entropy(logits)), [0.5623351, 0.5623351], 6);
  });

  it('log-prob and entropy match float64 closed forms on random logits; [B, 1] actions too', () => {
    const rng = new Rng(11);
    const n = 6;
    const k = 4;
    const logits = Float64Array.from({ length: n * k }, () => rng.uniformIn(-3, 3));
    const actions = Array.from({ length: n }, (_, i) => i % k);
    const lt = tf.tensor2d(Float32Array.from(logits), [n, k]);
    const expectedLogp = actions.map((a, i) => catLogProb64(logits, k, i, a));
    expectClose(host(categorical.logProb(lt, tf.tensor1d(actions))), expectedLogp, 5);
    expectClose(host(categorical.logProb(lt, tf.tensor2d(actions, [n, 1]))), expectedLogp, 5);
    expectClose(host(categorical.entropy(lt)), actions.map((_, i) => catEntropy64(logits, k, i)), 5);
  });

  it('actHost: deterministic mode takes the argmax and writes its log-prob', () => {
    const logits = Float32Array.from([0.1, 2.0, -1.0, /* row 1 */ 3.0, 0.0, 2.9, /* row 2 */ -5, -4, -4.5]);
    const actions = new Float32Array(3);
    const logp = new Float32Array(3);
    categorical.actHost(logits, 3, 3, new Rng(1), true, actions, logp);
    expect(Array.from(actions)).toEqual([1, 0, 1]);
    expectClose(logp, [catLogProb64(logits, 3, 0, 1), catLogProb64(logits, 3, 1, 0), catLogProb64(logits, 3, 2, 1)], 6);
  });

  it('actHost: 20k samples have frequencies within 0.01 of the softmax, and logp = log π(a)', () => {
    const k = 4;
    const row = [0.5, -1, 1.2, 0];
    const n = 20_000;
    const logits = new Float32Array(n * k);
    for (let i = 0; i < n; i++) logits.set(row, i * k);
    const actions = new Float32Array(n);
    const logp = new Float32Array(n);
    categorical.actHost(logits, n, k, new Rng(2024), false, actions, logp);
    const counts = new Array<number>(k).fill(0);
    for (const a of actions) counts[a] += 1;
    const p = catProbs64(row, k, 0);
    for (let a = 0; a < k; a++) expect(Math.abs(counts[a] / n - p[a]), `action ${a}`).toBeLessThan(0.01);
    for (let i = 0; i < 50; i++) expect(logp[i]).toBeCloseTo(Math.log(p[actions[i]]), 5);
    // The logp written on the host is the tensor log-prob of the same action.
    const lt = tf.tensor2d(logits.subarray(0, 200 * k), [200, k]);
    expectClose(host(categorical.logProb(lt, tf.tensor1d(actions.subarray(0, 200)))), logp.subarray(0, 200), 5);
  });

  it('actHost: same RNG seed → same samples', () => {
    const logits = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i));
    const a1 = new Float32Array(10);
    const a2 = new Float32Array(10);
    const lp = new Float32Array(10);
    categorical.actHost(logits, 10, 3, new Rng(9), false, a1, lp);
    categorical.actHost(logits, 10, 3, new Rng(9), false, a2, lp);
    expect(Array.from(a1)).toEqual(Array.from(a2));
  });
});

// ---------------------------------------------------------------- diagonal Gaussian

describe('diagonal Gaussian distribution', () => {
  it('hand values: N(0, 1) at a = 1, and a 2-D case with σ = (2, 1)', () => {
    // log N(1; 0, 1) = −½ − ½ ln 2π = −1.4189385;  H = ½(1 + ln 2π) = 1.4189385
    expectClose(host(diagGaussian.logProb(tf.tensor2d([[0]]), tf.tensor1d([0]), tf.tensor2d([[1]]))), [-1.4189385], 6);
    expectClose(host(diagGaussian.entropy(tf.tensor2d([[0], [3]]), tf.tensor1d([0]))), [1.4189385, 1.4189385], 6);
    // μ = (1, −1), log σ = (ln 2, 0), a = (3, 0): z = (1, 1), log p = −1 − ln 2 − ln 2π = −3.5310243
    const lp = diagGaussian.logProb(tf.tensor2d([[1, -1]]), tf.tensor1d([Math.log(2), 0]), tf.tensor2d([[3, 0]]));
    expectClose(host(lp), [-3.5310243], 5);
    // H = ln 2 + 0 + (1 + ln 2π) = 3.5310243
    expectClose(host(diagGaussian.entropy(tf.tensor2d([[1, -1]]), tf.tensor1d([Math.log(2), 0]))), [3.5310243], 5);
  });

  it('log-prob and entropy match float64 closed forms on random inputs (k = 3)', () => {
    const rng = new Rng(12);
    const n = 5;
    const k = 3;
    const mean = Float64Array.from({ length: n * k }, () => rng.uniformIn(-2, 2));
    const acts = Float64Array.from({ length: n * k }, () => rng.uniformIn(-2, 2));
    const logStd = Float64Array.from([-0.7, 0.2, 0.5]);
    const mt = tf.tensor2d(Float32Array.from(mean), [n, k]);
    const at = tf.tensor2d(Float32Array.from(acts), [n, k]);
    const st = tf.tensor1d(Float32Array.from(logStd));
    expectClose(host(diagGaussian.logProb(mt, st, at)), Array.from({ length: n }, (_, i) => gaussLogProb64(mean, logStd, k, i, acts)), 4);
    expectClose(host(diagGaussian.entropy(mt, st)), new Array<number>(n).fill(gaussEntropy64(logStd)), 5);
  });

  it('actHost: deterministic mode returns the mean', () => {
    const mean = Float32Array.from([0.3, -0.4, 1.5, 2.0]);
    const logStd = Float32Array.from([-0.5, 0.25]);
    const actions = new Float32Array(4);
    const logp = new Float32Array(2);
    diagGaussian.actHost(mean, logStd, 2, 2, new Rng(1), true, actions, logp);
    expect(Array.from(actions)).toEqual(Array.from(mean));
    const atMode = -(-0.5 + 0.25) - LOG_2PI; // −Σ log σ − (k/2) ln 2π, k = 2
    expectClose(logp, [atMode, atMode], 5);
  });

  it('actHost: sample mean and std per dimension match μ and σ; logp equals the tensor log-prob', () => {
    const n = 20_000;
    const k = 2;
    const mu = [0.7, -1.2];
    const logStd = Float32Array.from([-0.5, 0.3]);
    const mean = new Float32Array(n * k);
    for (let i = 0; i < n; i++) mean.set(mu, i * k);
    const actions = new Float32Array(n * k);
    const logp = new Float32Array(n);
    diagGaussian.actHost(mean, logStd, n, k, new Rng(77), false, actions, logp);
    for (let j = 0; j < k; j++) {
      const sigma = Math.exp(logStd[j]);
      let s = 0;
      for (let i = 0; i < n; i++) s += actions[i * k + j];
      const m = s / n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (actions[i * k + j] - m) ** 2;
      const sd = Math.sqrt(v / (n - 1));
      expect(Math.abs(m - mu[j]), `mean of dim ${j}`).toBeLessThan(0.03 * sigma);
      expect(Math.abs(sd / sigma - 1), `std of dim ${j}`).toBeLessThan(0.02);
    }
    const m = 300;
    const tensorLogp = diagGaussian.logProb(
      tf.tensor2d(mean.subarray(0, m * k), [m, k]),
      tf.tensor1d(logStd),
      tf.tensor2d(actions.subarray(0, m * k), [m, k]),
    );
    expectClose(host(tensorLogp), logp.subarray(0, m), 4);
    for (let i = 0; i < 20; i++) expect(logp[i]).toBeCloseTo(gaussLogProb64(mean, logStd, k, i, actions), 5);
  });
});

// ---------------------------------------------------------------- heads + policy.logProb + loss.entropy

describe('policy heads through the policy.logProb and loss.entropy blocks', () => {
  it('categorical head (CartPole): log-prob and mean entropy equal float64 closed forms of its logits', () => {
    const policy = buildCategorical();
    expect(policy.distribution).toBe('categorical');
    const n = 7;
    const obsData = randomObs(n, 4, 1);
    const obs = tf.tensor2d(obsData, [n, 4]);
    const logits = Float64Array.from(policy.apply(obs).dataSync());
    expect(logits.length).toBe(n * 2);
    const actions = Array.from({ length: n }, (_, i) => (i * 3) % 2);
    const lp = logProbBlock.create(makeCtx('lp'), {}).run!({ policy, obs, actions: tf.tensor1d(actions) }, makeTick()).logp;
    expectClose(host(asTensor(lp)), actions.map((a, i) => catLogProb64(logits, 2, i, a)), 5);
    const ent = entropyBlock.create(makeCtx('ent'), {}).run!({ policy, obs }, makeTick()).entropy;
    const meanEntropy = Array.from({ length: n }, (_, i) => catEntropy64(logits, 2, i)).reduce((a, b) => a + b, 0) / n;
    expect(scalarOf(ent)).toBeCloseTo(meanEntropy, 5);
  });

  it('categorical head: act() writes the tensor log-prob of the action it chose; deterministic = argmax', () => {
    const policy = buildCategorical();
    const n = 16;
    const obsData = randomObs(n, 4, 2);
    const actions = new Float32Array(n);
    const logp = new Float32Array(n);
    policy.act(obsData, n, new Rng(3), false, actions, logp);
    const obs = tf.tensor2d(obsData, [n, 4]);
    const out = policy.apply(obs);
    expectClose(host(policy.logProb(out, tf.tensor1d(actions))), logp, 5);
    policy.act(obsData, n, new Rng(3), true, actions, logp);
    const logits = out.dataSync();
    for (let i = 0; i < n; i++) expect(actions[i]).toBe(logits[2 * i + 1] > logits[2 * i] ? 1 : 0);
  });

  it('Gaussian head (2-D box): log-prob, entropy and act() agree with float64 closed forms', () => {
    const policy = buildGaussian(twoDimBoxSpec(), -0.3);
    expect(policy.distribution).toBe('diagGaussian');
    const n = 6;
    const k = 2;
    const obsData = randomObs(n, 3, 4);
    const obs = tf.tensor2d(obsData, [n, 3]);
    const mean = Float64Array.from(policy.apply(obs).dataSync());
    const logStd = [-0.3, -0.3];
    const rng = new Rng(5);
    const acts = Float32Array.from({ length: n * k }, () => rng.uniformIn(-2, 2));
    const lp = logProbBlock.create(makeCtx('lp'), {}).run!({ policy, obs, actions: tf.tensor2d(acts, [n, k]) }, makeTick()).logp;
    expectClose(host(asTensor(lp)), Array.from({ length: n }, (_, i) => gaussLogProb64(mean, logStd, k, i, acts)), 4);
    const ent = entropyBlock.create(makeCtx('ent'), {}).run!({ policy, obs }, makeTick()).entropy;
    expect(scalarOf(ent)).toBeCloseTo(gaussEntropy64(logStd), 5);
    // act(): deterministic = mean; stochastic logp = tensor log-prob of the written action.
    const actions = new Float32Array(n * k);
    const logp = new Float32Array(n);
    policy.act(obsData, n, new Rng(6), true, actions, logp);
    expectClose(actions, mean, 6);
    policy.act(obsData, n, new Rng(6), false, actions, logp);
    expectClose(host(policy.logProb(policy.apply(obs), tf.tensor2d(actions, [n, k]))), logp, 4);
  });

  it('Gaussian head (Pendulum, 1-D action): log-prob with actions shaped [B, 1]', () => {
    const policy = buildGaussian(classicEnvSpec('Pendulum-v1'), 0.2);
    const n = 5;
    const obsData = randomObs(n, 3, 8);
    const obs = tf.tensor2d(obsData, [n, 3]);
    const mean = Float64Array.from(policy.apply(obs).dataSync());
    const acts = Float32Array.from([-1.5, -0.5, 0, 0.7, 1.9]);
    const lp = logProbBlock.create(makeCtx('lp'), {}).run!({ policy, obs, actions: tf.tensor2d(acts, [n, 1]) }, makeTick()).logp;
    const expected = Array.from({ length: n }, (_, i) => gaussLogProb64(mean, [0.2], 1, i, acts));
    expect(asTensor(lp).shape).toEqual([n]);
    expectClose(host(asTensor(lp)), expected, 4);
  });

  it('Gaussian head (Pendulum, 1-D action): log-prob with actions shaped [B], as the executor feeds width-1 batch fields', () => {
    // Regression: width-1 batch fields arrive as [B] while the mean is [B, 1]; the log-prob must not
    // broadcast them to [B, B].
    const policy = buildGaussian(classicEnvSpec('Pendulum-v1'), 0.2);
    const n = 5;
    const obsData = randomObs(n, 3, 8);
    const obs = tf.tensor2d(obsData, [n, 3]);
    const mean = Float64Array.from(policy.apply(obs).dataSync());
    const acts = Float32Array.from([-1.5, -0.5, 0, 0.7, 1.9]);
    const lp = logProbBlock.create(makeCtx('lp'), {}).run!({ policy, obs, actions: tf.tensor1d(acts) }, makeTick()).logp;
    const expected = Array.from({ length: n }, (_, i) => gaussLogProb64(mean, [0.2], 1, i, acts));
    expectClose(host(asTensor(lp)), expected, 4);
  });
});

// ---------------------------------------------------------------- ratio, clip, surrogate, PG

describe('policy.ratio', () => {
  it('ratio = exp(logp − logpOld) and approxKL = mean((r − 1) − log r), by hand', () => {
    const out = ratio.create(makeCtx('ratio'), {}).run!(
      { logp: tf.tensor1d([-1, -0.5, -2]), logpOld: tf.tensor1d([-1.2, -0.5, -1.5]) },
      makeTick(),
    );
    // log r = (0.2, 0, −0.5): r = (1.2214028, 1, 0.6065307)
    expectClose(host(asTensor(out.ratio)), [1.2214028, 1, 0.6065307], 6);
    // (r − 1) − log r = (0.0214028, 0, 0.1065307): mean 0.0426445
    expect(scalarOf(out.approxKL)).toBeCloseTo(0.0426445, 6);
  });

  it('approxKL is 0 when the policy has not changed', () => {
    const logp = tf.tensor1d([-0.3, -2.2, -1.1]);
    const out = ratio.create(makeCtx('ratio'), {}).run!({ logp, logpOld: logp }, makeTick());
    expectClose(host(asTensor(out.ratio)), [1, 1, 1], 7);
    expect(scalarOf(out.approxKL)).toBeCloseTo(0, 7);
  });
});

describe('policy.clip', () => {
  const r = [0.5, 0.85, 1.0, 1.15, 1.3, 2.0];

  it('clips to [0.8, 1.2] for ε = 0.2 and reports the clipped fraction', () => {
    const out = clip.create(makeCtx('clip'), { epsilon: 0.2, schedule: 'constant' }).run!({ ratio: tf.tensor1d(r) }, makeTick());
    expectClose(host(asTensor(out.clipped)), [0.8, 0.85, 1.0, 1.15, 1.2, 1.2], 6);
    // |r − 1| > 0.2 for 0.5, 1.3, 2.0: 3 of 6
    expect(scalarOf(out.clipFraction)).toBeCloseTo(0.5, 7);
  });

  it("setParam('epsilon') changes the clip range live", () => {
    const runtime = clip.create(makeCtx('clip'), { epsilon: 0.2, schedule: 'constant' });
    runtime.setParam!('epsilon', 0.1);
    const out = runtime.run!({ ratio: tf.tensor1d(r) }, makeTick());
    expectClose(host(asTensor(out.clipped)), [0.9, 0.9, 1.0, 1.1, 1.1, 1.1], 6);
    // |r − 1| > 0.1 for all but r = 1: 5 of 6
    expect(scalarOf(out.clipFraction)).toBeCloseTo(5 / 6, 6);
  });
});

describe('loss.surrogate', () => {
  const r = [0.5, 1.3, 1.3, 0.7, 1.0];
  const adv = [2, 2, -1, -3, 0.5];

  it('with the clipped ratio: mean of min(r·A, clip(r)·A), by hand (mixed-sign advantages)', () => {
    const clipped = asTensor(clip.create(makeCtx('clip'), { epsilon: 0.2, schedule: 'constant' }).run!({ ratio: tf.tensor1d(r) }, makeTick()).clipped);
    const out = surrogate.create(makeCtx('sur'), {}).run!({ ratio: tf.tensor1d(r), clipped, advantages: tf.tensor1d(adv) }, makeTick());
    // r·A = (1.0, 2.6, −1.3, −2.1, 0.5);  clip(r)·A = (1.6, 2.4, −1.2, −2.4, 0.5)
    // min = (1.0, 2.4, −1.3, −2.4, 0.5): sum 0.2, mean 0.04
    expect(scalarOf(out.objective)).toBeCloseTo(0.04, 6);
  });

  it('without the clipped input: mean(r·A)', () => {
    const out = surrogate.create(makeCtx('sur'), {}).run!({ ratio: tf.tensor1d(r), advantages: tf.tensor1d(adv) }, makeTick());
    // (1.0 + 2.6 − 1.3 − 2.1 + 0.5) / 5 = 0.14
    expect(scalarOf(out.objective)).toBeCloseTo(0.14, 6);
  });
});

describe('loss.policyGradient', () => {
  it('objective = mean(logp · Ψ), by hand', () => {
    const out = policyGradient.create(makeCtx('pg'), {}).run!(
      { logp: tf.tensor1d([-0.5, -1, -2]), weights: tf.tensor1d([1, -2, 0.5]) },
      makeTick(),
    );
    // (−0.5 + 2 − 1) / 3 = 0.1666667
    expect(scalarOf(out.objective)).toBeCloseTo(0.5 / 3, 6);
  });
});
