import { defineBlock, type ModuleResource } from '../../engine/block.ts';
import { num } from '../../engine/params.ts';
import { tf } from '../../engine/tf.ts';
import { optionalTensorIn, tensorIn } from '../util.ts';

export const valueLoss = defineBlock({
  type: 'loss.value',
  category: 'Losses',
  title: 'Value loss',
  role: 'op',
  doc: {
    summary:
      'Squared error between V_φ(s_t) and its target (e.g. GAE returns). With clip > 0 and the old values connected, the PPO-style clipped variant: the larger of the unclipped and clipped errors.',
    formula:
      'L^V(\\phi) = \\tfrac12\\hat{\\mathbb E}_t\\big[\\max\\big((V_\\phi(s_t) - \\hat R_t)^2,\\ (V_\\text{old} + \\operatorname{clip}(V_\\phi - V_\\text{old}, -\\epsilon, \\epsilon) - \\hat R_t)^2\\big)\\big]',
    reference: 'Mnih et al. 2016 (A3C); clipped form from the OpenAI baselines PPO2 implementation',
  },
  params: {
    clip: num({ default: 0, min: 0, max: 100, help: 'Value clip range ε_V; 0 = unclipped.' }),
  },
  inputs: [
    { name: 'value', type: 'Module', doc: 'V_φ.' },
    { name: 'obs', type: 'Tensor', doc: 'States s_t [B, d].' },
    { name: 'returns', type: 'Tensor', doc: 'Targets R̂_t [B] (constant).' },
    { name: 'oldValues', type: 'Tensor', doc: 'V_old(s_t) [B], needed when clip > 0.', optional: true },
  ],
  outputs: [{ name: 'loss', type: 'Scalar', doc: 'L^V(φ), to minimise.' }],
  create(_ctx, params) {
    return {
      run(inputs) {
        const module = inputs.value as ModuleResource;
        const v = module.apply(tensorIn(inputs, 'obs'));
        const target = tensorIn(inputs, 'returns');
        const unclipped = tf.square(tf.sub(v, target));
        const old = optionalTensorIn(inputs, 'oldValues');
        if (params.clip > 0 && !old) throw new Error('clip > 0 needs the oldValues input');
        if (params.clip > 0 && old) {
          const vClipped = tf.add(old, tf.clipByValue(tf.sub(v, old), -params.clip, params.clip));
          const clipped = tf.square(tf.sub(vClipped, target));
          return { loss: tf.mul(0.5, tf.mean(tf.maximum(unclipped, clipped))) };
        }
        return { loss: tf.mul(0.5, tf.mean(unclipped)) };
      },
    };
  },
});
