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
