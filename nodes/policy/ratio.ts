import { defineBlock } from '../../engine/block.ts';
import { tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';

export const ratio = defineBlock({
  type: 'policy.ratio',
  category: 'Policy',
  title: 'Importance ratio',
  role: 'op',
  doc: {
    summary:
      'Per-step likelihood ratio between the current policy and the policy that collected the data. Also reports the approximate KL divergence E[(r − 1) − log r] (Schulman 2020 estimator k3).',
    formula: 'r_t(\\theta) = \\frac{\\pi_\\theta(a_t\\mid s_t)}{\\pi_{\\theta_\\text{old}}(a_t\\mid s_t)} = e^{\\log\\pi_\\theta - \\log\\pi_{\\theta_\\text{old}}}',
    reference: 'Schulman et al. 2017, "Proximal Policy Optimization Algorithms", eq. 6',
  },
  params: {},
  inputs: [
    { name: 'logp', type: 'Tensor', doc: 'log π_θ(a_t|s_t) [B].' },
    { name: 'logpOld', type: 'Tensor', doc: 'log π_old(a_t|s_t) [B] (constant).' },
  ],
  outputs: [
    { name: 'ratio', type: 'Tensor', doc: 'r_t(θ) [B].' },
    { name: 'approxKL', type: 'Scalar', doc: 'Estimate of KL(π_old ‖ π_θ), no gradient.' },
  ],
  create() {
    return {
      run(inputs) {
        const logRatio = tf.sub(tensorIn(inputs, 'logp'), tensorIn(inputs, 'logpOld'));
        const r = tf.exp(logRatio);
        const approxKL = tf.mean(tf.sub(tf.sub(r, 1), logRatio));
        return { ratio: r, approxKL };
      },
    };
  },
});
