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
