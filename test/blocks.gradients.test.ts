/**
 * Gradient checks: tfjs gradients (tf.grads / tf.variableGrads) against central finite
 * differences of the same forward function (float32, cpu backend), for the loss blocks, both
 * policy heads through an MLP torso, and the BatchMatMul gradient replacement (cpu and wasm).
 */
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModuleResource, PolicyResource } from '../engine/block.ts';
import type { EnvSpec } from '../engine/env.ts';
import { installGradientFixes } from '../engine/gradients.ts';
import { Rng } from '../engine/rng.ts';
import { type Tensor, tf, type Variable } from '../engine/tf.ts';
import { classicEnvSpec } from '../nodes/env/classic/index.ts';
import { categoricalHead } from '../nodes/head/categorical.ts';
import { gaussianHead } from '../nodes/head/gaussian.ts';
import { valueHead } from '../nodes/head/value.ts';
import { entropy as entropyBlock } from '../nodes/loss/entropy.ts';
import { surrogate } from '../nodes/loss/surrogate.ts';
import { valueLoss } from '../nodes/loss/value.ts';
import { weightedSum } from '../nodes/loss/weighted-sum.ts';
import { mlp } from '../nodes/net/mlp.ts';
import { clip } from '../nodes/policy/clip.ts';
import { logProb as logProbBlock } from '../nodes/policy/log-prob.ts';
import { makeCtx, makeTick, asTensor } from './fakes.ts';

// ---------------------------------------------------------------- fakes




// ---------------------------------------------------------------- finite differences

const RTOL = 2e-2;

function evalScalar(f: () => Tensor): number {
  const t = tf.tidy(f);
  const value = t.dataSync()[0];
  t.dispose();
  return value;
}

/** Spread-out element indices of a tensor of `size` elements (at most `count`). */
function sampleIndices(size: number, count: number): number[] {
  if (size <= count) return [...Array(size).keys()];
  return Array.from({ length: count }, (_, i) => Math.floor((i * size) / count));
}

/** Central differences of `loss` with respect to chosen elements of a variable (restored afterwards). */
function numericVarGrad(loss: () => Tensor, v: Variable, indices: number[], h: number): number[] {
  const base = Float32Array.from(v.dataSync());
  const out: number[] = [];
  for (const i of indices) {
    const plus = base.slice();
    plus[i] += h;
    const minus = base.slice();
    minus[i] -= h;
    v.assign(tf.tensor(plus, v.shape));
    const fPlus = evalScalar(loss);
    v.assign(tf.tensor(minus, v.shape));
    const fMinus = evalScalar(loss);
    out.push((fPlus - fMinus) / (plus[i] - minus[i]));
  }
  v.assign(tf.tensor(base, v.shape));
  return out;
}

/** Central differences of `f(x)` with respect to elements of a host input. */
function numericInputGrad(f: (x: Float32Array) => number, x: Float32Array, indices: number[], h: number): number[] {
  return indices.map((i) => {
    const plus = x.slice();
    plus[i] += h;
    const minus = x.slice();
    minus[i] -= h;
    return (f(plus) - f(minus)) / (plus[i] - minus[i]);
  });
}

function expectGradClose(analytic: number[], numeric: number[], atol: number, label: string): void {
  expect(analytic.length).toBe(numeric.length);
  for (let i = 0; i < analytic.length; i++) {
    const tol = atol + RTOL * Math.max(Math.abs(analytic[i]), Math.abs(numeric[i]));
    expect(Math.abs(analytic[i] - numeric[i]), `${label}[${i}]: analytic ${analytic[i]} vs numeric ${numeric[i]}`).toBeLessThanOrEqual(tol);
  }
}

/**
 * tf.variableGrads of `loss` against central differences for up to `perVar` elements of every
 * variable. Returns the largest |analytic gradient| seen (so callers can insist it is non-trivial).
 */
function checkVariableGrads(loss: () => Tensor, vars: Variable[], opts: { h: number; atol: number; perVar?: number }): number {
  const { grads } = tf.variableGrads(loss as () => tf.Scalar, vars);
  let largest = 0;
  for (const v of vars) {
    const g = grads[v.name];
    const analyticAll = g ? Array.from(g.dataSync()) : new Array<number>(v.size).fill(0);
    const indices = sampleIndices(v.size, opts.perVar ?? 6);
    const analytic = indices.map((i) => analyticAll[i]);
    for (const a of analyticAll) largest = Math.max(largest, Math.abs(a));
    expectGradClose(analytic, numericVarGrad(loss, v, indices, opts.h), opts.atol, v.name);
  }
  return largest;
}

function randomArray(n: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniformIn(lo, hi));
}

// ---------------------------------------------------------------- builders

function torsoFor(envSpec: EnvSpec, seed: number): ModuleResource {
  const rt = mlp.create(makeCtx('torso', { seed, envSpec }), { hidden: [6], activation: 'tanh', init: 'orthogonal', gain: Math.SQRT2, inputSize: 0 });
  return rt.resources!.module as ModuleResource;
}

function twoDimBoxSpec(): EnvSpec {
  const spec = classicEnvSpec('Pendulum-v1');
  spec.id = 'Pendulum2D-test';
  spec.actionSpace = { kind: 'box', shape: [2], low: [-2, -2], high: [2, 2] };
  return spec;
}

beforeAll(async () => {
  installGradientFixes();
  await tf.setBackend('cpu');
});

// ---------------------------------------------------------------- BatchMatMul (gradient fix)

describe('BatchMatMul gradient replacement (engine/gradients.ts)', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const variants: { tA: boolean; tB: boolean }[] = [
    { tA: false, tB: false },
    { tA: false, tB: true },
    { tA: true, tB: false },
    { tA: true, tB: true },
  ];

  function checkMatMul(backend: string, aShape: number[], bShape: number[], tA: boolean, tB: boolean, seed: number): void {
    const rng = new Rng(seed);
    const aSize = aShape.reduce((x, y) => x * y, 1);
    const bSize = bShape.reduce((x, y) => x * y, 1);
    const aData = randomArray(aSize, rng);
    const bData = randomArray(bSize, rng);
    const forwardT = (a: Tensor, b: Tensor) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, tA, tB);
    const outShape = tf.tidy(() => forwardT(tf.tensor(aData, aShape), tf.tensor(bData, bShape)).shape);
    const weights = tf.tensor(randomArray(outShape.reduce((x, y) => x * y, 1), rng), outShape);
    const f = (a: Tensor, b: Tensor) => tf.sum(tf.mul(weights, forwardT(a, b)));
    const [ga, gb] = tf.grads(f)([tf.tensor(aData, aShape), tf.tensor(bData, bShape)]);
    expect(ga.shape).toEqual(aShape);
    expect(gb.shape).toEqual(bShape);
    const h = 1e-2;
    const fa = (x: Float32Array) => evalScalar(() => f(tf.tensor(x, aShape), tf.tensor(bData, bShape)));
    const fb = (x: Float32Array) => evalScalar(() => f(tf.tensor(aData, aShape), tf.tensor(x, bShape)));
    const ia = [...Array(aSize).keys()];
    const ib = [...Array(bSize).keys()];
    const label = `${backend} tA=${tA} tB=${tB} A`;
    expectGradClose(Array.from(ga.dataSync()), numericInputGrad(fa, aData, ia, h), 1e-3, label);
    expectGradClose(Array.from(gb.dataSync()), numericInputGrad(fb, bData, ib, h), 1e-3, `${label.slice(0, -1)}B`);
  }

  it('the fix replaces the stock gradient', () => {
    // installGradientFixes ran in beforeAll; the registered gradient must be the replacement,
    // whose saved inputs are a and b.
    const grad = tf.getGradient('BatchMatMul');
    expect(grad).toBeDefined();
    expect(grad!.inputsToSave).toEqual(['a', 'b']);
    expect(grad!.gradFunc.toString()).toMatch(/transposeLast2/);
  });

  for (const backend of ['cpu', 'wasm']) {
    it(`matches central differences on ${backend} for every transposeA/transposeB variant (2-D and batched 3-D)`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      expect(tf.getBackend()).toBe(backend);
      let seed = 100;
      for (const { tA, tB } of variants) {
        // logical product [3 × 4]·[4 × 5]
        const aShape = tA ? [4, 3] : [3, 4];
        const bShape = tB ? [5, 4] : [4, 5];
        checkMatMul(backend, aShape, bShape, tA, tB, seed++);
        // batched (falls back to the stock gradient)
        checkMatMul(backend, [2, ...aShape], [2, ...bShape], tA, tB, seed++);
      }
      await tf.setBackend('cpu');
    });
  }
});

// ---------------------------------------------------------------- surrogate

describe('loss.surrogate gradient w.r.t. the ratio', () => {
  // Ratios away from the clip kinks at 0.8 and 1.2; advantages of both signs.
  const r = Float32Array.from([0.5, 0.9, 1.05, 1.4, 0.6, 1.1, 1.5, 0.95]);
  const adv = Float32Array.from([1.5, -0.7, 2.0, 1.2, -1.1, -0.4, -2.0, 0.3]);
  const B = r.length;

  function objective(ratioT: Tensor, withClip: boolean): Tensor {
    const tick = makeTick();
    const inputs: Record<string, Tensor> = { ratio: ratioT, advantages: tf.tensor1d(adv) };
    if (withClip) inputs.clipped = asTensor(clip.create(makeCtx('clip'), { epsilon: 0.2, schedule: 'constant' }).run!({ ratio: ratioT }, tick).clipped);
    return asTensor(surrogate.create(makeCtx('sur'), {}).run!(inputs, tick).objective);
  }

  for (const withClip of [false, true]) {
    it(`${withClip ? 'clipped (PPO-clip)' : 'unclipped'}: tf.grad matches finite differences and the hand formula`, () => {
      const g = Array.from(tf.grad((x: Tensor) => objective(x, withClip))(tf.tensor1d(r)).dataSync());
      const numeric = numericInputGrad((x) => evalScalar(() => objective(tf.tensor1d(x), withClip)), r, [...Array(B).keys()], 1e-2);
      expectGradClose(g, numeric, 1e-4, 'dL/dr');
      // By hand: A/B where the unclipped term is the minimum (always without clip), else 0.
      const hand = Array.from(r, (ri, i) => {
        if (!withClip) return adv[i] / B;
        const c = Math.min(Math.max(ri, 0.8), 1.2);
        return ri * adv[i] <= c * adv[i] ? adv[i] / B : 0;
      });
      expectGradClose(g, hand, 1e-6, 'hand');
      // Zero gradient only where the clipped term is the minimum: r = 1.4 (A > 0) and r = 0.6 (A < 0);
      // r = 0.5 (A > 0) and r = 1.5 (A < 0) lie outside the range too but keep the r·A gradient.
      if (withClip) expect(hand.map((x, i) => (x === 0 ? r[i] : null)).filter((x) => x !== null)).toEqual([r[3], r[4]]);
    });
  }
});

// ---------------------------------------------------------------- value loss

describe('loss.value gradient w.r.t. the value head and torso weights', () => {
  const envSpec = classicEnvSpec('Pendulum-v1');
  const n = 8;

  function build() {
    const torso = torsoFor(envSpec, 21);
    const value = valueHead.create(makeCtx('v', { seed: 21, envSpec, resources: { torso } }), { gain: 1, init: 'orthogonal' })
      .resources!.value as ModuleResource;
    const rng = new Rng(22);
    const obs = tf.tensor2d(randomArray(n * 3, rng, -1.5, 1.5), [n, 3]);
    const returns = randomArray(n, rng, -1, 1);
    return { value, obs, returns };
  }

  it('unclipped: ½·mean((V − R)²) forward by hand and gradients by finite differences', () => {
    const { value, obs, returns } = build();
    const runtime = valueLoss.create(makeCtx('vl'), { clip: 0 });
    const loss = () => asTensor(runtime.run!({ value, obs, returns: tf.tensor1d(returns) }, makeTick()).loss);
    const v = Array.from(value.apply(obs).dataSync());
    const expected = (0.5 * v.reduce((acc, vi, i) => acc + (vi - returns[i]) ** 2, 0)) / n;
    expect(evalScalar(loss)).toBeCloseTo(expected, 5);
    const largest = checkVariableGrads(loss, value.variables, { h: 1e-2, atol: 2e-4 });
    expect(largest).toBeGreaterThan(1e-2);
  });

  it('clipped (ε_V = 0.2): ½·mean(max(unclipped², clipped²)) by hand and gradients by finite differences', () => {
    const { value, obs, returns } = build();
    const v = Array.from(value.apply(obs).dataSync());
    // Old values 0.3–0.6 away (clip active) or 0.05–0.1 away (inside the clip range).
    const offsets = [0.5, -0.5, 0.05, -0.05, 0.35, -0.35, 0.1, -0.6];
    const old = Float32Array.from(v, (vi, i) => vi + offsets[i]);
    const runtime = valueLoss.create(makeCtx('vl'), { clip: 0.2 });
    const loss = () =>
      asTensor(runtime.run!({ value, obs, returns: tf.tensor1d(returns), oldValues: tf.tensor1d(old) }, makeTick()).loss);
    let sum = 0;
    let unclippedSum = 0;
    for (let i = 0; i < n; i++) {
      const vc = old[i] + Math.min(Math.max(v[i] - old[i], -0.2), 0.2);
      sum += Math.max((v[i] - returns[i]) ** 2, (vc - returns[i]) ** 2);
      unclippedSum += (v[i] - returns[i]) ** 2;
    }
    expect(evalScalar(loss)).toBeCloseTo((0.5 * sum) / n, 5);
    // The clipped branch must matter in this batch, or the test would not test it.
    expect(Math.abs(sum - unclippedSum) / n).toBeGreaterThan(1e-2);
    const largest = checkVariableGrads(loss, value.variables, { h: 1e-2, atol: 2e-4 });
    expect(largest).toBeGreaterThan(1e-2);
  });

  it('clip > 0 without oldValues is refused', () => {
    const { value, obs, returns } = build();
    const runtime = valueLoss.create(makeCtx('vl'), { clip: 0.2 });
    expect(() => runtime.run!({ value, obs, returns: tf.tensor1d(returns) }, makeTick())).toThrow(/oldValues/);
  });
});

// ---------------------------------------------------------------- heads: log-prob and entropy

describe('policy heads: log-prob and entropy gradients through an MLP torso', () => {
  it('categorical head (CartPole): Σ c_i·log π(a_i|s_i) and mean entropy', () => {
    const envSpec = classicEnvSpec('CartPole-v1');
    const torso = torsoFor(envSpec, 31);
    const policy = categoricalHead.create(makeCtx('pi', { seed: 31, envSpec, resources: { torso } }), { gain: 1, init: 'orthogonal' })
      .resources!.policy as PolicyResource;
    const n = 6;
    const rng = new Rng(32);
    const obs = tf.tensor2d(randomArray(n * 4, rng, -1.5, 1.5), [n, 4]);
    const actions = tf.tensor1d([0, 1, 1, 0, 1, 0]);
    const coeffs = tf.tensor1d(randomArray(n, rng, -1, 1));
    const lpRuntime = logProbBlock.create(makeCtx('lp'), {});
    const lpLoss = () => tf.sum(tf.mul(asTensor(lpRuntime.run!({ policy, obs, actions }, makeTick()).logp), coeffs));
    expect(checkVariableGrads(lpLoss, policy.variables, { h: 1e-2, atol: 2e-4 })).toBeGreaterThan(1e-2);
    const entRuntime = entropyBlock.create(makeCtx('ent'), {});
    const entLoss = () => asTensor(entRuntime.run!({ policy, obs }, makeTick()).entropy);
    expect(checkVariableGrads(entLoss, policy.variables, { h: 1e-2, atol: 2e-4 })).toBeGreaterThan(1e-3);
  });

  it('Gaussian head (2-D box): Σ c_i·log π(a_i|s_i) and mean entropy (∂H/∂log σ_j = 1)', () => {
    const envSpec = twoDimBoxSpec();
    const torso = torsoFor(envSpec, 41);
    const policy = gaussianHead.create(makeCtx('pi', { seed: 41, envSpec, resources: { torso } }), { gain: 1, initLogStd: -0.4, init: 'orthogonal' })
      .resources!.policy as PolicyResource;
    const n = 6;
    const rng = new Rng(42);
    const obs = tf.tensor2d(randomArray(n * 3, rng, -1.5, 1.5), [n, 3]);
    const actions = tf.tensor2d(randomArray(n * 2, rng, -1.5, 1.5), [n, 2]);
    const coeffs = tf.tensor1d(randomArray(n, rng, -1, 1));
    const lpRuntime = logProbBlock.create(makeCtx('lp'), {});
    const lpLoss = () => tf.sum(tf.mul(asTensor(lpRuntime.run!({ policy, obs, actions }, makeTick()).logp), coeffs));
    expect(checkVariableGrads(lpLoss, policy.variables, { h: 1e-2, atol: 5e-4 })).toBeGreaterThan(1e-2);
    const entRuntime = entropyBlock.create(makeCtx('ent'), {});
    const entLoss = () => asTensor(entRuntime.run!({ policy, obs }, makeTick()).entropy);
    checkVariableGrads(entLoss, policy.variables, { h: 1e-2, atol: 2e-4 });
    const logStd = policy.variables[policy.variables.length - 1];
    expect(logStd.shape).toEqual([2]);
    const { grads } = tf.variableGrads(entLoss as () => tf.Scalar, [logStd]);
    expect(Array.from(grads[logStd.name].dataSync())).toEqual([1, 1].map((x) => expect.closeTo(x, 6)));
  });
});

// ---------------------------------------------------------------- weighted sum

describe('loss.weightedSum', () => {
  const sources = { terms: [{ node: 'a', port: 'objective' }, { node: 'b', port: 'loss' }, { node: 'c', port: 'entropy' }] };
  const x0 = Float32Array.from([0.3, -0.8, 1.2]);

  // L_a = Σx², L_b = Σeᵡ, L_c = Σ sin x
  const terms = (x: Tensor) => [tf.sum(tf.square(x)), tf.sum(tf.exp(x)), tf.sum(tf.sin(x))];
  const La = Array.from(x0).reduce((s, v) => s + v * v, 0);
  const Lb = Array.from(x0).reduce((s, v) => s + Math.exp(v), 0);
  const Lc = Array.from(x0).reduce((s, v) => s + Math.sin(v), 0);

  it('weights by node id or "node.port"; unweighted terms count once (forward by hand)', () => {
    const runtime = weightedSum.create(makeCtx('sum', { inputSources: sources }), { weights: { a: -1, 'b.loss': 0.5 } });
    const out = evalScalar(() => asTensor(runtime.run!({ terms: terms(tf.tensor1d(x0)) }, makeTick()).loss));
    expect(out).toBeCloseTo(-La + 0.5 * Lb + Lc, 5);
  });

  it('gradient equals Σ w_i ∇L_i (finite differences and closed form)', () => {
    const runtime = weightedSum.create(makeCtx('sum', { inputSources: sources }), { weights: { a: -1, 'b.loss': 0.5 } });
    const f = (x: Tensor) => asTensor(runtime.run!({ terms: terms(x) }, makeTick()).loss);
    const g = Array.from(tf.grad(f)(tf.tensor1d(x0)).dataSync());
    const numeric = numericInputGrad((x) => evalScalar(() => f(tf.tensor1d(x))), x0, [0, 1, 2], 1e-2);
    expectGradClose(g, numeric, 1e-4, 'd/dx');
    expectGradClose(g, Array.from(x0, (v) => -2 * v + 0.5 * Math.exp(v) + Math.cos(v)), 1e-5, 'closed form');
  });

  it("setParam('weights') changes the weights live; unknown keys are refused", () => {
    const runtime = weightedSum.create(makeCtx('sum', { inputSources: sources }), { weights: {} });
    runtime.setParam!('weights', { 'a.objective': 2, c: -3 });
    const out = evalScalar(() => asTensor(runtime.run!({ terms: terms(tf.tensor1d(x0)) }, makeTick()).loss));
    expect(out).toBeCloseTo(2 * La + Lb - 3 * Lc, 5);
    expect(() => runtime.setParam!('weights', { nope: 1 })).toThrow(/nope/);
    expect(() => weightedSum.create(makeCtx('sum', { inputSources: sources }), { weights: { 'a.loss': 1 } })).toThrow(/a\.loss/);
  });
});
