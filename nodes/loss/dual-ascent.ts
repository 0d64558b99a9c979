import { defineBlock } from '../../engine/block.ts';
import { choice, num } from '../../engine/params.ts';
import { tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';
import { KlMeter, MEASURE_HELP } from './kl-penalty.ts';

/** One dual-ascent step on the multiplier of the constraint KL ≤ ε, projected onto λ ≥ 0. Exported for tests. */
export function dualAscentStep(lambda: number, d: number, stepSize: number, epsilon: number): number {
  return Math.max(0, lambda + stepSize * (d - epsilon));
}

export const dualAscent = defineBlock({
  type: 'loss.dualAscent',
  category: 'Losses',
  title: 'Lagrange multiplier (dual ascent)',
  role: 'op',
  doc: {
    summary:
      'The constraint term of the Lagrangian form of the trust-region problem, λ·(KL − ε), with the multiplier λ learned by dual ascent: during an iteration the optimizer maximises the Lagrangian in θ\' with λ fixed (step 1: weight −1 on the surrogate, +1 on this term); at the end of the iteration λ moves along the constraint violation of that iteration\'s KL, and is kept ≥ 0 (step 2). The KL input is the mean KL between the policy that collected the data and the current one (policy.kl against a policy.snapshot). Outputs λ (a metric).',
    formula:
      '\\mathcal L(\\theta\', \\lambda) = \\bar A_\\theta(\\theta\') - \\lambda\\big(\\overline{D}_\\text{KL}(\\theta, \\theta\') - \\epsilon\\big);\\quad 1.\\ \\theta\' \\leftarrow \\arg\\max_{\\theta\'} \\mathcal L(\\theta\', \\lambda),\\quad 2.\\ \\lambda \\leftarrow \\max\\big(0,\\ \\lambda + \\alpha\\,(\\overline{D}_\\text{KL}(\\theta, \\theta\') - \\epsilon)\\big)',
    reference: 'Levine, CS285 lecture 9 (advanced policy gradients), "dual gradient descent"; Boyd & Vandenberghe 2004, ch. 5',
  },
  params: {
    lambda: num({ default: 1, min: 0, max: 1e6, help: 'Initial multiplier λ₀. A live change sets the current λ.', live: true }),
    stepSize: num({ default: 10, min: 0, max: 1e6, help: 'α: dual step size (λ units per unit of KL violation).', live: true }),
    epsilon: num({ default: 0.01, min: 0, max: 10, exclusiveMin: true, help: 'ε: the trust-region bound on the KL.', live: true }),
    measure: choice({ options: ['last', 'mean'], default: 'last', help: MEASURE_HELP }),
  },
  inputs: [{ name: 'kl', type: 'Scalar', doc: 'Mean KL between the new and the old policy over the states (differentiable).' }],
  outputs: [
    { name: 'penalty', type: 'Scalar', doc: 'λ·(KL − ε), to minimise (weight +1 in the loss sum).' },
    { name: 'lambda', type: 'Scalar', doc: 'λ used in this iteration.' },
  ],
  create(_ctx, params) {
    let lambda = params.lambda;
    let stepSize = params.stepSize;
    let epsilon = params.epsilon;
    const meter = new KlMeter();
    return {
      run(inputs) {
        const kl = tensorIn(inputs, 'kl');
        meter.record(kl.dataSync()[0]);
        return { penalty: tf.mul(tf.sub(kl, epsilon), lambda), lambda: tf.scalar(lambda) };
      },
      endIteration() {
        const d = meter.take(params.measure);
        if (d !== undefined && Number.isFinite(d)) lambda = dualAscentStep(lambda, d, stepSize, epsilon);
      },
      setParam(name, value) {
        if (name === 'lambda') lambda = value as number;
        if (name === 'stepSize') stepSize = value as number;
        if (name === 'epsilon') epsilon = value as number;
      },
      saveState: () => ({ lambda, stepSize, epsilon }),
      loadState(state) {
        ({ lambda, stepSize, epsilon } = state as { lambda: number; stepSize: number; epsilon: number });
      },
    };
  },
});
