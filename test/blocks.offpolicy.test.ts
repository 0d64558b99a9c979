/**
 * Issue 5, off-policy and trust-region helper blocks against hand computations:
 * - policy.ratioProduct: the truncated product ∏_{i≤t} π_θ'/π_θ within episodes (resets at
 *   cont = 0, window, clip), its gradient against float64 central differences (w.r.t. the
 *   log-probabilities and through a policy network), and the 'lastFactor' gradient ρ̄·∇log π;
 * - collect.behaviourBuffer: keeps exactly the last K batches with their log-probabilities;
 * - loss.klPenalty: the adaptive-β rule at its boundaries, fixed β, β·KL;
 * - loss.dualAscent: λ ← max(0, λ + α(KL − ε)) by hand, clamped at 0;
 * - the issue's templates compile (`rlc validate`).
 */
import '@tensorflow/tfjs-backend-wasm';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostBatch, ModuleResource, PolicyResource } from '../engine/block.ts';
import { installGradientFixes } from '../engine/gradients.ts';
import { Rng } from '../engine/rng.ts';
import { type Tensor, tf, type Variable } from '../engine/tf.ts';
import { behaviourBuffer, concatBatches } from '../nodes/collect/behaviour-buffer.ts';
import { classicEnvSpec } from '../nodes/env/classic/index.ts';
import { categoricalHead } from '../nodes/head/categorical.ts';
import { dualAscent, dualAscentStep } from '../nodes/loss/dual-ascent.ts';
import { adaptBeta, klPenalty } from '../nodes/loss/kl-penalty.ts';
import { mlp } from '../nodes/net/mlp.ts';
import { logProb as logProbBlock } from '../nodes/policy/log-prob.ts';
import { logPrefixProduct, productStarts, ratioProduct } from '../nodes/policy/ratio-product.ts';
import { ROOT } from './helpers.ts';
import { asBatch, asTensor, makeCtx, makeTick } from './fakes.ts';

const host = (t: Tensor): number[] => Array.from(t.dataSync());

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `index ${i}`).toBeCloseTo(expected[i], digits);
}

beforeAll(async () => {
  installGradientFixes();
  await tf.setBackend('cpu');
});

// ---------------------------------------------------------------- policy.ratioProduct

/*
 * Seven rows, three episodes: rows 0–2 (cont 1, 1, 0), rows 3–4 (1, 0), rows 5–6 (1, 0).
 * log-ratios log π_θ' − log π_θ:   0.1  −0.2  0.3 | 0.5  −0.1 | 0.2  0.4
 * prefix sums (reset per episode): 0.1  −0.1  0.2 | 0.5   0.4 | 0.2  0.6
 * window 2 (last two factors):     0.1  −0.1  0.1 | 0.5   0.4 | 0.2  0.6
 */
const LOGP_OLD = [-0.7, -1.1, -0.4, -0.9, -0.3, -1.6, -0.8];
const LOG_RATIO = [0.1, -0.2, 0.3, 0.5, -0.1, 0.2, 0.4];
const LOGP = LOGP_OLD.map((v, i) => v + LOG_RATIO[i]);
const CONT = [1, 1, 0, 1, 0, 1, 0];
const PREFIX = [0.1, -0.1, 0.2, 0.5, 0.4, 0.2, 0.6];
const PREFIX_W2 = [0.1, -0.1, 0.1, 0.5, 0.4, 0.2, 0.6];

type RatioParams = { clip: number; window: number; gradient: 'product' | 'lastFactor' };
const P = (over: Partial<RatioParams> = {}): RatioParams => ({ clip: 0, window: 0, gradient: 'product', ...over });

function runProduct(params: RatioParams, logp: Tensor, cont = CONT, logpOld = LOGP_OLD) {
  const rt = ratioProduct.create(makeCtx('rho'), params);
  const out = rt.run!({ logp, logpOld: tf.tensor1d(logpOld), cont: tf.tensor1d(cont) }, makeTick());
  return { product: asTensor(out.product), ess: asTensor(out.ess).dataSync()[0], clipFraction: asTensor(out.clipFraction).dataSync()[0] };
}

describe('policy.ratioProduct: values', () => {
  it('episode starts and windows follow cont', () => {
    const { episodeStart, start, segments } = productStarts(CONT, 2);
    expect(Array.from(episodeStart)).toEqual([0, 0, 0, 3, 3, 5, 5]);
    expect(Array.from(start)).toEqual([0, 0, 1, 3, 3, 5, 5]);
    expect(segments).toBe(3);
    expectClose(logPrefixProduct(LOG_RATIO, CONT, 0), PREFIX, 6);
  });

  for (const gradient of ['product', 'lastFactor'] as const) {
    it(`${gradient}: ∏ of the ratios since the episode start, resetting where cont = 0`, () => {
      const { product, ess, clipFraction } = runProduct(P({ gradient }), tf.tensor1d(LOGP));
      expectClose(host(product), PREFIX.map(Math.exp));
      const w = PREFIX.map(Math.exp);
      const sum = w.reduce((a, b) => a + b, 0);
      const squares = w.reduce((a, b) => a + b * b, 0);
      expect(ess).toBeCloseTo((sum * sum) / (w.length * squares), 5);
      expect(clipFraction).toBe(0);
    });

    it(`${gradient}: window W keeps the last W factors`, () => {
      expectClose(host(runProduct(P({ gradient, window: 2 }), tf.tensor1d(LOGP)).product), PREFIX_W2.map(Math.exp));
      // A window longer than every episode is the whole prefix.
      expectClose(host(runProduct(P({ gradient, window: 5 }), tf.tensor1d(LOGP)).product), PREFIX.map(Math.exp));
    });

    it(`${gradient}: clip caps the product at c`, () => {
      // e^0.5 = 1.649, e^0.4 = 1.492, e^0.6 = 1.822 exceed 1.3; e^0.2 = 1.221 does not.
      const { product, clipFraction } = runProduct(P({ gradient, clip: 1.3 }), tf.tensor1d(LOGP));
      expectClose(host(product), PREFIX.map((x) => Math.min(Math.exp(x), 1.3)));
      expect(clipFraction).toBeCloseTo(3 / 7, 6);
    });
  }

  it('every row its own episode: the product is the per-step ratio', () => {
    const cont = CONT.map(() => 0);
    expectClose(host(runProduct(P(), tf.tensor1d(LOGP), cont).product), LOG_RATIO.map(Math.exp));
  });

  it('the same values on wasm', async () => {
    await tf.setBackend('wasm');
    try {
      expectClose(host(runProduct(P(), tf.tensor1d(LOGP)).product), PREFIX.map(Math.exp));
      expectClose(host(runProduct(P({ window: 2 }), tf.tensor1d(LOGP)).product), PREFIX_W2.map(Math.exp));
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

describe('policy.ratioProduct: gradients', () => {
  const COEF = [0.7, -1.2, 0.4, 1.5, -0.3, 0.9, -0.6];
  const objective = (params: RatioParams) => (logp: Tensor) => tf.sum(tf.mul(tf.tensor1d(COEF), runProduct(params, logp).product));
  /** The same objective in float64 from the hand definition, for central differences. */
  function objective64(params: RatioParams, logp: number[]): number {
    const prefix = logPrefixProduct(logp.map((v, i) => v - LOGP_OLD[i]), CONT, params.window);
    return COEF.reduce((acc, c, i) => acc + c * (params.clip > 0 ? Math.min(Math.exp(prefix[i]), params.clip) : Math.exp(prefix[i])), 0);
  }
  function numeric(params: RatioParams): number[] {
    const h = 1e-6;
    return LOGP.map((_, i) => {
      const plus = LOGP.slice();
      const minus = LOGP.slice();
      plus[i] += h;
      minus[i] -= h;
      return (objective64(params, plus) - objective64(params, minus)) / (2 * h);
    });
  }

  for (const backend of ['cpu', 'wasm']) {
    for (const params of [P(), P({ window: 2 }), P({ clip: 1.3 })]) {
      it(`"product": ∂/∂log π matches float64 central differences (${backend}, window ${params.window}, clip ${params.clip})`, async () => {
        await tf.setBackend(backend);
        try {
          const g = tf.grad(objective(params))(tf.tensor1d(LOGP));
          const num = numeric(params);
          expectClose(host(g), num, 4);
          // Not trivially zero: the first row's log-ratio feeds all three products of its episode.
          expect(Math.abs(num[0])).toBeGreaterThan(0.1);
        } finally {
          await tf.setBackend('cpu');
        }
      });
    }
  }

  it('"lastFactor": the weight is a constant, ∂/∂log π_t = c_t·ρ̄_{1:t}', () => {
    for (const clip of [0, 1.3]) {
      const g = host(tf.grad(objective(P({ gradient: 'lastFactor', clip })))(tf.tensor1d(LOGP)));
      expectClose(g, COEF.map((c, i) => c * (clip > 0 ? Math.min(Math.exp(PREFIX[i]), clip) : Math.exp(PREFIX[i]))));
    }
  });

  it('through a categorical policy network: tf.variableGrads matches central differences in θ', () => {
    const envSpec = classicEnvSpec('CartPole-v1');
    const torso = mlp.create(makeCtx('torso', { seed: 3, envSpec }), { hidden: [5], activation: 'tanh', init: 'orthogonal', gain: Math.SQRT2, inputSize: 0 })
      .resources!.module as ModuleResource;
    const policy = categoricalHead.create(makeCtx('pi', { seed: 3, envSpec, resources: { torso } }), { gain: 1, init: 'orthogonal' }).resources!
      .policy as PolicyResource;
    const rng = new Rng(11);
    const n = CONT.length;
    const obs = tf.tensor2d(Float32Array.from({ length: n * 4 }, () => rng.uniformIn(-1, 1)), [n, 4]);
    const actions = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => i % 2));
    const logpRt = logProbBlock.create(makeCtx('logp'), {});
    const loss = (): Tensor => {
      const tick = makeTick();
      const logp = asTensor(logpRt.run!({ policy, obs, actions }, tick).logp);
      return tf.sum(tf.mul(tf.tensor1d(COEF), runProduct(P(), logp).product));
    };
    const vars = policy.variables as Variable[];
    const { grads } = tf.variableGrads(loss as () => tf.Scalar, vars);
    const h = 1e-2;
    let checked = 0;
    for (const v of vars) {
      const analytic = grads[v.name].dataSync();
      const base = Float32Array.from(v.dataSync());
      for (const i of [0, Math.floor(v.size / 2), v.size - 1]) {
        const at = (delta: number) => {
          const x = base.slice();
          x[i] += delta;
          v.assign(tf.tensor(x, v.shape));
          return tf.tidy(() => loss().dataSync()[0]);
        };
        const num = (at(h) - at(-h)) / (2 * h);
        v.assign(tf.tensor(base, v.shape));
        expect(Math.abs(analytic[i] - num), `${v.name}[${i}]: ${analytic[i]} vs ${num}`).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(num));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(6);
  });
});

// ---------------------------------------------------------------- collect.behaviourBuffer

/** A rollout-like batch whose values identify it: obs = 100·id + row, logp = −id − row/100. */
function fakeBatch(id: number, size: number): HostBatch {
  const obs = new Float32Array(size * 2);
  const logp = new Float32Array(size);
  const cont = new Float32Array(size).fill(1);
  for (let r = 0; r < size; r++) {
    obs[2 * r] = 100 * id + r;
    obs[2 * r + 1] = -(100 * id + r);
    logp[r] = -id - r / 100;
  }
  cont[size - 1] = 1; // deliberately left open: the buffer must close each batch's last trajectory
  return { kind: 'batch', size, fields: { obs: { data: obs, width: 2 }, logp: { data: logp, width: 1 }, cont: { data: cont, width: 1 } } };
}

describe('collect.behaviourBuffer', () => {
  it('keeps exactly the last K batches, oldest first, with the log-probabilities of the policy that collected each', () => {
    const K = 3;
    const rt = behaviourBuffer.create(makeCtx('behaviour'), { policies: K });
    // One reused input object, as the rollout does: the buffer must copy.
    const sizes = [4, 3, 5, 2, 4, 3];
    let out: HostBatch | undefined;
    for (let id = 0; id < sizes.length; id++) {
      const input = fakeBatch(id, sizes[id]);
      out = asBatch(rt.run!({ batch: input }, makeTick()).batch);
      input.fields.logp.data.fill(999); // later changes to the collector's arrays must not leak in
      const kept = Array.from({ length: Math.min(K, id + 1) }, (_, j) => id - Math.min(K, id + 1) + 1 + j);
      const expected = concatBatches(kept.map((k) => fakeBatch(k, sizes[k])));
      expect(out.size, `after batch ${id}`).toBe(kept.reduce((a, k) => a + sizes[k], 0));
      expect(Array.from(out.fields.logp.data)).toEqual(Array.from(expected.fields.logp.data));
    }
    // The last three batches: ids 3, 4, 5 (sizes 2, 4, 3).
    const b = out!;
    expect(b.size).toBe(9);
    expect(Array.from(b.fields.obs.data.filter((_, i) => i % 2 === 0))).toEqual([300, 301, 400, 401, 402, 403, 500, 501, 502]);
    expect(Array.from(b.fields.logp.data)).toEqual([-3, -3.01, -4, -4.01, -4.02, -4.03, -5, -5.01, -5.02].map(Math.fround));
    expect(Array.from(b.fields.age.data)).toEqual([2, 2, 1, 1, 1, 1, 0, 0, 0]);
    expect(Array.from(b.fields.cont.data)).toEqual([1, 0, 1, 1, 1, 0, 1, 1, 0]);
    expect(b.fields.obs.width).toBe(2);
  });

  it('declares the input fields plus age', () => {
    const fields = behaviourBuffer.batchFields!({ params: { policies: 2 }, inputFields: { batch: ['obs', 'act', 'logp', 'cont'] }, connected: new Set(['batch']) });
    expect(fields).toEqual({ batch: ['obs', 'act', 'logp', 'cont', 'age'] });
  });

  it('checkpoints its batches: a restored buffer continues identically', () => {
    const a = behaviourBuffer.create(makeCtx('behaviour'), { policies: 2 });
    for (let id = 0; id < 3; id++) a.run!({ batch: fakeBatch(id, 3) }, makeTick());
    const state = JSON.parse(JSON.stringify(a.saveState!())) as unknown;
    const b = behaviourBuffer.create(makeCtx('behaviour'), { policies: 2 });
    b.loadState!(state);
    const outA = asBatch(a.run!({ batch: fakeBatch(7, 2) }, makeTick()).batch);
    const outB = asBatch(b.run!({ batch: fakeBatch(7, 2) }, makeTick()).batch);
    expect(outB.size).toBe(5);
    for (const name of ['obs', 'logp', 'cont', 'age']) expect(Array.from(outB.fields[name].data), name).toEqual(Array.from(outA.fields[name].data));
    expect(Array.from(outB.fields.logp.data.slice(0, 3))).toEqual([-2, -2.01, -2.02].map(Math.fround));
  });

  it('refuses a batch without log-probabilities', () => {
    const rt = behaviourBuffer.create(makeCtx('behaviour'), { policies: 2 });
    const batch = fakeBatch(0, 2);
    delete (batch.fields as Record<string, unknown>).logp;
    expect(() => rt.run!({ batch }, makeTick())).toThrow(/logp/);
  });
});

// ---------------------------------------------------------------- loss.klPenalty

describe('loss.klPenalty', () => {
  const target = 0.01;
  const low = target / 1.5;
  const high = target * 1.5;
  // [d, β before, β after]: the slide's rule, strict at both boundaries.
  const table: [number, number, number][] = [
    [0, 1, 0.5],
    [low * 0.999, 1, 0.5],
    [low, 1, 1], // d = d_targ/1.5 is not below it
    [low * 1.001, 1, 1],
    [target, 1, 1],
    [high * 0.999, 1, 1],
    [high, 1, 1], // d = 1.5·d_targ is not above it
    [high * 1.001, 1, 2],
    [1, 3, 6],
    [1e-9, 3, 1.5],
  ];
  it.each(table)('adaptive rule: d = %f, β %f → %f', (d, before, after) => {
    expect(adaptBeta(before, d, target)).toBe(after);
  });

  type KlParams = { mode: 'fixed' | 'adaptive'; beta: number; target: number; tolerance: number; factor: number; measure: 'last' | 'mean' };
  const params = (over: Partial<KlParams>): KlParams => ({ mode: 'adaptive', beta: 1, target, tolerance: 1.5, factor: 2, measure: 'last', ...over });
  /** Runs one iteration with the given per-update KL values; returns the β outputs and the penalties. */
  function iteration(rt: ReturnType<typeof klPenalty.create>, kls: number[]) {
    const betas: number[] = [];
    const penalties: number[] = [];
    for (const kl of kls) {
      const out = rt.run!({ kl: tf.scalar(kl) }, makeTick());
      betas.push(asTensor(out.beta).dataSync()[0]);
      penalties.push(asTensor(out.penalty).dataSync()[0]);
    }
    rt.endIteration!({ iteration: 1, globalStep: 0, progress: 0 });
    return { betas, penalties };
  }

  it('penalty = β·KL; adaptive β changes only at the end of an iteration, from its last KL', () => {
    const rt = klPenalty.create(makeCtx('klpen'), params({}));
    let r = iteration(rt, [0.001, 0.05]); // last = 0.05 > 0.015: doubles after the iteration
    expect(r.betas).toEqual([1, 1]);
    expectClose(r.penalties, [0.001, 0.05], 6);
    r = iteration(rt, [0.05, 0.001]); // last = 0.001 < 0.00667: halves
    expect(r.betas).toEqual([2, 2]);
    expectClose(r.penalties, [0.1, 0.002], 6);
    r = iteration(rt, [0.01]);
    expect(r.betas).toEqual([1]);
    r = iteration(rt, [0.012]);
    expect(r.betas).toEqual([1]); // in the band: unchanged
    expect(iteration(rt, []).betas).toEqual([]); // no update: nothing measured, β kept
    expect(iteration(rt, [0.01]).betas).toEqual([1]);
  });

  it('measure "mean" adapts on the mean KL of the iteration', () => {
    const rt = klPenalty.create(makeCtx('klpen'), params({ measure: 'mean' }));
    iteration(rt, [0.001, 0.05]); // mean 0.0255 > 0.015
    expect(iteration(rt, [0.01]).betas).toEqual([2]);
  });

  it('fixed β never changes; a live change sets it; checkpoints restore it', () => {
    const rt = klPenalty.create(makeCtx('klpen'), params({ mode: 'fixed', beta: 3 }));
    for (const kl of [1, 1e-6, 0.5]) expect(iteration(rt, [kl]).betas).toEqual([3]);
    rt.setParam!('beta', 0.3);
    expect(iteration(rt, [1]).penalties[0]).toBeCloseTo(0.3, 6);
    const adaptive = klPenalty.create(makeCtx('klpen'), params({}));
    iteration(adaptive, [1]);
    const copy = klPenalty.create(makeCtx('klpen'), params({}));
    copy.loadState!(JSON.parse(JSON.stringify(adaptive.saveState!())));
    expect(iteration(copy, [0.01]).betas).toEqual([2]);
  });

  it('the penalty is differentiable: ∂(β·KL)/∂KL = β', () => {
    const rt = klPenalty.create(makeCtx('klpen'), params({ mode: 'fixed', beta: 2.5 }));
    const g = tf.grad((kl: Tensor) => asTensor(rt.run!({ kl }, makeTick()).penalty))(tf.scalar(0.02));
    expect(g.dataSync()[0]).toBeCloseTo(2.5, 6);
  });
});

// ---------------------------------------------------------------- loss.dualAscent

describe('loss.dualAscent', () => {
  it('λ ← max(0, λ + α(KL − ε)) by hand, clamped at 0', () => {
    expect(dualAscentStep(1, 0.03, 10, 0.01)).toBeCloseTo(1.2, 12); // 1 + 10·0.02
    expect(dualAscentStep(1, 0.005, 10, 0.01)).toBeCloseTo(0.95, 12); // 1 − 10·0.005
    expect(dualAscentStep(0.02, 0, 10, 0.01)).toBe(0); // 0.02 − 0.1 < 0 → 0
    expect(dualAscentStep(0, 0.001, 10, 0.01)).toBe(0);
    expect(dualAscentStep(0, 0.01, 10, 0.01)).toBe(0); // on the boundary: stays
    expect(dualAscentStep(0.5, 0.01, 10, 0.01)).toBe(0.5);
  });

  it('the block: penalty λ·(KL − ε) with λ fixed during the iteration, one dual step after it', () => {
    const rt = dualAscent.create(makeCtx('dual'), { lambda: 1, stepSize: 10, epsilon: 0.01, measure: 'last' });
    const tickOf = (kl: number) => {
      const out = rt.run!({ kl: tf.scalar(kl) }, makeTick());
      return { penalty: asTensor(out.penalty).dataSync()[0], lambda: asTensor(out.lambda).dataSync()[0] };
    };
    const end = () => rt.endIteration!({ iteration: 1, globalStep: 0, progress: 0 });
    let a = tickOf(0.002);
    expect(a.lambda).toBe(1);
    expect(a.penalty).toBeCloseTo(-0.008, 7);
    a = tickOf(0.03);
    expect(a.lambda).toBe(1);
    end(); // λ = 1 + 10·(0.03 − 0.01) = 1.2
    expect(tickOf(0.0).lambda).toBeCloseTo(1.2, 6);
    end(); // λ = 1.2 − 0.1 = 1.1
    expect(tickOf(0.0).lambda).toBeCloseTo(1.1, 6);
    rt.setParam!('stepSize', 1000);
    end(); // 1.1 − 1000·0.01 < 0 → 0
    const z = tickOf(0.5);
    expect(z.lambda).toBe(0);
    expect(z.penalty).toBe(0);
    const g = tf.grad((kl: Tensor) => asTensor(rt.run!({ kl }, makeTick()).penalty))(tf.scalar(0.02));
    expect(g.dataSync()[0]).toBe(0);
  });
});

// ---------------------------------------------------------------- templates

const TEMPLATES = [
  'is-pg.cartpole',
  'trust-region-lagrangian.cartpole',
  'ppo-kl-adaptive.cartpole',
  'ppo-kl-fixed.cartpole',
  'ppo-noclip.cartpole',
  'ppo-clip.acrobot',
  'ppo-clip.pendulum',
];

function rlcValidate(file: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/rlc.js'), 'validate', file], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out: out.slice(-2000) }));
  });
}

describe('templates of issue 5 (rlc validate)', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
  it('every template exists and compiles', async () => {
    const files = TEMPLATES.map((name) => `templates/${name}.rlgraph.json`);
    for (const f of files) expect(existsSync(join(ROOT, f)), f).toBe(true);
    const results = await Promise.all(files.map(rlcValidate));
    results.forEach((r, i) => {
      expect(r.code, `${files[i]}: ${r.out}`).toBe(0);
      expect(r.out).toMatch(/differentiates: adam ← \[/);
    });
  });
});
