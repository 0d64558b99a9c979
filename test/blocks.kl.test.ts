/**
 * policy.kl and policy.snapshot: exact KL(π_old ‖ π_θ) per state against hand computations in
 * float64 (categorical, diagonal Gaussian with different log σ), zero at θ = θ_old, the snapshot
 * staying frozen while the policy moves (and following it at the next iteration), checkpoint
 * round trip, and ∂ meanKL/∂θ against central finite differences.
 */
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BlockRuntime, ModuleResource, PolicyResource } from '../engine/block.ts';
import type { EnvSpec } from '../engine/env.ts';
import { installGradientFixes } from '../engine/gradients.ts';
import { Rng } from '../engine/rng.ts';
import { type Tensor, tf, type Variable } from '../engine/tf.ts';
import { classicEnvSpec } from '../nodes/env/classic/index.ts';
import { categoricalHead } from '../nodes/head/categorical.ts';
import { gaussianHead } from '../nodes/head/gaussian.ts';
import { mlp } from '../nodes/net/mlp.ts';
import { categoricalKl, diagGaussianKl, kl as klBlock } from '../nodes/policy/kl.ts';
import { snapshot } from '../nodes/policy/snapshot.ts';
import { asTensor, makeCtx, makeTick } from './fakes.ts';

beforeAll(async () => {
  installGradientFixes();
  await tf.setBackend('cpu');
});

const host = (t: Tensor): number[] => Array.from(t.dataSync());

function softmax64(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function twoDimBoxSpec(): EnvSpec {
  const spec = classicEnvSpec('Pendulum-v1');
  spec.id = 'Pendulum2D-test';
  spec.actionSpace = { kind: 'box', shape: [2], low: [-2, -2], high: [2, 2] };
  return spec;
}

interface Built {
  policy: PolicyResource;
  snap: BlockRuntime;
  old: PolicyResource;
  kl: BlockRuntime;
}

function build(kind: 'categorical' | 'gaussian', seed = 3): Built {
  const envSpec = kind === 'categorical' ? classicEnvSpec('Acrobot-v1') : twoDimBoxSpec();
  const torso = mlp.create(makeCtx('torso', { seed, envSpec }), { hidden: [5], activation: 'tanh', init: 'orthogonal', gain: Math.SQRT2, inputSize: 0 })
    .resources!.module as ModuleResource;
  const head =
    kind === 'categorical'
      ? categoricalHead.create(makeCtx('pi', { seed, envSpec, resources: { torso } }), { gain: 1, init: 'orthogonal' })
      : gaussianHead.create(makeCtx('pi', { seed, envSpec, resources: { torso } }), { gain: 1, initLogStd: -0.3, init: 'orthogonal' });
  const policy = head.resources!.policy as PolicyResource;
  const snap = snapshot.create(makeCtx('old', { resources: { policy } }), {});
  const old = snap.resources!.policy as PolicyResource;
  const kl = klBlock.create(makeCtx('kl', { resources: { policy, old } }), {});
  return { policy, snap, old, kl };
}

function obsFor(policy: PolicyResource, n: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return tf.tensor2d(
    Float32Array.from({ length: n * policy.inputSize }, () => rng.uniformIn(-1.5, 1.5)),
    [n, policy.inputSize],
  );
}

/** Moves every variable of the policy by Gaussian noise of scale `scale` (fresh tensors). */
function perturb(vars: Variable[], scale: number, seed: number): void {
  const rng = new Rng(seed);
  for (const v of vars) tf.tidy(() => v.assign(tf.add(v, tf.tensor(Float32Array.from({ length: v.size }, () => rng.normal() * scale), v.shape))));
}

function runKl(b: Built, obs: Tensor): { kl: number[]; mean: number } {
  const out = b.kl.run!({ policy: b.policy, old: b.old, obs }, makeTick());
  return { kl: host(asTensor(out.kl)), mean: asTensor(out.meanKL).dataSync()[0] };
}

describe('closed forms against hand computations', () => {
  it('categorical: Σ p (log p − log q) for two rows', () => {
    const p = [
      [0.2, 0.5, 0.3],
      [0.9, 0.05, 0.05],
    ];
    const q = [
      [0.3, 0.3, 0.4],
      [0.1, 0.6, 0.3],
    ];
    const want = p.map((row, i) => row.reduce((acc, pi, a) => acc + pi * Math.log(pi / q[i][a]), 0));
    const got = host(categoricalKl(tf.log(tf.tensor2d(p)), tf.log(tf.tensor2d(q))));
    // Row 0 by hand: 0.2 ln(2/3) + 0.5 ln(5/3) + 0.3 ln(3/4) = 0.0877…
    expect(want[0]).toBeCloseTo(0.2 * Math.log(2 / 3) + 0.5 * Math.log(5 / 3) + 0.3 * Math.log(0.75), 12);
    for (let i = 0; i < 2; i++) expect(got[i]).toBeCloseTo(want[i], 6);
  });

  it('diagonal Gaussian with different means and log σ per dimension', () => {
    const mu0 = [
      [0, 1],
      [0.5, -1],
    ];
    const mu1 = [
      [1, 0],
      [0.5, 2],
    ];
    const s0 = [0, Math.log(2)];
    const s1 = [Math.log(0.5), 0];
    // KL(N(μ0, σ0²) ‖ N(μ1, σ1²)) = log σ1/σ0 + (σ0² + (μ0 − μ1)²)/(2σ1²) − ½, summed over dims.
    const want = mu0.map((row, i) =>
      row.reduce((acc, m0, j) => {
        const v0 = Math.exp(2 * s0[j]);
        const v1 = Math.exp(2 * s1[j]);
        return acc + s1[j] - s0[j] + (v0 + (m0 - mu1[i][j]) ** 2) / (2 * v1) - 0.5;
      }, 0),
    );
    // Row 0 by hand: dim 0: ln 0.5 + (1 + 1)/(2·0.25) − ½ = 2.807; dim 1: −ln 2 + (4 + 1)/2 − ½ = 1.307.
    expect(want[0]).toBeCloseTo(Math.log(0.5) + 4 - 0.5 + (-Math.log(2) + 2.5 - 0.5), 12);
    const got = host(diagGaussianKl(tf.tensor2d(mu0), tf.tensor1d(s0), tf.tensor2d(mu1), tf.tensor1d(s1)));
    for (let i = 0; i < 2; i++) expect(got[i]).toBeCloseTo(want[i], 5);
  });
});

describe.each(['categorical', 'gaussian'] as const)('policy.kl block with a policy.snapshot (%s)', (kind) => {
  it('is zero at θ = θ_old and matches a float64 computation from the two policies\' outputs after θ moves', () => {
    const b = build(kind);
    const obs = obsFor(b.policy, 7, 11);
    const at0 = runKl(b, obs);
    for (const v of at0.kl) expect(Math.abs(v)).toBeLessThan(1e-6);
    expect(Math.abs(at0.mean)).toBeLessThan(1e-6);

    const oldOut = host(b.policy.apply(obs));
    const oldLogStd = kind === 'gaussian' ? host(b.policy.variables[b.policy.variables.length - 1]) : [];
    perturb(b.policy.variables, 0.3, 5);
    const newOut = host(b.policy.apply(obs));
    const newLogStd = kind === 'gaussian' ? host(b.policy.variables[b.policy.variables.length - 1]) : [];
    if (kind === 'gaussian') expect(newLogStd).not.toEqual(oldLogStd);

    const k = b.policy.outputSize;
    const want: number[] = [];
    for (let i = 0; i < 7; i++) {
      const o = oldOut.slice(i * k, i * k + k);
      const n = newOut.slice(i * k, i * k + k);
      if (kind === 'categorical') {
        const p = softmax64(o);
        const q = softmax64(n);
        want.push(p.reduce((acc, pi, a) => acc + pi * Math.log(pi / q[a]), 0));
      } else {
        let s = 0;
        for (let j = 0; j < k; j++) {
          const v0 = Math.exp(2 * oldLogStd[j]);
          const v1 = Math.exp(2 * newLogStd[j]);
          s += newLogStd[j] - oldLogStd[j] + (v0 + (o[j] - n[j]) ** 2) / (2 * v1) - 0.5;
        }
        want.push(s);
      }
    }
    const got = runKl(b, obs);
    for (let i = 0; i < 7; i++) expect(got.kl[i]).toBeCloseTo(want[i], 5);
    expect(got.mean).toBeCloseTo(want.reduce((a, c) => a + c, 0) / 7, 5);
    expect(got.mean).toBeGreaterThan(1e-3);

    // The next iteration's snapshot follows the policy: KL back to zero.
    b.snap.beginIteration!({ iteration: 1, globalStep: 0, progress: 0 });
    for (const v of runKl(b, obs).kl) expect(Math.abs(v)).toBeLessThan(1e-6);
    expect(b.old.variables).toEqual([]);
  });

  it('the snapshot checkpoints its frozen copy (not the live policy)', () => {
    const b = build(kind, 8);
    const obs = obsFor(b.policy, 5, 2);
    perturb(b.policy.variables, 0.2, 9);
    const before = runKl(b, obs).kl;
    const state = JSON.parse(JSON.stringify(b.snap.saveState!()));
    b.snap.beginIteration!({ iteration: 1, globalStep: 0, progress: 0 });
    expect(Math.max(...runKl(b, obs).kl.map(Math.abs))).toBeLessThan(1e-6);
    b.snap.loadState!(state);
    const after = runKl(b, obs).kl;
    for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i], 6);
  });

  it('∂ meanKL/∂θ matches central finite differences (away from θ_old; zero at θ_old)', () => {
    const b = build(kind, 4);
    const obs = obsFor(b.policy, 6, 3);
    const vars = b.policy.variables as Variable[];
    const meanKl = () => asTensor(b.kl.run!({ policy: b.policy, old: b.old, obs }, makeTick()).meanKL) as tf.Scalar;
    // At θ = θ_old the KL is at its minimum: zero gradient.
    const g0 = tf.variableGrads(meanKl, vars).grads;
    for (const v of vars) for (const x of host(g0[v.name])) expect(Math.abs(x)).toBeLessThan(1e-5);

    perturb(vars, 0.25, 21);
    const { grads } = tf.variableGrads(meanKl, vars);
    const h = 1e-2;
    let largest = 0;
    for (const v of vars) {
      const analytic = host(grads[v.name]);
      const base = Float32Array.from(v.dataSync());
      const step = Math.max(1, Math.floor(v.size / 6));
      for (let i = 0; i < v.size; i += step) {
        const at = (d: number) => {
          const x = base.slice();
          x[i] += d;
          v.assign(tf.tensor(x, v.shape));
          return tf.tidy(() => meanKl().dataSync()[0]);
        };
        const numeric = (at(h) - at(-h)) / (2 * h);
        largest = Math.max(largest, Math.abs(analytic[i]));
        expect(Math.abs(analytic[i] - numeric), `${v.name}[${i}] ${analytic[i]} vs ${numeric}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
      }
      v.assign(tf.tensor(base, v.shape));
    }
    expect(largest).toBeGreaterThan(1e-2);
  });
});

describe('policy.snapshot construction', () => {
  it('refuses a policy that is not a dense chain', () => {
    const fake = { kind: 'policy', nodeId: 'weird', variables: [], outputSize: 2, distribution: 'categorical' } as unknown as PolicyResource;
    expect(() => snapshot.create(makeCtx('old', { resources: { policy: fake } }), {})).toThrow(/not a chain of dense layers/);
  });
});
