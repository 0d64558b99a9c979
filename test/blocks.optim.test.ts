/**
 * Optimisation and data plumbing: opt.adam against a hand-rolled float64 Adam (PyTorch formula),
 * gradient-norm clipping, the linear LR schedule, checkpoint round-trips and non-finite detection;
 * the loop.minibatch block; orthogonal initialisation (engine/init.ts); the seeded RNG
 * (engine/rng.ts).
 */
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BlockRuntime, HostBatch, ModuleResource, Outputs, PortValue } from '../engine/block.ts';
import { NonFiniteError } from '../engine/executor.ts';
import { orthogonal } from '../engine/init.ts';
import { deriveSeed, Rng } from '../engine/rng.ts';
import { type Tensor, tf, type Variable } from '../engine/tf.ts';
import { minibatch } from '../nodes/loop/minibatch.ts';
import { adam } from '../nodes/opt/adam.ts';
import { makeCtx, makeTick } from './fakes.ts';

// ---------------------------------------------------------------- fakes



function scalarOf(v: PortValue | undefined): number {
  if (!(v instanceof tf.Tensor)) throw new Error('not a tensor');
  return v.dataSync()[0];
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---------------------------------------------------------------- Adam

/** A module that is just a parameter vector w. */
function paramModule(nodeId: string, init: number[]): { module: ModuleResource; w: Variable } {
  const w = tf.variable(tf.tensor1d(init), true);
  const module: ModuleResource = {
    kind: 'module',
    nodeId,
    inputSize: init.length,
    outputSize: init.length,
    variables: [w],
    apply: (x: Tensor) => x,
  };
  return { module, w };
}

interface AdamParams {
  lr: number;
  schedule: 'constant' | 'linear';
  beta1: number;
  beta2: number;
  epsilon: number;
  maxGradNorm: number;
}

const C = [1, -2, 0.5];
const W0 = [0, 0, 0];
/** f(w) = Σ (w − c)², ∇f = 2(w − c); at w = 0: g = (−2, 4, −1), ‖g‖ = √21. */
const quadratic = (w: Variable) => () => tf.sum(tf.square(tf.sub(w, tf.tensor1d(C))));

/**
 * Adam as PyTorch writes it, in float64, with clip_grad_norm_ before the step:
 *   g ← g·min(1, c/(‖g‖ + 1e-6));  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
 *   w ← w − lr_t · m̂ / (√v̂ + ε),  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ)
 */
function handAdam(p: AdamParams, lrs: number[], w0 = W0, c = C): { weights: number[][]; norms: number[] } {
  const w = [...w0];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  const weights: number[][] = [];
  const norms: number[] = [];
  lrs.forEach((lr, k) => {
    const t = k + 1;
    let g = w.map((wi, i) => 2 * (wi - c[i]));
    const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    norms.push(norm);
    if (p.maxGradNorm > 0) {
      const scale = Math.min(1, p.maxGradNorm / (norm + 1e-6));
      g = g.map((x) => x * scale);
    }
    for (let i = 0; i < w.length; i++) {
      m[i] = p.beta1 * m[i] + (1 - p.beta1) * g[i];
      v[i] = p.beta2 * v[i] + (1 - p.beta2) * g[i] * g[i];
      const mHat = m[i] / (1 - p.beta1 ** t);
      const vHat = v[i] / (1 - p.beta2 ** t);
      w[i] -= (lr * mHat) / (Math.sqrt(vHat) + p.epsilon);
    }
    weights.push([...w]);
  });
  return { weights, norms };
}

function expectVecClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label = ''): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `${label}[${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
  }
}

function makeAdam(p: AdamParams, modules: ModuleResource[], nodeId = 'adam'): BlockRuntime {
  return adam.create(makeCtx(nodeId, { resources: { modules } }), p);
}

// A large ε (relative to √v̂ ≈ |g|) makes its placement visible: PyTorch (after the sqrt of the
// bias-corrected v) vs inside the sqrt vs TensorFlow's ε̂ (after the sqrt of the uncorrected v).
const BASE: AdamParams = { lr: 0.1, schedule: 'constant', beta1: 0.9, beta2: 0.999, epsilon: 0.1, maxGradNorm: 0 };

describe('opt.adam', () => {
  it('two steps on a quadratic match a hand-rolled float64 Adam (PyTorch ε placement)', () => {
    const { module, w } = paramModule('w', W0);
    const opt = makeAdam(BASE, [module]);
    const hand = handAdam(BASE, [0.1, 0.1]);
    for (let k = 0; k < 2; k++) {
      const out = opt.optimize!(quadratic(w), {}, makeTick());
      expectVecClose(w.dataSync(), hand.weights[k], 1e-6, `step ${k + 1}`);
      expect(scalarOf(out.gradNorm)).toBeCloseTo(hand.norms[k], 5);
      expect(scalarOf(out.lr)).toBeCloseTo(0.1, 7);
    }
    // Sanity of the reference: TensorFlow's ε placement gives visibly different weights after step 1.
    const g = [-2, 4, -1];
    const tfStyle = g.map((gi) => -0.1 * (Math.sqrt(1 - 0.999) / (1 - 0.9)) * ((0.1 * gi) / (Math.sqrt(0.001 * gi * gi) + 0.1)));
    expect(Math.max(...tfStyle.map((x, i) => Math.abs(x - hand.weights[0][i])))).toBeGreaterThan(1e-2);
  });

  it('global-norm clipping scales the gradient when ‖g‖ > maxGradNorm (gradNorm reports the unclipped norm)', () => {
    const p = { ...BASE, maxGradNorm: 1 };
    const { module, w } = paramModule('w', W0);
    const opt = makeAdam(p, [module]);
    const hand = handAdam(p, [0.1, 0.1]);
    const unclipped = handAdam(BASE, [0.1, 0.1]);
    for (let k = 0; k < 2; k++) {
      const out = opt.optimize!(quadratic(w), {}, makeTick());
      expectVecClose(w.dataSync(), hand.weights[k], 1e-6, `step ${k + 1}`);
      expect(scalarOf(out.gradNorm)).toBeCloseTo(hand.norms[k], 5);
    }
    expect(hand.norms[0]).toBeCloseTo(Math.sqrt(21), 10);
    // Clipping must have changed the result (ε = 0.1 makes Adam sensitive to the gradient scale).
    expect(Math.abs(hand.weights[1][0] - unclipped.weights[1][0])).toBeGreaterThan(1e-2);
  });

  it('no clipping when ‖g‖ ≤ maxGradNorm', () => {
    const p = { ...BASE, maxGradNorm: 100 };
    const { module, w } = paramModule('w', W0);
    const opt = makeAdam(p, [module]);
    const hand = handAdam(BASE, [0.1, 0.1]);
    opt.optimize!(quadratic(w), {}, makeTick());
    opt.optimize!(quadratic(w), {}, makeTick());
    expectVecClose(w.dataSync(), hand.weights[1], 1e-6);
  });

  it("'linear' schedule: lr·(1 − progress) after endIteration; 'constant' ignores progress", () => {
    const p: AdamParams = { ...BASE, schedule: 'linear' };
    const { module, w } = paramModule('w', W0);
    const opt = makeAdam(p, [module]);
    expect(scalarOf(opt.optimize!(quadratic(w), {}, makeTick()).lr)).toBeCloseTo(0.1, 7);
    opt.endIteration!({ iteration: 1, globalStep: 250, progress: 0.25 });
    expect(scalarOf(opt.optimize!(quadratic(w), {}, makeTick()).lr)).toBeCloseTo(0.075, 7);
    expectVecClose(w.dataSync(), handAdam(p, [0.1, 0.075]).weights[1], 1e-6);
    opt.endIteration!({ iteration: 2, globalStep: 1100, progress: 1.1 });
    const before = Array.from(w.dataSync());
    expect(scalarOf(opt.optimize!(quadratic(w), {}, makeTick()).lr)).toBe(0);
    expectVecClose(w.dataSync(), before, 0);

    const constant = paramModule('w2', W0);
    const optC = makeAdam(BASE, [constant.module], 'adam2');
    optC.optimize!(quadratic(constant.w), {}, makeTick());
    optC.endIteration!({ iteration: 1, globalStep: 500, progress: 0.5 });
    expect(scalarOf(optC.optimize!(quadratic(constant.w), {}, makeTick()).lr)).toBeCloseTo(0.1, 7);
    expectVecClose(constant.w.dataSync(), handAdam(BASE, [0.1, 0.1]).weights[1], 1e-6);
  });

  it("setParam('lr') takes effect on the next step", () => {
    const { module, w } = paramModule('w', W0);
    const opt = makeAdam(BASE, [module]);
    opt.optimize!(quadratic(w), {}, makeTick());
    opt.setParam!('lr', 0.02);
    expect(scalarOf(opt.optimize!(quadratic(w), {}, makeTick()).lr)).toBeCloseTo(0.02, 7);
    expectVecClose(w.dataSync(), handAdam(BASE, [0.1, 0.02]).weights[1], 1e-6);
  });

  it('saveState/loadState: a restored optimizer continues exactly like the original', () => {
    const p = { ...BASE, epsilon: 1e-5, maxGradNorm: 3 };
    // Run A: four uninterrupted steps.
    const a = paramModule('w', W0);
    const optA = makeAdam(p, [a.module]);
    for (let k = 0; k < 4; k++) optA.optimize!(quadratic(a.w), {}, makeTick());
    // Run B: two steps, checkpoint (through JSON), then a fresh optimizer and variable continue.
    const b = paramModule('w', W0);
    const optB = makeAdam(p, [b.module]);
    for (let k = 0; k < 2; k++) optB.optimize!(quadratic(b.w), {}, makeTick());
    const state: unknown = JSON.parse(JSON.stringify(optB.saveState!()));
    const weights = Array.from(b.w.dataSync());
    const c = paramModule('w', weights);
    const optC = makeAdam(p, [c.module]);
    optC.loadState!(state);
    for (let k = 0; k < 2; k++) optC.optimize!(quadratic(c.w), {}, makeTick());
    expect(Array.from(c.w.dataSync())).toEqual(Array.from(a.w.dataSync()));
    // Without the restored moments and step count the continuation differs.
    const d = paramModule('w', weights);
    const optD = makeAdam(p, [d.module]);
    for (let k = 0; k < 2; k++) optD.optimize!(quadratic(d.w), {}, makeTick());
    expect(Math.max(...Array.from(d.w.dataSync(), (x, i) => Math.abs(x - a.w.dataSync()[i])))).toBeGreaterThan(1e-3);
  });

  it('a NaN loss throws NonFiniteError (loss) and leaves the weights untouched', () => {
    const { module, w } = paramModule('w', [1, 2, 3]);
    const opt = makeAdam(BASE, [module]);
    let caught: unknown;
    try {
      opt.optimize!(() => tf.mul(tf.sum(w), NaN), {}, makeTick());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NonFiniteError);
    expect((caught as NonFiniteError).what).toBe('loss');
    expect((caught as NonFiniteError).nodeId).toBe('adam');
    expect(Array.from(w.dataSync())).toEqual([1, 2, 3]);
  });

  it('a finite loss with an infinite gradient throws NonFiniteError (gradient)', () => {
    const { module, w } = paramModule('w', [0, 1]);
    const opt = makeAdam(BASE, [module]);
    // √w at w = 0: value 0, derivative +∞.
    let caught: unknown;
    try {
      opt.optimize!(() => tf.sum(tf.sqrt(w)), {}, makeTick());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NonFiniteError);
    expect((caught as NonFiniteError).what).toBe('gradient');
    expect(Array.from(w.dataSync())).toEqual([0, 1]);
  });

  it('steps the variables the loss reaches and leaves an owned module the loss does not reach unchanged', () => {
    // Regression: an owned module the loss does not reach gets no gradient entry from
    // tf.variableGrads; Adam must leave it unchanged instead of failing.
    const used = paramModule('used', W0);
    const unused = paramModule('unused', [5, 6]);
    const opt = makeAdam(BASE, [used.module, unused.module]);
    opt.optimize!(quadratic(used.w), {}, makeTick());
    expectVecClose(used.w.dataSync(), handAdam(BASE, [0.1]).weights[0], 1e-6);
    expect(Array.from(unused.w.dataSync())).toEqual([5, 6]);
  });

  it('owns each shared variable once (modules sharing a torso)', () => {
    const shared = paramModule('torso', W0);
    const alias: ModuleResource = { ...shared.module, nodeId: 'head' };
    const opt = makeAdam(BASE, [shared.module, alias]);
    opt.optimize!(quadratic(shared.w), {}, makeTick());
    expectVecClose(shared.w.dataSync(), handAdam(BASE, [0.1]).weights[0], 1e-6);
  });
});

// ---------------------------------------------------------------- minibatch

describe('loop.minibatch', () => {
  const SIZE = 12;

  /** Row i has idx = i and obs = (10i, 10i + 1, 10i + 2). */
  function indexedBatch(size = SIZE): HostBatch {
    const idx = Float32Array.from({ length: size }, (_, i) => i);
    const obs = Float32Array.from({ length: size * 3 }, (_, j) => 10 * Math.floor(j / 3) + (j % 3));
    return { kind: 'batch', size, fields: { idx: { data: idx, width: 1 }, obs: { data: obs, width: 3 } } };
  }

  /** Runs every update, copying each minibatch (the block may reuse its buffers between yields). */
  function collect(runtime: BlockRuntime, batch: HostBatch): { idx: number[]; obs: number[]; size: number }[] {
    const out: { idx: number[]; obs: number[]; size: number }[] = [];
    for (const outputs of runtime.updates!({ batch }, makeTick()) as Iterable<Outputs>) {
      const mb = outputs.batch as HostBatch;
      expect(mb.kind).toBe('batch');
      expect(mb.fields.obs.width).toBe(3);
      out.push({ idx: Array.from(mb.fields.idx.data), obs: Array.from(mb.fields.obs.data), size: mb.size });
    }
    return out;
  }

  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const range = (n: number) => [...Array(n).keys()];

  it('each epoch covers every row exactly once, in row-aligned minibatches, and epochs reshuffle', () => {
    const runtime = minibatch.create(makeCtx('mb', { seed: 3 }), { epochs: 2, minibatches: 4 });
    const mbs = collect(runtime, indexedBatch());
    expect(mbs.length).toBe(8);
    for (const mb of mbs) {
      expect(mb.size).toBe(3);
      expect(mb.idx.length).toBe(3);
      mb.idx.forEach((i, r) => expect(mb.obs.slice(3 * r, 3 * r + 3)).toEqual([10 * i, 10 * i + 1, 10 * i + 2]));
    }
    const epoch1 = mbs.slice(0, 4).flatMap((mb) => mb.idx);
    const epoch2 = mbs.slice(4).flatMap((mb) => mb.idx);
    expect(sorted(epoch1)).toEqual(range(SIZE));
    expect(sorted(epoch2)).toEqual(range(SIZE));
    expect(epoch1).not.toEqual(range(SIZE)); // shuffled
    expect(epoch2).not.toEqual(range(SIZE));
    expect(epoch2).not.toEqual(epoch1); // reshuffled
  });

  it('same seed and node id → same order; another node id → another order', () => {
    const orderOf = (nodeId: string, seed: number) =>
      collect(minibatch.create(makeCtx(nodeId, { seed }), { epochs: 2, minibatches: 3 }), indexedBatch()).flatMap((mb) => mb.idx);
    expect(orderOf('mb', 9)).toEqual(orderOf('mb', 9));
    expect(orderOf('mb', 9)).not.toEqual(orderOf('other', 9));
    expect(orderOf('mb', 9)).not.toEqual(orderOf('mb', 10));
  });

  it('saveState/loadState restores the shuffle stream', () => {
    const a = minibatch.create(makeCtx('mb', { seed: 4 }), { epochs: 1, minibatches: 2 });
    collect(a, indexedBatch());
    const state: unknown = JSON.parse(JSON.stringify(a.saveState!()));
    const next = collect(a, indexedBatch()).flatMap((mb) => mb.idx);
    const b = minibatch.create(makeCtx('mb', { seed: 4 }), { epochs: 1, minibatches: 2 });
    b.loadState!(state);
    expect(collect(b, indexedBatch()).flatMap((mb) => mb.idx)).toEqual(next);
  });

  it('one minibatch per epoch is the whole batch', () => {
    const runtime = minibatch.create(makeCtx('mb', { seed: 5 }), { epochs: 3, minibatches: 1 });
    const mbs = collect(runtime, indexedBatch());
    expect(mbs.length).toBe(3);
    for (const mb of mbs) expect(sorted(mb.idx)).toEqual(range(SIZE));
  });
});

// ---------------------------------------------------------------- orthogonal init

describe('orthogonal init (engine/init.ts)', () => {
  /** G = WᵀW (cols × cols) when `cols`, else WWᵀ (rows × rows), W row-major [rows × cols], in float64. */
  function gram(w: Float32Array, rows: number, cols: number, side: 'cols' | 'rows'): number[][] {
    const n = side === 'cols' ? cols : rows;
    const g: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) {
        let s = 0;
        if (side === 'cols') for (let i = 0; i < rows; i++) s += w[i * cols + p] * w[i * cols + q];
        else for (let j = 0; j < cols; j++) s += w[p * cols + j] * w[q * cols + j];
        g[p][q] = s;
      }
    }
    return g;
  }

  function expectScaledIdentity(g: number[][], gain: number): void {
    for (let p = 0; p < g.length; p++) {
      for (let q = 0; q < g.length; q++) {
        expect(Math.abs(g[p][q] - (p === q ? gain * gain : 0)), `G[${p}][${q}]`).toBeLessThan(1e-5);
      }
    }
  }

  const gain = 1.5;

  it('square [8 × 8]: WᵀW = WWᵀ = gain²·I', () => {
    const w = orthogonal(8, 8, gain, new Rng(1));
    expectScaledIdentity(gram(w, 8, 8, 'cols'), gain);
    expectScaledIdentity(gram(w, 8, 8, 'rows'), gain);
  });

  it('tall [fanIn 10 × fanOut 4]: WᵀW = gain²·I₄', () => {
    const w = orthogonal(10, 4, gain, new Rng(2));
    expect(w.length).toBe(40);
    expectScaledIdentity(gram(w, 10, 4, 'cols'), gain);
  });

  it('wide [fanIn 3 × fanOut 7]: WWᵀ = gain²·I₃', () => {
    const w = orthogonal(3, 7, gain, new Rng(3));
    expect(w.length).toBe(21);
    expectScaledIdentity(gram(w, 3, 7, 'rows'), gain);
  });

  it('is random (seeded): same seed same matrix, different seeds different matrices, not a permutation', () => {
    const a = orthogonal(6, 6, 1, new Rng(7));
    expect(Array.from(orthogonal(6, 6, 1, new Rng(7)))).toEqual(Array.from(a));
    const b = orthogonal(6, 6, 1, new Rng(8));
    expect(Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])))).toBeGreaterThan(0.1);
    // A random orthogonal matrix has many non-zero entries, unlike ±I or a permutation.
    expect(Array.from(a).filter((x) => Math.abs(x) > 1e-3).length).toBeGreaterThan(30);
  });
});

// ---------------------------------------------------------------- RNG

describe('Rng (engine/rng.ts)', () => {
  it('same seed → same stream; different seeds → different streams', () => {
    const draw = (seed: number) => {
      const r = new Rng(seed);
      return [r.nextUint32(), r.uniform(), r.normal(), r.normal(), r.int(1000)];
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('deriveSeed depends on the run seed, the node id and the purpose, deterministically', () => {
    const s = deriveSeed(1, 'policy', 'init');
    expect(deriveSeed(1, 'policy', 'init')).toBe(s);
    expect(deriveSeed(1, 'value', 'init')).not.toBe(s);
    expect(deriveSeed(1, 'policy', 'act')).not.toBe(s);
    expect(deriveSeed(2, 'policy', 'init')).not.toBe(s);
    expect(deriveSeed(1 + 2 ** 32, 'policy', 'init')).not.toBe(s);
    expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
    const u1 = new Rng(deriveSeed(1, 'a', 'x')).uniform();
    const u2 = new Rng(deriveSeed(1, 'b', 'x')).uniform();
    expect(u1).not.toBe(u2);
  });

  it('getState/setState round-trips, including a cached Box–Muller deviate', () => {
    const r = new Rng(5);
    r.uniform();
    r.normal(); // leaves the pair's second deviate cached
    const state = JSON.parse(JSON.stringify(r.getState())) as ReturnType<Rng['getState']>;
    expect(state.spare).not.toBeNull();
    const seq = [r.normal(), r.uniform(), r.normal(), r.nextUint32()];
    const s = new Rng(999);
    s.setState(state);
    expect([s.normal(), s.uniform(), s.normal(), s.nextUint32()]).toEqual(seq);
  });

  it('uniform is in [0, 1) with mean ≈ 1/2 and variance ≈ 1/12; int(n) is in [0, n)', () => {
    const r = new Rng(11);
    const n = 100_000;
    let sum = 0;
    let sq = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      if (!(u >= 0 && u < 1)) outside += 1;
      sum += u;
      sq += u * u;
    }
    expect(outside).toBe(0);
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sq / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < 50_000; i++) counts[r.int(5)] += 1;
    for (const c of counts) expect(Math.abs(c / 50_000 - 0.2)).toBeLessThan(0.01);
  });

  it('normal has mean ≈ 0 and variance ≈ 1', () => {
    const r = new Rng(12);
    const n = 100_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    const mean = sum / n;
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(sq / n - mean * mean - 1)).toBeLessThan(0.02);
  });

  it('shuffle is a seeded permutation', () => {
    const a = Int32Array.from({ length: 20 }, (_, i) => i);
    const b = Int32Array.from({ length: 20 }, (_, i) => i);
    new Rng(3).shuffle(a);
    new Rng(3).shuffle(b);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
    expect(Array.from(a)).not.toEqual([...Array(20).keys()]);
  });
});
