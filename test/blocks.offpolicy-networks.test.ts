/**
 * Issue 6, the off-policy family's networks:
 * - 'uniform' init (PyTorch nn.Linear default): bounds, determinism, the old kinds unchanged;
 * - clone() of net.mlp, head.value, net.qNetwork and the new heads: equal outputs, own
 *   non-trainable variables, independent of later changes of the source, disposeClone;
 * - head.deterministic against a float64 hand computation, inside the action box;
 * - ∂ of the deterministic action and of head.squashedGaussian's rsample (action and log π) w.r.t.
 *   every parameter against central differences of a float64 JS reference;
 * - log σ within [min, max]; head.boltzmann = softmax(Q/α); net.temperature; net.qNetwork shapes;
 *   net.target's checkpoint round trip.
 * cpu backend (exact float32 arithmetic); clone independence also on wasm (heap copies, XNNPACK).
 */
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModuleResource, PolicyResource, QModuleResource, TemperatureResource } from '../engine/block.ts';
import type { EnvSpec } from '../engine/env.ts';
import { installGradientFixes } from '../engine/gradients.ts';
import { hostView } from '../engine/host-memory.ts';
import { glorotUniform, orthogonal, uniformFanIn } from '../engine/init.ts';
import { Dense } from '../engine/layers.ts';
import { Rng } from '../engine/rng.ts';
import { type Scalar, type Tensor, tf, type Variable } from '../engine/tf.ts';
import { classicEnvSpec } from '../nodes/env/classic/index.ts';
import { boltzmannHead } from '../nodes/head/boltzmann.ts';
import { deterministicHead } from '../nodes/head/deterministic.ts';
import { squashedGaussianHead } from '../nodes/head/squashed-gaussian.ts';
import { valueHead } from '../nodes/head/value.ts';
import { mlp } from '../nodes/net/mlp.ts';
import { qNetwork } from '../nodes/net/q-network.ts';
import { targetNetwork } from '../nodes/net/target.ts';
import { temperature } from '../nodes/net/temperature.ts';
import { makeCtx } from './fakes.ts';

installGradientFixes();

beforeEach(async () => {
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

const host = (t: Tensor): number[] => Array.from(t.dataSync());

/** Host copy of a forward pass's result, nothing left allocated (the tensor counts are checked). */
function evaluate(f: () => Tensor): number[] {
  const t = tf.tidy(f);
  const data = host(t);
  t.dispose();
  return data;
}

/** Pendulum's observations (3) with a 2-D asymmetric action box: scale [2, 0.5], bias [1, 1.5]. */
function box2(): EnvSpec {
  const spec = classicEnvSpec('Pendulum-v1');
  spec.id = 'Pendulum2D-test';
  spec.actionSpace = { kind: 'box', shape: [2], low: [-1, 1], high: [3, 2] };
  return spec;
}
const SCALE = [2, 0.5];
const BIAS = [1, 1.5];

type MlpParams = Parameters<typeof mlp.create>[1];
const MLP: MlpParams = { hidden: [4], activation: 'tanh', init: 'orthogonal', gain: 1, inputSize: 0 };

function torsoFor(envSpec: EnvSpec, seed = 3, over: Partial<MlpParams> = {}): ModuleResource {
  return mlp.create(makeCtx('torso', { seed, envSpec }), { ...MLP, ...over }).resources!.module as ModuleResource;
}

function deterministic(seed = 3, gain = 1): PolicyResource {
  const envSpec = box2();
  const torso = torsoFor(envSpec, seed);
  return deterministicHead.create(makeCtx('mu', { seed, envSpec, resources: { torso } }), { init: 'uniform', gain }).resources!.policy as PolicyResource;
}

function squashed(seed = 3, over: { gain?: number; logStdMin?: number; logStdMax?: number } = {}): PolicyResource {
  const envSpec = box2();
  const torso = torsoFor(envSpec, seed);
  const params = { init: 'uniform' as const, gain: 1, logStdMin: -5, logStdMax: 2, ...over };
  return squashedGaussianHead.create(makeCtx('pi', { seed, envSpec, resources: { torso } }), params).resources!.policy as PolicyResource;
}

function qFor(envSpec: EnvSpec, seed = 3, hidden = [4], activation: 'relu' | 'tanh' = 'relu'): QModuleResource {
  return qNetwork.create(makeCtx('q', { seed, envSpec }), { hidden, activation, init: 'uniform', gain: 1 }).resources!.q as QModuleResource;
}

function randomMatrix(rows: number, cols: number, seed: number, scale = 1.5): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.uniformIn(-scale, scale)));
}

/** Moves every variable by Gaussian noise (fresh tensors, as optimisers do). */
function perturb(vars: Variable[], scale: number, seed: number): void {
  const rng = new Rng(seed);
  for (const v of vars) tf.tidy(() => v.assign(tf.add(v, tf.tensor(Float32Array.from({ length: v.size }, () => rng.normal() * scale), v.shape))));
}

// ---------------------------------------------------------------- float64 reference networks

/** Host float64 copies of a list of dense layers' variables: [W0, b0, W1, b1, …]. */
function flatParams(vars: Variable[]): number[] {
  return vars.flatMap((v) => host(v));
}

interface Shape {
  fanIn: number;
  fanOut: number;
}

/** Splits a flat vector into layers (W [in × out] row-major, then b) of the given shapes. */
function layersOf(theta: number[], shapes: Shape[]): { w: number[]; b: number[]; s: Shape }[] {
  let at = 0;
  return shapes.map((s) => {
    const w = theta.slice(at, (at += s.fanIn * s.fanOut));
    const b = theta.slice(at, (at += s.fanOut));
    return { w, b, s };
  });
}

function dense64(x: number[], l: { w: number[]; b: number[]; s: Shape }): number[] {
  return Array.from({ length: l.s.fanOut }, (_, o) => {
    let y = l.b[o];
    for (let i = 0; i < l.s.fanIn; i++) y += x[i] * l.w[i * l.s.fanOut + o];
    return y;
  });
}

const shapesOf = (vars: Variable[]): Shape[] => {
  const out: Shape[] = [];
  for (let i = 0; i < vars.length; i += 2) out.push({ fanIn: vars[i].shape[0]!, fanOut: vars[i].shape[1]! });
  return out;
};

/** a = tanh(W tanh(W0 s + b0) + b)·scale + bias (torso: one tanh layer). */
function deterministic64(theta: number[], shapes: Shape[], s: number[]): number[] {
  const [l0, l1] = layersOf(theta, shapes);
  const h = dense64(s, l0).map(Math.tanh);
  return dense64(h, l1).map((z, j) => Math.tanh(z) * SCALE[j] + BIAS[j]);
}

/** SAC's reparameterised sample and its log π, float64 (torso: one tanh layer). */
function squashed64(theta: number[], shapes: Shape[], s: number[], eps: number[], min = -5, max = 2): { action: number[]; logProb: number; logStd: number[] } {
  const [l0, lm, ls] = layersOf(theta, shapes);
  const h = dense64(s, l0).map(Math.tanh);
  const mean = dense64(h, lm);
  const logStd = dense64(h, ls).map((x) => min + 0.5 * (max - min) * (Math.tanh(x) + 1));
  let logProb = 0;
  const action = mean.map((m, j) => {
    const u = m + Math.exp(logStd[j]) * eps[j];
    logProb += -0.5 * eps[j] ** 2 - logStd[j] - 0.5 * Math.log(2 * Math.PI) - Math.log(SCALE[j] * (1 - Math.tanh(u) ** 2));
    return Math.tanh(u) * SCALE[j] + BIAS[j];
  });
  return { action, logProb, logStd };
}

/** ∇f at theta by central differences in float64. */
function centralDiff(f: (theta: number[]) => number, theta: number[], h = 1e-6): number[] {
  return theta.map((_, i) => {
    const plus = theta.slice();
    const minus = theta.slice();
    plus[i] += h;
    minus[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

/** The gradient of a scalar tensor function w.r.t. `vars`, flattened in their order. */
function tfGradient(f: () => Scalar, vars: Variable[]): number[] {
  const { value, grads } = tf.variableGrads(f, vars);
  const flat = vars.flatMap((v) => host(grads[v.name]));
  value.dispose();
  Object.values(grads).forEach((g) => g.dispose());
  return flat;
}

function expectGradientsClose(got: number[], want: number[], vars: Variable[]): void {
  expect(got.length).toBe(want.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
    expect(Math.abs(got[i] - want[i]), `element ${i}`).toBeLessThanOrEqual(1e-3 * (Math.abs(want[i]) + 1e-2));
  }
  expect(Math.sqrt(num / den)).toBeLessThan(1e-4);
  // Every variable receives gradient (none is left out of the graph).
  let at = 0;
  for (const v of vars) {
    const part = want.slice(at, (at += v.size));
    expect(Math.max(...part.map(Math.abs)), v.name).toBeGreaterThan(1e-4);
  }
}

// ---------------------------------------------------------------- init

describe("init 'uniform' (PyTorch nn.Linear default)", () => {
  it('weight and bias lie in ±gain/√fanIn, fill the interval, and scale with gain', () => {
    for (const gain of [1, 2.5]) {
      const { weight, bias } = uniformFanIn(16, 64, gain, new Rng(11));
      const limit = Math.fround(gain / 4);
      const all = [...weight, ...bias];
      expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(limit);
      // 1,088 draws: the extremes come within 1% of the bound, both signs, mean near 0.
      expect(Math.max(...all)).toBeGreaterThan(0.99 * limit);
      expect(Math.min(...all)).toBeLessThan(-0.99 * limit);
      expect(Math.abs(all.reduce((a, b) => a + b, 0) / all.length)).toBeLessThan(0.05 * limit);
      // The bias is drawn, not zero: PyTorch initialises it too.
      expect(Math.max(...bias.map(Math.abs))).toBeGreaterThan(0.5 * limit);
    }
  });

  it('is deterministic per seed, and Dense(uniform) draws the weight then the bias from its rng', () => {
    const a = uniformFanIn(5, 3, 1, new Rng(7));
    const b = uniformFanIn(5, 3, 1, new Rng(7));
    const c = uniformFanIn(5, 3, 1, new Rng(8));
    expect(Array.from(a.weight)).toEqual(Array.from(b.weight));
    expect(Array.from(a.bias)).toEqual(Array.from(b.bias));
    expect(Array.from(a.weight)).not.toEqual(Array.from(c.weight));
    const layer = new Dense('u', 5, 3, 'uniform', 1, new Rng(7));
    expect(host(layer.weight)).toEqual(Array.from(a.weight));
    expect(host(layer.bias)).toEqual(Array.from(a.bias));
    expect(layer.weight.trainable && layer.bias.trainable).toBe(true);
    layer.dispose();
  });

  it('orthogonal and glorot layers are unchanged: same draws, zero bias, nothing extra consumed', () => {
    for (const kind of ['orthogonal', 'glorot'] as const) {
      const make = kind === 'orthogonal' ? orthogonal : glorotUniform;
      const rng = new Rng(5);
      const l1 = new Dense('a', 4, 6, kind, 1.3, rng);
      const l2 = new Dense('b', 6, 2, kind, 1.3, rng);
      const ref = new Rng(5);
      expect(host(l1.weight)).toEqual(Array.from(make(4, 6, 1.3, ref)));
      expect(host(l2.weight)).toEqual(Array.from(make(6, 2, 1.3, ref)));
      expect(host(l1.bias)).toEqual([0, 0, 0, 0, 0, 0]);
      expect(host(l2.bias)).toEqual([0, 0]);
      l1.dispose();
      l2.dispose();
    }
  });

  it("net.mlp accepts init 'uniform' with biases inside the bound", () => {
    const torso = torsoFor(classicEnvSpec('CartPole-v1'), 2, { hidden: [8, 5], init: 'uniform', gain: 1 });
    const [w0, b0, w1, b1] = torso.variables;
    expect(Math.max(...host(w0).map(Math.abs), ...host(b0).map(Math.abs))).toBeLessThanOrEqual(Math.fround(1 / 2)); // fan-in 4
    expect(Math.max(...host(w1).map(Math.abs), ...host(b1).map(Math.abs))).toBeLessThanOrEqual(Math.fround(1 / Math.sqrt(8)));
    expect(Math.max(...host(b0).map(Math.abs))).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------- clone

describe('clone', () => {
  function expectIndependentClone(source: ModuleResource, x: Tensor): void {
    const before = tf.memory().numTensors;
    const clone = source.clone!('tgt');
    expect(tf.memory().numTensors - before).toBe(source.variables.length);
    expect(clone.copyOf).toBe(source);
    expect(clone.nodeId).toBe('tgt');
    expect(clone.variables.length).toBe(source.variables.length);
    clone.variables.forEach((v, i) => {
      expect(v).not.toBe(source.variables[i]);
      expect(v.trainable).toBe(false);
      expect(v.shape).toEqual(source.variables[i].shape);
      expect(host(v)).toEqual(host(source.variables[i]));
      // Own memory, not the source's (a shared host array would follow the source's data).
      const [a, b] = [hostView(v)!, hostView(source.variables[i])!];
      expect(a.buffer !== b.buffer || a.byteOffset !== b.byteOffset).toBe(true);
    });
    if (source.chain) {
      // The clone's chain runs on the clone's layers, in the same order as its variables.
      expect(clone.chain!.flatMap((s) => [s.layer.weight, s.layer.bias])).toEqual(clone.variables);
      expect(clone.chain!.map((s) => s.activation)).toEqual(source.chain.map((s) => s.activation));
    }
    const y0 = evaluate(() => source.apply(x));
    expect(evaluate(() => clone.apply(x))).toEqual(y0);
    perturb(source.variables.filter((v) => v.trainable), 0.3, 9);
    const y1 = evaluate(() => source.apply(x));
    expect(y1).not.toEqual(y0);
    // The clone still computes the old function (its variables hold their own data).
    expect(evaluate(() => clone.apply(x))).toEqual(y0);
    clone.disposeClone!();
    expect(tf.memory().numTensors).toBe(before);
  }

  it.each(['cpu', 'wasm'])('net.mlp and head.value: equal copies, unaffected by later changes of the source (%s)', async (backend) => {
    await tf.setBackend(backend);
    expect(tf.getBackend()).toBe(backend);
    const envSpec = classicEnvSpec('CartPole-v1');
    const x = tf.tensor2d(randomMatrix(6, 4, 1));
    const torso = torsoFor(envSpec, 4, { hidden: [5, 3] });
    expectIndependentClone(torso, x);
    const value = valueHead.create(makeCtx('v', { envSpec, resources: { torso: torsoFor(envSpec, 5) } }), { gain: 1, init: 'uniform' }).resources!
      .value as ModuleResource;
    expectIndependentClone(value, x);
    // A clone of a clone copies the clone.
    const c1 = torso.clone!('c1');
    const c2 = c1.clone!('c2');
    expect(c2.copyOf).toBe(c1);
    expect(host(tf.tidy(() => c2.apply(x)))).toEqual(host(tf.tidy(() => c1.apply(x))));
    c2.disposeClone!();
    c1.disposeClone!();
    x.dispose();
  });

  it('net.qNetwork (both kinds) and the three new heads', () => {
    const s = tf.tensor2d(randomMatrix(5, 3, 2));
    expectIndependentClone(qFor(box2()), tf.tensor2d(randomMatrix(5, 5, 3)));
    expectIndependentClone(qFor(classicEnvSpec('CartPole-v1')), tf.tensor2d(randomMatrix(5, 4, 4)));
    for (const policy of [deterministic(), squashed()]) {
      expectIndependentClone(policy, s);
      const clone = policy.clone!('t') as PolicyResource;
      expect(clone.kind).toBe('policy');
      expect(clone.distribution).toBe(policy.distribution);
      expect(clone.actionDim).toBe(2);
      clone.disposeClone!();
    }
    const q = qFor(classicEnvSpec('CartPole-v1'));
    const pi = boltzmannHead.create(makeCtx('pi', { envSpec: classicEnvSpec('CartPole-v1'), resources: { q } }), { alpha: 0.5 }).resources!
      .policy as PolicyResource;
    expectIndependentClone(pi, tf.tensor2d(randomMatrix(5, 4, 5)));
  });

  it('a head on a torso that cannot be cloned says so', () => {
    const torso = torsoFor(box2());
    const bare: ModuleResource = { ...torso, clone: undefined };
    const head = deterministicHead.create(makeCtx('mu', { envSpec: box2(), resources: { torso: bare } }), { init: 'uniform', gain: 1 }).resources!
      .policy as PolicyResource;
    expect(() => head.clone!('t')).toThrow(/'mu' cannot be cloned: its torso 'torso' has no clone/);
  });
});

// ---------------------------------------------------------------- head.deterministic

describe('head.deterministic', () => {
  it('equals tanh(W h + b)·scale + bias computed by hand, and act writes μ(s) with log p = 0', () => {
    const policy = deterministic(6);
    expect(policy.distribution).toBe('deterministic');
    expect(policy.outputSize).toBe(2);
    expect(policy.actionDim).toBe(2);
    const obs = randomMatrix(4, 3, 7);
    const got = host(tf.tidy(() => policy.apply(tf.tensor2d(obs))));
    const theta = flatParams(policy.variables);
    const shapes = shapesOf(policy.variables);
    obs.forEach((s, i) => deterministic64(theta, shapes, s).forEach((a, j) => expect(got[i * 2 + j]).toBeCloseTo(a, 5)));
    const actions = new Float32Array(8);
    const logp = new Float32Array(4).fill(7);
    policy.act(Float32Array.from(obs.flat()), 4, new Rng(1), false, actions, logp);
    expect(Array.from(actions)).toEqual(got);
    expect(Array.from(logp)).toEqual([0, 0, 0, 0]);
    const out = tf.tensor2d(got, [4, 2]);
    const r = policy.rsample!(out, null);
    expect(r.action).toBe(out);
    expect(r.logProb).toBeNull();
    expect(() => policy.logProb(out, out)).toThrow(/a deterministic policy has no density/);
    expect(() => policy.entropy(out)).toThrow(/a deterministic policy has no density/);
  });

  it('stays inside the action box when tanh saturates', () => {
    const policy = deterministic(8, 10);
    const a = host(tf.tidy(() => policy.apply(tf.tensor2d(randomMatrix(200, 3, 9, 8)))));
    const low = [-1, 1];
    const high = [3, 2];
    a.forEach((v, i) => {
      expect(v).toBeGreaterThanOrEqual(low[i % 2]);
      expect(v).toBeLessThanOrEqual(high[i % 2]);
    });
    // Saturation really happened: both ends of both dimensions are reached (to 1e-3).
    for (let j = 0; j < 2; j++) {
      const col = a.filter((_, i) => i % 2 === j);
      expect(Math.min(...col)).toBeLessThan(low[j] + 1e-3);
      expect(Math.max(...col)).toBeGreaterThan(high[j] - 1e-3);
    }
  });

  it('∂(Σ c·μ(s))/∂θ matches central differences of the float64 reference', () => {
    const policy = deterministic(10, 2);
    const obs = randomMatrix(5, 3, 11);
    const c = randomMatrix(5, 2, 12);
    const shapes = shapesOf(policy.variables);
    const f64 = (theta: number[]): number => obs.reduce((acc, s, i) => acc + deterministic64(theta, shapes, s).reduce((a2, a, j) => a2 + c[i][j] * a, 0), 0);
    const x = tf.tensor2d(obs);
    const cT = tf.tensor2d(c);
    const got = tfGradient(() => tf.sum(tf.mul(policy.apply(x), cT)) as Scalar, policy.variables);
    expectGradientsClose(got, centralDiff(f64, flatParams(policy.variables)), policy.variables);
  });

  it('refuses a Discrete action space', () => {
    const envSpec = classicEnvSpec('CartPole-v1');
    const torso = torsoFor(envSpec);
    expect(() => deterministicHead.create(makeCtx('mu', { envSpec, resources: { torso } }), { init: 'uniform', gain: 1 })).toThrow(
      /needs a Box action space but CartPole-v1 is Discrete/,
    );
  });
});

// ---------------------------------------------------------------- head.squashedGaussian

describe('head.squashedGaussian', () => {
  it('rsample (action and log π) equals the float64 reference; log σ within the bounds', () => {
    const policy = squashed(13);
    expect(policy.distribution).toBe('squashedGaussian');
    expect(policy.outputSize).toBe(4);
    expect(policy.actionDim).toBe(2);
    const obs = randomMatrix(5, 3, 14);
    const eps = randomMatrix(5, 2, 15, 2);
    const { action, logProb, out } = tf.tidy(() => {
      const o = policy.apply(tf.tensor2d(obs));
      const r = policy.rsample!(o, tf.tensor2d(eps));
      return { action: host(r.action), logProb: host(r.logProb!), out: host(o) };
    });
    const theta = flatParams(policy.variables);
    const shapes = shapesOf(policy.variables);
    obs.forEach((s, i) => {
      const ref = squashed64(theta, shapes, s, eps[i]);
      ref.action.forEach((a, j) => expect(action[i * 2 + j]).toBeCloseTo(a, 5));
      expect(logProb[i]).toBeCloseTo(ref.logProb, 4);
      ref.logStd.forEach((l, j) => expect(out[i * 4 + 2 + j]).toBeCloseTo(l, 5));
    });
  });

  it('log σ stays in [logStdMin, logStdMax] and reaches both ends when saturated', () => {
    for (const [min, max] of [
      [-5, 2],
      [-3, 0.5],
    ]) {
      const policy = squashed(16, { gain: 10, logStdMin: min, logStdMax: max });
      const out = host(tf.tidy(() => policy.apply(tf.tensor2d(randomMatrix(300, 3, 17, 8)))));
      const logStd = out.filter((_, i) => i % 4 >= 2);
      expect(Math.min(...logStd)).toBeGreaterThanOrEqual(min);
      expect(Math.max(...logStd)).toBeLessThanOrEqual(max);
      expect(Math.min(...logStd)).toBeLessThan(min + 0.05);
      expect(Math.max(...logStd)).toBeGreaterThan(max - 0.05);
    }
    expect(squashedGaussianHead.check!({ init: 'uniform', gain: 1, logStdMin: 1, logStdMax: 1 }, {})).toMatch(/logStdMin \(1\) must be below logStdMax/);
  });

  it('∂ of Σ c·a and of Σ d·log π through rsample match central differences of the float64 reference', () => {
    const policy = squashed(18, { gain: 1.5 });
    const obs = randomMatrix(5, 3, 19);
    const eps = randomMatrix(5, 2, 20, 1.5);
    const c = randomMatrix(5, 2, 21);
    const d = randomMatrix(5, 1, 22).map((r) => r[0]);
    const shapes = shapesOf(policy.variables);
    const theta = flatParams(policy.variables);
    const x = tf.tensor2d(obs);
    const e = tf.tensor2d(eps);
    const cT = tf.tensor2d(c);
    const dT = tf.tensor1d(d);
    const sample = () => policy.rsample!(policy.apply(x), e);
    const gotA = tfGradient(() => tf.sum(tf.mul(sample().action, cT)) as Scalar, policy.variables);
    const fA = (t: number[]): number => obs.reduce((acc, s, i) => acc + squashed64(t, shapes, s, eps[i]).action.reduce((a2, a, j) => a2 + c[i][j] * a, 0), 0);
    const gradA = centralDiff(fA, theta);
    // The action does not depend on log σ's layer only through σ·ε: it does, so all variables count.
    expectGradientsClose(gotA, gradA, policy.variables);
    const gotL = tfGradient(() => tf.sum(tf.mul(sample().logProb!, dT)) as Scalar, policy.variables);
    const fL = (t: number[]): number => obs.reduce((acc, s, i) => acc + d[i] * squashed64(t, shapes, s, eps[i]).logProb, 0);
    expectGradientsClose(gotL, centralDiff(fL, theta), policy.variables);
  });

  it('acts on the host: tanh(μ) when deterministic, in the box and consistent with logProb otherwise', () => {
    const policy = squashed(23);
    const obs = randomMatrix(64, 3, 24);
    const out = host(tf.tidy(() => policy.apply(tf.tensor2d(obs))));
    const actions = new Float32Array(128);
    const logp = new Float32Array(64);
    policy.act(Float32Array.from(obs.flat()), 64, new Rng(2), true, actions, logp);
    for (let i = 0; i < 64; i++) for (let j = 0; j < 2; j++) expect(actions[i * 2 + j]).toBeCloseTo(Math.tanh(out[i * 4 + j]) * SCALE[j] + BIAS[j], 5);
    policy.act(Float32Array.from(obs.flat()), 64, new Rng(2), false, actions, logp);
    actions.forEach((a, i) => {
      expect(a).toBeGreaterThanOrEqual([-1, 1][i % 2]);
      expect(a).toBeLessThanOrEqual([3, 2][i % 2]);
    });
    const lp = host(tf.tidy(() => policy.logProb(tf.tensor2d(out, [64, 4]), tf.tensor2d(actions, [64, 2]))));
    // Host log π (from u) against the tensor path's (from atanh of the float32 action).
    lp.forEach((v, i) => expect(v).toBeCloseTo(logp[i], 2));
    expect(() => policy.entropy(tf.tensor2d(out, [64, 4]))).toThrow(/no closed-form entropy/);
    expect(() => policy.rsample!(tf.tensor2d(out, [64, 4]), null)).toThrow(/standard normal noise/);
  });
});

// ---------------------------------------------------------------- head.boltzmann

describe('head.boltzmann', () => {
  function softmax64(z: number[]): number[] {
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  }

  it('π = softmax(Q/α) by hand, with the alpha param and with a connected temperature', () => {
    const envSpec = classicEnvSpec('Acrobot-v1');
    const q = qFor(envSpec, 25, [8], 'tanh');
    // Bigger Q values, so that α visibly changes π.
    perturb(q.variables, 1, 26);
    const obs = randomMatrix(4, 6, 27);
    const qv = host(tf.tidy(() => q.apply(tf.tensor2d(obs))));
    const tempRes = temperature.create(makeCtx('alpha', { envSpec }), { initAlpha: 2, autoTargetEntropy: true, targetEntropy: -1 }).resources!.alpha;
    // With a temperature connected, its α (2) replaces the param (0.5).
    for (const [alpha, temp] of [
      [0.5, undefined],
      [2, tempRes],
    ] as const) {
      const pi = boltzmannHead.create(makeCtx('pi', { envSpec, resources: { q, temperature: temp } }), { alpha: 0.5 }).resources!.policy as PolicyResource;
      expect(pi.distribution).toBe('categorical');
      expect(pi.variables).toEqual(q.variables);
      const logPi = host(tf.tidy(() => pi.apply(tf.tensor2d(obs))));
      const entropy = host(tf.tidy(() => pi.entropy(tf.tensor2d(logPi, [4, 3]))));
      const lp = host(tf.tidy(() => pi.logProb(tf.tensor2d(logPi, [4, 3]), tf.tensor1d([0, 2, 1, 2]))));
      for (let i = 0; i < 4; i++) {
        const want = softmax64(qv.slice(i * 3, i * 3 + 3).map((v) => v / alpha));
        want.forEach((p, a) => expect(Math.exp(logPi[i * 3 + a])).toBeCloseTo(p, 6));
        expect(entropy[i]).toBeCloseTo(-want.reduce((acc, p) => acc + p * Math.log(p), 0), 5);
        expect(lp[i]).toBeCloseTo(Math.log(want[[0, 2, 1, 2][i]]), 5);
      }
      // Greedy acting picks argmax Q.
      const actions = new Float32Array(4);
      pi.act(Float32Array.from(obs.flat()), 4, new Rng(1), true, actions, new Float32Array(4));
      for (let i = 0; i < 4; i++) {
        const row = qv.slice(i * 3, i * 3 + 3);
        expect(actions[i]).toBe(row.indexOf(Math.max(...row)));
      }
    }
  });

  it('refuses Q(s, a) networks and modules that are not Q-networks', () => {
    const boxQ = qFor(box2());
    expect(() => boltzmannHead.create(makeCtx('pi', { envSpec: box2(), resources: { q: boxQ } }), { alpha: 1 })).toThrow(/is Q\(s, a\) for continuous actions/);
    const torso = torsoFor(classicEnvSpec('CartPole-v1'));
    expect(() => boltzmannHead.create(makeCtx('pi', { envSpec: classicEnvSpec('CartPole-v1'), resources: { q: torso } }), { alpha: 1 })).toThrow(
      /'torso' is not a Q-network/,
    );
  });
});

// ---------------------------------------------------------------- net.temperature

describe('net.temperature', () => {
  const P = { initAlpha: 0.2, autoTargetEntropy: true, targetEntropy: 0.6 };
  const build = (envSpec: EnvSpec | undefined, over: Partial<typeof P> = {}) =>
    temperature.create(makeCtx('alpha', { envSpec }), { ...P, ...over });

  it('α = initAlpha through log α, a trainable scalar; apply broadcasts α over rows; ∂α/∂log α = α', () => {
    const rt = build(box2());
    const t = rt.resources!.alpha as TemperatureResource;
    expect(t.temperature).toBe(true);
    expect(t.variables).toEqual([t.logAlpha]);
    expect(t.logAlpha.trainable).toBe(true);
    expect(t.logAlpha.dataSync()[0]).toBeCloseTo(Math.log(0.2), 6);
    expect(t.alphaValue()).toBeCloseTo(0.2, 6);
    expect(tf.tidy(() => t.alpha().dataSync()[0])).toBeCloseTo(0.2, 6);
    const rows = tf.tidy(() => host(t.apply(tf.zeros([3, 5]))));
    expect(rows.length).toBe(3);
    rows.forEach((v) => expect(v).toBeCloseTo(0.2, 6));
    const [g] = tfGradient(() => t.alpha() as Scalar, t.variables);
    expect(g).toBeCloseTo(0.2, 6);
    expect(rt.iterationMetrics!()).toEqual({ 'alpha.alpha': t.alphaValue() });
  });

  it('target entropy: −dim(A) for Box actions, the param when auto is off or the actions are Discrete', () => {
    const target = (envSpec: EnvSpec | undefined, auto = true) => (build(envSpec, { autoTargetEntropy: auto }).resources!.alpha as TemperatureResource).targetEntropy;
    expect(target(box2())).toBe(-2);
    expect(target(classicEnvSpec('Pendulum-v1'))).toBe(-1);
    expect(target(box2(), false)).toBe(0.6);
    expect(target(classicEnvSpec('CartPole-v1'))).toBe(0.6);
  });

  it('checkpoints log α', () => {
    const rt = build(box2());
    const t = rt.resources!.alpha as TemperatureResource;
    const state = JSON.parse(JSON.stringify(rt.saveState!()));
    tf.tidy(() => t.logAlpha.assign(tf.scalar(3)));
    expect(t.alphaValue()).toBeCloseTo(Math.exp(3), 4);
    rt.loadState!(state);
    expect(t.alphaValue()).toBeCloseTo(0.2, 6);
  });
});

// ---------------------------------------------------------------- net.qNetwork

describe('net.qNetwork', () => {
  it('Box: Q(s, a) on [s, a] → [B]; Discrete: Q(s, ·) on s → [B, n]; default 256-256', () => {
    const box = qNetwork.create(makeCtx('q', { envSpec: box2() }), { hidden: [256, 256], activation: 'relu', init: 'uniform', gain: 1 }).resources!
      .q as QModuleResource;
    expect([box.qKind, box.obsSize, box.actionSize, box.inputSize, box.outputSize]).toEqual(['stateAction', 3, 2, 5, 1]);
    expect(box.variables.map((v) => v.shape)).toEqual([[5, 256], [256], [256, 256], [256], [256, 1], [1]]);
    expect(tf.tidy(() => box.apply(tf.zeros([7, 5])).shape)).toEqual([7]);
    const disc = qFor(classicEnvSpec('CartPole-v1'), 3, [16, 8]);
    expect([disc.qKind, disc.obsSize, disc.actionSize, disc.inputSize, disc.outputSize]).toEqual(['stateActions', 4, 2, 4, 2]);
    expect(tf.tidy(() => disc.apply(tf.zeros([7, 4])).shape)).toEqual([7, 2]);
    const p = qNetwork.params;
    expect([p.hidden.default, p.activation.default, p.init.default, p.gain.default]).toEqual([[256, 256], 'relu', 'uniform', 1]);
    expect(() => qNetwork.create(makeCtx('q'), { hidden: [4], activation: 'relu', init: 'uniform', gain: 1 })).toThrow(/needs the environment/);
  });

  it('computes w·relu(W0 [s, a] + b0) + b by hand (linear output)', () => {
    const q = qFor(box2(), 30, [6], 'relu');
    const sa = randomMatrix(12, 5, 29);
    const got = host(tf.tidy(() => q.apply(tf.tensor2d(sa))));
    const [l0, l1] = layersOf(flatParams(q.variables), shapesOf(q.variables));
    sa.forEach((x, i) => expect(got[i]).toBeCloseTo(dense64(dense64(x, l0).map((v) => Math.max(v, 0)), l1)[0], 5));
    // Some pre-activations are negative and some outputs too: relu and the linear output are exercised.
    expect(sa.some((x) => dense64(x, l0).some((v) => v < 0))).toBe(true);
    expect(Math.min(...got)).toBeLessThan(0);
  });
});

// ---------------------------------------------------------------- net.target

describe('net.target', () => {
  it('checkpoint round trip: the saved copy comes back, also into a target rebuilt from a changed source', () => {
    const envSpec = box2();
    const q = qFor(envSpec, 30, [8, 8]);
    const rt = targetNetwork.create(makeCtx('tgt', { resources: { source: q } }), {});
    const target = rt.resources!.module as ModuleResource;
    expect(target.copyOf).toBe(q);
    expect(rt.resources!.policy).toBeUndefined(); // a Q-network is not a policy
    const x = tf.tensor2d(randomMatrix(4, 5, 31));
    const y0 = host(tf.tidy(() => target.apply(x)));
    const state = JSON.parse(JSON.stringify(rt.saveState!()));
    perturb(target.variables, 0.5, 32);
    expect(host(tf.tidy(() => target.apply(x)))).not.toEqual(y0);
    rt.loadState!(state);
    expect(host(tf.tidy(() => target.apply(x)))).toEqual(y0);
    // Resume: the source has moved since the target was saved; the target keeps its own values.
    perturb(q.variables, 0.5, 33);
    const rebuilt = targetNetwork.create(makeCtx('tgt', { resources: { source: q } }), {});
    const t2 = rebuilt.resources!.module as ModuleResource;
    expect(host(tf.tidy(() => t2.apply(x)))).not.toEqual(y0);
    rebuilt.loadState!(state);
    expect(host(tf.tidy(() => t2.apply(x)))).toEqual(y0);
    expect(() => rebuilt.loadState!({ variables: state.variables.slice(1) })).toThrow(/holds 5 target variables but the network has 6/);
    const before = tf.memory().numTensors;
    rebuilt.dispose!();
    expect(before - tf.memory().numTensors).toBe(6);
  });

  it('a policy source gives a policy output; a module without clone is refused by name', () => {
    const pi = squashed(34);
    const rt = targetNetwork.create(makeCtx('tgt', { resources: { source: pi } }), {});
    const tp = rt.resources!.policy as PolicyResource;
    expect(rt.resources!.module).toBe(tp);
    expect(tp.distribution).toBe('squashedGaussian');
    expect(tp.copyOf).toBe(pi);
    expect(targetNetwork.frozen).toBe(true);
    const alpha = temperature.create(makeCtx('alpha', { envSpec: box2() }), { initAlpha: 1, autoTargetEntropy: true, targetEntropy: 0 }).resources!.alpha;
    expect(() => targetNetwork.create(makeCtx('tgt', { resources: { source: alpha } }), {})).toThrow(/'alpha' cannot have a target network/);
  });
});
