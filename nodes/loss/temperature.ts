import { defineBlock } from '../../engine/block.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';
import { asRows } from '../value/q.ts';
import { asTemperature } from '../value/soft-state.ts';
import { constantOf } from './bellman.ts';

/** A one-element tensor as a rank-0 scalar (log α may be stored as [] or [1]). */
function asScalar(t: Tensor): Tensor {
  return t.rank === 0 ? t : tf.reshape(t, []);
}

export const temperatureLoss = defineBlock({
  type: 'loss.temperature',
  category: 'Losses',
  title: 'Temperature loss (automatic α)',
  role: 'op',
  doc: {
    summary:
      'SAC\'s automatic entropy tuning: minimising it raises α when the policy\'s entropy −E[log π] is below the target H̄ and lowers it when above. log π is a constant here (fresh actions of the current policy, e.g. policy.action\'s logProb); the gradient reaches log α only, so give this loss its own optimizer owning net.temperature. Written as in CleanRL\'s sac_continuous_action.py (α = exp(log α) times the constant).',
    formula: 'J(\\alpha) = \\hat{\\mathbb E}_{a\\sim\\pi}\\big[-\\alpha\\,\\big(\\log\\pi(a\\mid s) + \\bar{\\mathcal H}\\big)\\big]',
    reference: 'Haarnoja et al. 2018b, "Soft Actor-Critic Algorithms and Applications", eq. 18; CleanRL sac_continuous_action.py',
  },
  params: {},
  inputs: [
    { name: 'temperature', type: 'Module', doc: 'α = exp(log α) (net.temperature); its target entropy H̄.' },
    { name: 'logProb', type: 'Tensor', doc: 'log π(a|s) [B] at a ~ π(·|s) (held constant).' },
  ],
  outputs: [
    { name: 'loss', type: 'Scalar', doc: 'J(α), to minimise (gradient in log α only).' },
    { name: 'alpha', type: 'Scalar', doc: 'Current α.' },
  ],
  create(ctx) {
    return {
      run(inputs, tick) {
        const temperature = asTemperature(inputs.temperature, ctx.nodeId);
        const logProb = asRows(tensorIn(inputs, 'logProb'), "the 'logProb' input");
        // α is a scalar, so mean(−α(log π + H̄)) = −α·mean(log π + H̄): one constant.
        const gap = constantOf(tf.add(tf.mean(logProb), temperature.targetEntropy), tick);
        const alpha = asScalar(temperature.alpha());
        return { loss: tf.neg(tf.mul(alpha, gap)), alpha };
      },
    };
  },
});
