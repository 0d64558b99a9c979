import { defineBlock } from '../../engine/block.ts';
import { tf } from '../../engine/tf.ts';
import { tensorsIn } from '../util.ts';
import { asRows } from './q.ts';

function tooFew(edges: number): string | null {
  return edges >= 2 ? null : `the minimum needs at least two critics on its 'q' input (${edges} connected): wire Q_1 and Q_2`;
}

export const twinMin = defineBlock({
  type: 'value.twinMin',
  category: 'Values',
  title: 'Clipped double Q (minimum)',
  role: 'op',
  doc: {
    summary:
      'Elementwise minimum of two (or more) critics\' values: the clipped double-Q estimate that counters the overestimation bias of bootstrapping from a maximised (or policy-optimised) Q. Use it on target critics for the TD target (TD3, SAC) and on the live critics for SAC\'s actor loss.',
    formula: 'y = r + \\gamma (1 - d) \\min_{i=1,2} Q_{\\phi\'_i}(s\', \\tilde a)',
    reference: 'Fujimoto et al. 2018, "Addressing Function Approximation Error in Actor-Critic Methods" (TD3), eq. 10; Haarnoja et al. 2018b (SAC, two Q-functions)',
  },
  params: {},
  inputs: [{ name: 'q', type: 'Tensor', doc: 'Q_i values [B], one edge per critic (at least two).', multi: true }],
  outputs: [{ name: 'min', type: 'Tensor', doc: 'min_i Q_i [B].' }],
  check: (_params, inputSources) => tooFew((inputSources.q ?? []).length),
  create(ctx) {
    return {
      run(inputs) {
        const qs = tensorsIn(inputs, 'q').map((q, i) => asRows(q, `critic ${i + 1} on the 'q' input`));
        const problem = tooFew(qs.length);
        if (problem) throw new Error(`${ctx.nodeId}: ${problem}`);
        let min = qs[0];
        for (let i = 1; i < qs.length; i++) {
          if (qs[i].shape[0] !== min.shape[0]) throw new Error(`${ctx.nodeId}: critic ${i + 1} has ${qs[i].shape[0]} rows, critic 1 has ${min.shape[0]}`);
          min = tf.minimum(min, qs[i]);
        }
        return { min };
      },
    };
  },
});
