/**
 * Weight initialisation on the host (seeded, identical on every backend).
 * Orthogonal init follows Saxe et al. (2014) as PyTorch's `nn.init.orthogonal_` implements it:
 * QR of a Gaussian matrix, signs fixed by diag(R), scaled by `gain`.
 */
import type { Rng } from './rng.ts';

/** An orthogonal [fanIn × fanOut] matrix (row-major) for y = x·W. */
export function orthogonal(fanIn: number, fanOut: number, gain: number, rng: Rng): Float32Array {
  // PyTorch draws W as [out, in]; QR needs rows ≥ cols, so work on the taller orientation.
  const rows = Math.max(fanOut, fanIn);
  const cols = Math.min(fanOut, fanIn);
  const a = new Float64Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  // Modified Gram–Schmidt on the columns of a (rows × cols) gives Q with positive diag(R),
  // which is exactly Q·sign(diag(R)) of a Householder QR.
  for (let j = 0; j < cols; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += a[i * cols + j] * a[i * cols + p];
      for (let i = 0; i < rows; i++) a[i * cols + j] -= dot * a[i * cols + p];
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += a[i * cols + j] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < rows; i++) a[i * cols + j] /= norm;
  }
  // q is (rows × cols) with orthonormal columns. We want W [fanIn × fanOut].
  const w = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < fanIn; i++) {
    for (let o = 0; o < fanOut; o++) {
      // torch weight [out, in] = q if out ≥ in, else qᵀ; W[in][out] = weight[out][in].
      const value = fanOut >= fanIn ? a[o * cols + i] : a[i * cols + o];
      w[i * fanOut + o] = gain * value;
    }
  }
  return w;
}

/** Glorot/Xavier uniform [fanIn × fanOut], scaled by gain. */
export function glorotUniform(fanIn: number, fanOut: number, gain: number, rng: Rng): Float32Array {
  const limit = gain * Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < w.length; i++) w[i] = rng.uniformIn(-limit, limit);
  return w;
}

/**
 * PyTorch `nn.Linear`'s default initialisation, the one CleanRL's DDPG/TD3/SAC networks keep:
 * weight and bias ~ U(−gain/√fanIn, gain/√fanIn). (kaiming_uniform_ with a = √5 gives the weight
 * bound √(6/((1 + a²)·fanIn)) = 1/√fanIn, and the bias bound is 1/√fanIn too; gain 1 is PyTorch.)
 * Draws the weight [fanIn × fanOut] row-major, then the bias [fanOut], from the same stream.
 */
export function uniformFanIn(fanIn: number, fanOut: number, gain: number, rng: Rng): { weight: Float32Array; bias: Float32Array } {
  const limit = gain / Math.sqrt(fanIn);
  const weight = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < weight.length; i++) weight[i] = rng.uniformIn(-limit, limit);
  const bias = new Float32Array(fanOut);
  for (let i = 0; i < bias.length; i++) bias[i] = rng.uniformIn(-limit, limit);
  return { weight, bias };
}
