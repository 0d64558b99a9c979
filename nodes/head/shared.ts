/** Shared plumbing of head blocks: the torso input and host-side forward passes. */
import type { ModuleResource } from '../../engine/block.ts';
import { type Tensor, tf } from '../../engine/tf.ts';

export function torsoOf(resources: Record<string, unknown>, nodeId: string): ModuleResource {
  const torso = resources.torso as ModuleResource | undefined;
  if (!torso) throw new Error(`head '${nodeId}' needs a torso module`);
  return torso;
}

/** Forward pass for `n` host observations; returns a host copy of the output. */
export function forwardHost(apply: (x: Tensor) => Tensor, obs: Float32Array, n: number, width: number): Float32Array {
  const out = tf.tidy(() => apply(tf.tensor2d(obs.subarray(0, n * width), [n, width])));
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

/**
 * Policy output and value for the same observations with one upload and one read-back (the
 * rollout's per-step cost is dominated by such round trips). `both` maps [n, width] observations
 * to [n, k + 1]: the policy's k outputs, then V. Writes into buffers owned by the caller.
 */
export function forwardPolicyAndValue(
  both: (x: Tensor) => Tensor,
  obs: Float32Array,
  n: number,
  width: number,
  k: number,
  out: Float32Array,
  values: Float32Array,
): void {
  const result = tf.tidy(() => both(tf.tensor2d(obs.subarray(0, n * width), [n, width])));
  const data = result.dataSync() as Float32Array;
  result.dispose();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) out[i * k + j] = data[i * (k + 1) + j];
    values[i] = data[i * (k + 1) + k];
  }
}
