/**
 * Second-order gradients (engine/gradients.ts, engine/hvp.ts) against INDEPENDENT float64
 * references written in plain JS: the same functions (tanh/elu/relu MLP → diagonal-Gaussian or
 * categorical KL(π_old ‖ π_θ), single ops) evaluated in float64 and differentiated twice by mixed
 * central differences, or closed-form second derivatives. Never tfjs against tfjs (notes trap 5:
 * stock tfjs is silently wrong, so a self-consistency check would pass).
 *
 * Parameters, inputs and vectors are rounded to float32 once and the same numbers feed both
 * sides, so the only differences are tfjs's float32 arithmetic and the reference's truncation
 * error (~1e-8). Runs on cpu and wasm.
 */
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logSoftmax } from '../engine/distributions.ts';
import { installFastSave, installGradientFixes } from '../engine/gradients.ts';
import {
  conjugateGradient,
  fisherVectorProduct,
  flatGradient,
  getFlatParams,
  hessianVectorProduct,
  hessianVectorProductTensors,
  setFlatParams,
  unflatten,
} from '../engine/hvp.ts';
import { installFastTanh } from '../engine/kernels.ts';
import { type Activation, activate } from '../engine/layers.ts';
import { Rng } from '../engine/rng.ts';
import { type Scalar, type Tensor, tf, type Variable } from '../engine/tf.ts';

// Stock gradient configs, captured before the fixes replace them (each test file runs in a fresh
// process): used to show the references catch the stock error, and that first order is unchanged.
const REPLACED = ['Tanh', 'Exp', 'Sigmoid', 'Softmax', 'Elu', 'Pow', 'Minimum', 'Maximum'];
const STOCK = REPLACED.map((k) => tf.getGradient(k)!);
installGradientFixes();
installFastSave();
const PATCHED = REPLACED.map((k) => tf.getGradient(k)!);

/**
 * Runs `fn` with parts of stock tfjs: the stock gradient configs, and/or the stock save (a clone
 * per saved tensor whose tape node is pushed before the op's own: the cause of trap 5). The fast
 * save's alias nodes, appended later, also connect saved outputs, so the stock error shows only
 * with both.
 */
function withStock<T>(parts: { gradients: boolean; save: boolean }, fn: () => T): T {
  // Internal engine API (tfjs 4.22): installFastSave sets an own property over the prototype's.
  const engine = tf.engine() as unknown as { saveTensorsForBackwardMode: (ts: Tensor[]) => Tensor[] };
  const fastSave = engine.saveTensorsForBackwardMode;
  if (parts.save) engine.saveTensorsForBackwardMode = (Object.getPrototypeOf(engine) as typeof engine).saveTensorsForBackwardMode;
  if (parts.gradients) for (const c of STOCK) tf.registerGradient(c);
  try {
    return fn();
  } finally {
    for (const c of PATCHED) tf.registerGradient(c);
    engine.saveTensorsForBackwardMode = fastSave;
  }
}

const withStockGradients = <T>(fn: () => T): T => withStock({ gradients: true, save: true }, fn);

// ---------------------------------------------------------------- float64 helpers

const f32 = (xs: ArrayLike<number>): Float64Array => Float64Array.from(xs, (x) => Math.fround(x));

function randomVector(rng: Rng, n: number, scale = 1): Float64Array {
  return f32(Array.from({ length: n }, () => rng.normal() * scale));
}

function unit(rng: Rng, n: number): Float64Array {
  const v = Array.from({ length: n }, () => rng.normal());
  const norm = Math.hypot(...v);
  return f32(v.map((x) => x / norm));
}

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den);
}

const H = 1e-4;

/**
 * (H v)_i = ∂²f/∂θ_i∂v by mixed central differences in float64:
 * [f(θ+h eᵢ+h v) − f(θ+h eᵢ−h v) − f(θ−h eᵢ+h v) + f(θ−h eᵢ−h v)] / 4h², error O(h²).
 */
function hvpReference(f: (theta: Float64Array) => number, theta: Float64Array, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(theta.length);
  const t = Float64Array.from(theta);
  const at = (di: number, i: number, dv: number): number => {
    for (let j = 0; j < t.length; j++) t[j] = theta[j] + dv * H * v[j];
    t[i] += di * H;
    return f(t);
  };
  for (let i = 0; i < theta.length; i++) out[i] = (at(1, i, 1) - at(1, i, -1) - at(-1, i, 1) + at(-1, i, -1)) / (4 * H * H);
  return out;
}

/** uᵀ H v by mixed central differences (4 evaluations): for networks too wide for the full vector. */
function bilinearReference(f: (theta: Float64Array) => number, theta: Float64Array, u: ArrayLike<number>, v: ArrayLike<number>): number {
  const t = new Float64Array(theta.length);
  const at = (du: number, dv: number): number => {
    for (let j = 0; j < t.length; j++) t[j] = theta[j] + H * (du * u[j] + dv * v[j]);
    return f(t);
  };
  return (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * H * H);
}

// ---------------------------------------------------------------- the policy, twice

interface PolicySpec {
  sizes: number[]; // obs, hidden…, out
  activation: Activation;
  gaussian: boolean; // then a state-free logStd of size `out` follows the layers
}

/** Parameter shapes in θ order: W₁ [in, out] (row-major), b₁, W₂, b₂, …, then logStd. */
function shapesOf(spec: PolicySpec): number[][] {
  const shapes: number[][] = [];
  for (let l = 0; l + 1 < spec.sizes.length; l++) shapes.push([spec.sizes[l], spec.sizes[l + 1]], [spec.sizes[l + 1]]);
  if (spec.gaussian) shapes.push([spec.sizes[spec.sizes.length - 1]]);
  return shapes;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function act64(x: number, a: Activation): number {
  if (a === 'tanh') return Math.tanh(x);
  if (a === 'relu') return Math.max(0, x);
  if (a === 'elu') return x > 0 ? x : Math.exp(x) - 1;
  return x;
}

/** Float64 forward pass: outputs [n][out]; `kinks` collects |pre-activation| of hidden units. */
function forward64(spec: PolicySpec, theta: Float64Array, obs: Float64Array, n: number, kinks?: number[]): number[][] {
  const layers = spec.sizes.length - 1;
  const out: number[][] = [];
  for (let s = 0; s < n; s++) {
    let h = Array.from(obs.subarray(s * spec.sizes[0], (s + 1) * spec.sizes[0]));
    let offset = 0;
    for (let l = 0; l < layers; l++) {
      const fi = spec.sizes[l];
      const fo = spec.sizes[l + 1];
      const next = new Array<number>(fo).fill(0);
      for (let j = 0; j < fo; j++) {
        let z = theta[offset + fi * fo + j];
        for (let i = 0; i < fi; i++) z += h[i] * theta[offset + i * fo + j];
        next[j] = l + 1 < layers ? act64(z, spec.activation) : z;
        if (kinks && l + 1 < layers) kinks.push(Math.abs(z));
      }
      offset += fi * fo + fo;
      h = next;
    }
    out.push(h);
  }
  return out;
}

function logSoftmax64(z: number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
  return z.map((x) => x - lse);
}

interface KlProblem {
  spec: PolicySpec;
  n: number;
  obs: Float64Array;
  /** π_old as constants: Gaussian means + logStd, or categorical log-probabilities. */
  old: Float64Array;
  oldLogStd: Float64Array;
  thetaOld: Float64Array;
}

function makeProblem(spec: PolicySpec, n: number, seed: number): KlProblem {
  const rng = new Rng(seed);
  const shapes = shapesOf(spec);
  const theta: number[] = [];
  shapes.forEach((shape, i) => {
    const scale = shape.length === 2 ? 1.2 / Math.sqrt(shape[0]) : i === shapes.length - 1 && spec.gaussian ? 0.3 : 0.2;
    for (let j = 0; j < sizeOf(shape); j++) theta.push(rng.normal() * scale - (spec.gaussian && i === shapes.length - 1 ? 0.5 : 0));
  });
  const thetaOld = f32(theta);
  const obs = randomVector(rng, n * spec.sizes[0]);
  const outs = forward64(spec, thetaOld, obs, n);
  const k = spec.sizes[spec.sizes.length - 1];
  const old = f32(outs.flatMap((z) => (spec.gaussian ? z : logSoftmax64(z))));
  const oldLogStd = spec.gaussian ? f32(thetaOld.subarray(thetaOld.length - k)) : new Float64Array(0);
  return { spec, n, obs, old, oldLogStd, thetaOld };
}

/** Mean over states of KL(π_old ‖ π_θ), float64. */
function kl64(p: KlProblem, theta: Float64Array): number {
  const outs = forward64(p.spec, theta, p.obs, p.n);
  const k = p.spec.sizes[p.spec.sizes.length - 1];
  let total = 0;
  for (let s = 0; s < p.n; s++) {
    if (p.spec.gaussian) {
      for (let j = 0; j < k; j++) {
        const ls = theta[theta.length - k + j];
        const lo = p.oldLogStd[j];
        const d = p.old[s * k + j] - outs[s][j];
        total += ls - lo + (Math.exp(2 * lo) + d * d) / (2 * Math.exp(2 * ls)) - 0.5;
      }
    } else {
      const lp = logSoftmax64(outs[s]);
      for (let j = 0; j < k; j++) total += Math.exp(p.old[s * k + j]) * (p.old[s * k + j] - lp[j]);
    }
  }
  return total / p.n;
}

type LogProbForm = 'logSoftmax' | 'log(softmax)';

/** The same KL in tfjs, with the engine's own activation and log-softmax. */
function klTf(p: KlProblem, vars: Variable[], form: LogProbForm = 'logSoftmax'): () => Scalar {
  const k = p.spec.sizes[p.spec.sizes.length - 1];
  const layers = p.spec.sizes.length - 1;
  const obs = tf.tensor2d(Float32Array.from(p.obs), [p.n, p.spec.sizes[0]]);
  const old = tf.tensor2d(Float32Array.from(p.old), [p.n, k]);
  const oldLogStd = tf.tensor1d(Float32Array.from(p.oldLogStd));
  const fn = () =>
    tf.tidy(() => {
      let h: Tensor = obs;
      for (let l = 0; l < layers; l++) {
        h = tf.add(tf.matMul(h as tf.Tensor2D, vars[2 * l] as unknown as tf.Tensor2D), vars[2 * l + 1]);
        if (l + 1 < layers) h = activate(h, p.spec.activation);
      }
      if (p.spec.gaussian) {
        const logStd = vars[vars.length - 1];
        const ratio = tf.div(tf.add(tf.exp(tf.mul(2, oldLogStd)), tf.square(tf.sub(old, h))), tf.mul(2, tf.exp(tf.mul(2, logStd))));
        return tf.mean(tf.sum(tf.sub(tf.add(tf.sub(logStd, oldLogStd), ratio), 0.5), -1)) as Scalar;
      }
      const logp = form === 'logSoftmax' ? logSoftmax(h) : tf.log(tf.softmax(h));
      return tf.mean(tf.sum(tf.mul(tf.exp(old), tf.sub(old, logp)), -1)) as Scalar;
    });
  kept.push(obs, old, oldLogStd);
  return fn;
}

const kept: Tensor[] = [];

function variablesAt(p: KlProblem, theta: Float64Array): Variable[] {
  const shapes = shapesOf(p.spec);
  let offset = 0;
  return shapes.map((shape) => {
    const part = Float32Array.from(theta.subarray(offset, offset + sizeOf(shape)));
    offset += sizeOf(shape);
    return tf.tidy(() => tf.variable(tf.tensor(part, shape), true));
  });
}

function disposeAll(ts: Tensor[]): void {
  for (const t of ts.splice(0)) t.dispose();
}

// ---------------------------------------------------------------- cases

interface Case {
  name: string;
  spec: PolicySpec;
  form?: LogProbForm;
  n: number;
  seed: number;
}

const CASES: Case[] = [
  { name: 'tanh MLP 3-6-6-2 → diagonal Gaussian KL', spec: { sizes: [3, 6, 6, 2], activation: 'tanh', gaussian: true }, n: 16, seed: 1 },
  { name: 'tanh MLP 4-8-3 → categorical KL (z − logSumExp z)', spec: { sizes: [4, 8, 3], activation: 'tanh', gaussian: false }, n: 16, seed: 2 },
  { name: 'tanh MLP 4-8-3 → categorical KL (log softmax z)', spec: { sizes: [4, 8, 3], activation: 'tanh', gaussian: false }, form: 'log(softmax)', n: 16, seed: 3 },
  { name: 'elu MLP 3-6-6-2 → diagonal Gaussian KL', spec: { sizes: [3, 6, 6, 2], activation: 'elu', gaussian: true }, n: 16, seed: 14 },
  { name: 'elu MLP 4-8-3 → categorical KL', spec: { sizes: [4, 8, 3], activation: 'elu', gaussian: false }, n: 16, seed: 5 },
  { name: 'relu MLP 3-8-2 → diagonal Gaussian KL', spec: { sizes: [3, 8, 2], activation: 'relu', gaussian: true }, n: 16, seed: 13 },
];

const TOL = 1e-3;
const report: string[] = [];

afterAll(() => {
  disposeAll(kept);
  console.log(`second-order relative errors (float32 tfjs vs float64 finite differences):\n${report.join('\n')}`);
});

describe.each(['cpu', 'wasm'])('second-order gradients on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    if (backend === 'wasm') installFastTanh();
  });

  /** Relative error of H·v at θ_old (the Fisher matrix) and at a perturbed θ (a general Hessian). */
  function hvpErrors(c: Case, stock?: { gradients: boolean; save: boolean }): { atOld: number; perturbed: number } {
    const p = makeProblem(c.spec, c.n, c.seed);
    const rng = new Rng(c.seed + 100);
    const thetaNew = f32(Array.from(p.thetaOld, (x) => x + 0.3 * rng.normal()));
    const v = unit(rng, p.thetaOld.length);
    const errorAt = (theta: Float64Array): number => {
      if (c.spec.activation !== 'tanh') {
        // relu/elu are not smooth at 0: the differences move a pre-activation by at most
        // ~2h·(1 + ‖obs‖∞ + ‖h‖∞) ≈ 1e-3, and must not straddle a kink, or the reference itself is
        // meaningless (a relu kink inside the stencil gives an O(1/h) error).
        const kinks: number[] = [];
        forward64(c.spec, theta, p.obs, p.n, kinks);
        expect(Math.min(...kinks), 'a pre-activation sits at a kink').toBeGreaterThan(2e-3);
      }
      const vars = variablesAt(p, theta);
      const kl = klTf(p, vars, c.form);
      const got = stock ? withStock(stock, () => hessianVectorProduct(kl, vars, v)) : hessianVectorProduct(kl, vars, v);
      disposeAll(vars);
      return relativeError(got, hvpReference((t) => kl64(p, t), theta, v));
    };
    return { atOld: errorAt(p.thetaOld), perturbed: errorAt(thetaNew) };
  }

  for (const c of CASES) {
    it(`H·v matches the float64 reference: ${c.name}`, () => {
      const e = hvpErrors(c);
      report.push(`  ${backend.padEnd(4)} ${c.name.padEnd(52)} θ=θ_old ${e.atOld.toExponential(2)}   θ≠θ_old ${e.perturbed.toExponential(2)}`);
      expect(e.atOld).toBeLessThan(TOL);
      expect(e.perturbed).toBeLessThan(TOL);
    });
  }

  it('the reference catches stock tfjs (tanh/exp gradients read saved outputs)', () => {
    const e = hvpErrors(CASES[0], { gradients: true, save: true });
    report.push(`  ${backend.padEnd(4)} ${'(stock tfjs) ' + CASES[0].name} θ=θ_old ${e.atOld.toExponential(2)}   θ≠θ_old ${e.perturbed.toExponential(2)}`);
    expect(e.atOld).toBeGreaterThan(0.1);
    expect(e.perturbed).toBeGreaterThan(0.1);
  });

  it('the replaced gradients alone are right with the stock save (backends without the fast save)', () => {
    for (const c of [CASES[0], CASES[2], CASES[3]]) {
      const e = hvpErrors(c, { gradients: false, save: true });
      expect(e.atOld, c.name).toBeLessThan(TOL);
      expect(e.perturbed, c.name).toBeLessThan(TOL);
    }
  });

  it('H·v through a wide tanh layer (wasm fast-Tanh kernel path) matches uᵀHv from float64', () => {
    // 32 states × 64 units = 2,048 elements ≥ the fast kernel's 1,024 threshold.
    const spec: PolicySpec = { sizes: [4, 64, 2], activation: 'tanh', gaussian: true };
    const p = makeProblem(spec, 32, 7);
    const rng = new Rng(107);
    const theta = f32(Array.from(p.thetaOld, (x) => x + 0.2 * rng.normal()));
    const v = unit(rng, theta.length);
    const vars = variablesAt(p, theta);
    const hv = hessianVectorProduct(klTf(p, vars), vars, v);
    disposeAll(vars);
    const norm = Math.sqrt(hv.reduce((s, x) => s + x * x, 0));
    // u = Hv/‖Hv‖ (then uᵀHv = ‖Hv‖) and two random unit u, whose projections are ~‖Hv‖/√n.
    const directions = [f32(Array.from(hv, (x) => x / norm)), unit(rng, theta.length), unit(rng, theta.length)];
    let worst = 0;
    directions.forEach((u, trial) => {
      const want = bilinearReference((t) => kl64(p, t), theta, u, v);
      let got = 0;
      for (let j = 0; j < u.length; j++) got += u[j] * hv[j];
      worst = Math.max(worst, Math.abs(got - want) / (trial === 0 ? norm : norm / Math.sqrt(theta.length)));
    });
    report.push(`  ${backend.padEnd(4)} ${'tanh 4-64-2 Gaussian KL, 32 states (uᵀHv)'.padEnd(52)} worst relative ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(TOL);
  });

  // ---- single ops: f(x) = Σ c ⊙ op(x), so H = diag(c ⊙ op''(x)) for element-wise ops

  const elementwise: [string, (x: Tensor) => Tensor, (x: number) => number, number, number][] = [
    ['tanh', (x) => tf.tanh(x), (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2), -3, 3],
    ['exp', (x) => tf.exp(x), (x) => Math.exp(x), -3, 3],
    ['sigmoid', (x) => tf.sigmoid(x), (x) => ((s) => s * (1 - s) * (1 - 2 * s))(1 / (1 + Math.exp(-x))), -4, 4],
    ['elu', (x) => tf.elu(x), (x) => (x < 0 ? Math.exp(x) : 0), -3, 3],
    ['softplus', (x) => tf.softplus(x), (x) => ((s) => s * (1 - s))(1 / (1 + Math.exp(-x))), -4, 4],
    ['log1p', (x) => tf.log1p(x), (x) => -1 / (1 + x) ** 2, 0.1, 3],
    ['sqrt', (x) => tf.sqrt(x), (x) => -0.25 * x ** -1.5, 0.2, 3],
    ['pow(x, 3)', (x) => tf.pow(x, 3), (x) => 6 * x, -2, 2],
    ['relu', (x) => tf.relu(x), () => 0, -2, 2],
    ['leakyRelu(·)³', (x) => tf.pow(tf.leakyRelu(x, 0.2), 3), (x) => (x > 0 ? 6 * x : 6 * 0.008 * x), -2, 2],
    ['clipByValue(x³, ±0.5)', (x) => tf.clipByValue(tf.pow(x, 3), -0.5, 0.5), (x) => (Math.abs(x ** 3) <= 0.5 ? 6 * x : 0), -1.2, 1.2],
    ['minimum(x³, 0.4)', (x) => tf.minimum(tf.pow(x, 3), 0.4), (x) => (x ** 3 <= 0.4 ? 6 * x : 0), -1.2, 1.2],
    ['maximum(x³, −0.4)', (x) => tf.maximum(tf.pow(x, 3), -0.4), (x) => (x ** 3 >= -0.4 ? 6 * x : 0), -1.2, 1.2],
  ];

  for (const [name, op, second, lo, hi] of elementwise) {
    it(`second derivative of ${name}`, () => {
      const rng = new Rng(name.length * 31 + 7);
      const n = 24;
      // Keep away from kinks (0 for elu/relu/leakyRelu, the clip/min/max thresholds).
      const x = f32(Array.from({ length: n }, (_, i) => lo + ((hi - lo) * (i + 0.37)) / n));
      const c = randomVector(rng, n);
      const v = randomVector(rng, n);
      const xt = tf.tensor1d(Float32Array.from(x));
      const ct = tf.tensor1d(Float32Array.from(c));
      const hv = hessianVectorProduct(() => tf.sum(tf.mul(ct, op(xt))) as Scalar, [xt], v);
      const want = Array.from(x, (xi, i) => c[i] * second(xi) * v[i]);
      xt.dispose();
      ct.dispose();
      if (want.every((w) => w === 0)) for (const h of hv) expect(h).toBe(0);
      else expect(relativeError(hv, want)).toBeLessThan(1e-5);
    });
  }

  /** Row-wise ops: full Hessian by float64 differences of the same function. */
  const rowwise: [string, (z: Tensor) => Tensor, (z: number[]) => number[]][] = [
    ['softmax', (z) => tf.softmax(z), (z) => logSoftmax64(z).map(Math.exp)],
    ['log(softmax)', (z) => tf.log(tf.softmax(z)), logSoftmax64],
    ['engine logSoftmax (z − logSumExp z)', (z) => logSoftmax(z), logSoftmax64],
    ['logSumExp', (z) => tf.logSumExp(z, -1, true), (z) => [logSoftmax64(z).map((l, j) => z[j] - l)[0]]],
  ];

  for (const [name, op, op64] of rowwise) {
    it(`Hessian-vector product of ${name}`, () => {
      const rng = new Rng(name.length * 17 + 3);
      const rows = 5;
      const k = 4;
      const z = randomVector(rng, rows * k, 1.5);
      const width = op64(Array.from(z.subarray(0, k))).length;
      const c = randomVector(rng, rows * width);
      const v = unit(rng, rows * k);
      const zt = tf.tensor2d(Float32Array.from(z), [rows, k]);
      const ct = tf.tensor2d(Float32Array.from(c), [rows, width]);
      const hv = hessianVectorProduct(() => tf.sum(tf.mul(ct, op(zt))) as Scalar, [zt], v);
      zt.dispose();
      ct.dispose();
      const f64 = (t: Float64Array): number => {
        let s = 0;
        for (let r = 0; r < rows; r++) op64(Array.from(t.subarray(r * k, (r + 1) * k))).forEach((y, j) => (s += c[r * width + j] * y));
        return s;
      };
      expect(relativeError(hv, hvpReference(f64, z, v))).toBeLessThan(1e-4);
    });
  }

  it('pow(a, b) with both base and exponent differentiated', () => {
    const rng = new Rng(11);
    const n = 6;
    const theta = f32([...Array.from({ length: n }, () => 0.5 + rng.uniform() * 1.5), ...Array.from({ length: n }, () => -1 + rng.uniform() * 3)]);
    const c = randomVector(rng, n);
    const v = unit(rng, 2 * n);
    const a = tf.tensor1d(Float32Array.from(theta.subarray(0, n)));
    const b = tf.tensor1d(Float32Array.from(theta.subarray(n)));
    const ct = tf.tensor1d(Float32Array.from(c));
    const hv = hessianVectorProduct(() => tf.sum(tf.mul(ct, tf.pow(a, b))) as Scalar, [a, b], v);
    [a, b, ct].forEach((t) => t.dispose());
    const f64 = (t: Float64Array) => c.reduce((s, ci, i) => s + ci * t[i] ** t[n + i], 0);
    expect(relativeError(hv, hvpReference(f64, theta, v))).toBeLessThan(1e-4);
  });

  it('comparison and logical ops have zero gradients under nesting', () => {
    const x = tf.tensor1d([-1.5, -0.5, 0.25, 0.75, 1.5, 2]);
    const y = tf.tensor1d([-1.5, 0, 0.5, 0.75, 1, 3]);
    const masks: Record<string, (u: Tensor) => Tensor> = {
      equal: (u) => tf.equal(u, y),
      notEqual: (u) => tf.notEqual(u, y),
      greater: (u) => tf.greater(u, y),
      greaterEqual: (u) => tf.greaterEqual(u, y),
      less: (u) => tf.less(u, y),
      lessEqual: (u) => tf.lessEqual(u, y),
      logicalAnd: (u) => tf.logicalAnd(tf.greater(u, 0), tf.less(u, 1)),
      logicalOr: (u) => tf.logicalOr(tf.greater(u, 1), tf.less(u, 0)),
      logicalXor: (u) => tf.logicalXor(tf.greater(u, 0), tf.greater(y, 0)),
      logicalNot: (u) => tf.logicalNot(tf.greater(u, 0)),
      'greater (broadcast scalar)': (u) => tf.greater(u, tf.scalar(0.5)),
    };
    const xs = x.dataSync();
    for (const [name, mask] of Object.entries(masks)) {
      const m = tf.tidy(() => tf.cast(mask(x), 'float32'));
      const maskValues = m.dataSync();
      m.dispose();
      // f = Σ mask(x) · x³ with the mask computed from x inside both gradients → f'' = 6x·mask.
      const second = tf.tidy(() => tf.grad((t: Tensor) => tf.sum(tf.grad((u: Tensor) => tf.sum(tf.mul(tf.cast(mask(u), 'float32'), tf.pow(u, 3))))(t)))(x));
      expect(Array.from(second.dataSync()), name).toEqual(Array.from(maskValues, (mv, i) => expect.closeTo(6 * xs[i] * mv, 4)));
      second.dispose();
    }
    x.dispose();
    y.dispose();
  });

  it('differentiates through ops recorded outside the inner gradient (aliased saved tensors)', () => {
    // y = x³ is computed at gradient depth 1, before the inner tf.grad that differentiates
    // through it: the saved inputs of its Mul nodes are aliases, and their tape nodes must carry
    // the derivative. d/dx Σ (d/dx Σ y) = d/dx Σ 3x² = 6x.
    const x = tf.tensor1d([0.5, -1, 2]);
    const second = tf.tidy(() =>
      tf.grad((t: Tensor) => {
        const cube = tf.mul(tf.mul(t, t), t);
        const [inner] = tf.grads((u: Tensor) => tf.sum(tf.mul(cube, tf.onesLike(u))))([t]);
        return tf.sum(inner);
      })(x),
    );
    expect(Array.from(second.dataSync())).toEqual([3, -6, 12].map((v) => expect.closeTo(v, 5)));
    second.dispose();
    x.dispose();
  });

  it('third derivatives (three nested gradients) of tanh and exp', () => {
    const x = tf.tensor1d([-1.2, 0.3, 0.9]);
    const d3 = (op: (t: Tensor) => Tensor) => {
      const g = tf.tidy(() => tf.grad((a: Tensor) => tf.sum(tf.grad((b: Tensor) => tf.sum(tf.grad((c: Tensor) => tf.sum(op(c)))(b)))(a)))(x));
      const values = Array.from(g.dataSync());
      g.dispose();
      return values;
    };
    const xs = Array.from(x.dataSync());
    expect(d3((t) => tf.tanh(t))).toEqual(xs.map((v) => expect.closeTo(-2 * (1 - Math.tanh(v) ** 2) * (1 - 3 * Math.tanh(v) ** 2), 5)));
    expect(d3((t) => tf.exp(t))).toEqual(xs.map((v) => expect.closeTo(Math.exp(v), 5)));
    x.dispose();
  });

  it('replaced gradients give bit-identical first-order results', () => {
    const rng = new Rng(21);
    const x = tf.tensor2d(Float32Array.from(randomVector(rng, 24, 1.5)), [4, 6]);
    const y = tf.tensor2d(Float32Array.from(randomVector(rng, 24, 1)), [4, 6]);
    const c = tf.tensor2d(Float32Array.from(randomVector(rng, 24, 1)), [4, 6]);
    const ops: ((a: Tensor, b: Tensor) => Tensor)[] = [
      (a) => tf.tanh(a),
      (a) => tf.exp(a),
      (a) => tf.sigmoid(a),
      (a) => tf.softmax(a),
      (a) => tf.elu(a),
      (a, b) => tf.pow(tf.abs(a), b),
      (a, b) => tf.minimum(a, b),
      (a, b) => tf.maximum(a, b),
    ];
    for (const op of ops) {
      const grads = (): number[][] => {
        // A missing gradient (op independent of y) reads as [].
        const ts = tf.tidy(() =>
          tf.engine().gradients(() => tf.sum(tf.mul(c, op(x, y))) as Scalar, [x, y], undefined, true).grads.map((g) => (g as Tensor | undefined) ?? tf.tensor1d([])),
        );
        const values = ts.map((t) => Array.from(t.dataSync()));
        disposeAll(ts);
        return values;
      };
      const patched = grads();
      expect(patched[0]).toHaveLength(24);
      expect(patched).toEqual(withStockGradients(grads));
    }
    [x, y, c].forEach((t) => t.dispose());
  });

  it('minimum/maximum reduce the gradient of a broadcast input', () => {
    const x = tf.tensor1d([-1, 0.2, 0.7, 2]);
    const s = tf.scalar(0.5);
    const [gx, gs] = tf.grads((a: Tensor, b: Tensor) => tf.add(tf.sum(tf.minimum(a, b)), tf.sum(tf.maximum(a, b))))([x, s]);
    // ∂/∂x (min + max) = 1 everywhere; ∂/∂s = 1 per element, summed over the broadcast → 4.
    expect(Array.from(gx.dataSync())).toEqual([1, 1, 1, 1]);
    expect(gs.shape).toEqual([]);
    expect(gs.dataSync()[0]).toBe(4);
    [x, s, gx, gs].forEach((t) => t.dispose());
  });

  // ---- engine/hvp.ts plumbing

  it('conjugate gradient solves a known SPD system (with and without damping)', () => {
    const rng = new Rng(31);
    const n = 8;
    const m = Array.from({ length: n * n }, () => rng.normal());
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] += m[i * n + k] * m[j * n + k] / n;
    for (let i = 0; i < n; i++) a[i * n + i] += 0.5;
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const ap = (p: Float64Array) => Float64Array.from({ length: n }, (_, i) => p.reduce((s, pj, j) => s + a[i * n + j] * pj, 0));
    for (const damping of [0, 0.1]) {
      const { x, iterations, indefinite } = conjugateGradient(ap, b, { iterations: 50, damping, residualTolerance: 1e-24 });
      const damped = (p: Float64Array) => ap(p).map((y, i) => y + damping * p[i]);
      expect(indefinite).toBe(false);
      expect(iterations).toBeLessThanOrEqual(2 * n);
      expect(relativeError(damped(x), b)).toBeLessThan(1e-10);
      expect(relativeError(x, solve(a.map((y, idx) => y + (idx % (n + 1) === 0 ? damping : 0)), b, n))).toBeLessThan(1e-9);
    }
    // Defaults: 10 iterations, damping 0.1.
    expect(conjugateGradient(ap, b, { residualTolerance: 0 }).iterations).toBe(10);
    expect(conjugateGradient(ap, new Float64Array(n)).iterations).toBe(0);
  });

  it('conjugate gradient on Hessian-vector products of a quadratic recovers A⁻¹b', () => {
    const rng = new Rng(41);
    const n = 6;
    const a = new Float64Array(n * n);
    const m = Array.from({ length: n * n }, () => rng.normal());
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] += m[i * n + k] * m[j * n + k] / n;
    for (let i = 0; i < n; i++) a[i * n + i] += 1;
    const af = f32(a);
    const at = tf.tensor2d(Float32Array.from(af), [n, n]);
    const theta = tf.variable(tf.tensor2d(Float32Array.from(randomVector(rng, n)), [n, 1]));
    // f(θ) = ½ θᵀ A θ (A symmetric), so ∇²f = A at every θ.
    const f = () => tf.tidy(() => tf.mul(0.5, tf.sum(tf.mul(theta, tf.matMul(at, theta)))) as Scalar);
    const b = randomVector(rng, n);
    const { x } = conjugateGradient((p) => fisherVectorProduct(f, [theta], p), b, { iterations: n, damping: 0 });
    expect(relativeError(x, solve(af, b, n))).toBeLessThan(1e-4);
    theta.dispose();
    at.dispose();
  });

  it('flat parameter helpers round-trip and leave no tensors', () => {
    const before = tf.memory().numTensors;
    const vars = tf.tidy(() => [tf.variable(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3])), tf.variable(tf.tensor1d([7, 8]))]);
    expect(Array.from(getFlatParams(vars))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    setFlatParams(vars, Float64Array.from([8, 7, 6, 5, 4, 3, 2, 1]));
    expect(vars[0].shape).toEqual([2, 3]);
    expect(Array.from(vars[0].dataSync())).toEqual([8, 7, 6, 5, 4, 3]);
    expect(Array.from(vars[1].dataSync())).toEqual([2, 1]);
    const parts = unflatten([1, 1, 1, 1, 1, 1, 0, 0], vars);
    expect(parts.map((t) => t.shape)).toEqual([[2, 3], [2]]);
    disposeAll(parts);
    // f = Σ W² + b·1: ∇ = [2W, 1]; the second variable of f2 is unused (zero gradient).
    const g = flatGradient(() => tf.add(tf.sum(tf.square(vars[0])), tf.sum(vars[1])) as Scalar, vars);
    expect(Array.from(g.grad)).toEqual([16, 14, 12, 10, 8, 6, 1, 1]);
    expect(g.value).toBe(64 + 49 + 36 + 25 + 16 + 9 + 3);
    expect(Array.from(hessianVectorProduct(() => tf.sum(tf.square(vars[0])) as Scalar, vars, [1, 0, 0, 0, 0, 2, 5, 5]))).toEqual([2, 0, 0, 0, 0, 4, 0, 0]);
    expect(Array.from(hessianVectorProduct(() => tf.sum(vars[1]) as Scalar, vars, new Float32Array(8).fill(1)))).toEqual(new Array(8).fill(0));
    disposeAll(vars);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('repeated Hessian-vector products and a CG solve do not grow tf.memory().numTensors', () => {
    const c = CASES[0];
    const p = makeProblem(c.spec, c.n, c.seed);
    const vars = variablesAt(p, p.thetaOld);
    const kl = klTf(p, vars);
    const v = unit(new Rng(5), p.thetaOld.length);
    hessianVectorProduct(kl, vars, v);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) hessianVectorProduct(kl, vars, v);
    tf.tidy(() => {
      hessianVectorProductTensors(kl, vars, unflatten(v, vars));
    });
    conjugateGradient((q) => fisherVectorProduct(kl, vars, q), v);
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(vars);
  });
});

/** Gaussian elimination with partial pivoting (float64), for the CG references. */
function solve(aIn: ArrayLike<number>, bIn: ArrayLike<number>, n: number): Float64Array {
  const a = Float64Array.from(aIn);
  const b = Float64Array.from(bIn);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[pivot * n + col])) pivot = r;
    for (let j = 0; j < n; j++) [a[col * n + j], a[pivot * n + j]] = [a[pivot * n + j], a[col * n + j]];
    [b[col], b[pivot]] = [b[pivot], b[col]];
    for (let r = col + 1; r < n; r++) {
      const factor = a[r * n + col] / a[col * n + col];
      for (let j = col; j < n; j++) a[r * n + j] -= factor * a[col * n + j];
      b[r] -= factor * b[col];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let j = r + 1; j < n; j++) s -= a[r * n + j] * x[j];
    x[r] = s / a[r * n + r];
  }
  return x;
}
