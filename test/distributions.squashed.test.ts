/**
 * Issue 6, the tanh-squashed Gaussian (engine/distributions.ts `squashedGaussian`):
 * - exp(log π) is the density of a = tanh(μ + σε)·scale + bias: per-bin probability mass (Simpson
 *   integral of exp(log π)) against a histogram of 10⁶ seeded samples, 1-D;
 * - log π and its gradients w.r.t. μ and log σ (through the reparameterised sample) against a
 *   float64 plain-JS reference and its central differences, including |u| where float32
 *   1 − tanh²u underflows;
 * - the tensor sample, the atanh path and the host sampler agree.
 * cpu backend, and wasm for the value and gradient tests (every kernel used exists there with a gradient).
 */
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { squashedGaussian } from '../engine/distributions.ts';
import { Rng } from '../engine/rng.ts';
import { tf } from '../engine/tf.ts';

// Each test starts on cpu; the value and gradient tests also run on wasm (kernel coverage).
beforeEach(async () => {
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

const LOG_2PI = Math.log(2 * Math.PI);

/** float64 reference: log π of the sample drawn with ε, per row, via log(1 − tanh²u) = log(sech²u). */
function refLogProb(mean: number[], logStd: number[], eps: number[], scale: number[]): number {
  let total = 0;
  for (let j = 0; j < mean.length; j++) {
    const u = mean[j]! + Math.exp(logStd[j]!) * eps[j]!;
    // log sech²u = 2(log 2 − |u| − log1p(e^{−2|u|})), exact in float64 for any u.
    const logSech2 = 2 * (Math.LN2 - Math.abs(u) - Math.log1p(Math.exp(-2 * Math.abs(u))));
    total += -0.5 * eps[j]! ** 2 - logStd[j]! - 0.5 * LOG_2PI - Math.log(scale[j]!) - logSech2;
  }
  return total;
}

describe('squashedGaussian', () => {
  it('exp(log π) is the density of the squashed samples (histogram, 1-D)', () => {
    const mu = 0.4;
    const logSigma = Math.log(0.9);
    const scale = 2;
    const bias = 0.5;
    const rng = new Rng(2024);
    const draws = 1_000_000;
    const bins = 40;
    const low = bias - scale;
    const width = (2 * scale) / bins;
    const counts = new Float64Array(bins);
    for (let n = 0; n < draws; n++) {
      const a = Math.tanh(mu + Math.exp(logSigma) * rng.normal()) * scale + bias;
      counts[Math.min(bins - 1, Math.floor((a - low) / width))]! += 1;
    }

    // Simpson's rule on 8 sub-intervals per bin: exp(log π) at 9 points per bin.
    const sub = 8;
    const points: number[] = [];
    for (let b = 0; b < bins; b++) for (let s = 0; s <= sub; s++) points.push(low + width * (b + s / sub));
    const logPi = tf.tidy(() =>
      squashedGaussian.logProb(tf.fill([points.length, 1], mu), tf.tensor1d([logSigma]), tf.tensor2d(points, [points.length, 1]), scale, bias).dataSync(),
    );
    const weights = Array.from({ length: sub + 1 }, (_, s) => (s === 0 || s === sub ? 1 : s % 2 ? 4 : 2));
    let totalMass = 0;
    let checked = 0;
    let worst = 0;
    for (let b = 0; b < bins; b++) {
      let mass = 0;
      for (let s = 0; s <= sub; s++) {
        const p = Math.exp(logPi[b * (sub + 1) + s]!);
        // The density vanishes at the open interval's ends; the clipped atanh there gives ≈ 0.
        mass += weights[s]! * (Number.isFinite(p) ? p : 0);
      }
      mass *= width / sub / 3;
      totalMass += mass;
      if (mass > 0.01) {
        // ≥ 10⁴ expected samples: 1 % standard error, so 4 % is a > 4σ bound.
        const rel = Math.abs(counts[b]! / draws - mass) / mass;
        worst = Math.max(worst, rel);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(worst).toBeLessThan(0.04);
    expect(totalMass).toBeCloseTo(1, 3);
  });

  it.each(['cpu', 'wasm'])('log π matches a float64 reference, also where float32 1 − tanh²u underflows (%s)', async (backend) => {
    await tf.setBackend(backend);
    expect(tf.getBackend()).toBe(backend);
    // Row 2 has u ≈ 12 and row 3 u ≈ −15: naive float32 log(1 − tanh²u) would be −∞ there.
    const mean = [
      [0.1, -0.3],
      [1.5, 0.7],
      [12, -0.2],
      [-15, 2.5],
    ];
    const logStd = [
      [-0.5, 0.2],
      [0.1, -1.2],
      [-2, 0.3],
      [-1, -0.1],
    ];
    const eps = [
      [0.3, -1.1],
      [-0.8, 0.4],
      [0.5, 1.9],
      [-0.2, 0.05],
    ];
    const scale = [2, 0.5];
    const bias = [0, 1];
    const { action, logProb, preTanh } = tf.tidy(() => {
      const out = squashedGaussian.sample(tf.tensor2d(mean), tf.tensor2d(logStd), tf.tensor2d(eps), scale, bias);
      return { action: out.action.arraySync() as number[][], logProb: out.logProb.dataSync(), preTanh: out.preTanh.dataSync() };
    });
    for (let i = 0; i < 4; i++) {
      const ref = refLogProb(mean[i]!, logStd[i]!, eps[i]!, scale);
      expect(Math.abs(logProb[i]! - ref)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref)));
      for (let j = 0; j < 2; j++) {
        const u = mean[i]![j]! + Math.exp(logStd[i]![j]!) * eps[i]![j]!;
        expect(preTanh[i * 2 + j]).toBeCloseTo(u, 5);
        expect(action[i]![j]).toBeCloseTo(Math.tanh(u) * scale[j]! + bias[j]!, 5);
      }
    }
    // Through the pre-tanh value, the same numbers.
    const viaU = tf.tidy(() => squashedGaussian.logProbPreTanh(tf.tensor2d(mean), tf.tensor2d(logStd), tf.tensor2d(preTanh, [4, 2]), scale).dataSync());
    for (let i = 0; i < 4; i++) expect(viaU[i]).toBeCloseTo(logProb[i]!, 3);
    // Through the action (atanh), away from saturation: rows 0 and 1.
    const viaA = tf.tidy(() =>
      squashedGaussian.logProb(tf.tensor2d(mean.slice(0, 2)), tf.tensor2d(logStd.slice(0, 2)), tf.tensor2d(action.slice(0, 2)), scale, bias).dataSync(),
    );
    for (let i = 0; i < 2; i++) expect(viaA[i]).toBeCloseTo(logProb[i]!, 3);
    // A state-free log σ ([k]) broadcasts over the batch.
    const shared = tf.tidy(() => squashedGaussian.sample(tf.tensor2d(mean), tf.tensor1d(logStd[0]!), tf.tensor2d(eps), scale, bias).logProb.dataSync());
    for (let i = 0; i < 4; i++) {
      const ref = refLogProb(mean[i]!, logStd[0]!, eps[i]!, scale);
      expect(Math.abs(shared[i]! - ref)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref)));
    }
  });

  it.each(['cpu', 'wasm'])('∂ log π / ∂μ and ∂ log π / ∂ log σ through the reparameterised sample match central differences (%s)', async (backend) => {
    await tf.setBackend(backend);
    expect(tf.getBackend()).toBe(backend);
    const mean = [
      [0.2, -0.6],
      [1.1, 0.3],
      [3.5, -2.0],
    ];
    const logStd = [
      [-0.3, 0.4],
      [0.2, -0.7],
      [-1.0, 0.1],
    ];
    const eps = [
      [0.9, -0.4],
      [-1.3, 0.2],
      [0.4, 1.2],
    ];
    const scale = [1.5, 1];
    // A weighted sum so every row's gradient is distinguishable.
    const w = [1, -0.5, 2];
    const f = (m: number[][], ls: number[][]): number => m.reduce((s, row, i) => s + w[i]! * refLogProb(row, ls[i]!, eps[i]!, scale), 0);

    const { gMean, gLogStd } = tf.tidy(() => {
      const g = tf.grads((m: tf.Tensor, ls: tf.Tensor) =>
        tf.sum(tf.mul(tf.tensor1d(w), squashedGaussian.sample(m, ls, tf.tensor2d(eps), scale, 0.25).logProb)),
      )([tf.tensor2d(mean), tf.tensor2d(logStd)]);
      return { gMean: g[0]!.arraySync() as number[][], gLogStd: g[1]!.arraySync() as number[][] };
    });

    const h = 1e-5;
    for (const [which, grad] of [
      ['mean', gMean],
      ['logStd', gLogStd],
    ] as const) {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 2; j++) {
          const plus = structuredClone(which === 'mean' ? mean : logStd);
          const minus = structuredClone(plus);
          plus[i]![j]! += h;
          minus[i]![j]! -= h;
          const fd = which === 'mean' ? (f(plus, logStd) - f(minus, logStd)) / (2 * h) : (f(mean, plus) - f(mean, minus)) / (2 * h);
          expect(Math.abs(grad[i]![j]! - fd), `${which}[${i}][${j}]: tf ${grad[i]![j]} vs fd ${fd}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
        }
      }
    }
    // Sanity on the formula itself: ∂/∂μ of log π at fixed ε is 2·tanh(u) per dimension.
    const u00 = mean[0]![0]! + Math.exp(logStd[0]![0]!) * eps[0]![0]!;
    expect(gMean[0]![0]).toBeCloseTo(w[0]! * 2 * Math.tanh(u00), 4);
  });

  it('host sampler agrees with the tensor sample for the same ε stream', () => {
    const n = 5;
    const k = 2;
    const mean = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i) * 1.5);
    const logStd = Float32Array.from({ length: n * k }, (_, i) => -0.5 + 0.1 * i);
    const scale = [2, 1];
    const bias = [-1, 0.5];
    const actions = new Float32Array(n * k);
    const logp = new Float32Array(n);
    squashedGaussian.actHost(mean, logStd, n, k, new Rng(9), false, scale, bias, actions, logp);
    const replay = new Rng(9);
    const eps = Array.from({ length: n * k }, () => replay.normal());
    const ref = tf.tidy(() => {
      const out = squashedGaussian.sample(tf.tensor2d(mean, [n, k]), tf.tensor2d(logStd, [n, k]), tf.tensor2d(eps, [n, k]), scale, bias);
      return { a: out.action.dataSync(), lp: out.logProb.dataSync() };
    });
    for (let i = 0; i < n * k; i++) expect(actions[i]).toBeCloseTo(ref.a[i]!, 5);
    for (let i = 0; i < n; i++) expect(logp[i]).toBeCloseTo(ref.lp[i]!, 4);

    // Deterministic: a = tanh(μ)·scale + bias, no random numbers drawn.
    const rng = new Rng(1);
    const before = rng.getState();
    squashedGaussian.actHost(mean, logStd.subarray(0, k), n, k, rng, true, scale, bias, actions, logp);
    expect(rng.getState()).toEqual(before);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) expect(actions[i * k + j]).toBeCloseTo(Math.tanh(mean[i * k + j]!) * scale[j]! + bias[j]!, 5);
  });
});
