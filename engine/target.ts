/**
 * Target-network updates for the off-policy family (issue 6): DDPG / TD3 / SAC track
 * θ' ← τθ + (1 − τ)θ' every step (Polyak averaging), DQN-style graphs copy θ' ← θ every k steps.
 *
 * Every update assigns a fresh tensor to each target variable and never writes a variable's data
 * in place: wasm's XNNPACK caches packed matMul weights by tensor, so in-place writes would leave
 * the next matMul on stale weights (docs/engine.md).
 *
 * Where the backend keeps tensors on the host (wasm heap, cpu; engine/host-memory.ts) the blend is
 * one JS loop per variable into a new Float32Array: a 256-256 twin-critic's dozen variables cost 36
 * kernel dispatches on the tensor path, which dominates at these sizes. Elsewhere (GPU backends)
 * the tensor path keeps data on the device.
 */
import { hostView } from './host-memory.ts';
import { tf, type Variable } from './tf.ts';

export interface TargetUpdateOptions {
  /** Use the host loop where the backend allows it (default true); false forces tensor ops. */
  host?: boolean;
}

function checkPairs(target: readonly Variable[], source: readonly Variable[], what: string): void {
  if (target.length !== source.length) {
    throw new Error(`${what}: the target has ${target.length} variables but the source has ${source.length}`);
  }
  target.forEach((t, i) => {
    const s = source[i]!;
    if (t === s) throw new Error(`${what}: variable ${t.name} is its own target (the target network must be a separate copy)`);
    if (t.shape.join('x') !== s.shape.join('x') || t.dtype !== s.dtype) {
      throw new Error(`${what}: target ${t.name} is ${t.dtype} [${t.shape}] but source ${s.name} is ${s.dtype} [${s.shape}]`);
    }
  });
}

/** θ' ← τθ + (1 − τ)θ' for each pair (target[i], source[i]); τ ∈ [0, 1] (τ = 1 is a hard copy). */
export function polyakUpdate(target: readonly Variable[], source: readonly Variable[], tau: number, options: TargetUpdateOptions = {}): void {
  if (!(tau >= 0 && tau <= 1)) throw new Error(`polyakUpdate: tau must lie in [0, 1], got ${tau}`);
  checkPairs(target, source, 'polyakUpdate');
  const keep = 1 - tau;
  for (let i = 0; i < target.length; i++) {
    const t = target[i]!;
    const s = source[i]!;
    // Views are taken per variable: creating a tensor can grow the wasm heap and detach older views.
    const tv = options.host === false ? null : hostView(t);
    const sv = tv ? hostView(s) : null;
    if (tv && sv) {
      const next = new Float32Array(tv.length);
      for (let j = 0; j < next.length; j++) next[j] = tau * sv[j]! + keep * tv[j]!;
      // In tidy: the temporary is released and the variable alone owns the new data.
      tf.tidy(() => t.assign(tf.tensor(next, t.shape, 'float32')));
    } else {
      tf.tidy(() => t.assign(tf.add(tf.mul(s, tau), tf.mul(t, keep))));
    }
  }
}

/** θ' ← θ: each target gets its own fresh copy (not a tensor sharing the source's data). */
export function hardCopy(target: readonly Variable[], source: readonly Variable[], options: TargetUpdateOptions = {}): void {
  checkPairs(target, source, 'hardCopy');
  for (let i = 0; i < target.length; i++) {
    const t = target[i]!;
    const s = source[i]!;
    const sv = options.host === false ? null : hostView(s);
    if (sv) {
      const copy = sv.slice(); // slice copies out of the (possibly moving) wasm heap
      tf.tidy(() => t.assign(tf.tensor(copy, t.shape, 'float32')));
    } else {
      // tf.clone would share the source's data (Identity increments a reference); mul by 1 makes new data.
      tf.tidy(() => t.assign(tf.mul(s, 1)));
    }
  }
}
