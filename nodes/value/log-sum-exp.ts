import { defineBlock } from '../../engine/block.ts';
import { num } from '../../engine/params.ts';
import { tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';
import { asTemperature } from './soft-state.ts';

export const softValueDiscrete = defineBlock({
  type: 'value.logSumExp',
  category: 'Values',
  title: 'Soft value (log-sum-exp)',
  role: 'op',
  doc: {
    summary:
      'Soft state value of a discrete critic: the temperature-scaled log-sum-exp over actions, a smooth maximum (α → 0 gives max_a Q(s, a), large α the mean plus α log n). Computed with the maximum shifted out, so large Q/α does not overflow. α comes from the temperature input when connected (read as a constant), else from the alpha parameter.',
    formula: 'V(s) = \\alpha \\log \\sum_a \\exp\\big(Q(s, a)/\\alpha\\big)',
    reference: 'Haarnoja et al. 2017, "Reinforcement Learning with Deep Energy-Based Policies" (soft Q-learning), eq. 9',
  },
  params: {
    alpha: num({ default: 1, min: 0, exclusiveMin: true, max: 1000, live: true, scale: 'log', help: 'Temperature α, used when the temperature input is unconnected.' }),
  },
  inputs: [
    { name: 'all', type: 'Tensor', doc: 'Q(s, ·) [B, n] (value.q\'s all).' },
    { name: 'temperature', type: 'Module', doc: 'α (net.temperature); overrides the alpha parameter.', optional: true },
  ],
  outputs: [{ name: 'value', type: 'Tensor', doc: 'V(s) [B].' }],
  create(ctx, params) {
    let alphaParam = params.alpha;
    return {
      run(inputs) {
        const alpha = inputs.temperature === undefined ? alphaParam : asTemperature(inputs.temperature, ctx.nodeId).alphaValue();
        if (!(alpha > 0)) throw new Error(`${ctx.nodeId}: the temperature must be positive, got ${alpha}`);
        const all = tensorIn(inputs, 'all');
        if (all.rank !== 2) throw new Error(`${ctx.nodeId}: 'all' must be Q(s, ·) [B, n], got [${all.shape.join(', ')}]`);
        // tf.logSumExp subtracts the row maximum before exp (no overflow for large Q/α).
        return { value: tf.mul(tf.logSumExp(tf.div(all, alpha), -1), alpha) };
      },
      setParam(name, value) {
        if (name === 'alpha') alphaParam = value as number;
      },
    };
  },
});
