import { defineBlock, type PolicyResource } from '../../engine/block.ts';
import { tf } from '../../engine/tf.ts';
import { policyOutput, tensorIn } from '../util.ts';

export const entropy = defineBlock({
  type: 'loss.entropy',
  category: 'Losses',
  title: 'Entropy bonus',
  role: 'op',
  doc: {
    summary: 'Mean entropy of the policy over the given states. Give it a negative weight (−c₂) in the loss sum to encourage exploration.',
    formula: 'S[\\pi_\\theta](s_t) = -\\sum_a \\pi_\\theta(a\\mid s_t)\\log\\pi_\\theta(a\\mid s_t)',
    reference: 'Williams & Peng 1991; Mnih et al. 2016 (A3C); Schulman et al. 2017 (PPO), eq. 9',
  },
  params: {},
  inputs: [
    { name: 'policy', type: 'Policy', doc: 'π_θ.' },
    { name: 'obs', type: 'Tensor', doc: 'States s_t [B, d].' },
  ],
  outputs: [{ name: 'entropy', type: 'Scalar', doc: 'Ê_t[S[π_θ](s_t)].' }],
  create() {
    return {
      run(inputs, tick) {
        const policy = inputs.policy as PolicyResource;
        const out = policyOutput(policy, tensorIn(inputs, 'obs'), tick);
        return { entropy: tf.mean(policy.entropy(out)) };
      },
    };
  },
});
