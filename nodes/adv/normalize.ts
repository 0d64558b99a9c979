import { defineBlock } from '../../engine/block.ts';
import { num } from '../../engine/params.ts';
import { hostView } from '../../engine/host-memory.ts';
import { tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';

export const normalize = defineBlock({
  type: 'adv.normalize',
  category: 'Advantages',
  title: 'Normalize',
  role: 'op',
  doc: {
    summary:
      'Standardises a per-sample tensor (usually advantages) to zero mean and unit variance over the batch it receives: per minibatch when placed after the minibatch loop, per iteration before it. Uses the unbiased standard deviation.',
    formula: '\\tilde A_i = \\frac{\\hat A_i - \\operatorname{mean}(\\hat A)}{\\operatorname{std}(\\hat A) + \\epsilon}',
    reference: 'Common PPO implementation detail; Engstrom et al. 2020, "Implementation Matters in Deep Policy Gradients"',
  },
  params: {
    epsilon: num({ default: 1e-8, min: 0, max: 1, help: 'Added to the standard deviation.' }),
  },
  inputs: [{ name: 'x', type: 'Tensor', doc: 'Per-sample values [B].' }],
  outputs: [{ name: 'out', type: 'Tensor', doc: 'Standardised values [B].' }],
  create(_ctx, params) {
    return {
      run(inputs, tick) {
        const x = tensorIn(inputs, 'x');
        const n = x.size;
        const host = tick.differentiating ? null : hostView(x);
        if (host) {
          // A constant (outside any gradient): one host pass instead of eight kernels.
          let mean = 0;
          for (let i = 0; i < n; i++) mean += host[i];
          mean /= n;
          let squares = 0;
          for (let i = 0; i < n; i++) squares += (host[i] - mean) ** 2;
          const scale = 1 / (Math.sqrt(squares / Math.max(1, n - 1)) + params.epsilon);
          const out = new Float32Array(n);
          for (let i = 0; i < n; i++) out[i] = (host[i] - mean) * scale;
          return { out: tf.tensor(out, x.shape) };
        }
        const mean = tf.mean(x);
        const centered = tf.sub(x, mean);
        const variance = tf.div(tf.sum(tf.square(centered)), Math.max(1, n - 1));
        return { out: tf.div(centered, tf.add(tf.sqrt(variance), params.epsilon)) };
      },
    };
  },
});
