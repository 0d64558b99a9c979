import { defineBlock } from '../../engine/block.ts';
import { conjugateGradient } from '../../engine/hvp.ts';
import { int, num } from '../../engine/params.ts';
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
  setFlatParams,
  STEP_OUTPUTS,
  subsampleRows,
  surrogateGradient,
} from './second-order.ts';

export const trpo = defineBlock({
  type: 'opt.trpo',
  category: 'Optimizers',
  title: 'Trust region (TRPO)',
  role: 'optimizer',
  doc: {
    summary:
      'Trust Region Policy Optimization step: maximises the surrogate L(θ) subject to mean KL(π_θold ‖ π_θ) ≤ δ. (1) g = ∇L; (2) conjugate gradient with a fixed number of iterations on Fisher-vector products (nested gradients of the KL input) gives s ≈ F⁻¹g; (3) the maximal step to the KL boundary of the quadratic model, β = √(2δ / sᵀFs); (4) backtracking line search θ + αʲβs, α = backtrack coefficient, accepting the first candidate whose surrogate improves and whose exact mean KL is ≤ δ; if none does, θ is kept. Run it once per iteration (θ = θ_old: the KL Hessian is then the Fisher matrix). Fit the value function with its own optimizer.',
    formula:
      '\\max_\\theta L_{\\theta_\\text{old}}(\\theta)\\ \\text{s.t.}\\ \\overline{D}_\\text{KL}(\\theta_\\text{old},\\theta)\\le\\delta:\\quad s = F^{-1}g\\ (\\text{CG}),\\ \\ \\beta = \\sqrt{2\\delta / s^\\top F s},\\ \\ \\theta \\leftarrow \\theta_\\text{old} + \\alpha^j \\beta s',
    reference:
      'Schulman et al. 2015, "Trust Region Policy Optimization", §6 and Appendix C; defaults from OpenAI Spinning Up / rllab (δ 0.01, 10 CG iterations, damping 0.1, backtracking 0.8 × 10)',
  },
  params: {
    delta: num({ default: 0.01, min: 0, max: 10, exclusiveMin: true, scale: 'log', help: 'δ, the trust-region radius (mean KL).', live: true }),
    cgIterations: int({ default: 10, min: 1, max: 1000, help: 'Conjugate-gradient iterations (Fisher-vector products) per step.' }),
    damping: num({ default: 0.1, min: 0, max: 100, help: 'λ: CG solves (F + λI)s = g.' }),
    fvpFraction: fvpFractionParam,
    backtrackCoeff: num({ default: 0.8, min: 0, max: 1, exclusiveMin: true, help: 'α: each backtrack shrinks the step by this factor.' }),
    backtrackIters: int({ default: 10, min: 1, max: 100, help: 'Candidates tried (full step first) before θ is kept.' }),
  },
  inputs: SECOND_ORDER_INPUTS,
  outputs: [
    ...STEP_OUTPUTS,
    { name: 'backtracks', type: 'Scalar', doc: 'Backtracks j of the accepted step (= backtrackIters when none was accepted).' },
    { name: 'accepted', type: 'Scalar', doc: '1 when a step was accepted, 0 when θ was kept.' },
  ],
  create(ctx, params) {
    const vars = policyVariables(ctx.resources);
    const timer = new PhaseTimer();
    const rng = ctx.rng('fvp-subsample');
    let delta = params.delta;
    const { cgIterations, damping, backtrackCoeff, backtrackIters } = params;
    return {
      optimize(_lossFn, _inputs, _tick, optCtx) {
        const opt = requireContext(optCtx, ctx.nodeId);
        const theta = getFlatParams(vars);
        const { value: l0, grad } = timer.time('gradient', () => surrogateGradient(opt, vars, ctx.nodeId));
        const gradNorm = Math.sqrt(dot(grad, grad));
        const none = { klAfter: 0, stepLength: 0, improvement: 0, gradNorm, backtracks: backtrackIters, accepted: 0 };
        if (gradNorm === 0) return scalars(none);
        const fvp = klFisherProduct(opt, vars, subsampleRows(opt.rowCount(['kl']), params.fvpFraction, rng));
        const { s, sFs } = timer.time('cg', () => {
          const cg = conjugateGradient(fvp, grad, { iterations: cgIterations, damping });
          // sᵀ(F + λI)s with the same damped matrix CG inverted (Spinning Up, modular_rl), from
          // the CG recurrence instead of one more Fisher-vector product.
          return { s: cg.x, sFs: cg.xAx };
        });
        if (!(sFs > 0)) return scalars(none);
        const beta = Math.sqrt((2 * delta) / sFs);
        return timer.time('lineSearch', () => {
          for (let j = 0; j < backtrackIters; j++) {
            const candidate = axpy(theta, backtrackCoeff ** j * beta, s);
            const { surrogate, kl } = evaluateAt(opt, vars, candidate);
            if (kl <= delta && surrogate > l0) {
              return scalars({ klAfter: kl, stepLength: distance(candidate, theta), improvement: surrogate - l0, gradNorm, backtracks: j, accepted: 1 });
            }
          }
          setFlatParams(vars, theta);
          return scalars(none);
        });
      },
      iterationMetrics: () => timer.take(ctx.nodeId),
      setParam(name, value) {
        if (name === 'delta') delta = value as number;
      },
      saveState: () => ({ delta, rng: rng.getState() }),
      loadState(state) {
        const st = state as { delta: number; rng: ReturnType<typeof rng.getState> };
        delta = st.delta;
        rng.setState(st.rng);
      },
    };
  },
});
