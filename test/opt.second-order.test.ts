/**
 * Second-order optimizers through the engine (issue 5): Fisher-vector products of the KL block,
 * evaluated by the executor's OptimizeContext inside a compiled graph, against an INDEPENDENT
 * float64 reference (the same policy and KL written in plain JS, differentiated twice by mixed
 * central differences) at θ = θ_old and away from it, for categorical and Gaussian policies; the
 * exact Fisher (n products) against the average outer product of score vectors; CG against the
 * explicit solve; one TRPO step (KL ≤ δ and the surrogate improves, checked in float64); the
 * compile errors of bad inputs; and the scheduling/timing the templates rely on.
 */
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineBlock, type ModuleResource, type OptimizeContext, type PolicyResource } from '../engine/block.ts';
import { compile } from '../engine/compiler.ts';
import { GraphError, GraphErrors } from '../engine/errors.ts';
import type { GraphFile } from '../engine/graph/schema.ts';
import { installFastSave, installGradientFixes } from '../engine/gradients.ts';
import { conjugateGradient, getFlatParams, setFlatParams } from '../engine/hvp.ts';
import { blockRegistry, BlockRegistry } from '../engine/registry.ts';
import { Rng } from '../engine/rng.ts';
import { RunSession } from '../engine/session.ts';
import { type Scalar, type Tensor, tf, type Variable } from '../engine/tf.ts';
import { classicEnvSpec } from '../nodes/env/classic/index.ts';
import { categoricalHead } from '../nodes/head/categorical.ts';
import { ALL_BLOCKS } from '../nodes/index.ts';
import { surrogate as surrogateBlock } from '../nodes/loss/surrogate.ts';
import { mlp } from '../nodes/net/mlp.ts';
import { fisherFromScores } from '../nodes/opt/fisher.ts';
import { choleskySolve, matrixFromProducts } from '../nodes/opt/natural-gradient.ts';
import { klFisherProduct, subsampleRows, surrogateGradient } from '../nodes/opt/second-order.ts';
import { trpo } from '../nodes/opt/trpo.ts';
import { kl as klBlock } from '../nodes/policy/kl.ts';
import { logProb as logProbBlock } from '../nodes/policy/log-prob.ts';
import { ratio as ratioBlock } from '../nodes/policy/ratio.ts';
import { snapshot } from '../nodes/policy/snapshot.ts';
import { asTensor, makeCtx, makeTick } from './fakes.ts';
import { tempDir, template, withoutTiming } from './helpers.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGraph, serializeGraph } from '../engine/graph/io.ts';

beforeAll(async () => {
  installGradientFixes();
  installFastSave();
  await tf.setBackend('cpu');
});

// ---------------------------------------------------------------- float64 reference

interface Ref {
  /** Layer sizes: obs, hidden, out. */
  sizes: [number, number, number];
  gaussian: boolean;
  obs: Float64Array;
  n: number;
  thetaOld: Float64Array;
}

/** Policy outputs [n][out] of θ (tanh MLP + linear head; θ = W0 [in×h], b0, W1 [h×out], b1, logStd). */
function forward64(ref: Ref, theta: ArrayLike<number>): number[][] {
  const [d, h, k] = ref.sizes;
  const w0 = 0;
  const b0 = d * h;
  const w1 = b0 + h;
  const b1 = w1 + h * k;
  const rows: number[][] = [];
  for (let s = 0; s < ref.n; s++) {
    const hid = new Array<number>(h);
    for (let j = 0; j < h; j++) {
      let z = theta[b0 + j];
      for (let i = 0; i < d; i++) z += ref.obs[s * d + i] * theta[w0 + i * h + j];
      hid[j] = Math.tanh(z);
    }
    const out = new Array<number>(k);
    for (let j = 0; j < k; j++) {
      let z = theta[b1 + j];
      for (let i = 0; i < h; i++) z += hid[i] * theta[w1 + i * k + j];
      out[j] = z;
    }
    rows.push(out);
  }
  return rows;
}

function logStdOf(ref: Ref, theta: ArrayLike<number>): number[] {
  const [d, h, k] = ref.sizes;
  const start = d * h + h + h * k + k;
  return Array.from({ length: k }, (_, j) => theta[start + j]);
}

function logSoftmax64(z: number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((a, x) => a + Math.exp(x - m), 0));
  return z.map((x) => x - lse);
}

/** Mean over states of KL(π_θold ‖ π_θ), float64. */
function kl64(ref: Ref, theta: ArrayLike<number>): number {
  const oldOut = forward64(ref, ref.thetaOld);
  const out = forward64(ref, theta);
  let total = 0;
  for (let s = 0; s < ref.n; s++) {
    if (!ref.gaussian) {
      const p = logSoftmax64(oldOut[s]);
      const q = logSoftmax64(out[s]);
      for (let a = 0; a < p.length; a++) total += Math.exp(p[a]) * (p[a] - q[a]);
    } else {
      const s0 = logStdOf(ref, ref.thetaOld);
      const s1 = logStdOf(ref, theta);
      for (let j = 0; j < s0.length; j++) {
        total += s1[j] - s0[j] + (Math.exp(2 * s0[j]) + (oldOut[s][j] - out[s][j]) ** 2) / (2 * Math.exp(2 * s1[j])) - 0.5;
      }
    }
  }
  return total / ref.n;
}

/** Surrogate mean(π_θ(a|s)/π_old(a|s) · A), float64. */
function surrogate64(ref: Ref, theta: ArrayLike<number>, actions: ArrayLike<number>, adv: ArrayLike<number>): number {
  const logp = (t: ArrayLike<number>) =>
    forward64(ref, t).map((out, s) => {
      if (!ref.gaussian) return logSoftmax64(out)[actions[s]];
      const ls = logStdOf(ref, t);
      return out.reduce((acc, mu, j) => acc - 0.5 * ((actions[s] - mu) / Math.exp(ls[j])) ** 2 - ls[j] - 0.5 * Math.log(2 * Math.PI), 0);
    });
  const now = logp(theta);
  const old = logp(ref.thetaOld);
  return now.reduce((acc, l, s) => acc + Math.exp(l - old[s]) * adv[s], 0) / ref.n;
}

const H = 1e-4;

/** (∇²f(θ) v)_i by mixed central differences, float64. */
function hvp64(f: (t: Float64Array) => number, theta: Float64Array, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(theta.length);
  const t = new Float64Array(theta.length);
  const at = (di: number, i: number, dv: number): number => {
    for (let j = 0; j < t.length; j++) t[j] = theta[j] + dv * H * v[j];
    t[i] += di * H;
    return f(t);
  };
  for (let i = 0; i < theta.length; i++) out[i] = (at(1, i, 1) - at(1, i, -1) - at(-1, i, 1) + at(-1, i, -1)) / (4 * H * H);
  return out;
}

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return Math.sqrt(num / den);
}

const f32 = (xs: ArrayLike<number>): Float64Array => Float64Array.from(xs, (x) => Math.fround(x));

// ---------------------------------------------------------------- a probe optimizer in a real graph

/** What the probe optimizer hands to the test, once per iteration. */
type ProbeHook = (opt: OptimizeContext, vars: Variable[], obs: Float32Array, policy: PolicyResource) => void;
let probeHook: ProbeHook | undefined;

const probe = defineBlock({
  type: 'test.probe',
  category: 'Optimizers',
  title: 'Probe (test)',
  role: 'optimizer',
  doc: { summary: 'Hands its optimize context to the test.' },
  params: {},
  inputs: [
    { name: 'surrogate', type: 'Scalar', doc: 'L', differentiable: true },
    { name: 'kl', type: 'Scalar', doc: 'mean KL', differentiable: true },
    { name: 'modules', type: 'Module', doc: 'policy', multi: true },
    { name: 'obs', type: 'Tensor', doc: 'states (constant)' },
  ],
  outputs: [],
  create(ctx) {
    const policy = (ctx.resources.modules as ModuleResource[])[0] as PolicyResource;
    return {
      optimize(_lossFn, inputs, _tick, opt) {
        probeHook?.(opt!, policy.variables as Variable[], asTensor(inputs.obs as Tensor).dataSync() as Float32Array, policy);
        return {};
      },
    };
  },
});

const registry = new BlockRegistry([...ALL_BLOCKS, probe]);

/** The TRPO CartPole/Pendulum graph, tiny, with `optType` (a probe or a real optimizer) as the policy optimizer. */
function tinyGraph(kind: 'categorical' | 'gaussian', optType: string, optParams: Record<string, unknown> = {}): GraphFile {
  const graph = template('trpo.cartpole');
  graph.run = { totalSteps: 1_000_000, seed: 3, backend: 'cpu' };
  for (const node of graph.nodes) {
    if (node.id === 'env') node.params = { id: kind === 'categorical' ? 'CartPole-v1' : 'Pendulum-v1', numEnvs: 2 };
    if (node.id === 'rollout') node.params = { steps: 8 };
    if (node.id === 'pi_net') node.params = { hidden: [4], activation: 'tanh' };
    if (node.id === 'v_net') node.params = { hidden: [4], activation: 'tanh' };
    if (node.id === 'policy') {
      node.type = kind === 'categorical' ? 'head.categorical' : 'head.gaussian';
      node.params = kind === 'categorical' ? { gain: 1 } : { gain: 1, initLogStd: -0.4 };
    }
    if (node.id === 'trpo') {
      node.type = optType;
      node.params = optParams;
    }
  }
  graph.nodes = graph.nodes.filter((n) => n.id !== 'checkpoint');
  if (optType === 'test.probe') {
    graph.edges = graph.edges.filter((e) => e.from.node !== 'trpo');
    graph.edges.push({ from: { node: 'gae', port: 'batch', field: 'obs' }, to: { node: 'trpo', port: 'obs' } });
  }
  return graph;
}

async function runProbe(kind: 'categorical' | 'gaussian', hook: ProbeHook, backend = 'cpu', edit?: (g: GraphFile) => void): Promise<Record<string, unknown>> {
  const graph = tinyGraph(kind, 'test.probe');
  graph.run.backend = backend as 'cpu';
  edit?.(graph);
  let row: Record<string, unknown> = {};
  const session = new RunSession({ graph, registry });
  let called = 0;
  probeHook = (...args) => {
    called += 1;
    hook(...args);
  };
  try {
    await session.prepare();
    session.collect();
    row = session.learn().row;
  } finally {
    probeHook = undefined;
    session.dispose();
    await tf.setBackend('cpu');
  }
  expect(called).toBe(1);
  return row;
}

function refFor(kind: 'categorical' | 'gaussian', vars: Variable[], obs: Float32Array, policy: PolicyResource): Ref {
  const d = policy.inputSize;
  return { sizes: [d, 4, policy.outputSize], gaussian: kind === 'gaussian', obs: f32(obs), n: obs.length / d, thetaOld: f32(getFlatParams(vars)) };
}

// ---------------------------------------------------------------- tests

describe.each(['categorical', 'gaussian'] as const)('Fisher-vector products through the engine (%s policy)', (kind) => {
  for (const backend of ['cpu', 'wasm']) {
    it(`match a float64 finite-difference reference at θ = θ_old and away from it (${backend})`, async () => {
      const errors: number[] = [];
      await runProbe(
        kind,
        (opt, vars, obs, policy) => {
          const ref = refFor(kind, vars, obs, policy);
          const rng = new Rng(17);
          const fvp = klFisherProduct(opt, vars);
          for (const away of [false, true]) {
            const theta = away ? f32(Array.from(ref.thetaOld, (x) => x + 0.3 * rng.normal())) : ref.thetaOld;
            setFlatParams(vars, theta);
            for (let trial = 0; trial < 2; trial++) {
              const v = f32(Array.from(theta, () => rng.normal()));
              const got = fvp(v);
              const want = hvp64((t) => kl64(ref, t), theta, v);
              errors.push(relativeError(got, want));
            }
          }
          setFlatParams(vars, ref.thetaOld);
          // On a subset of the states (TRPO's subsampled Fisher): the reference sees only those rows.
          const rows = subsampleRows(opt.rowCount(['kl']), 0.4, rng)!;
          expect(opt.rowCount()).toBe(ref.n);
          expect(rows.length).toBe(Math.ceil(0.4 * ref.n));
          const d = ref.sizes[0];
          const sub: Ref = { ...ref, n: rows.length, obs: Float64Array.from(Array.from(rows).flatMap((r) => Array.from(ref.obs.subarray(r * d, r * d + d)))) };
          const v = f32(Array.from(ref.thetaOld, () => rng.normal()));
          errors.push(relativeError(klFisherProduct(opt, vars, rows)(v), hvp64((t) => kl64(sub, t), ref.thetaOld, v)));
          // …and differs from the full-batch product.
          expect(relativeError(klFisherProduct(opt, vars, rows)(v), fvp(v))).toBeGreaterThan(1e-3);
        },
        backend,
      );
      // Reported in the issue note: ~1e-7–1e-6 (float32 arithmetic against float64).
      console.log(`FVP relative errors (${kind}, ${backend}): ${errors.map((e) => e.toExponential(1)).join(' ')}`);
      for (const e of errors) expect(e).toBeLessThan(1e-4);
    });
  }

  it('the exact Fisher (KL Hessian: n products at θ_old; and from per-state scores) equals the average outer product of score vectors', async () => {
    let error = Infinity;
    let scoresError = Infinity;
    let size = 0;
    await runProbe(kind, (opt, vars, obs, policy) => {
      const n = vars.reduce((a, v) => a + v.size, 0);
      size = n;
      const fisher = matrixFromProducts(klFisherProduct(opt, vars), n);
      const obsTensor = tf.tensor2d(obs, [obs.length / policy.inputSize, policy.inputSize]);
      const fromScores = fisherFromScores(policy, obsTensor, vars);
      obsTensor.dispose();
      // E_s E_{a∼π}[g gᵀ], g = ∇θ log π(a|s) by first-order tfjs gradients, one (s, a) at a time:
      // categorical: exact sum over actions; Gaussian (1-d action): 3-point Gauss–Hermite, exact
      // for the degree-4 polynomials g gᵀ is in a.
      const d = policy.inputSize;
      const states = obs.length / d;
      const outer = new Float64Array(n * n);
      for (let s = 0; s < states; s++) {
        const x = tf.tensor2d(obs.subarray(s * d, s * d + d), [1, d]);
        const out = policy.apply(x).dataSync();
        const std = kind === 'gaussian' ? Math.exp(policy.variables[policy.variables.length - 1].dataSync()[0]) : 0;
        const nodes =
          kind === 'categorical'
            ? Array.from({ length: policy.outputSize }, (_, a) => ({ a, w: Math.exp(out[a]) }))
            : [
                { a: out[0] - Math.sqrt(3) * std, w: 1 / 6 },
                { a: out[0], w: 2 / 3 },
                { a: out[0] + Math.sqrt(3) * std, w: 1 / 6 },
              ];
        for (const { a, w } of nodes) {
          const action = tf.tensor1d([a]);
          const { grads } = tf.variableGrads(() => tf.sum(policy.logProb(policy.apply(x), action)) as Scalar, vars);
          const g = Float64Array.from(vars.flatMap((v) => Array.from(grads[v.name].dataSync())));
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) outer[i * n + j] += (w * g[i] * g[j]) / states;
          tf.dispose([action, ...Object.values(grads)]);
        }
        tf.dispose([x]);
      }
      error = relativeError(fisher, outer);
      scoresError = relativeError(fromScores, outer);
    });
    expect(size).toBeGreaterThan(15);
    expect(error).toBeLessThan(1e-4);
    expect(scoresError).toBeLessThan(1e-5);
  });

  it('conjugate gradient on the engine products solves (F + λI)x = g to tolerance', async () => {
    let residual = Infinity;
    let againstCholesky = Infinity;
    let quadraticError = Infinity;
    await runProbe(kind, (opt, vars) => {
      const n = vars.reduce((a, v) => a + v.size, 0);
      const fvp = klFisherProduct(opt, vars);
      const { grad } = surrogateGradient(opt, vars, 'probe');
      const damping = 0.1;
      const cg = conjugateGradient(fvp, grad, { iterations: n, damping, residualTolerance: 1e-24 });
      const fisher = matrixFromProducts(fvp, n);
      const ax = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = damping * cg.x[i];
        for (let j = 0; j < n; j++) s += fisher[i * n + j] * cg.x[j];
        ax[i] = s;
      }
      residual = relativeError(ax, grad);
      againstCholesky = relativeError(cg.x, choleskySolve(fisher, n, grad, damping));
      const xAx = cg.x.reduce((acc, xi, i) => acc + xi * ax[i], 0);
      quadraticError = Math.abs(cg.xAx - xAx) / xAx;
    });
    expect(residual).toBeLessThan(1e-4);
    expect(againstCholesky).toBeLessThan(1e-3);
    expect(quadraticError).toBeLessThan(1e-4);
  });
});

describe('subsampleRows', () => {
  it('draws ⌈fraction·n⌉ distinct sorted rows, afresh each call; all rows for fraction 1', () => {
    const rng = new Rng(3);
    const a = subsampleRows(100, 0.1, rng)!;
    const b = subsampleRows(100, 0.1, rng)!;
    expect(a.length).toBe(10);
    expect(new Set(a).size).toBe(10);
    expect(Array.from(a)).toEqual(Array.from(a).sort((x, y) => x - y));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(100);
    expect(Array.from(a)).not.toEqual(Array.from(b));
    expect(subsampleRows(100, 1, rng)).toBeUndefined();
    expect(subsampleRows(undefined, 0.1, rng)).toBeUndefined();
    expect(subsampleRows(5, 0.01, rng)!.length).toBe(1);
  });
});

describe('OptimizeContext semantics', () => {
  it('evaluates one port\'s cone only, and cone outputs read by metrics keep their first value', async () => {
    const seen: number[] = [];
    await runProbe('categorical', (opt, vars) => {
      expect(opt.ports).toEqual(['surrogate', 'kl']);
      const theta = getFlatParams(vars);
      const first = tf.tidy(() => opt.evaluate(['kl']).kl.dataSync()[0]);
      setFlatParams(vars, Float32Array.from(theta, (x) => x + 0.5));
      const moved = tf.tidy(() => opt.evaluate().kl.dataSync()[0]);
      seen.push(first, moved);
      expect(() => opt.evaluate(['nope'])).toThrow(/not one of its differentiable inputs/);
      setFlatParams(vars, theta);
    });
    expect(Math.abs(seen[0])).toBeLessThan(1e-7); // θ = θ_old: the snapshot was taken before the collectors
    expect(seen[1]).toBeGreaterThan(1e-3);
  });

  it('metrics read the first whole-batch evaluation of a cone output, not a row-subset one', async () => {
    let full = NaN;
    let subset = NaN;
    const row = await runProbe(
      'categorical',
      (opt, vars) => {
        const theta = getFlatParams(vars);
        setFlatParams(vars, Float32Array.from(theta, (x, i) => x + 0.3 * Math.sin(i)));
        subset = tf.tidy(() => opt.evaluate(['kl'], { rows: Int32Array.from([0, 1, 2]) }).kl.dataSync()[0]);
        full = tf.tidy(() => opt.evaluate(['kl']).kl.dataSync()[0]);
        tf.tidy(() => opt.evaluate(['kl'], { rows: Int32Array.from([3]) }));
        setFlatParams(vars, theta);
      },
      'cpu',
      (g) => g.edges.push({ from: { node: 'kl', port: 'meanKL' }, to: { node: 'metrics', port: 'values' } }),
    );
    expect(full).toBeGreaterThan(1e-3);
    expect(subset).not.toBeCloseTo(full, 6);
    expect(row['kl.meanKL']).toBeCloseTo(full, 6);
  });
});

describe('opt.trpo step', () => {
  /** A tiny categorical problem with a hand-made optimize context built from the blocks. */
  function problem(seed: number, delta: number, klOffset = 0) {
    const envSpec = classicEnvSpec('CartPole-v1');
    const torso = mlp.create(makeCtx('torso', { seed, envSpec }), { hidden: [4], activation: 'tanh', init: 'orthogonal', gain: Math.SQRT2, inputSize: 0 })
      .resources!.module as ModuleResource;
    const policy = categoricalHead.create(makeCtx('pi', { seed, envSpec, resources: { torso } }), { gain: 1, init: 'orthogonal' }).resources!.policy as PolicyResource;
    const old = snapshot.create(makeCtx('old', { resources: { policy } }), {}).resources!.policy as PolicyResource;
    const rng = new Rng(seed);
    const n = 24;
    const obsData = Float32Array.from({ length: n * 4 }, () => rng.normal());
    const actData = Float32Array.from({ length: n }, () => rng.int(2));
    const advData = Float32Array.from({ length: n }, () => rng.normal());
    const obs = tf.keep(tf.tensor2d(obsData, [n, 4]));
    const actions = tf.keep(tf.tensor1d(actData));
    const adv = tf.keep(tf.tensor1d(advData));
    const logpOld = tf.keep(tf.tidy(() => policy.logProb(policy.apply(obs), actions)));
    const rt = {
      logp: logProbBlock.create(makeCtx('logp'), {}),
      ratio: ratioBlock.create(makeCtx('ratio'), {}),
      surrogate: surrogateBlock.create(makeCtx('surrogate'), {}),
      kl: klBlock.create(makeCtx('kl', { resources: { policy, old } }), {}),
    };
    const opt: OptimizeContext = {
      ports: ['surrogate', 'kl'],
      rowCount: () => n,
      evaluate(ports = ['surrogate', 'kl']) {
        const tick = makeTick();
        const out: Record<string, Tensor> = {};
        if (ports.includes('surrogate')) {
          const logp = rt.logp.run!({ policy, obs, actions }, tick).logp;
          const r = rt.ratio.run!({ logp, logpOld }, tick).ratio;
          out.surrogate = asTensor(rt.surrogate.run!({ ratio: r, advantages: adv }, tick).objective);
        }
        if (ports.includes('kl')) out.kl = tf.add(asTensor(rt.kl.run!({ policy, old, obs }, tick).meanKL), klOffset);
        return out;
      },
    };
    const step = trpo.create(makeCtx('trpo', { resources: { modules: [policy] } }), { delta, cgIterations: 10, damping: 0.1, fvpFraction: 1, backtrackCoeff: 0.8, backtrackIters: 10 });
    const ref: Ref = { sizes: [4, 4, 2], gaussian: false, obs: f32(obsData), n, thetaOld: f32(getFlatParams(policy.variables as Variable[])) };
    const run = () => {
      const outputs = tf.tidy(() => {
        const o = step.optimize!(() => tf.scalar(0), {}, makeTick(), opt);
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, asTensor(v).dataSync()[0]]));
      });
      return outputs;
    };
    return { policy, ref, actData, advData, run, dispose: () => tf.dispose([obs, actions, adv, logpOld]) };
  }

  it('takes a step with mean KL ≤ δ that improves the surrogate (checked in float64)', () => {
    for (const [seed, delta] of [
      [1, 0.01],
      [2, 0.05],
      [3, 0.5],
    ] as const) {
      const p = problem(seed, delta);
      const out = p.run();
      const theta = f32(getFlatParams(p.policy.variables as Variable[]));
      expect(out.accepted, `seed ${seed}`).toBe(1);
      const kl = kl64(p.ref, theta);
      expect(kl, `seed ${seed}`).toBeLessThanOrEqual(delta * (1 + 1e-4));
      expect(kl).toBeGreaterThan(0);
      expect(out.klAfter).toBeCloseTo(kl, 5);
      const gain = surrogate64(p.ref, theta, p.actData, p.advData) - surrogate64(p.ref, p.ref.thetaOld, p.actData, p.advData);
      expect(gain, `seed ${seed}`).toBeGreaterThan(0);
      expect(out.improvement).toBeCloseTo(gain, 4);
      expect(out.stepLength).toBeGreaterThan(0);
      p.dispose();
    }
  });

  it('keeps θ when no candidate satisfies the KL constraint', () => {
    const p = problem(4, 0.01, 1); // the line search sees KL + 1 > δ everywhere; F is unchanged
    const out = p.run();
    expect(out.accepted).toBe(0);
    expect(out.backtracks).toBe(10);
    expect(out.stepLength).toBe(0);
    expect(Array.from(getFlatParams(p.policy.variables as Variable[]))).toEqual(Array.from(Float32Array.from(p.ref.thetaOld)));
    p.dispose();
  });
});

describe('compile errors of second-order optimizers name the node', () => {
  function expectError(graph: GraphFile, pattern: RegExp, nodeId: string): void {
    let caught: unknown;
    try {
      compile(graph, blockRegistry());
    } catch (error) {
      caught = error;
    }
    const all = caught instanceof GraphErrors ? caught.errors : [caught];
    const match = all.find((e): e is GraphError => e instanceof GraphError && pattern.test(e.message));
    expect(match, `expected ${pattern} among: ${all.map((e) => (e as Error).message).join(' | ')}`).toBeDefined();
    expect(match!.nodeId).toBe(nodeId);
    expect(match!.message).toContain(`'${nodeId}'`);
  }

  it('δ ≤ 0 and CG iterations 0', () => {
    for (const delta of [0, -0.01]) {
      const g = template('trpo.cartpole');
      g.nodes.find((n) => n.id === 'trpo')!.params.delta = delta;
      expectError(g, /param 'delta' = .* expected a number > 0/, 'trpo');
    }
    const g = template('trpo.cartpole');
    g.nodes.find((n) => n.id === 'trpo')!.params.cgIterations = 0;
    expectError(g, /param 'cgIterations' = 0 .* ≥ 1/, 'trpo');
  });

  for (const type of ['opt.trpo', 'opt.tnpg', 'opt.naturalGradient']) {
    it(`${type} whose kl input does not depend on the policy it optimizes`, () => {
      const g = template('trpo.cartpole');
      const opt = g.nodes.find((n) => n.id === 'trpo')!;
      opt.type = type;
      opt.params = type === 'opt.naturalGradient' ? { fisher: 'klHessian' } : {};
      g.edges = g.edges.filter((e) => !(e.from.node === 'trpo' && ['backtracks', 'accepted'].includes(e.from.port)));
      // A second policy, unrelated to the optimised one, feeds the KL block; θ_old stays the snapshot.
      g.nodes.push({ id: 'other_net', type: 'net.mlp', params: { hidden: [8] }, ui: { x: 40, y: 700 } });
      g.nodes.push({ id: 'other', type: 'head.categorical', params: {}, ui: { x: 280, y: 700 } });
      g.edges.push({ from: { node: 'other_net', port: 'module' }, to: { node: 'other', port: 'torso' } });
      g.edges = g.edges.filter((e) => !(e.to.node === 'kl' && e.to.port === 'policy'));
      g.edges.push({ from: { node: 'other', port: 'policy' }, to: { node: 'kl', port: 'policy' } });
      expectError(g, /'kl' input does not depend on the modules it optimizes \(policy\)/, 'trpo');
    });
  }

  it('a KL between the policy and a snapshot of itself passes, a KL of the snapshot alone does not', () => {
    const g = template('trpo.cartpole');
    expect(() => compile(g, blockRegistry())).not.toThrow();
    // Both KL inputs from the frozen copy: constant in θ.
    g.edges = g.edges.filter((e) => !(e.to.node === 'kl' && e.to.port === 'policy'));
    g.edges.push({ from: { node: 'old_policy', port: 'policy' }, to: { node: 'kl', port: 'policy' } });
    expectError(g, /'kl' input does not depend/, 'trpo');
  });
});

describe('engine plan of the TRPO template', () => {
  it('the value-fitting loop waits for the policy step whose outputs its metrics sink reads', () => {
    const plan = compile(template('trpo.cartpole'), blockRegistry());
    const ids = plan.iteration.map((s) => s.id);
    expect(ids.indexOf('trpo')).toBeLessThan(ids.indexOf('minibatch'));
    expect(plan.portCones.get('trpo')).toEqual({ surrogate: ['logp', 'ratio', 'surrogate'], kl: ['kl'] });
    expect(plan.portCones.get('adam_v')).toEqual({ loss: ['value_loss'] });
  });

  it('two short iterations: time split and step metrics in the row, no tensor growth', async () => {
    const graph = template('trpo.cartpole');
    graph.run = { totalSteps: 1_000_000, seed: 5, backend: 'wasm' };
    for (const node of graph.nodes) if (node.id === 'rollout') node.params = { steps: 64 };
    const session = new RunSession({ graph });
    try {
      await session.prepare();
      const counts: number[] = [];
      let row: Record<string, unknown> = {};
      for (let i = 0; i < 3; i++) {
        session.collect();
        row = session.learn().row;
        counts.push(tf.memory().numTensors);
      }
      expect(counts[2]).toBe(counts[1]);
      for (const key of ['collectSeconds', 'advantageSeconds', 'trpo.gradientSeconds', 'trpo.cgSeconds', 'trpo.lineSearchSeconds']) {
        expect(row[key], key).toEqual(expect.any(Number));
      }
      expect(row['trpo.accepted']).toBe(1);
      expect(row['trpo.klAfter'] as number).toBeLessThanOrEqual(0.01);
      expect(row['trpo.klAfter'] as number).toBeGreaterThan(0);
      expect(row['trpo.improvement'] as number).toBeGreaterThan(0);
      expect(row['trpo.backtracks']).toEqual(expect.any(Number));
      expect(row['trpo.stepLength'] as number).toBeGreaterThan(0);
    } finally {
      session.dispose();
      await tf.setBackend('cpu');
    }
  });
});

describe('the issue-5 second-order templates', () => {
  const NAMES = ['trpo.cartpole', 'tnpg.cartpole', 'npg.cartpole', 'trpo.acrobot'];
  const OPT: Record<string, string> = { 'trpo.cartpole': 'trpo', 'tnpg.cartpole': 'tnpg', 'npg.cartpole': 'npg', 'trpo.acrobot': 'trpo' };

  it('compile with the slide as separate cones: surrogate ← logp → ratio → surrogate, kl ← kl; the value fitted apart', () => {
    for (const name of NAMES) {
      const plan = compile(template(name), blockRegistry());
      expect(plan.portCones.get(OPT[name]), name).toEqual({ surrogate: ['logp', 'ratio', 'surrogate'], kl: ['kl'] });
      expect(plan.portCones.get('adam_v'), name).toEqual({ loss: ['value_loss'] });
      expect(plan.nodes.get('old_policy')!.def.type).toBe('policy.snapshot');
    }
  });

  it('save → load is stable (sorted, idempotent)', () => {
    for (const name of NAMES) {
      const text = serializeGraph(template(name));
      expect(serializeGraph(parseGraph(text)), name).toBe(text);
    }
  });

  it('a resumed TRPO run continues exactly like an uninterrupted one (snapshot, subsample RNG, Adam state)', async () => {
    const graph = template('trpo.cartpole');
    graph.run = { totalSteps: 1_000_000, seed: 4, backend: 'cpu' };
    for (const node of graph.nodes) {
      if (node.id === 'rollout') node.params = { steps: 16 };
      if (node.id === 'pi_net' || node.id === 'v_net') node.params = { hidden: [8], activation: 'tanh' };
      if (node.id === 'trpo') node.params = { ...node.params, fvpFraction: 0.5 };
    }
    const rowsOf = (dir: string) =>
      readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => withoutTiming(JSON.parse(l) as Record<string, number>))
        .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.endsWith('Seconds'))));
    const iterate = (session: RunSession, n: number) => {
      for (let i = 0; i < n; i++) {
        session.collect();
        session.learn();
      }
    };
    try {
      const straightDir = tempDir();
      const straight = new RunSession({ graph, outDir: straightDir });
      await straight.prepare();
      iterate(straight, 4);
      straight.dispose();
      const splitDir = tempDir();
      const first = new RunSession({ graph, outDir: splitDir });
      await first.prepare();
      iterate(first, 2);
      first.checkpoint();
      first.dispose();
      const second = new RunSession({ graph, outDir: splitDir, resume: true });
      await second.prepare();
      iterate(second, 2);
      second.dispose();
      const a = rowsOf(straightDir);
      expect(a).toHaveLength(4);
      expect(a[3]['trpo.accepted']).toBe(1);
      expect(rowsOf(splitDir)).toEqual(a);
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
