import { defineBlock } from '../../engine/block.ts';
import { conjugateGradient } from '../../engine/hvp.ts';
import { choice, int, num } from '../../engine/params.ts';
import {
  axpy,
  distance,
  dot,
  evaluateAt,
  fvpFractionParam,
  getFlatParams,
  klFisherProduct,
  PhaseTimer,
  policyVariables,
  requireContext,
  scalars,
  SECOND_ORDER_INPUTS,
  STEP_OUTPUTS,
  subsampleRows,
  surrogateGradient,
} from './second-order.ts';

export const tnpg = defineBlock({
  type: 'opt.tnpg',
  category: 'Optimizers',
  title: 'Truncated natural gradient (TNPG)',
  role: 'optimizer',
  doc: {
    summary:
      'Truncated Natural Policy Gradient: the natural-gradient direction x ≈ F⁻¹g from a fixed number of conjugate-gradient iterations on Fisher-vector products (nested gradients of the KL input; F is never formed), then one step of fixed size: by default the natural step to the KL radius of the quadratic model, α = √(2δ / xᵀFx), or a fixed learning rate. No line search (that is TRPO). Run it once per iteration (θ = θ_old). Fit the value function with its own optimizer.',
    formula:
      'x = \\operatorname{CG}_K(F, g) \\approx F^{-1} g,\\qquad \\theta \\leftarrow \\theta + \\alpha x,\\quad \\alpha = \\sqrt{\\frac{2\\delta}{x^\\top F x}}\\ \\text{(or a fixed } \\alpha)',
    reference:
      'Duan et al. 2016, "Benchmarking Deep Reinforcement Learning for Continuous Control" (TNPG, rllab); Schulman et al. 2015, Appendix C (CG with Fisher-vector products)',
  },
  params: {
    delta: num({ default: 0.01, min: 0, max: 10, exclusiveMin: true, scale: 'log', help: 'δ: the step is scaled so that ½ xᵀFx α² = δ (stepRule "kl").', live: true }),
    cgIterations: int({ default: 10, min: 1, max: 1000, help: 'K: conjugate-gradient iterations (the truncation).' }),
    damping: num({ default: 0.1, min: 0, max: 100, help: 'λ: CG solves (F + λI)x = g.' }),
    fvpFraction: fvpFractionParam,
    stepRule: choice({ options: ['kl', 'fixed'], default: 'kl', help: '"kl": α = √(2δ / xᵀFx); "fixed": α = lr.' }),
    lr: num({ default: 0.1, min: 0, max: 100, exclusiveMin: true, help: 'α for stepRule "fixed".', live: true }),
  },
  inputs: SECOND_ORDER_INPUTS,
  outputs: STEP_OUTPUTS,
  create(ctx, params) {
    const vars = policyVariables(ctx.resources);
    const timer = new PhaseTimer();
    const rng = ctx.rng('fvp-subsample');
    let { delta, lr } = params;
    const { cgIterations, damping, stepRule } = params;
    return {
      optimize(_lossFn, _inputs, _tick, optCtx) {
        const opt = requireContext(optCtx, ctx.nodeId);
        const theta = getFlatParams(vars);
        const { value: l0, grad } = timer.time('gradient', () => surrogateGradient(opt, vars, ctx.nodeId));
        const gradNorm = Math.sqrt(dot(grad, grad));
        if (gradNorm === 0) return scalars({ klAfter: 0, stepLength: 0, improvement: 0, gradNorm });
        const fvp = klFisherProduct(opt, vars, subsampleRows(opt.rowCount(['kl']), params.fvpFraction, rng));
        const alphaAndX = timer.time('cg', () => {
          const { x, xAx } = conjugateGradient(fvp, grad, { iterations: cgIterations, damping });
          if (stepRule === 'fixed') return { x, alpha: lr };
          // xᵀ(F + λI)x from the CG recurrence (no extra Fisher-vector product).
          return { x, alpha: xAx > 0 ? Math.sqrt((2 * delta) / xAx) : 0 };
        });
        const next = axpy(theta, alphaAndX.alpha, alphaAndX.x);
        const after = timer.time('step', () => evaluateAt(opt, vars, next));
        return scalars({ klAfter: after.kl, stepLength: distance(next, theta), improvement: after.surrogate - l0, gradNorm });
      },
      iterationMetrics: () => timer.take(ctx.nodeId),
      setParam(name, value) {
        if (name === 'delta') delta = value as number;
        if (name === 'lr') lr = value as number;
      },
      saveState: () => ({ delta, lr, rng: rng.getState() }),
      loadState(state) {
        const st = state as { delta: number; lr: number; rng: ReturnType<typeof rng.getState> };
        ({ delta, lr } = st);
        rng.setState(st.rng);
      },
    };
  },
});
