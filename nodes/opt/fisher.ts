/**
 * The exact Fisher matrix of a dense-chain policy from its score vectors, without n
 * Fisher-vector products:
 *
 *   F = (1/N) Σ_s E_{a∼π(·|s)}[∇θ log π(a|s) ∇θ log π(a|s)ᵀ] = GᵀG,
 *
 * where G stacks, per state, k weighted score rows. The expectation over actions is exact:
 * - categorical (raw logits z): ∇z log π(a|s) = e_a − p, so E_a[·] = Σ_a p_a (e_a − p)(e_a − p)ᵀ
 *   and the rows are √(p_a/N)·(e_a − p)ᵀ J_s (J_s = ∂z/∂θ);
 * - diagonal Gaussian (mean μ, state-free log σ): the mean part is J_sᵀ diag(σ⁻²) J_s (rows
 *   e_jᵀ J_s / (σ_j √N)); the log σ block is 2I and the cross terms vanish (odd moments).
 *
 * Per-state rows of J come from k backward passes through the chain with a zero "probe" added to
 * every pre-activation: the gradient of Σ_s c(s)ᵀ z(s) with respect to the probe of layer l is
 * the per-state backpropagated error δ_l(s) (rows are independent), and the per-state gradient
 * of a dense layer is a_{l−1}(s) ⊗ δ_l(s) (weights) and δ_l(s) (bias). Everything is tfjs first-
 * order autodiff; the test checks F against the naive average of outer products and the KL
 * Hessian.
 */
import type { PolicyResource } from '../../engine/block.ts';
import { activate } from '../../engine/layers.ts';
import { type Tensor, tf, type Variable } from '../../engine/tf.ts';
import { gaussianLogStd } from '../policy/snapshot.ts';

/** Largest G chunk (rows × columns, floats) built at once; states are processed in chunks. */
const CHUNK_FLOATS = 4_000_000;

/**
 * F (row-major n × n over `vars`, float64) at the policy's current parameters for the states
 * `obs` [N, d]. Variables of `vars` the policy does not own get zero rows and columns.
 */
export function fisherFromScores(policy: PolicyResource, obs: Tensor, vars: readonly Variable[]): Float64Array {
  const chain = policy.chain;
  if (!chain || chain.length === 0) throw new Error(`policy '${policy.nodeId}' is not a chain of dense layers: use the KL-Hessian Fisher`);
  const n = vars.reduce((acc, v) => acc + v.size, 0);
  const offsetOf = new Map<Tensor, number>();
  let offset = 0;
  for (const v of vars) {
    offsetOf.set(v, offset);
    offset += v.size;
  }
  // Column blocks of G in chain order: W_l then b_l (each contiguous in θ in the same layout).
  const blocks = chain.flatMap((s) => [s.layer.weight, s.layer.bias]);
  const gaussian = policy.distribution === 'diagGaussian';
  const logStd = gaussian ? gaussianLogStd(policy) : undefined;
  const chainSize = blocks.reduce((acc, b) => acc + b.size, 0);
  const total = obs.shape[0];
  const k = policy.outputSize;
  const chunk = Math.max(1, Math.min(total, Math.floor(CHUNK_FLOATS / (k * chainSize))));

  const fChain = tf.tidy(() => {
    let acc: Tensor = tf.zeros([chainSize, chainSize]);
    for (let start = 0; start < total; start += chunk) {
      const size = Math.min(chunk, total - start);
      const next = tf.tidy(() => {
        const x = tf.slice(obs, [start, 0], [size, -1]);
        // Layer inputs a_{l−1} (constants) and the forward with probes.
        // (Recorded from this outer pass only: tensors made inside tf.grads die with it.)
        const inputs: Tensor[] = [];
        const forward = (probes: Tensor[], record?: Tensor[]): Tensor => {
          let h = x;
          chain.forEach((s, l) => {
            record?.push(h);
            h = activate(tf.add(tf.add(tf.matMul(h as tf.Tensor2D, s.layer.weight as tf.Tensor2D), s.layer.bias), probes[l]), s.activation);
          });
          return h;
        };
        const probes = chain.map((s) => tf.zeros([size, s.layer.fanOut]));
        const out = forward(probes, inputs);
        // Cotangents: one [size, k] tensor per row of the per-state factor of E_a[·].
        const cotangents: Tensor[] = [];
        const basis = (j: number): Tensor => tf.tensor1d(Float32Array.from({ length: k }, (_, i) => (i === j ? 1 : 0)));
        if (gaussian) {
          const invStd = tf.exp(tf.neg(logStd!));
          const ones = tf.ones([size, 1]);
          for (let j = 0; j < k; j++) cotangents.push(tf.mul(ones, tf.mul(tf.mul(basis(j), invStd), 1 / Math.sqrt(total))));
        } else {
          const p = tf.softmax(out);
          for (let a = 0; a < k; a++) {
            const pa = tf.slice(p, [0, a], [size, 1]);
            cotangents.push(tf.mul(tf.sqrt(tf.div(pa, total)), tf.sub(basis(a), p)));
          }
        }
        const rows: Tensor[] = [];
        for (const c of cotangents) {
          const deltas = tf.grads((...ps: Tensor[]) => tf.sum(tf.mul(forward(ps), c)))(probes);
          const parts: Tensor[] = [];
          chain.forEach((s, l) => {
            const a = inputs[l];
            const outer = tf.mul(tf.expandDims(a, 2), tf.expandDims(deltas[l], 1));
            parts.push(tf.reshape(outer, [size, s.layer.fanIn * s.layer.fanOut]), deltas[l]);
          });
          rows.push(tf.concat(parts, 1));
        }
        const g = rows.length === 1 ? rows[0] : tf.concat(rows, 0);
        // Explicit transpose: wasm's transposed matMul misses the fast path (notes trap 4).
        return tf.add(acc, tf.matMul(tf.transpose(g), g));
      });
      acc.dispose();
      acc = next;
    }
    return acc;
  });
  const chainF = fChain.dataSync();
  fChain.dispose();

  // Scatter the chain block into θ's layout, then the log σ block (2I).
  const f = new Float64Array(n * n);
  const columnOffsets: number[] = [];
  for (const b of blocks) {
    const o = offsetOf.get(b);
    for (let i = 0; i < b.size; i++) columnOffsets.push(o === undefined ? -1 : o + i);
  }
  for (let r = 0; r < chainSize; r++) {
    const fr = columnOffsets[r];
    if (fr < 0) continue;
    for (let c = 0; c < chainSize; c++) {
      const fc = columnOffsets[c];
      if (fc >= 0) f[fr * n + fc] = chainF[r * chainSize + c];
    }
  }
  if (logStd) {
    const o = offsetOf.get(logStd);
    if (o !== undefined) for (let j = 0; j < k; j++) f[(o + j) * n + o + j] = 2;
  }
  return f;
}
