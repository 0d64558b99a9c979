import { defineBlock, type ModuleResource, type PolicyResource } from '../../engine/block.ts';
import { choice, int, num } from '../../engine/params.ts';
import { tensorIn } from '../util.ts';
import { fisherFromScores } from './fisher.ts';
import {
  axpy,
  distance,
  dot,
  evaluateAt,
  getFlatParams,
  klFisherProduct,
  PhaseTimer,
  policyVariables,
  requireContext,
  scalars,
  SECOND_ORDER_INPUTS,
  STEP_OUTPUTS,
  surrogateGradient,
} from './second-order.ts';

/**
 * The n × n matrix with columns A·eᵢ (row-major, float64), symmetrised: for a Fisher-vector
 * product at θ = θ_old this is the exact Fisher matrix (n products).
 */
export function matrixFromProducts(product: (v: Float64Array) => ArrayLike<number>, n: number): Float64Array {
  const a = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    e.fill(0);
    e[i] = 1;
    const column = product(e);
    for (let r = 0; r < n; r++) a[r * n + i] = column[r];
  }
  for (let r = 0; r < n; r++) {
    for (let c = r + 1; c < n; c++) {
      const m = 0.5 * (a[r * n + c] + a[c * n + r]);
      a[r * n + c] = m;
      a[c * n + r] = m;
    }
  }
  return a;
}

/**
 * Solves (A + λI) x = b for symmetric positive-definite A + λI (row-major n × n, float64) by
 * Cholesky factorisation. Throws if the matrix is not positive definite (damping 0 and a
 * singular Fisher: raise the damping).
 */
export function choleskySolve(a: Float64Array, n: number, b: ArrayLike<number>, damping = 0): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j] + (i === j ? damping : 0);
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(sum > 0)) throw new Error(`the damped Fisher matrix is not positive definite (pivot ${i}: ${sum}); increase the damping`);
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j];
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i * n + k] * y[k];
    y[i] = sum / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * x[k];
    x[i] = sum / l[i * n + i];
  }
  return x;
}

export const naturalGradient = defineBlock({
  type: 'opt.naturalGradient',
  category: 'Optimizers',
  title: 'Natural gradient (exact Fisher)',
  role: 'optimizer',
  doc: {
    summary:
      'Natural policy gradient with the exact Fisher matrix, built explicitly (small networks only: n² entries for n policy parameters): F = E_s E_{a∼π}[∇log π ∇log πᵀ], the expectation over actions taken exactly. "scores" builds it as the average outer product of the score vectors of every state and action (per-state backpropagation through the policy\'s dense layers; needs the states on the obs input); "klHessian" forms the Hessian of the KL input at θ = θ_old column by column from n Fisher-vector products (any differentiable policy; slower). Then (F + λI)x = g is solved exactly (Cholesky) and θ moves by the natural step whose quadratic KL model equals ε. No line search. Run it once per iteration (θ = θ_old). For larger networks use TNPG (CG, F never formed).',
    formula:
      'F = \\hat{\\mathbb E}_s\\,\\mathbb E_{a\\sim\\pi_\\theta}\\big[\\nabla_\\theta\\log\\pi_\\theta(a|s)\\,\\nabla_\\theta\\log\\pi_\\theta(a|s)^\\top\\big],\\quad \\theta \\leftarrow \\theta + \\alpha F^{-1} g,\\quad \\alpha = \\sqrt{\\frac{2\\epsilon}{g^\\top F^{-1} g}}',
    reference: 'Kakade 2002, "A Natural Policy Gradient"; Peters & Schaal 2008, "Natural Actor-Critic"; step size as in Schulman et al. 2015, Appendix C',
  },
  params: {
    epsilon: num({ default: 0.01, min: 0, max: 10, exclusiveMin: true, scale: 'log', help: 'ε: KL size of the step under the quadratic model, ½ αx ᵀF αx = ε.', live: true }),
    damping: num({ default: 0.1, min: 0, max: 100, help: 'λ: solves (F + λI)x = g (F is singular along directions that do not change π).' }),
    fisher: choice({ options: ['scores', 'klHessian'], default: 'scores', help: 'How F is built: outer products of score vectors (dense policies, fast) or n Fisher-vector products of the KL input.' }),
    maxParams: int({ default: 2000, min: 1, max: 20_000, help: 'Refuse policies with more parameters (F has n² entries).' }),
  },
  inputs: [...SECOND_ORDER_INPUTS, { name: 'obs', type: 'Tensor', doc: 'States s [B, d] for the Fisher (fisher "scores").', optional: true }],
  check: (params, sources) => (params.fisher === 'scores' && !sources.obs?.length ? 'fisher "scores" needs the states on the obs input (or use fisher "klHessian")' : null),
  outputs: STEP_OUTPUTS,
  create(ctx, params) {
    const vars = policyVariables(ctx.resources);
    const n = vars.reduce((acc, v) => acc + v.size, 0);
    if (n > params.maxParams) {
      throw new Error(`the policy has ${n} parameters: the exact Fisher matrix would be ${n} × ${n} and cost ${n} Fisher-vector products per step (maxParams ${params.maxParams}); use a smaller network or opt.tnpg`);
    }
    const timer = new PhaseTimer();
    let epsilon = params.epsilon;
    const { damping } = params;
    const modules = ([] as ModuleResource[]).concat((ctx.resources.modules as ModuleResource[] | undefined) ?? []);
    const policy = modules.find((m): m is PolicyResource => m.kind === 'policy');
    if (params.fisher === 'scores' && (!policy || !policy.chain)) {
      throw new Error('fisher "scores" needs a policy made of dense layers (net.mlp + head) on the modules input; use fisher "klHessian"');
    }
    return {
      optimize(_lossFn, inputs, _tick, optCtx) {
        const opt = requireContext(optCtx, ctx.nodeId);
        const theta = getFlatParams(vars);
        const { value: l0, grad } = timer.time('gradient', () => surrogateGradient(opt, vars, ctx.nodeId));
        const gradNorm = Math.sqrt(dot(grad, grad));
        if (gradNorm === 0) return scalars({ klAfter: 0, stepLength: 0, improvement: 0, gradNorm });
        const fisher = timer.time('fisher', () =>
          params.fisher === 'scores' ? fisherFromScores(policy!, tensorIn(inputs, 'obs'), vars) : matrixFromProducts(klFisherProduct(opt, vars), n),
        );
        const x = timer.time('solve', () => choleskySolve(fisher, n, grad, damping));
        const gx = dot(grad, x);
        const alpha = gx > 0 ? Math.sqrt((2 * epsilon) / gx) : 0;
        const next = axpy(theta, alpha, x);
        const after = timer.time('step', () => evaluateAt(opt, vars, next));
        return scalars({ klAfter: after.kl, stepLength: distance(next, theta), improvement: after.surrogate - l0, gradNorm });
      },
      iterationMetrics: () => timer.take(ctx.nodeId),
      setParam(name, value) {
        if (name === 'epsilon') epsilon = value as number;
      },
      saveState: () => ({ epsilon }),
      loadState(state) {
        ({ epsilon } = state as { epsilon: number });
      },
    };
  },
});
