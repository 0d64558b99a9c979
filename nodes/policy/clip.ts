import { defineBlock } from '../../engine/block.ts';
import { choice, num } from '../../engine/params.ts';
import { tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';

export const clip = defineBlock({
  type: 'policy.clip',
  category: 'Policy',
  title: 'Clip ratio',
  role: 'op',
  doc: {
    summary:
      "Clips the importance ratio to [1 − ε, 1 + ε]. Feeding it to the surrogate's clipped input gives PPO-clip; removing this block gives the unclipped surrogate. Also reports the fraction of samples that were clipped.",
    formula: '\\operatorname{clip}(r_t(\\theta),\\ 1-\\epsilon,\\ 1+\\epsilon)',
    reference: 'Schulman et al. 2017, "Proximal Policy Optimization Algorithms", eq. 7',
  },
  params: {
    epsilon: num({ default: 0.2, min: 0, max: 1, help: 'Clip range ε.', live: true }),
    schedule: choice({ options: ['constant', 'linear'], default: 'constant', help: '"linear": ε_k = ε·(1 − fraction of steps done).' }),
  },
  inputs: [{ name: 'ratio', type: 'Tensor', doc: 'r_t(θ) [B].' }],
  outputs: [
    { name: 'clipped', type: 'Tensor', doc: 'clip(r_t, 1−ε, 1+ε) [B].' },
    { name: 'clipFraction', type: 'Scalar', doc: 'Fraction of samples with |r_t − 1| > ε.' },
  ],
  create(_ctx, params) {
    let base = params.epsilon;
    let factor = 1;
    return {
      run(inputs) {
        const epsilon = base * factor;
        const r = tensorIn(inputs, 'ratio');
        const clipped = tf.clipByValue(r, 1 - epsilon, 1 + epsilon);
        const clipFraction = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(r, 1)), epsilon), 'float32'));
        return { clipped, clipFraction };
      },
      endIteration({ progress }) {
        if (params.schedule === 'linear') factor = Math.max(0, 1 - progress);
      },
      setParam(name, value) {
        if (name === 'epsilon') base = value as number;
      },
      saveState: () => ({ base, factor }),
      loadState(state) {
        ({ base, factor } = state as { base: number; factor: number });
      },
    };
  },
});
