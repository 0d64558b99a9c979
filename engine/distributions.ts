/**
 * Action distributions: tensor versions (inside gradients) and host versions (acting).
 * Host sampling uses the caller's seeded RNG, so acting is reproducible on every backend.
 */
import type { Rng } from './rng.ts';
import { type Tensor, tf } from './tf.ts';

const LOG_2PI = Math.log(2 * Math.PI);

/** log-softmax written as z − logsumexp(z) (tf.logSoftmax breaks nested gradients: notes trap 5). */
export function logSoftmax(logits: Tensor): Tensor {
  return tf.sub(logits, tf.logSumExp(logits, -1, true));
}

export const categorical = {
  /** log π(a|s): select with a one-hot product (tf.gather has no gradient on wasm: trap 2). */
  logProb(logits: Tensor, actions: Tensor): Tensor {
    return categorical.logProbNormalized(logSoftmax(logits), actions);
  },
  entropy(logits: Tensor): Tensor {
    return categorical.entropyNormalized(logSoftmax(logits));
  },
  /** log π(a|s) from already normalised logits (log-probabilities). */
  logProbNormalized(logPi: Tensor, actions: Tensor): Tensor {
    const n = logPi.shape[logPi.rank - 1]!;
    const oneHot = tf.oneHot(tf.cast(actions.rank > 1 ? tf.reshape(actions, [-1]) : actions, 'int32') as tf.Tensor1D, n);
    return tf.sum(tf.mul(logPi, oneHot), -1);
  },
  /** −Σ π log π from already normalised logits. */
  entropyNormalized(logPi: Tensor): Tensor {
    return tf.neg(tf.sum(tf.mul(tf.exp(logPi), logPi), -1));
  },
  /** Samples (or takes the argmax of) each row of `logits` (n × k, row-major). */
  actHost(logits: Float32Array, n: number, k: number, rng: Rng, deterministic: boolean, actions: Float32Array, logp: Float32Array): void {
    for (let i = 0; i < n; i++) {
      const row = i * k;
      let max = -Infinity;
      for (let j = 0; j < k; j++) if (logits[row + j] > max) max = logits[row + j];
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp(logits[row + j] - max);
      const logSum = max + Math.log(sum);
      let chosen = 0;
      if (deterministic) {
        for (let j = 1; j < k; j++) if (logits[row + j] > logits[row + chosen]) chosen = j;
      } else {
        let u = rng.uniform() * sum;
        chosen = k - 1;
        for (let j = 0; j < k; j++) {
          u -= Math.exp(logits[row + j] - max);
          if (u < 0) {
            chosen = j;
            break;
          }
        }
      }
      actions[i] = chosen;
      logp[i] = logits[row + chosen] - logSum;
    }
  },
};

export const diagGaussian = {
  /** log N(a; μ, diag σ²) summed over action dimensions → [B]. */
  logProb(mean: Tensor, logStd: Tensor, actions: Tensor): Tensor {
    const k = mean.shape[mean.rank - 1]!;
    // Width-1 batch fields arrive as [B]; without the reshape they would broadcast to [B, B].
    const a = actions.shape.join() === mean.shape.join() ? actions : tf.reshape(actions, mean.shape);
    const z = tf.div(tf.sub(a, mean), tf.exp(logStd));
    return tf.sub(tf.mul(-0.5, tf.sum(tf.square(z), -1)), tf.add(tf.sum(logStd), 0.5 * k * LOG_2PI));
  },
  /** Σ log σ + k/2 (1 + log 2π), the same for every state (state-free log-std) → [B]. */
  entropy(mean: Tensor, logStd: Tensor): Tensor {
    const k = mean.shape[mean.rank - 1]!;
    const perState = tf.add(tf.sum(logStd), 0.5 * k * (1 + LOG_2PI));
    return tf.mul(tf.onesLike(tf.sum(mean, -1)), perState);
  },
  actHost(
    mean: Float32Array,
    logStd: Float32Array,
    n: number,
    k: number,
    rng: Rng,
    deterministic: boolean,
    actions: Float32Array,
    logp: Float32Array,
  ): void {
    let logStdSum = 0;
    for (let j = 0; j < k; j++) logStdSum += logStd[j];
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (let j = 0; j < k; j++) {
        const eps = deterministic ? 0 : rng.normal();
        const a = mean[i * k + j] + Math.exp(logStd[j]) * eps;
        actions[i * k + j] = a;
        // Recompute z from the stored float32 action so logp matches what the loss sees.
        const z = (actions[i * k + j] - mean[i * k + j]) / Math.exp(logStd[j]);
        sq += z * z;
      }
      logp[i] = -0.5 * sq - logStdSum - 0.5 * k * LOG_2PI;
    }
  },
};

/** A per-dimension constant: one number for every action dimension, or one per dimension. */
export type PerDim = number | ArrayLike<number>;

function perDimTensor(value: PerDim): Tensor | number {
  return typeof value === 'number' ? value : tf.tensor1d(Array.from(value), 'float32');
}

function perDimAt(value: PerDim, j: number): number {
  return typeof value === 'number' ? value : value[j]!;
}

/** Σ_j log scale_j over k dimensions: the constant part of the tanh correction. */
function sumLogScale(scale: PerDim, k: number): number {
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.log(perDimAt(scale, j));
  return s;
}

/**
 * log(1 − tanh²u) = 2(log 2 − u − softplus(−2u)), elementwise. The naive form underflows: in
 * float32 1 − tanh²(u) is exactly 0 from |u| ≈ 9, so log gives −∞ (or the +1e-6 clamp's −13.8),
 * while this form stays exact and differentiable for any u (derivative −2 tanh u).
 */
export function logOneMinusTanhSquared(u: Tensor): Tensor {
  return tf.mul(2, tf.sub(tf.sub(Math.LN2, u), tf.softplus(tf.mul(-2, u))));
}

/** Host float64 twin of `logOneMinusTanhSquared` (stable softplus: max(x,0) + log1p(e^−|x|)). */
function logOneMinusTanhSquaredHost(u: number): number {
  const x = -2 * u;
  const softplus = Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  return 2 * (Math.LN2 - u - softplus);
}

/**
 * Tanh-squashed diagonal Gaussian (SAC's policy): u = μ + σ·ε, a = tanh(u)·scale + bias, with
 * scale = (high − low)/2 and bias = (high + low)/2 mapping (−1, 1) onto the action box.
 *
 *   log π(a|s) = log N(u; μ, σ) − Σ_j log(scale_j · (1 − tanh²(u_j)))
 *
 * (change of variables; the Jacobian of a ↦ u is diagonal). Tensor shapes: mean [B, k]; logStd
 * [B, k] (state-dependent, SAC) or [k] (state-free); ε, u and a [B, k]; results [B].
 */
export const squashedGaussian = {
  /**
   * Reparameterised sample: differentiable in mean and logStd through u, as SAC's policy loss
   * E[α log π(a|s) − Q(s, a)] needs. ε (standard normal, [B, k]) comes from the caller so that it
   * is drawn by the run's seeded host `Rng`, not tf's global random state.
   */
  sample(mean: Tensor, logStd: Tensor, eps: Tensor, scale: PerDim = 1, bias: PerDim = 0): { action: Tensor; logProb: Tensor; preTanh: Tensor } {
    const k = mean.shape[mean.rank - 1]!;
    const e = eps.shape.join() === mean.shape.join() ? eps : tf.reshape(eps, mean.shape);
    const preTanh = tf.add(mean, tf.mul(tf.exp(logStd), e));
    const action = tf.add(tf.mul(tf.tanh(preTanh), perDimTensor(scale)), perDimTensor(bias));
    // (u − μ)/σ is ε by construction: use ε itself (exact, and one division fewer).
    const logNormal = tf.sub(tf.mul(-0.5, tf.sum(tf.square(e), -1)), tf.add(tf.sum(logStd, -1), 0.5 * k * LOG_2PI));
    const logProb = tf.sub(logNormal, tf.add(tf.sum(logOneMinusTanhSquared(preTanh), -1), sumLogScale(scale, k)));
    return { action, logProb, preTanh };
  },

  /** log π from the pre-tanh value u (exact; prefer it whenever u is at hand) → [B]. */
  logProbPreTanh(mean: Tensor, logStd: Tensor, preTanh: Tensor, scale: PerDim = 1): Tensor {
    const k = mean.shape[mean.rank - 1]!;
    const u = preTanh.shape.join() === mean.shape.join() ? preTanh : tf.reshape(preTanh, mean.shape);
    const z = tf.div(tf.sub(u, mean), tf.exp(logStd));
    const logNormal = tf.sub(tf.mul(-0.5, tf.sum(tf.square(z), -1)), tf.add(tf.sum(logStd, -1), 0.5 * k * LOG_2PI));
    return tf.sub(logNormal, tf.add(tf.sum(logOneMinusTanhSquared(u), -1), sumLogScale(scale, k)));
  },

  /**
   * log π of given actions (e.g. replayed ones): u = atanh((a − bias)/scale). The ratio is clipped
   * to ±(1 − 1e-6) because float32 actions on the bound have no finite pre-image; such actions get
   * a large but finite log-density instead of NaN.
   */
  logProb(mean: Tensor, logStd: Tensor, actions: Tensor, scale: PerDim = 1, bias: PerDim = 0): Tensor {
    const a = actions.shape.join() === mean.shape.join() ? actions : tf.reshape(actions, mean.shape);
    const unit = tf.clipByValue(tf.div(tf.sub(a, perDimTensor(bias)), perDimTensor(scale)), -1 + 1e-6, 1 - 1e-6);
    return squashedGaussian.logProbPreTanh(mean, logStd, tf.atanh(unit), scale);
  },

  /**
   * Acting on the host: n rows of k dimensions, row-major. logStd holds k numbers (state-free) or
   * n × k (state-dependent). Deterministic acting takes u = μ (a = tanh(μ)·scale + bias, SAC's
   * evaluation action). log π is computed in float64 from u.
   */
  actHost(
    mean: Float32Array,
    logStd: Float32Array,
    n: number,
    k: number,
    rng: Rng,
    deterministic: boolean,
    scale: PerDim,
    bias: PerDim,
    actions: Float32Array,
    logp: Float32Array,
  ): void {
    const perState = logStd.length === n * k;
    if (!perState && logStd.length !== k) throw new Error(`squashedGaussian: logStd has ${logStd.length} numbers, expected ${k} or ${n * k}`);
    const logScale = sumLogScale(scale, k);
    for (let i = 0; i < n; i++) {
      let total = -0.5 * k * LOG_2PI - logScale;
      for (let j = 0; j < k; j++) {
        const ls = logStd[perState ? i * k + j : j]!;
        const eps = deterministic ? 0 : rng.normal();
        const u = mean[i * k + j]! + Math.exp(ls) * eps;
        actions[i * k + j] = Math.tanh(u) * perDimAt(scale, j) + perDimAt(bias, j);
        total += -0.5 * eps * eps - ls - logOneMinusTanhSquaredHost(u);
      }
      logp[i] = total;
    }
  },
};
