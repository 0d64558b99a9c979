import { defineBlock } from '../../engine/block.ts';
import { tf } from '../../engine/tf.ts';
import { optionalTensorIn, tensorIn } from '../util.ts';

export const surrogate = defineBlock({
  type: 'loss.surrogate',
  category: 'Losses',
  title: 'Surrogate objective',
  role: 'op',
  doc: {
    summary:
      'Importance-sampled policy objective (to maximise: give it a negative weight in the loss sum). With a clipped ratio connected it is the pessimistic PPO-clip objective min(r·Â, clip(r)·Â); without, the plain surrogate r·Â of conservative policy iteration / TRPO.',
    formula:
      'L^{\\text{CLIP}}(\\theta) = \\hat{\\mathbb E}_t\\big[\\min\\big(r_t(\\theta)\\hat A_t,\\ \\operatorname{clip}(r_t(\\theta), 1-\\epsilon, 1+\\epsilon)\\hat A_t\\big)\\big]',
    reference: 'Schulman et al. 2017, "Proximal Policy Optimization Algorithms", eq. 7; Kakade & Langford 2002 (CPI)',
  },
  params: {},
  inputs: [
    { name: 'ratio', type: 'Tensor', doc: 'r_t(θ) [B].' },
    { name: 'clipped', type: 'Tensor', doc: 'Clipped ratio [B]; omit for the unclipped surrogate.', optional: true },
    { name: 'advantages', type: 'Tensor', doc: 'Â_t [B] (constant).' },
  ],
  outputs: [{ name: 'objective', type: 'Scalar', doc: 'L(θ), to maximise.' }],
  create() {
    return {
      run(inputs) {
        const adv = tensorIn(inputs, 'advantages');
        const unclipped = tf.mul(tensorIn(inputs, 'ratio'), adv);
        const clippedRatio = optionalTensorIn(inputs, 'clipped');
        const perSample = clippedRatio ? tf.minimum(unclipped, tf.mul(clippedRatio, adv)) : unclipped;
        return { objective: tf.mean(perSample) };
      },
    };
  },
});
