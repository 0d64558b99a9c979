import { defineBlock } from '../../engine/block.ts';
import { choice, int, num } from '../../engine/params.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';

/**
 * Where each row's product starts: the first row of its episode, or with a window W the row
 * W − 1 before it, whichever is later. Rows are trajectory-contiguous (`cont[i] = 1` where row
 * i+1 continues row i). Exported for tests.
 */
export function productStarts(cont: ArrayLike<number>, window: number): { episodeStart: Int32Array; start: Int32Array; segments: number } {
  const n = cont.length;
  const episodeStart = new Int32Array(n);
  const start = new Int32Array(n);
  let segments = 0;
  for (let i = 0; i < n; i++) {
    const first = i === 0 || cont[i - 1] !== 1;
    if (first) segments++;
    episodeStart[i] = first ? i : episodeStart[i - 1];
    start[i] = window > 0 ? Math.max(episodeStart[i], i - window + 1) : episodeStart[i];
  }
  return { episodeStart, start, segments };
}

/**
 * The log of the prefix product on the host, in float64: Σ_{start(t) ≤ i ≤ t} logRatio_i. Exported
 * for tests (and used by the 'lastFactor' gradient, whose weights are constants).
 */
export function logPrefixProduct(logRatio: ArrayLike<number>, cont: ArrayLike<number>, window: number): Float64Array {
  const n = logRatio.length;
  const { start } = productStarts(cont, window);
  const cumulative = new Float64Array(n + 1); // cumulative[i] = Σ_{j<i} logRatio_j
  for (let i = 0; i < n; i++) cumulative[i + 1] = cumulative[i] + logRatio[i];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = cumulative[i + 1] - cumulative[start[i]];
  return out;
}

/**
 * The same sum as tf ops, differentiable in the log-ratios: a cumulative sum over the whole batch
 * minus, for each row, the cumulative sum before its episode (one-hot episode membership matrices
 * built on the host: `tf.gather` has no gradient on wasm, shared notes trap 2), and with a window,
 * minus the cumulative sum W rows back where that lies inside the episode.
 */
function logPrefixProductTensor(logRatio: Tensor, cont: Float32Array, window: number): Tensor {
  const n = cont.length;
  const { episodeStart, start, segments } = productStarts(cont, window);
  const membership = new Float32Array(n * segments); // [n, segments]
  const membershipT = new Float32Array(segments * n); // [segments, n]: explicit, transposed matMul is slow on wasm
  let segment = -1;
  for (let i = 0; i < n; i++) {
    if (episodeStart[i] === i) segment++;
    membership[i * segments + segment] = 1;
    membershipT[segment * n + i] = 1;
  }
  // 1-D cumulative sums: the stock Cumsum gradient transposes wrongly along axis 0 of a matrix.
  const flat = tf.reshape(logRatio, [n]);
  const cumulative = tf.cumsum(flat);
  const totals = tf.matMul(tf.tensor2d(membershipT, [segments, n]), tf.reshape(flat, [n, 1])); // Σ over each episode
  const before = tf.reshape(tf.cumsum(tf.reshape(totals, [segments]), 0, true), [segments, 1]); // Σ over the earlier episodes
  const fromEpisodeStart = tf.sub(cumulative, tf.reshape(tf.matMul(tf.tensor2d(membership, [n, segments]), before), [n]));
  if (window <= 0 || window >= n) return fromEpisodeStart;
  // Rows whose window starts after their episode start: Σ_{t−W < i ≤ t} = C_t − C_{t−W}.
  const inside = new Float32Array(n);
  for (let i = 0; i < n; i++) inside[i] = start[i] > episodeStart[i] ? 1 : 0;
  const shifted = tf.pad(tf.slice(cumulative, [0], [n - window]), [[window, 0]]);
  const mask = tf.tensor1d(inside);
  return tf.add(tf.mul(mask, tf.sub(cumulative, shifted)), tf.mul(tf.sub(1, mask), fromEpisodeStart));
}

export const ratioProduct = defineBlock({
  type: 'policy.ratioProduct',
  category: 'Policy',
  title: 'Importance ratio product',
  role: 'op',
  doc: {
    summary:
      "Product of the per-step importance ratios over each trajectory's prefix, ρ_{1:t}, for learning from data collected by another policy π_θ (the batch's logp). Episodes restart the product (the batch's cont field); an optional window keeps only the last W factors, and an optional clip caps the product at c (truncated importance sampling). Computed in log space: a per-episode cumulative sum of log-ratios, then exp. Gradient 'product' differentiates every factor (the per-decision IS objective Σ_t ρ_{1:t} γ^t r_t); 'lastFactor' holds the weight constant and differentiates only the newest factor, which with reward-to-go weights gives the lecture's off-policy policy gradient. Also reports the effective sample size (Σρ)²/(nΣρ²) and the fraction of clipped products. Needs whole trajectories in order: use it before any shuffling minibatch loop.",
    formula:
      '\\rho_{1:t}(\\theta\') = \\prod_{i=1}^{t} \\frac{\\pi_{\\theta\'}(a_i\\mid s_i)}{\\pi_\\theta(a_i\\mid s_i)} = \\exp\\Big(\\sum_{i=1}^{t} \\log\\pi_{\\theta\'}(a_i\\mid s_i) - \\log\\pi_\\theta(a_i\\mid s_i)\\Big),\\qquad \\nabla_{\\theta\'} J(\\theta\') \\approx \\mathbb E_{\\tau\\sim p_\\theta}\\Big[\\sum_t \\nabla_{\\theta\'}\\log\\pi_{\\theta\'}(a_t\\mid s_t)\\,\\min(\\rho_{1:t}, c)\\,\\hat Q_t\\Big]',
    reference:
      'Precup, Sutton & Singh 2000, "Eligibility Traces for Off-Policy Policy Evaluation" (per-decision IS); Levine, CS285 lecture 5 "going off-policy by importance sampling"; truncation: Ionides 2008, Wawrzyński 2009',
  },
  params: {
    clip: num({ default: 0, min: 0, max: 1e6, help: 'Cap c on the product (truncated IS); 0 = no cap. A capped product has zero gradient in "product" mode.', live: true }),
    window: int({ default: 0, min: 0, max: 1_000_000, help: 'Keep only the last W factors of each prefix; 0 = the whole prefix from the episode start.' }),
    gradient: choice({
      options: ['product', 'lastFactor'],
      default: 'product',
      help: '"product": ∇ of the whole product; "lastFactor": weight held constant, ∇ = ρ̄_{1:t}·∇log π_θ\'(a_t|s_t).',
    }),
  },
  inputs: [
    { name: 'logp', type: 'Tensor', doc: "log π_θ'(a_t|s_t) [B] under the policy being optimised." },
    { name: 'logpOld', type: 'Tensor', doc: 'log π_θ(a_t|s_t) [B] under the behaviour policy (constant).' },
    { name: 'cont', type: 'Tensor', doc: "The batch's cont field [B]: 1 where the next row continues the episode (constant)." },
  ],
  outputs: [
    { name: 'product', type: 'Tensor', doc: 'min(ρ_{1:t}, c) [B].' },
    { name: 'ess', type: 'Scalar', doc: 'Effective sample size fraction (Σρ̄)² / (n Σρ̄²), no gradient.' },
    { name: 'clipFraction', type: 'Scalar', doc: 'Fraction of rows whose product was capped.' },
  ],
  create(_ctx, params) {
    let cap = params.clip;
    return {
      run(inputs) {
        const logp = tensorIn(inputs, 'logp');
        const logRatio = tf.sub(logp, tensorIn(inputs, 'logpOld'));
        const cont = tensorIn(inputs, 'cont').dataSync() as Float32Array;
        if (cont.length !== logRatio.size) throw new Error(`cont has ${cont.length} rows but the log-probabilities have ${logRatio.size}`);
        const logRatioHost = logRatio.dataSync() as Float32Array;
        const logProduct = logPrefixProduct(logRatioHost, cont, params.window);
        const n = logProduct.length;
        const weights = new Float32Array(n);
        let clipped = 0;
        let sum = 0;
        let squares = 0;
        for (let i = 0; i < n; i++) {
          let w = Math.exp(logProduct[i]);
          if (cap > 0 && w > cap) {
            w = cap;
            clipped++;
          }
          weights[i] = w;
          sum += w;
          squares += w * w;
        }
        let product: Tensor;
        if (params.gradient === 'lastFactor') {
          // Value ρ̄_{1:t} (a constant), gradient ρ̄_{1:t}·∇log π_θ'(a_t|s_t): exp(x − x) is 1 and its
          // derivative is that of x. (tfjs has no stop-gradient; host-made tensors are constants.)
          product = tf.mul(tf.tensor1d(weights), tf.exp(tf.sub(logRatio, tf.tensor1d(logRatioHost))));
        } else {
          const full = tf.exp(logPrefixProductTensor(logRatio, cont, params.window));
          product = cap > 0 ? tf.minimum(full, cap) : full;
        }
        return {
          product,
          ess: tf.scalar(squares > 0 ? (sum * sum) / (n * squares) : 0),
          clipFraction: tf.scalar(n ? clipped / n : 0),
        };
      },
      setParam(name, value) {
        if (name === 'clip') cap = value as number;
      },
    };
  },
});
