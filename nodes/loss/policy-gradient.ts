import { defineBlock } from '../../engine/block.ts';
import { tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';

export const policyGradient = defineBlock({
  type: 'loss.policyGradient',
  category: 'Losses',
  title: 'Policy-gradient objective',
  role: 'op',
  doc: {
    summary:
      'Score-function (likelihood-ratio) objective whose gradient is the policy gradient: log π weighted by Ψ_t (returns-to-go for REINFORCE, advantages for actor-critic). To maximise: give it a negative weight in the loss sum.',
    formula: 'J(\\theta) = \\hat{\\mathbb E}_t\\big[\\log\\pi_\\theta(a_t\\mid s_t)\\,\\Psi_t\\big],\\quad \\nabla_\\theta J = \\hat{\\mathbb E}_t[\\nabla_\\theta\\log\\pi_\\theta(a_t\\mid s_t)\\Psi_t]',
    reference: 'Williams 1992 (REINFORCE); Sutton et al. 2000, "Policy Gradient Methods for RL with Function Approximation"',
  },
  params: {},
  inputs: [
    { name: 'logp', type: 'Tensor', doc: 'log π_θ(a_t|s_t) [B].' },
    { name: 'weights', type: 'Tensor', doc: 'Ψ_t [B]: returns-to-go or advantages (constant).' },
  ],
  outputs: [{ name: 'objective', type: 'Scalar', doc: 'J(θ), to maximise.' }],
  create() {
    return {
      run(inputs) {
        return { objective: tf.mean(tf.mul(tensorIn(inputs, 'logp'), tensorIn(inputs, 'weights'))) };
      },
    };
  },
});
