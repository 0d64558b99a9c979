/**
 * Second-order helpers for natural-gradient methods (NPG, TNPG, TRPO): Hessian- and Fisher-vector
 * products by nested reverse mode, a conjugate-gradient solver, and flat parameter vectors.
 *
 * Hessian-vector products rely on the gradient replacements of engine/gradients.ts (stock tfjs
 * 4.22 gets nested gradients through Tanh, Exp, Sigmoid, Softmax, Elu, Pow silently wrong and
 * throws on comparison ops: notes trap 5). `installGradientFixes()` must have run, as
 * `selectBackend()` does at startup.
 *
 * Flat vectors are host arrays laid out variable after variable, each in row-major order (the
 * layout of `tf.concat(xs.map(x => x.reshape([-1])))`). The conjugate-gradient solver runs on the
 * host in float64: the vectors are small (a policy's parameters), every product needs a host
 * round trip anyway, and float64 keeps the recurrences' inner products accurate; only H·v is
 * computed in float32 on the backend.
 */
import { type Scalar, type Tensor, tf, type Variable } from './tf.ts';

/** Total number of elements of `xs`. */
export function flatSize(xs: readonly Tensor[]): number {
  let n = 0;
  for (const x of xs) n += x.size;
  return n;
}

/**
 * Host copy of `tensors` laid end to end; a missing entry (a variable the function does not
 * reach: no gradient) contributes zeros of the size of `like[i]`.
 */
export function flattenToHost(tensors: readonly (Tensor | null | undefined)[], like: readonly Tensor[] = tensors as Tensor[]): Float32Array {
  const out = new Float32Array(flatSize(like));
  let offset = 0;
  for (let i = 0; i < like.length; i++) {
    const t = tensors[i];
    if (t) out.set(t.dataSync() as Float32Array, offset);
    offset += like[i].size;
  }
  return out;
}

/** Tensors shaped like `like`, cut from the flat vector `flat` (new tensors: dispose or tidy them). */
export function unflatten(flat: ArrayLike<number>, like: readonly Tensor[]): Tensor[] {
  const total = flatSize(like);
  if (flat.length !== total) throw new Error(`flat vector has ${flat.length} elements but the tensors have ${total}`);
  let offset = 0;
  return like.map((x) => {
    const part = new Float32Array(x.size);
    for (let j = 0; j < part.length; j++) part[j] = flat[offset + j];
    offset += x.size;
    return tf.tensor(part, x.shape, 'float32');
  });
}

/** The variables' current values as one flat host vector. */
export function getFlatParams(vars: readonly Variable[]): Float32Array {
  return flattenToHost(vars);
}

/**
 * Sets the variables from a flat vector. Assigns fresh tensors (never writes in place: wasm's
 * matMul caches packed weights by tensor id, docs/engine.md).
 */
export function setFlatParams(vars: readonly Variable[], flat: ArrayLike<number>): void {
  tf.tidy(() => {
    const parts = unflatten(flat, vars);
    vars.forEach((v, i) => v.assign(parts[i]));
  });
}

/** Gradients of `f` at the current values of `xs`, zeros where `f` does not depend on an x. */
function gradientsOrZeros(f: () => Scalar, xs: readonly Tensor[]): Tensor[] {
  const { grads } = tf.engine().gradients(f, xs as Tensor[], undefined, true);
  return xs.map((x, i) => (grads[i] as Tensor | undefined) ?? tf.zerosLike(x));
}

/** ∇f at the current `xs` as a flat host vector, and f. */
export function flatGradient(f: () => Scalar, xs: readonly Tensor[]): { value: number; grad: Float32Array } {
  let value = 0;
  const flat = tf.tidy(() => {
    const { value: y, grads } = tf.engine().gradients(f, xs as Tensor[], undefined, true);
    value = y.dataSync()[0];
    return concatFlat(xs.map((x, i) => (grads[i] as Tensor | undefined) ?? tf.zerosLike(x)));
  });
  const grad = new Float32Array(flat.dataSync() as Float32Array);
  flat.dispose();
  return { value, grad };
}

function concatFlat(ts: readonly Tensor[]): Tensor {
  const parts = ts.map((t) => (t.rank === 1 ? t : tf.reshape(t, [-1])));
  return parts.length === 1 ? parts[0] : tf.concat(parts);
}

/**
 * H·v with H = ∇²f at the current `xs`, as tensors shaped like `xs` (the caller disposes them or
 * calls this inside `tf.tidy`). Nested reverse mode: the gradient of g(θ) = ∇f(θ)·v, with v held
 * constant (Pearlmutter 1994). Costs about two backward passes of f; f is re-run each call.
 */
export function hessianVectorProductTensors(f: () => Scalar, xs: readonly Tensor[], v: readonly Tensor[]): Tensor[] {
  if (v.length !== xs.length) throw new Error(`hessianVectorProduct: ${v.length} vector parts for ${xs.length} tensors`);
  return tf.tidy(() =>
    gradientsOrZeros(() => {
      const g = tf.engine().gradients(f, xs as Tensor[], undefined, true).grads as (Tensor | undefined)[];
      const terms: Tensor[] = [];
      g.forEach((gi, i) => {
        if (gi) terms.push(tf.sum(tf.mul(gi, v[i])));
      });
      // f independent of every x: H = 0 (the outer gradient then finds no path and gives zeros).
      if (terms.length === 0) return tf.scalar(0);
      return (terms.length === 1 ? terms[0] : tf.addN(terms)) as Scalar;
    }, xs),
  );
}

/**
 * H·v with H = ∇²f at the current `xs`, v and the result flat host vectors (v may also be given
 * as tensors shaped like `xs`). Leaves no tensors behind.
 */
export function hessianVectorProduct(f: () => Scalar, xs: readonly Tensor[], v: ArrayLike<number> | readonly Tensor[]): Float32Array {
  const flat = tf.tidy(() => {
    const parts = isTensorList(v) ? v : unflatten(v, xs);
    return concatFlat(hessianVectorProductTensors(f, xs, parts));
  });
  const out = new Float32Array(flat.dataSync() as Float32Array);
  flat.dispose();
  return out;
}

function isTensorList(v: ArrayLike<number> | readonly Tensor[]): v is readonly Tensor[] {
  return v.length > 0 && v[0] instanceof tf.Tensor;
}

/**
 * Fisher-vector product F·v for natural gradients. `meanKl` must return the mean over states of
 * KL(π_old(·|s) ‖ π_θ(·|s)) with π_old's outputs held constant (computed outside, or on tensors
 * that are not among `xs`); at θ = θ_old its Hessian is the Fisher information matrix (Schulman
 * et al. 2015, Appendix C), so this is its Hessian-vector product. Damping (F + λI) is applied by
 * `conjugateGradient`, not here.
 */
export function fisherVectorProduct(meanKl: () => Scalar, xs: readonly Tensor[], v: ArrayLike<number> | readonly Tensor[]): Float32Array {
  return hessianVectorProduct(meanKl, xs, v);
}

export interface ConjugateGradientOptions {
  /** Maximum iterations (TRPO: 10). */
  iterations?: number;
  /** λ in (A + λI)x = b (TRPO's cg_damping: 0.1). */
  damping?: number;
  /** Stop once the squared residual ‖b − (A + λI)x‖² falls below this (modular_rl: 1e-10). */
  residualTolerance?: number;
}

export interface ConjugateGradientResult {
  /** The approximate solution. */
  x: Float64Array;
  /** Products A·p computed. */
  iterations: number;
  /** ‖r‖² at the end (the recurrence's residual, not recomputed). */
  residualNorm2: number;
  /** True if an iteration found pᵀ(A + λI)p ≤ 0 (or NaN) and stopped there: A + λI is not SPD. */
  indefinite: boolean;
  /**
   * xᵀ(A + λI)x without another product: (A + λI)x = b − r, so xᵀ(A + λI)x = xᵀ(b − r) with the
   * recurrence's residual r (TRPO's sᵀFs for the step length β = √(2δ / sᵀFs)).
   */
  xAx: number;
}

/**
 * Solves (A + λI) x = b by conjugate gradients from x = 0, for symmetric positive-definite A given
 * only as a product `ap(p) = A·p` (e.g. a Fisher-vector product). Host side, float64. The loop is
 * modular_rl's `cg` (Schulman et al. 2015, Appendix C: 10 iterations, damping 0.1), with the
 * damping folded in here and a guard that stops on a non-positive curvature pᵀ(A + λI)p.
 */
export function conjugateGradient(
  ap: (p: Float64Array) => ArrayLike<number>,
  b: ArrayLike<number>,
  options: ConjugateGradientOptions = {},
): ConjugateGradientResult {
  const { iterations = 10, damping = 0.1, residualTolerance = 1e-10 } = options;
  const n = b.length;
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  const p = Float64Array.from(b);
  let rr = dot(r, r);
  let done = 0;
  let indefinite = false;
  while (done < iterations && rr >= residualTolerance) {
    const apRaw = ap(p);
    if (apRaw.length !== n) throw new Error(`conjugateGradient: the product returned ${apRaw.length} elements, expected ${n}`);
    done += 1;
    const z = new Float64Array(n);
    let pz = 0;
    for (let j = 0; j < n; j++) {
      z[j] = apRaw[j] + damping * p[j];
      pz += p[j] * z[j];
    }
    if (!(pz > 0)) {
      indefinite = true;
      break;
    }
    const alpha = rr / pz;
    for (let j = 0; j < n; j++) {
      x[j] += alpha * p[j];
      r[j] -= alpha * z[j];
    }
    const rrNext = dot(r, r);
    const beta = rrNext / rr;
    for (let j = 0; j < n; j++) p[j] = r[j] + beta * p[j];
    rr = rrNext;
  }
  let xAx = 0;
  for (let j = 0; j < n; j++) xAx += x[j] * (b[j] - r[j]);
  return { x, iterations: done, residualNorm2: rr, indefinite, xAx };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}
