/**
 * Issue 6, the off-policy value and loss blocks, one by one with hand-made fakes of the critic,
 * policy and temperature interfaces (engine/block.ts), against:
 * - hand values for every block (value.q in its three forms, policy.action, target smoothing,
 *   the TD target with terminated and truncated rows, twin minimum, soft values with large Q/α,
 *   Bellman, DPG, SAC policy and temperature losses, target updates);
 * - central finite differences (float32, relative tolerance ~2e-2) of value.q w.r.t. weights and
 *   the action, loss.bellman (target held constant), loss.dpg through policy → Q, loss.sacPolicy
 *   through a squashed policy (ε replayed through policy.action's checkpoint), loss.temperature
 *   w.r.t. log α;
 * - automatic α moving towards the target entropy under Adam and SGD;
 * - checkGraph messages on hand-built graph views (wrong target wiring, replayed actions, frozen
 *   policies) and the runtime checks;
 * - one wasm case: the SAC and DQN gradients equal cpu's (no gather, every kernel has a gradient).
 */
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AnyBlockDef,
  BlockRuntime,
  GraphCheckNode,
  ModuleResource,
  PolicyResource,
  QModuleResource,
  TemperatureResource,
  Tick,
} from '../engine/block.ts';
import { squashedGaussian } from '../engine/distributions.ts';
import type { BoxSpace } from '../engine/env.ts';
import { installGradientFixes } from '../engine/gradients.ts';
import { checkParamValue } from '../engine/params.ts';
import { deriveSeed, Rng } from '../engine/rng.ts';
import { type Tensor, tf, type Variable } from '../engine/tf.ts';
import { bellmanLoss } from '../nodes/loss/bellman.ts';
import { dpgLoss } from '../nodes/loss/dpg.ts';
import { sacPolicyLoss } from '../nodes/loss/sac-policy.ts';
import { temperatureLoss } from '../nodes/loss/temperature.ts';
import { policyAction } from '../nodes/policy/action.ts';
import { logProb as logProbBlock } from '../nodes/policy/log-prob.ts';
import { targetSmoothing } from '../nodes/policy/target-smoothing.ts';
import { targetUpdate } from '../nodes/target/update.ts';
import { softValueDiscrete } from '../nodes/value/log-sum-exp.ts';
import { qValue } from '../nodes/value/q.ts';
import { softStateValue } from '../nodes/value/soft-state.ts';
import { tdTarget } from '../nodes/value/td-target.ts';
import { twinMin } from '../nodes/value/twin-min.ts';
import { asTensor, makeCtx, makeTick } from './fakes.ts';

beforeAll(async () => {
  installGradientFixes();
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

const host = (t: Tensor): number[] => Array.from(t.dataSync());
const LOG_2PI = Math.log(2 * Math.PI);

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `index ${i}`).toBeCloseTo(expected[i], digits);
}

/** A tick inside an optimizer's gradient closure (blocks hold their constants there). */
function diffTick(): Tick {
  return { ...makeTick(), differentiating: true };
}

// ---------------------------------------------------------------- fakes

let unique = 0;
function variable(name: string, values: number[], shape: number[]): Variable {
  unique += 1;
  return tf.variable(tf.tensor(values, shape), true, `${name}_${unique}`);
}

interface Net {
  vars: Variable[];
  apply(x: Tensor): Tensor;
}

/** Dense tanh network (linear output) with seeded uniform weights. */
function mlpNet(name: string, sizes: number[], seed: number, scale = 0.7): Net {
  const rng = new Rng(seed);
  const vars: Variable[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    vars.push(variable(`${name}/w${l}`, Array.from({ length: sizes[l] * sizes[l + 1] }, () => rng.uniformIn(-scale, scale)), [sizes[l], sizes[l + 1]]));
    vars.push(variable(`${name}/b${l}`, Array.from({ length: sizes[l + 1] }, () => rng.uniformIn(-0.2, 0.2)), [sizes[l + 1]]));
  }
  const layers = sizes.length - 1;
  return {
    vars,
    apply(x) {
      let h = x;
      for (let l = 0; l < layers; l++) {
        h = tf.add(tf.matMul(h as tf.Tensor2D, vars[2 * l] as tf.Tensor2D), vars[2 * l + 1]);
        if (l < layers - 1) h = tf.tanh(h);
      }
      return h;
    },
  };
}

function critic(nodeId: string, d: number, k: number, seed: number): QModuleResource {
  const net = mlpNet(nodeId, [d + k, 5, 1], seed);
  return {
    kind: 'module',
    nodeId,
    inputSize: d + k,
    outputSize: 1,
    variables: net.vars,
    apply: (x) => tf.reshape(net.apply(x), [-1]),
    qKind: 'stateAction',
    obsSize: d,
    actionSize: k,
  };
}

function discreteCritic(nodeId: string, d: number, n: number, seed: number): QModuleResource {
  const net = mlpNet(nodeId, [d, 5, n], seed);
  return { kind: 'module', nodeId, inputSize: d, outputSize: n, variables: net.vars, apply: net.apply, qKind: 'stateActions', obsSize: d, actionSize: n };
}

/** Box with different scales and biases per dimension: scale [1, 2], bias [0, 2]. */
const BOX: BoxSpace = { kind: 'box', shape: [2], low: [-1, 0], high: [1, 4] };
const SCALE = [1, 2];
const BIAS = [0, 2];

function basePolicy(nodeId: string, fields: Pick<PolicyResource, 'distribution' | 'inputSize' | 'outputSize' | 'variables' | 'apply'> & Partial<PolicyResource>): PolicyResource {
  const unused = (): never => {
    throw new Error('not used by these tests');
  };
  return {
    kind: 'policy',
    nodeId,
    actionSpace: BOX,
    actionDim: 2,
    logProb: unused,
    entropy: unused,
    act: unused,
    applyForActing: fields.apply,
    actFrom: unused,
    ...fields,
  };
}

/** μ_θ(s) = tanh(net(s))·scale + bias, as head.deterministic. */
function deterministicPolicy(nodeId: string, d: number, seed: number): PolicyResource {
  const net = mlpNet(nodeId, [d, 4, 2], seed);
  const apply = (x: Tensor): Tensor => tf.add(tf.mul(tf.tanh(net.apply(x)), tf.tensor1d(SCALE)), tf.tensor1d(BIAS));
  return basePolicy(nodeId, { distribution: 'deterministic', inputSize: d, outputSize: 2, variables: net.vars, apply, rsample: (out) => ({ action: out, logProb: null }) });
}

/** SAC's policy: apply → [μ, clip(log σ)] [B, 4]; rsample through engine/distributions.ts. */
function squashedPolicy(nodeId: string, d: number, seed: number): PolicyResource {
  const net = mlpNet(nodeId, [d, 4, 4], seed, 0.5);
  const apply = (x: Tensor): Tensor => {
    const o = net.apply(x);
    return tf.concat([tf.slice(o, [0, 0], [-1, 2]), tf.clipByValue(tf.slice(o, [0, 2], [-1, 2]), -5, 2)], 1);
  };
  return basePolicy(nodeId, {
    distribution: 'squashedGaussian',
    inputSize: d,
    outputSize: 4,
    variables: net.vars,
    apply,
    rsample(out, eps) {
      if (!eps) throw new Error('squashed policy needs ε');
      const s = squashedGaussian.sample(tf.slice(out, [0, 0], [-1, 2]), tf.slice(out, [0, 2], [-1, 2]), eps, SCALE, BIAS);
      return { action: s.action, logProb: s.logProb };
    },
  });
}

function temperature(logAlpha0: number, targetEntropy = -2): TemperatureResource {
  const logAlpha = variable('logAlpha', [logAlpha0], []);
  return {
    kind: 'module',
    nodeId: 'alpha',
    inputSize: 0,
    outputSize: 1,
    variables: [logAlpha],
    apply: () => {
      throw new Error('a temperature has no forward pass');
    },
    temperature: true,
    logAlpha,
    targetEntropy,
    alpha: () => tf.exp(logAlpha),
    alphaValue: () => Math.exp(logAlpha.dataSync()[0]),
  };
}

function obsTensor(n: number, d: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return tf.tensor2d(Float32Array.from({ length: n * d }, () => rng.uniformIn(-1.5, 1.5)), [n, d]);
}

/**
 * Checks ∂f/∂v for every variable against central differences in float32 (a few entries each);
 * returns the largest analytic entry, so callers can insist the gradient is not trivially zero.
 */
function expectGradsMatchFd(f: () => Tensor, vars: Variable[], h = 1e-2): number {
  const { grads } = tf.variableGrads(() => f() as tf.Scalar, vars);
  let largest = 0;
  for (const v of vars) {
    const g = grads[v.name];
    expect(g, `gradient of ${v.name}`).toBeDefined();
    const analytic = host(g);
    const base = Float32Array.from(v.dataSync());
    const step = Math.max(1, Math.floor(v.size / 5));
    for (let i = 0; i < v.size; i += step) {
      const at = (delta: number): number => {
        const x = base.slice();
        x[i] += delta;
        v.assign(tf.tensor(x, v.shape));
        return tf.tidy(() => f().dataSync()[0]);
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      largest = Math.max(largest, Math.abs(analytic[i]));
      expect(Math.abs(analytic[i] - numeric), `${v.name}[${i}]: ${analytic[i]} vs ${numeric}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
    }
    v.assign(tf.tensor(base, v.shape));
  }
  tf.dispose(grads);
  return largest;
}

const run = (rt: BlockRuntime, inputs: Parameters<NonNullable<BlockRuntime['run']>>[0], tick = makeTick()) => rt.run!(inputs, tick);

// ---------------------------------------------------------------- value.q

describe('value.q', () => {
  /** Linear Q(s, a) = w·[s, a] + b with w = [1, −2, 0.5 | 3, −1], b = 0.25. */
  function linearCritic(k: number): QModuleResource {
    const w = tf.tensor2d([1, -2, 0.5, 3, -1].slice(0, 3 + k), [3 + k, 1]);
    return {
      kind: 'module',
      nodeId: 'lin',
      inputSize: 3 + k,
      outputSize: 1,
      variables: [],
      apply: (x) => tf.reshape(tf.add(tf.matMul(x as tf.Tensor2D, w), 0.25), [-1]),
      qKind: 'stateAction',
      obsSize: 3,
      actionSize: k,
    };
  }
  const obs = () =>
    tf.tensor2d([
      [1, 0, 2],
      [0, 1, -1],
    ]);

  it('continuous critic: Q(s, a) from [s, a] by hand, [B] actions for k = 1, mean Q', () => {
    const rt = qValue.create(makeCtx('q'), {});
    const out = run(rt, { q: linearCritic(2), obs: obs(), action: tf.tensor2d([[0.5, 1], [-1, 2]]) });
    // Row 0: 1 + 0 + 1 + 1.5 − 1 + 0.25 = 2.75; row 1: 0 − 2 − 0.5 − 3 − 2 + 0.25 = −7.25.
    expectClose(host(asTensor(out.q)), [2.75, -7.25]);
    expect(asTensor(out.mean).dataSync()[0]).toBeCloseTo(-2.25, 5);
    expect(out.all).toBeUndefined();
    // k = 1 with actions as a [B] field: row 0: 2 + 3·0.5 + 0.25 = 3.75; row 1: −2.5 − 3 + 0.25.
    const one = run(rt, { q: linearCritic(1), obs: obs(), action: tf.tensor1d([0.5, -1]) });
    expectClose(host(asTensor(one.q)), [3.75, -5.25]);
    expect(() => run(rt, { q: linearCritic(2), obs: obs(), action: tf.tensor1d([0.5, -1]) })).toThrow(/takes 2-dimensional actions, got \[2\]/);
    expect(() => run(rt, { q: linearCritic(2), obs: obs() })).toThrow(/needs actions/);
  });

  it('discrete critic: one-hot selection ([B] and [B, 1] indices), all values, max without action', () => {
    const w = tf.tensor2d([
      [1, 2, 3],
      [-1, 0, 4],
      [0.5, -0.5, 0],
    ]);
    const q: QModuleResource = { ...discreteCritic('dq', 3, 3, 1), variables: [], apply: (x) => tf.matMul(x as tf.Tensor2D, w) };
    // Q(s, ·): row 0 = [1 + 1, 2 − 1, 3 + 0] = [2, 1, 3]; row 1 = [−1 − 0.5, 0.5, 4] = [−1.5, 0.5, 4].
    const rt = qValue.create(makeCtx('q'), {});
    for (const action of [tf.tensor1d([1, 0]), tf.tensor2d([[1], [0]])]) {
      const out = run(rt, { q, obs: obs(), action });
      expectClose(host(asTensor(out.all)), [2, 1, 3, -1.5, 0.5, 4]);
      expectClose(host(asTensor(out.q)), [1, -1.5]);
      expect(asTensor(out.mean).dataSync()[0]).toBeCloseTo(-0.25, 5);
    }
    const greedy = run(rt, { q, obs: obs() });
    expectClose(host(asTensor(greedy.q)), [3, 4]);
  });

  it('value module: V(s), and refuses an action or a policy on the q input', () => {
    const v: ModuleResource = { kind: 'module', nodeId: 'v', inputSize: 3, outputSize: 1, variables: [], apply: (x) => tf.sum(x, -1, true) };
    const rt = qValue.create(makeCtx('q'), {});
    const out = run(rt, { q: v, obs: obs() });
    expect(asTensor(out.q).shape).toEqual([2]);
    expectClose(host(asTensor(out.q)), [3, 0]);
    expect(() => run(rt, { q: v, obs: obs(), action: tf.tensor1d([0, 1]) })).toThrow(/state-value module V\(s\); leave the 'action' input unconnected/);
    expect(() => run(rt, { q: deterministicPolicy('pi', 3, 1), obs: obs() })).toThrow(/is the policy 'pi'/);
  });

  it('∂ mean Q/∂φ (weights) and ∂Q/∂a (the DPG chain) match central differences', () => {
    const q = critic('critic', 3, 2, 7);
    const o = obsTensor(6, 3, 2);
    const actionValues = Float32Array.from(obsTensor(6, 2, 9).dataSync());
    const rt = qValue.create(makeCtx('q'), {});
    const meanQ = () => asTensor(run(rt, { q, obs: o, action: tf.tensor2d(actionValues, [6, 2]) }).mean);
    expect(expectGradsMatchFd(meanQ, q.variables)).toBeGreaterThan(1e-2);

    const sumQ = (a: Tensor) => tf.sum(asTensor(run(rt, { q, obs: o, action: a }).q));
    const analytic = host(tf.grad(sumQ)(tf.tensor2d(actionValues, [6, 2])));
    const h = 1e-2;
    let largest = 0;
    for (let i = 0; i < actionValues.length; i++) {
      const at = (delta: number) => {
        const a = actionValues.slice();
        a[i] += delta;
        return tf.tidy(() => sumQ(tf.tensor2d(a, [6, 2])).dataSync()[0]);
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      largest = Math.max(largest, Math.abs(numeric));
      expect(Math.abs(analytic[i] - numeric), `∂Q/∂a[${i}]`).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
    }
    expect(largest).toBeGreaterThan(1e-2);
  });
});

// ---------------------------------------------------------------- policy.action

describe('policy.action', () => {
  it('deterministic policy: a = μ(s), log π reported as zeros, entropy 0, no noise drawn', () => {
    const pi = deterministicPolicy('pi', 3, 4);
    const o = obsTensor(5, 3, 1);
    const rt = policyAction.create(makeCtx('act'), {});
    const before = JSON.stringify(rt.saveState!());
    const out = run(rt, { policy: pi, obs: o });
    expectClose(host(asTensor(out.action)), host(pi.apply(o)), 6);
    expect(host(asTensor(out.logProb))).toEqual([0, 0, 0, 0, 0]);
    expect(asTensor(out.entropy).dataSync()[0]).toBe(0);
    expect(JSON.stringify(rt.saveState!())).toBe(before);
  });

  it('squashed Gaussian: a = tanh(μ + σε)·scale + bias and log π against float64, ε from the seeded rng', () => {
    const pi = squashedPolicy('pi', 3, 5);
    const n = 6;
    const o = obsTensor(n, 3, 2);
    const rt = policyAction.create(makeCtx('act', { seed: 17 }), {});
    const out = run(rt, { policy: pi, obs: o });
    const raw = host(pi.apply(o));
    const replay = new Rng(deriveSeed(17, 'act', 'noise'));
    const wantA: number[] = [];
    const wantLogp: number[] = [];
    for (let i = 0; i < n; i++) {
      let logp = 0;
      for (let j = 0; j < 2; j++) {
        const mu = raw[i * 4 + j];
        const ls = raw[i * 4 + 2 + j];
        const eps = replay.normal();
        const u = mu + Math.exp(ls) * eps;
        wantA.push(Math.tanh(u) * SCALE[j] + BIAS[j]);
        logp += -0.5 * eps * eps - ls - 0.5 * LOG_2PI - Math.log(SCALE[j]) - Math.log(1 - Math.tanh(u) ** 2);
      }
      wantLogp.push(logp);
    }
    expectClose(host(asTensor(out.action)), wantA, 5);
    expectClose(host(asTensor(out.logProb)), wantLogp, 4);
    expect(asTensor(out.entropy).dataSync()[0]).toBeCloseTo(-wantLogp.reduce((a, b) => a + b, 0) / n, 4);

    // Fresh noise on the next run; the same seed gives the same stream; a checkpoint replays it.
    const saved = JSON.parse(JSON.stringify(rt.saveState!()));
    const second = host(asTensor(run(rt, { policy: pi, obs: o }).action));
    expect(second).not.toEqual(host(asTensor(out.action)));
    const twin = policyAction.create(makeCtx('act', { seed: 17 }), {});
    expect(host(asTensor(run(twin, { policy: pi, obs: o }).action))).toEqual(host(asTensor(out.action)));
    rt.loadState!(saved);
    expect(host(asTensor(run(rt, { policy: pi, obs: o }).action))).toEqual(second);
  });

  it('refuses a policy without a reparameterisation, naming its distribution', () => {
    const cat = basePolicy('cat', { distribution: 'categorical', inputSize: 3, outputSize: 2, variables: [], apply: (x) => x });
    const rt = policyAction.create(makeCtx('act'), {});
    expect(() => run(rt, { policy: cat, obs: obsTensor(2, 3, 1) })).toThrow(/categorical policy 'cat' is not reparameterisable/);
  });
});

// ---------------------------------------------------------------- policy.targetSmoothing

describe('policy.targetSmoothing', () => {
  const pi = () => deterministicPolicy('pi_target', 3, 1);

  it('clips the noise to ±c·scale and the action to the box; matches a replay of the seeded noise', () => {
    const params = { sigma: 1, noiseClip: 0.3 };
    const rt = targetSmoothing.create(makeCtx('smooth', { seed: 3 }), params);
    // Rows 0–19 in the middle of the box (noise clip visible), 20–39 on its corners (bounds visible).
    const n = 40;
    const rowsAt = (row: number): number[] => (row < 20 ? [0, 2] : row < 30 ? [0.95, 3.8] : [-0.95, 0.1]);
    const a = Float32Array.from({ length: n * 2 }, (_, i) => rowsAt(Math.floor(i / 2))[i % 2]);
    const out = host(asTensor(run(rt, { action: tf.tensor2d(a, [n, 2]), policy: pi() }).action));
    const replay = new Rng(deriveSeed(3, 'smooth', 'noise'));
    let clippedNoise = 0;
    let clippedAction = 0;
    for (let i = 0; i < n * 2; i++) {
      const j = i % 2;
      const raw = 1 * replay.normal();
      const noise = Math.min(0.3, Math.max(-0.3, raw)) * SCALE[j];
      if (Math.abs(raw) > 0.3) clippedNoise += 1;
      const want = Math.min(BOX.high[j], Math.max(BOX.low[j], a[i] + noise));
      if (want === BOX.high[j] || want === BOX.low[j]) clippedAction += 1;
      expect(out[i], `entry ${i}`).toBeCloseTo(want, 5);
      expect(Math.abs(out[i] - a[i])).toBeLessThanOrEqual(0.3 * SCALE[j] + 1e-6);
      expect(out[i]).toBeGreaterThanOrEqual(BOX.low[j]);
      expect(out[i]).toBeLessThanOrEqual(BOX.high[j]);
    }
    // Both clips actually happened in this batch.
    expect(clippedNoise).toBeGreaterThan(20);
    expect(clippedAction).toBeGreaterThan(5);

    // Deterministic for a seed; σ = 0 leaves the actions as they are.
    const again = targetSmoothing.create(makeCtx('smooth', { seed: 3 }), params);
    expect(host(asTensor(run(again, { action: tf.tensor2d(a, [n, 2]), policy: pi() }).action))).toEqual(out);
    const still = targetSmoothing.create(makeCtx('smooth', { seed: 3 }), { sigma: 0, noiseClip: 0.3 });
    expectClose(host(asTensor(run(still, { action: tf.tensor2d(a, [n, 2]), policy: pi() }).action)), a, 6);
  });

  it('refuses a discrete policy and actions of the wrong width', () => {
    const rt = targetSmoothing.create(makeCtx('smooth'), { sigma: 0.2, noiseClip: 0.5 });
    const discrete = { ...pi(), actionSpace: { kind: 'discrete', n: 3 } } as PolicyResource;
    expect(() => run(rt, { action: tf.zeros([2, 2]), policy: discrete })).toThrow(/needs a Box action space/);
    expect(() => run(rt, { action: tf.zeros([2, 3]), policy: pi() })).toThrow(/actions have 3 dimensions/);
  });
});

// ---------------------------------------------------------------- value.tdTarget, twinMin

describe('value.tdTarget', () => {
  it('bootstraps where only truncated, ignores next exactly where terminated', () => {
    const rt = tdTarget.create(makeCtx('y'), { gamma: 0.9, rewardScale: 2 });
    // Row 0: running; row 1: terminated (next is garbage); row 2: truncated by a time limit (not
    // terminated: bootstraps from the final observation); row 3: terminated with a huge next.
    const reward = tf.tensor1d([1, 2, 3, 4]);
    const terminated = tf.tensor1d([0, 1, 0, 1]);
    const out = run(rt, { reward, terminated, next: tf.tensor1d([10, Number.NaN, 20, 1e30]) });
    // y = 2r + 0.9·(1 − d)·next: [2 + 9, 4, 6 + 18, 8].
    expectClose(host(asTensor(out.target)), [11, 4, 24, 8]);
    expect(asTensor(out.mean).dataSync()[0]).toBeCloseTo(47 / 4, 5);
    // Changing next changes y exactly where not terminated; [B, 1] next accepted.
    const moved = run(rt, { reward, terminated, next: tf.tensor2d([[0], [5], [0], [-7]]) });
    expectClose(host(asTensor(moved.target)), [2, 4, 6, 8]);
    rt.setParam!('gamma', 0.5);
    expectClose(host(asTensor(run(rt, { reward, terminated, next: tf.tensor1d([10, 1, 20, 1]) }).target)), [7, 4, 16, 8]);
    expect(() => run(rt, { reward, terminated, next: tf.ones([4, 4]) })).toThrow(/'next' input must hold one value per row/);
  });
});

describe('value.twinMin', () => {
  it('elementwise minimum of two or three critics; refuses one', () => {
    const rt = twinMin.create(makeCtx('min'), {});
    const out = run(rt, { q: [tf.tensor1d([1, 5, -2]), tf.tensor2d([[3], [4], [-1]]), tf.tensor1d([2, 6, -3])] });
    expectClose(host(asTensor(out.min)), [1, 4, -3]);
    expectClose(host(asTensor(run(rt, { q: [tf.tensor1d([1, 5]), tf.tensor1d([3, 4])] }).min)), [1, 4]);
    expect(() => run(rt, { q: [tf.tensor1d([1, 5])] })).toThrow(/at least two critics/);
    expect(twinMin.check!({}, { q: [{ node: 'q1', port: 'q' }] })).toMatch(/at least two critics on its 'q' input \(1 connected\)/);
    expect(twinMin.check!({}, { q: [{ node: 'q1', port: 'q' }, { node: 'q2', port: 'q' }] })).toBeNull();
  });
});

// ---------------------------------------------------------------- soft values

describe('soft values', () => {
  it('value.softState: Q − α log π against float64, large values', () => {
    const rt = softStateValue.create(makeCtx('v'), {});
    const alpha = temperature(Math.log(0.2));
    const q = [1, 1e6, -3];
    const logp = [-1.2, 0.5, -50];
    const out = host(asTensor(run(rt, { q: tf.tensor1d(q), logProb: tf.tensor1d(logp), temperature: alpha }).value));
    const want = q.map((x, i) => x - 0.2 * logp[i]);
    for (let i = 0; i < 3; i++) expect(Math.abs(out[i] - want[i]), `row ${i}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(want[i])));
    expect(() => run(rt, { q: tf.tensor1d(q), logProb: tf.tensor1d(logp), temperature: critic('c', 1, 1, 1) })).toThrow(/must be a net.temperature module, not 'c'/);
  });

  it('value.logSumExp: α log Σ exp(Q/α) against float64, no overflow for large Q/α', () => {
    const all = [
      [1, 2, 3],
      [1000, 999, 998],
      [-1000, -1000, -1000],
      [50, -50, 0],
    ];
    const ref = (row: number[], alpha: number) => {
      const m = Math.max(...row.map((x) => x / alpha));
      return alpha * (m + Math.log(row.reduce((s, x) => s + Math.exp(x / alpha - m), 0)));
    };
    // Row 1 by hand (α = 0.5): 0.5·(2000 + log(1 + e^−2 + e^−4)) = 1000.0664…
    expect(ref(all[1], 0.5)).toBeCloseTo(1000 + 0.5 * Math.log(1 + Math.exp(-2) + Math.exp(-4)), 10);
    for (const alpha of [0.5, 0.01, 20]) {
      const rt = softValueDiscrete.create(makeCtx('lse'), { alpha });
      const out = host(asTensor(run(rt, { all: tf.tensor2d(all) }).value));
      all.forEach((row, i) => {
        expect(Number.isFinite(out[i])).toBe(true);
        expect(Math.abs(out[i] - ref(row, alpha)), `α ${alpha} row ${i}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref(row, alpha))));
      });
    }
    // The temperature input overrides the parameter; ∂V/∂Q = softmax(Q/α).
    const rt = softValueDiscrete.create(makeCtx('lse'), { alpha: 1 });
    const temp = temperature(Math.log(0.5));
    const grad = host(tf.grad((x: Tensor) => tf.sum(asTensor(run(rt, { all: x, temperature: temp }).value)))(tf.tensor2d(all)));
    all.forEach((row, i) => {
      const e = row.map((x) => Math.exp((x - Math.max(...row)) / 0.5));
      const s = e.reduce((a, b) => a + b, 0);
      expectClose(grad.slice(i * 3, i * 3 + 3), e.map((x) => x / s), 5);
    });
  });
});

// ---------------------------------------------------------------- loss.bellman

describe('loss.bellman', () => {
  it('MSE and ½MSE and mean |δ| by hand', () => {
    const inputs = { prediction: tf.tensor1d([1, 2, 3]), target: tf.tensor2d([[0], [4], [3]]) };
    const full = run(bellmanLoss.create(makeCtx('b'), { halfSquared: false }), inputs);
    // δ = [1, −2, 0]: mean δ² = 5/3, mean |δ| = 1.
    expect(asTensor(full.loss).dataSync()[0]).toBeCloseTo(5 / 3, 6);
    expect(asTensor(full.tdError).dataSync()[0]).toBeCloseTo(1, 6);
    const half = run(bellmanLoss.create(makeCtx('b'), { halfSquared: true }), inputs);
    expect(asTensor(half.loss).dataSync()[0]).toBeCloseTo(5 / 6, 6);
  });

  it('∂J/∂φ matches central differences with the target held constant, even when a live critic computes it', () => {
    const q = critic('critic', 3, 2, 11);
    const o = obsTensor(8, 3, 4);
    const a = obsTensor(8, 2, 5);
    const o2 = obsTensor(8, 3, 6);
    const a2 = obsTensor(8, 2, 7);
    const qBlock = qValue.create(makeCtx('q'), {});
    const nextBlock = qValue.create(makeCtx('qnext'), {});
    const y = tdTarget.create(makeCtx('y'), { gamma: 0.9, rewardScale: 1 });
    const loss = bellmanLoss.create(makeCtx('b'), { halfSquared: false });
    const reward = tf.tensor1d([1, 0, -1, 0.5, 2, 0, 0, 1]);
    const terminated = tf.tensor1d([0, 0, 0, 1, 0, 0, 1, 0]);
    // The bootstrap from the live critic itself (no target network).
    const chain = (tick: Tick, fixedTarget?: Tensor) => {
      const next = asTensor(run(nextBlock, { q, obs: o2, action: a2 }, tick).q);
      const target = fixedTarget ?? asTensor(run(y, { reward, terminated, next }, tick).target);
      return asTensor(run(loss, { prediction: run(qBlock, { q, obs: o, action: a }, tick).q, target }, tick).loss);
    };
    const analytic = tf.variableGrads(() => chain(diffTick()) as tf.Scalar, q.variables).grads;
    // Reference: the same loss with y computed once, outside, as a constant tensor.
    const fixed = tf.keep(asTensor(run(y, { reward, terminated, next: run(nextBlock, { q, obs: o2, action: a2 }).q }).target));
    const reference = tf.variableGrads(() => chain(makeTick(), fixed) as tf.Scalar, q.variables).grads;
    const fullGradient = tf.variableGrads(() => chain(makeTick()) as tf.Scalar, q.variables).grads;
    let differs = 0;
    for (const v of q.variables) {
      expectClose(host(analytic[v.name]), host(reference[v.name]), 6);
      differs = Math.max(differs, ...host(analytic[v.name]).map((g, i) => Math.abs(g - host(fullGradient[v.name])[i])));
    }
    // Without the constant, the target's own gradient would have been added.
    expect(differs).toBeGreaterThan(1e-3);
    // And the constant-target gradient is the derivative of J at fixed y.
    expect(expectGradsMatchFd(() => chain(makeTick(), fixed), q.variables)).toBeGreaterThan(1e-2);
  });
});

// ---------------------------------------------------------------- actor losses

describe('loss.dpg', () => {
  it('−mean Q(s, μ_θ(s)) by hand and ∂J/∂θ through policy → Q against central differences', () => {
    const rt = dpgLoss.create(makeCtx('dpg'), {});
    expect(asTensor(run(rt, { q: tf.tensor1d([1, -3, 5, 1]) }).loss).dataSync()[0]).toBeCloseTo(-1, 6);

    const pi = deterministicPolicy('actor', 3, 21);
    const q = critic('critic', 3, 2, 22);
    const o = obsTensor(7, 3, 8);
    const act = policyAction.create(makeCtx('act'), {});
    const qBlock = qValue.create(makeCtx('qpi'), {});
    const loss = () => {
      const tick = diffTick();
      const { action } = run(act, { policy: pi, obs: o }, tick);
      return asTensor(run(rt, { q: run(qBlock, { q, obs: o, action }, tick).q }, tick).loss);
    };
    expect(expectGradsMatchFd(loss, pi.variables)).toBeGreaterThan(1e-2);
  });
});

describe('loss.sacPolicy', () => {
  it('mean(α log π − Q) by hand and ∂J/∂θ through a squashed policy and two critics against central differences', () => {
    const rt = sacPolicyLoss.create(makeCtx('sac'), {});
    const alpha = temperature(Math.log(0.3));
    const hand = run(rt, { logProb: tf.tensor1d([-1, 2]), q: tf.tensor1d([3, -1]), temperature: alpha });
    // ((0.3·−1 − 3) + (0.3·2 + 1))/2 = (−3.3 + 1.6)/2 = −0.85; entropy −mean log π = −0.5.
    expect(asTensor(hand.loss).dataSync()[0]).toBeCloseTo(-0.85, 5);
    expect(asTensor(hand.entropy).dataSync()[0]).toBeCloseTo(-0.5, 6);

    const pi = squashedPolicy('actor', 3, 31);
    const q1 = critic('q1', 3, 2, 32);
    const q2 = critic('q2', 3, 2, 33);
    const o = obsTensor(6, 3, 9);
    const act = policyAction.create(makeCtx('act', { seed: 5 }), {});
    const saved = act.saveState!();
    const blocks = [qValue.create(makeCtx('q1v'), {}), qValue.create(makeCtx('q2v'), {})];
    const min = twinMin.create(makeCtx('min'), {});
    const loss = () => {
      act.loadState!(saved); // the same ε at every evaluation: J is a function of θ alone
      const tick = diffTick();
      const { action, logProb } = run(act, { policy: pi, obs: o }, tick);
      const qs = [q1, q2].map((q, i) => run(blocks[i], { q, obs: o, action }, tick).q);
      return asTensor(run(rt, { logProb, q: run(min, { q: qs }, tick).min, temperature: alpha }, tick).loss);
    };
    expect(expectGradsMatchFd(loss, pi.variables)).toBeGreaterThan(1e-2);
  });
});

// ---------------------------------------------------------------- loss.temperature

describe('loss.temperature', () => {
  it('J(α) = −α(mean log π + H̄) by hand; ∂J/∂log α against central differences; no gradient into log π', () => {
    const temp = temperature(0.3, -2);
    const rt = temperatureLoss.create(makeCtx('tl'), {});
    const logp = tf.tensor1d([-1, -2, 0.5]);
    const out = run(rt, { temperature: temp, logProb: logp });
    const gap = (-1 - 2 + 0.5) / 3 - 2;
    expect(asTensor(out.loss).dataSync()[0]).toBeCloseTo(-Math.exp(0.3) * gap, 5);
    expect(asTensor(out.alpha).dataSync()[0]).toBeCloseTo(Math.exp(0.3), 6);
    const { grads } = tf.variableGrads(() => asTensor(run(rt, { temperature: temp, logProb: logp }, diffTick()).loss) as tf.Scalar, [temp.logAlpha]);
    expect(grads[temp.logAlpha.name].dataSync()[0]).toBeCloseTo(-Math.exp(0.3) * gap, 5);
    expect(expectGradsMatchFd(() => asTensor(run(rt, { temperature: temp, logProb: logp }, diffTick()).loss), [temp.logAlpha])).toBeGreaterThan(1);

    // A log π computed from a variable inside the closure still gets no gradient (held constant).
    const shift = variable('shift', [0.1], []);
    const both = tf.variableGrads(() => asTensor(run(rt, { temperature: temp, logProb: tf.add(logp, shift) }, diffTick()).loss) as tf.Scalar, [temp.logAlpha, shift]).grads;
    expect(both[shift.name] === undefined || Math.abs(both[shift.name].dataSync()[0]) === 0).toBe(true);
  });

  describe.each(['adam', 'sgd'] as const)('automatic α with %s', (kind) => {
    it.each([
      ['above', 'decreases', -1],
      ['below', 'increases', 1],
    ] as const)('entropy %s the target: α %s, step after step', (_where, direction, offset) => {
      const pi = squashedPolicy('fixed', 3, 41);
      const o = obsTensor(256, 3, 12);
      const act = policyAction.create(makeCtx('act', { seed: 8 }), {});
      const entropy = asTensor(run(act, { policy: pi, obs: o }).entropy).dataSync()[0];
      // H̄ one nat below (above) the policy's entropy: the entropy is above (below) the target.
      const temp = temperature(Math.log(0.2), entropy + offset);
      const rt = temperatureLoss.create(makeCtx('tl'), {});
      // SGD on J(α) steps log α by lr·α·gap (∂J/∂log α = −α·gap), which blows up in finite time
      // when α grows (≈ 1/(lr·α₀) steps for a gap of one nat): a small rate keeps 30 steps finite.
      const optimizer = kind === 'adam' ? tf.train.adam(0.05) : tf.train.sgd(0.1);
      const alphas = [temp.alphaValue()];
      for (let step = 0; step < 30; step++) {
        tf.tidy(() => {
          optimizer.minimize(() => {
            const tick = diffTick();
            const { logProb } = run(act, { policy: pi, obs: o }, tick);
            return asTensor(run(rt, { temperature: temp, logProb }, tick).loss) as tf.Scalar;
          }, false, [temp.logAlpha]);
        });
        alphas.push(temp.alphaValue());
      }
      for (let i = 1; i < alphas.length; i++) {
        if (direction === 'decreases') expect(alphas[i], `step ${i}`).toBeLessThan(alphas[i - 1]);
        else expect(alphas[i], `step ${i}`).toBeGreaterThan(alphas[i - 1]);
      }
      expect(Math.abs(Math.log(alphas[30] / alphas[0]))).toBeGreaterThan(0.3);
      optimizer.dispose();
    });
  });
});

// ---------------------------------------------------------------- target.update

describe('target.update', () => {
  const shapes = [[2, 2], [2]];
  function pair(sourceValues: number[][], targetValues: number[][]): { source: ModuleResource; target: ModuleResource } {
    const module = (nodeId: string, values: number[][], copyOf?: ModuleResource): ModuleResource => ({
      kind: 'module',
      nodeId,
      inputSize: 2,
      outputSize: 2,
      variables: values.map((v, i) => variable(`${nodeId}/v${i}`, v, shapes[i])),
      apply: (x) => x,
      ...(copyOf ? { copyOf } : {}),
    });
    const source = module('critic', sourceValues);
    return { source, target: module('critic_target', targetValues, source) };
  }

  it('polyak: θ′ ← τθ + (1 − τ)θ′ by hand, twice, with τ changed live', () => {
    const { source, target } = pair([[1, 2, 3, 4], [-1, 10]], [[0, 0, 0, 8], [1, 0]]);
    const rt = targetUpdate.create(makeCtx('upd'), { mode: 'polyak', tau: 0.25, every: 1 });
    expect(run(rt, { source, target })).toEqual({ updated: null });
    const once = [
      [0.25, 0.5, 0.75, 7],
      [0.5, 2.5],
    ];
    target.variables.forEach((v, i) => expectClose(host(v), once[i], 6));
    rt.setParam!('tau', 0.5);
    run(rt, { source, target });
    target.variables.forEach((v, i) => expectClose(host(v), once[i].map((x, j) => 0.5 * host(source.variables[i])[j] + 0.5 * x), 6));
    // The source is untouched.
    expectClose(host(source.variables[0]), [1, 2, 3, 4]);
  });

  it("copy with every = 3 copies exactly on runs 3 and 6; the counter survives a checkpoint", () => {
    const { source, target } = pair([[0, 0, 0, 0], [0, 0]], [[9, 9, 9, 9], [9, 9]]);
    const params = { mode: 'copy', tau: 0.005, every: 3 } as const;
    let rt = targetUpdate.create(makeCtx('upd'), params);
    let copied = [[9, 9, 9, 9], [9, 9]];
    for (let r = 1; r <= 7; r++) {
      // An optimizer step before each run moves the source.
      const now = [[r, 2 * r, 3 * r, 4 * r], [-r, r / 2]];
      source.variables.forEach((v, i) => v.assign(tf.tensor(now[i], shapes[i])));
      if (r === 5) {
        // Resume from a checkpoint taken after run 4: run 6 must still copy.
        const state = JSON.parse(JSON.stringify(rt.saveState!()));
        rt = targetUpdate.create(makeCtx('upd'), params);
        rt.loadState!(state);
      }
      run(rt, { source, target });
      if (r % 3 === 0) copied = now;
      target.variables.forEach((v, i) => expect(host(v), `run ${r}`).toEqual(copied[i]));
    }
    expect(copied[0]).toEqual([6, 12, 18, 24]);
  });

  it('every < 1 is refused by the parameter spec; a target that copies another module is refused at run time', () => {
    expect(checkParamValue(targetUpdate.params.every, 0)).toMatch(/not valid/);
    expect(checkParamValue(targetUpdate.params.every, 1.5)).toMatch(/not valid/);
    expect(checkParamValue(targetUpdate.params.every, 1)).toBeNull();
    const a = pair([[1, 2, 3, 4], [5, 6]], [[0, 0, 0, 0], [0, 0]]);
    const b = pair([[1, 2, 3, 4], [5, 6]], [[0, 0, 0, 0], [0, 0]]);
    const rt = targetUpdate.create(makeCtx('upd'), { mode: 'polyak', tau: 0.1, every: 1 });
    const other: ModuleResource = { ...b.source, nodeId: 'critic2' };
    expect(() => run(rt, { source: other, target: a.target })).toThrow(/target 'critic_target' copies 'critic', not 'critic2'/);
    expect(() => run(rt, { source: a.source, target: b.source })).toThrow(/target 'critic' is not a target network/);
    expectClose(host(a.target.variables[0]), [0, 0, 0, 0]);
  });
});

// ---------------------------------------------------------------- checkGraph

/** A block definition standing in for other people's blocks (only type, frozen and ports matter). */
function stub(type: string, extra: Partial<AnyBlockDef> = {}): AnyBlockDef {
  return { type, category: 'Test', title: type, doc: { summary: type }, role: 'resource', params: {}, inputs: [], outputs: [], create: () => ({}), ...extra };
}

/** A GraphCheckNode view of a hand-written graph: node id → definition and input port → producers. */
function graphOf(wiring: Record<string, { def: AnyBlockDef; inputs?: Record<string, string[]> }>): (id: string) => GraphCheckNode {
  const nodes = new Map<string, GraphCheckNode>();
  const get = (id: string): GraphCheckNode => {
    const node = nodes.get(id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  };
  for (const [id, spec] of Object.entries(wiring)) {
    const inputs = spec.inputs ?? {};
    nodes.set(id, {
      id,
      type: spec.def.type,
      def: spec.def,
      params: {},
      upstream: (port) => (inputs[port] ?? []).map(get),
      ancestors(port) {
        const out: GraphCheckNode[] = [];
        const seen = new Set<string>();
        let frontier = port === undefined ? Object.values(inputs).flat() : (inputs[port] ?? []);
        while (frontier.length) {
          const next: string[] = [];
          for (const p of frontier) {
            if (seen.has(p)) continue;
            seen.add(p);
            out.push(get(p));
            next.push(...Object.values(wiring[p].inputs ?? {}).flat());
          }
          frontier = next;
        }
        return out;
      },
    });
  }
  return get;
}

describe('checkGraph', () => {
  const g = graphOf({
    mb: { def: stub('replay.sample', { role: 'op' }) },
    actor: { def: stub('head.deterministic') },
    actor_target: { def: stub('net.target', { frozen: true }), inputs: { source: ['actor'] } },
    critic: { def: stub('net.qNetwork') },
    critic2: { def: stub('net.qNetwork') },
    critic_target: { def: stub('net.target', { frozen: true }), inputs: { source: ['critic2'] } },
    critic_target_ok: { def: stub('net.target', { frozen: true }), inputs: { source: ['critic'] } },
    alpha: { def: stub('net.temperature') },
    act: { def: policyAction, inputs: { policy: ['actor'], obs: ['mb'] } },
    act_target: { def: policyAction, inputs: { policy: ['actor_target'], obs: ['mb'] } },
    q_pi: { def: qValue, inputs: { q: ['critic'], obs: ['mb'], action: ['act'] } },
    q_data: { def: qValue, inputs: { q: ['critic'], obs: ['mb'], action: ['mb'] } },
    q_frozen: { def: qValue, inputs: { q: ['critic'], obs: ['mb'], action: ['act_target'] } },
    replay_logp: { def: logProbBlock, inputs: { policy: ['actor'], obs: ['mb'], actions: ['mb'] } },
    dpg_ok: { def: dpgLoss, inputs: { q: ['q_pi'] } },
    dpg_replayed: { def: dpgLoss, inputs: { q: ['q_data'] } },
    dpg_frozen: { def: dpgLoss, inputs: { q: ['q_frozen'] } },
    sac_ok: { def: sacPolicyLoss, inputs: { logProb: ['act'], q: ['q_pi'], temperature: ['alpha'] } },
    sac_replayed_logp: { def: sacPolicyLoss, inputs: { logProb: ['replay_logp'], q: ['q_pi'], temperature: ['alpha'] } },
    sac_replayed_q: { def: sacPolicyLoss, inputs: { logProb: ['act'], q: ['q_data'], temperature: ['alpha'] } },
    upd_ok: { def: targetUpdate, inputs: { source: ['critic'], target: ['critic_target_ok'] } },
    upd_wrong: { def: targetUpdate, inputs: { source: ['critic'], target: ['critic_target'] } },
    upd_not_target: { def: targetUpdate, inputs: { source: ['critic'], target: ['critic2'] } },
  });
  const dpg = (id: string) => dpgLoss.checkGraph!({ params: {}, node: g(id) });
  const sac = (id: string) => sacPolicyLoss.checkGraph!({ params: {}, node: g(id) });
  const upd = (id: string) => targetUpdate.checkGraph!({ params: { mode: 'polyak', tau: 0.005, every: 1 }, node: g(id) });

  it('actor losses: accept Q at policy.action, refuse replayed actions and frozen target policies', () => {
    expect(dpg('dpg_ok')).toBeNull();
    expect(dpg('dpg_replayed')).toBe(
      "no deterministic or reparameterised policy action behind its 'q' input: the actor gets no gradient through Q(s, a) evaluated at replayed actions; wire policy.action (a = μ_θ(s)) into the Q block",
    );
    expect(dpg('dpg_frozen')).toMatch(/policy action 'act_target' behind its 'q' input acts with 'actor_target' \(net.target\), a frozen copy/);
    expect(sac('sac_ok')).toBeNull();
    expect(sac('sac_replayed_q')).toMatch(/^no deterministic or reparameterised policy action behind its 'q' input.*a = f_θ\(ε; s\)/);
    expect(sac('sac_replayed_logp')).toMatch(/^no deterministic or reparameterised policy action behind its 'logProb' input: the actor gets no gradient through log π\(a\|s\)/);
  });

  it('target.update: the target must be a net.target of this block\'s source', () => {
    expect(upd('upd_ok')).toBeNull();
    expect(upd('upd_wrong')).toMatch(/^target network 'critic_target' copies 'critic2', not 'critic' \(this block's source\)/);
    expect(upd('upd_not_target')).toMatch(/'target' input comes from 'critic2' \(net.qNetwork\), not from a target network/);
  });
});

// ---------------------------------------------------------------- wasm

describe('wasm', () => {
  /** SAC actor gradient and a DQN-style Bellman gradient (one-hot selection, max bootstrap). */
  function gradients(): number[][] {
    const pi = squashedPolicy('actor', 3, 51);
    const q1 = critic('q1', 3, 2, 52);
    const q2 = critic('q2', 3, 2, 53);
    const dq = discreteCritic('dq', 3, 4, 54);
    const o = obsTensor(5, 3, 13);
    const alpha = temperature(Math.log(0.2));
    const act = policyAction.create(makeCtx('act', { seed: 6 }), {});
    const qb = [qValue.create(makeCtx('q1v'), {}), qValue.create(makeCtx('q2v'), {})];
    const min = twinMin.create(makeCtx('min'), {});
    const sac = sacPolicyLoss.create(makeCtx('sac'), {});
    const actor = tf.variableGrads(() => {
      const tick = diffTick();
      const { action, logProb } = run(act, { policy: pi, obs: o }, tick);
      const qs = [q1, q2].map((q, i) => run(qb[i], { q, obs: o, action }, tick).q);
      return asTensor(run(sac, { logProb, q: run(min, { q: qs }, tick).min, temperature: alpha }, tick).loss) as tf.Scalar;
    }, pi.variables).grads;
    const qBlock = qValue.create(makeCtx('dqv'), {});
    const next = run(qValue.create(makeCtx('dqnext'), {}), { q: dq, obs: obsTensor(5, 3, 14) }).q;
    const y = run(tdTarget.create(makeCtx('y'), { gamma: 0.99, rewardScale: 1 }), { reward: tf.tensor1d([1, 0, 1, 0, 1]), terminated: tf.tensor1d([0, 0, 1, 0, 0]), next }).target;
    const bellman = bellmanLoss.create(makeCtx('b'), { halfSquared: false });
    const critic2 = tf.variableGrads(() => {
      const tick = diffTick();
      const q = run(qBlock, { q: dq, obs: o, action: tf.tensor1d([0, 3, 1, 2, 3]) }, tick).q;
      return asTensor(run(bellman, { prediction: q, target: y }, tick).loss) as tf.Scalar;
    }, dq.variables).grads;
    return [...pi.variables.map((v) => host(actor[v.name])), ...dq.variables.map((v) => host(critic2[v.name]))];
  }

  it('the SAC actor and DQN critic gradients equal cpu\'s', async () => {
    await tf.setBackend('cpu');
    const onCpu = gradients();
    await tf.setBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const onWasm = gradients();
    await tf.setBackend('cpu');
    expect(onWasm.length).toBe(onCpu.length);
    let largest = 0;
    onCpu.forEach((g, i) => {
      largest = Math.max(largest, ...g.map(Math.abs));
      g.forEach((x, j) => expect(Math.abs(onWasm[i][j] - x), `gradient ${i}[${j}]`).toBeLessThan(1e-5 + 1e-4 * Math.abs(x)));
    });
    expect(largest).toBeGreaterThan(1e-2);
  });
});
