import { defineBlock, type PolicyResource } from '../../engine/block.ts';
import { policyOutput, tensorIn } from '../util.ts';

export const logProb = defineBlock({
  type: 'policy.logProb',
  category: 'Policy',
  title: 'Log-probability',
  role: 'op',
  doc: {
    summary: 'Log-probability of the taken actions under the current policy (differentiable in θ).',
    formula: '\\log \\pi_\\theta(a_t \\mid s_t)',
    reference: 'Score-function gradient: Williams 1992',
  },
  params: {},
  inputs: [
    { name: 'policy', type: 'Policy', doc: 'π_θ.' },
    { name: 'obs', type: 'Tensor', doc: 'States s_t [B, d].' },
    { name: 'actions', type: 'Tensor', doc: 'Actions a_t [B] or [B, k].' },
  ],
  outputs: [{ name: 'logp', type: 'Tensor', doc: 'log π_θ(a_t|s_t) [B].' }],
  create() {
    return {
      run(inputs, tick) {
        const policy = inputs.policy as PolicyResource;
        const out = policyOutput(policy, tensorIn(inputs, 'obs'), tick);
        return { logp: policy.logProb(out, tensorIn(inputs, 'actions')) };
      },
    };
  },
});
