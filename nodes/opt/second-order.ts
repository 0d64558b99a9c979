/**
 * Shared machinery of the natural-gradient optimizers (opt.naturalGradient, opt.tnpg, opt.trpo):
 * their ports, the surrogate gradient and Fisher-vector products through the engine's
 * differentiable cones (OptimizeContext.evaluate), evaluation at candidate parameters, and the
 * per-phase timers reported in metrics.jsonl.
 *
 * Conventions (Schulman et al. 2015): the optimizer MAXIMISES the surrogate L(θ) (its
 * `surrogate` input, e.g. loss.surrogate's objective) subject to the mean KL(π_θold ‖ π_θ) (its
 * `kl` input, policy.kl's meanKL), whose Hessian at θ = θ_old is the Fisher matrix F.
 */
import type { ModuleResource, OptimizeContext, PortDef } from '../../engine/block.ts';
import { NonFiniteError } from '../../engine/executor.ts';
import { fisherVectorProduct, flatGradient, getFlatParams, setFlatParams } from '../../engine/hvp.ts';
import { num } from '../../engine/params.ts';
import type { Rng } from '../../engine/rng.ts';
import { type Scalar, type Tensor, tf, type Variable } from '../../engine/tf.ts';
import { ownedVariables } from './adam.ts';

export const SECOND_ORDER_INPUTS: PortDef[] = [
  { name: 'surrogate', type: 'Scalar', doc: 'L(θ), the surrogate objective to maximise (e.g. loss.surrogate).', differentiable: true },
  { name: 'kl', type: 'Scalar', doc: 'Mean KL(π_θold ‖ π_θ) over the batch (policy.kl meanKL); its Hessian at θ_old is F.', differentiable: true },
  { name: 'modules', type: 'Module', doc: 'The policy whose variables this optimizer owns.', multi: true },
];

export const STEP_OUTPUTS: PortDef[] = [
  { name: 'klAfter', type: 'Scalar', doc: 'Mean KL(π_θold ‖ π_θ) after the step (0 when the step was rejected).' },
  { name: 'stepLength', type: 'Scalar', doc: '‖θ_new − θ‖₂, the length of the step taken.' },
  { name: 'improvement', type: 'Scalar', doc: 'L(θ_new) − L(θ), the surrogate improvement of the step taken.' },
  { name: 'gradNorm', type: 'Scalar', doc: '‖g‖₂, g = ∇L(θ).' },
];

export function requireContext(opt: OptimizeContext | undefined, nodeId: string): OptimizeContext {
  if (!opt || !opt.ports.includes('surrogate') || !opt.ports.includes('kl')) {
    throw new Error(`${nodeId}: needs the engine's optimize context with the surrogate and kl inputs`);
  }
  return opt;
}

export function policyVariables(resources: Record<string, unknown>): Variable[] {
  const modules = ([] as ModuleResource[]).concat((resources.modules as ModuleResource[] | undefined) ?? []);
  return ownedVariables(modules);
}

/** Seconds spent in each phase during the current iteration (reported and reset by `take`). */
export class PhaseTimer {
  private readonly seconds = new Map<string, number>();
  time<T>(phase: string, fn: () => T): T {
    const start = performance.now();
    try {
      return fn();
    } finally {
      this.seconds.set(phase, (this.seconds.get(phase) ?? 0) + (performance.now() - start) / 1000);
    }
  }
  take(prefix: string): Record<string, number> {
    const out = Object.fromEntries([...this.seconds].map(([phase, s]) => [`${prefix}.${phase}Seconds`, s]));
    this.seconds.clear();
    return out;
  }
}

/** g = ∇_θ L(θ) as a flat host vector, and L(θ). Throws NonFiniteError on NaN/Inf. */
export function surrogateGradient(opt: OptimizeContext, vars: Variable[], nodeId: string): { value: number; grad: Float32Array } {
  const result = flatGradient(() => opt.evaluate(['surrogate']).surrogate as Scalar, vars);
  if (!Number.isFinite(result.value)) throw new NonFiniteError('loss', nodeId);
  for (let i = 0; i < result.grad.length; i++) if (!Number.isFinite(result.grad[i])) throw new NonFiniteError('gradient', nodeId);
  return result;
}

/**
 * v ↦ F·v, the Hessian of the `kl` input at the variables' current values, times v; on the
 * batch rows `rows` only when given (a subsampled Fisher).
 */
export function klFisherProduct(opt: OptimizeContext, vars: Variable[], rows?: Int32Array): (v: ArrayLike<number>) => Float32Array {
  const options = rows ? { rows } : {};
  return (v) => fisherVectorProduct(() => opt.evaluate(['kl'], options).kl as Scalar, vars, v);
}

/** Param of TRPO/TNPG: the fraction of the batch's states the Fisher-vector products use. */
export const fvpFractionParam = num({
  default: 1,
  min: 0,
  max: 1,
  exclusiveMin: true,
  help: 'Fraction of the batch (random states, drawn afresh each step) on which Fisher-vector products are computed; 1 = all. The TRPO paper uses 0.1: F is only a metric, the line search still checks the exact KL on every state.',
});

/**
 * A fresh random subset of ⌈fraction·n⌉ distinct rows of a batch of `n` (sorted), or undefined
 * for all rows (fraction 1 or no batch).
 */
export function subsampleRows(n: number | undefined, fraction: number, rng: Rng): Int32Array | undefined {
  if (n === undefined || fraction >= 1) return undefined;
  const m = Math.max(1, Math.min(n, Math.ceil(fraction * n)));
  if (m >= n) return undefined;
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  // Partial Fisher–Yates: the first m entries are a uniform sample without replacement.
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.slice(0, m).sort();
}

/** L and mean KL at θ = `theta` (sets the variables; no gradient). */
export function evaluateAt(opt: OptimizeContext, vars: Variable[], theta: ArrayLike<number>): { surrogate: number; kl: number } {
  setFlatParams(vars, theta);
  const both = tf.tidy(() => {
    const { surrogate, kl } = opt.evaluate(['surrogate', 'kl']);
    return tf.stack([tf.reshape(surrogate, []), tf.reshape(kl, [])]);
  });
  const [surrogate, kl] = both.dataSync();
  both.dispose();
  return { surrogate, kl };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** θ + α·x as float32 (the variables' precision). */
export function axpy(theta: Float32Array, alpha: number, x: ArrayLike<number>): Float32Array {
  const out = new Float32Array(theta.length);
  for (let i = 0; i < theta.length; i++) out[i] = theta[i] + alpha * x[i];
  return out;
}

export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

export { getFlatParams, setFlatParams };

/** The block's Scalar outputs from host numbers. */
export function scalars(values: Record<string, number>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, tf.scalar(v)]));
}
