import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { installFastSave, installGradientFixes } from '../engine/gradients.ts';
import { tf } from '../engine/tf.ts';

/** A small tanh MLP loss with broadcasts, a mean, a min and an exp: the ops of a PPO update. */
function makeProblem() {
  // Initial values inside tidy so that only the variables and the two kept inputs outlive it.
  const [w1, b1, w2] = tf.tidy(() => [
    tf.variable(tf.randomNormal([4, 8], 0, 0.5, 'float32', 1)),
    tf.variable(tf.randomNormal([8], 0, 0.1, 'float32', 2)),
    tf.variable(tf.randomNormal([8, 3], 0, 0.5, 'float32', 3)),
  ]);
  const x = tf.randomNormal([16, 4], 0, 1, 'float32', 4);
  const adv = tf.randomNormal([16], 0, 1, 'float32', 5);
  const loss = () =>
    tf.tidy(() => {
      const h = tf.tanh(tf.add(tf.matMul(x, w1), b1));
      const z = tf.matMul(h, w2);
      const logp = tf.sub(z, tf.logSumExp(z, -1, true));
      const r = tf.exp(tf.sub(tf.slice(logp, [0, 0], [16, 1]).reshape([16]), 0.1));
      const surrogate = tf.mean(tf.minimum(tf.mul(r, adv), tf.mul(tf.clipByValue(r, 0.8, 1.2), adv)));
      return tf.add(tf.neg(surrogate), tf.mul(0.5, tf.mean(tf.square(tf.div(h, 2))))) as tf.Scalar;
    });
  return { vars: [w1, b1, w2], loss, inputs: [x, adv] };
}

async function gradients(): Promise<number[][]> {
  const { vars, loss, inputs } = makeProblem();
  const { grads, value } = tf.variableGrads(loss, vars);
  const out = vars.map((v) => Array.from(grads[v.name].dataSync()));
  value.dispose();
  for (const g of Object.values(grads)) g.dispose();
  vars.forEach((v) => v.dispose());
  inputs.forEach((t) => t.dispose());
  return out;
}

describe('engine gradient patches', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });

  it('replacement gradients and aliased saved tensors give the same gradients as stock tfjs', async () => {
    const stock = await gradients();
    installGradientFixes();
    installFastSave();
    const patched = await gradients();
    for (let i = 0; i < stock.length; i++) {
      for (let j = 0; j < stock[i].length; j++) expect(patched[i][j]).toBeCloseTo(stock[i][j], 6);
    }
  });

  it('frees every saved tensor after the backward pass', async () => {
    installGradientFixes();
    installFastSave();
    await gradients();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await gradients();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps nested (second-order) gradients working', () => {
    installGradientFixes();
    installFastSave();
    // f(x) = x³ · y with y = x + 1: f'' computed through saved inputs of Mul.
    const second = tf.grad(tf.grad((x: tf.Tensor) => tf.mul(tf.mul(tf.mul(x, x), x), tf.add(x, 1))));
    const x = tf.tensor1d([0.5, 2]);
    // f = x⁴ + x³ → f'' = 12x² + 6x
    expect(Array.from(second(x).dataSync())).toEqual([12 * 0.25 + 3, 12 * 4 + 12].map((v) => expect.closeTo(v, 4)));
  });
});

describe('wasm kernel replacements', () => {
  it('fast Tanh matches Math.tanh to float32 rounding and keeps the stock gradient', async () => {
    const { installFastTanh } = await import('../engine/kernels.ts');
    await tf.setBackend('wasm');
    installFastTanh();
    const xs = tf.linspace(-20, 20, 20001);
    const ys = tf.tanh(xs).dataSync();
    const xv = xs.dataSync();
    let worst = 0;
    for (let i = 0; i < ys.length; i++) worst = Math.max(worst, Math.abs(ys[i] - Math.tanh(xv[i])));
    expect(worst).toBeLessThan(3e-7);
    expect(Array.from(tf.tanh(tf.tensor1d([0, 1e-3, -3])).dataSync())).toEqual([0, expect.closeTo(Math.tanh(1e-3), 7), expect.closeTo(Math.tanh(-3), 6)]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.tanh(x)))(tf.tensor1d([0.5, -1])).dataSync();
    expect(g[0]).toBeCloseTo(1 - Math.tanh(0.5) ** 2, 6);
    expect(g[1]).toBeCloseTo(1 - Math.tanh(-1) ** 2, 6);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.tanh(tf.ones([64, 64]));
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fast 2-D Transpose and column Sum give exactly what the stock kernels give, and fall back where they do not apply', async () => {
    const { installFastMatrixKernels } = await import('../engine/kernels.ts');
    await tf.setBackend('wasm');
    const cases: [number, number][] = [[256, 256], [70, 130], [1, 5000], [5000, 1], [33, 200], [8, 8]];
    const stock = cases.map(([r, c], k) => {
      const x = tf.randomNormal([r, c], 0, 1, 'float32', k + 1);
      const out = [tf.transpose(x), tf.sum(x, 0), tf.sum(x, -2, true), tf.sum(x, 1), tf.sum(x)].map((t) => Array.from(t.dataSync()));
      x.dispose();
      return out;
    });
    const stockTranspose = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
    installFastMatrixKernels();
    expect(tf.getKernel('Transpose', 'wasm')!.kernelFunc).not.toBe(stockTranspose); // really replaced
    cases.forEach(([r, c], k) => {
      const x = tf.randomNormal([r, c], 0, 1, 'float32', k + 1);
      const fast = [tf.transpose(x), tf.sum(x, 0), tf.sum(x, -2, true), tf.sum(x, 1), tf.sum(x)];
      expect(fast[0].shape).toEqual([c, r]);
      expect(fast[2].shape).toEqual([1, c]);
      fast.forEach((t, i) => expect(Array.from(t.dataSync()), `${r}x${c} op ${i}`).toEqual(stock[k][i]));
      // And against a plain reference: xᵀ element by element, column sums added in row order in float32.
      const xs = x.dataSync();
      const transposed: number[] = [];
      for (let j = 0; j < c; j++) for (let i = 0; i < r; i++) transposed.push(xs[i * c + j]);
      expect(Array.from(fast[0].dataSync())).toEqual(transposed);
      const columnSums = new Float32Array(c);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) columnSums[j] += xs[i * c + j];
      expect(Array.from(fast[1].dataSync())).toEqual(Array.from(columnSums));
      tf.dispose([x, ...fast]);
    });
    // Other ranks, permutations and dtypes go to the stock kernels.
    const cube = tf.range(0, 2 * 3 * 4).reshape([2, 3, 4]);
    expect(Array.from(tf.transpose(cube, [2, 0, 1]).dataSync()).slice(0, 6)).toEqual([0, 4, 8, 12, 16, 20]);
    expect(Array.from(tf.sum(tf.ones([100, 100], 'int32'), 0).dataSync()).slice(0, 2)).toEqual([100, 100]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.transpose(tf.ones([128, 64]));
      tf.sum(tf.ones([128, 64]), 0);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
