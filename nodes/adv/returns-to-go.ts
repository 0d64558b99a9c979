import { defineBlock } from '../../engine/block.ts';
import { bool, num } from '../../engine/params.ts';
import { batchIn, extendBatch, reusable } from '../util.ts';

/**
 * Discounted returns-to-go over trajectory-contiguous rows. Exported for tests.
 * G_t = r_t + γ·(cont_t·G_{t+1} + (1 − cont_t)(1 − terminated_t)·bootstrap_t).
 */
export function computeReturnsToGo(
  rew: Float32Array,
  terminated: Float32Array,
  cont: Float32Array,
  bootstrap: Float32Array | undefined,
  gamma: number,
  ret: Float32Array,
): void {
  let next = 0;
  for (let i = rew.length - 1; i >= 0; i--) {
    const tail = cont[i] === 1 ? next : bootstrap ? (1 - terminated[i]) * bootstrap[i] : 0;
    next = rew[i] + gamma * tail;
    ret[i] = next;
  }
}

export const returnsToGo = defineBlock({
  type: 'adv.returnsToGo',
  category: 'Advantages',
  title: 'Returns-to-go',
  role: 'op',
  doc: {
    summary:
      'Discounted return from each step to the end of its episode (the REINFORCE weight Ψ_t = G_t). Where a trajectory is cut (time limit or batch end) it can bootstrap from V(s_{t+1}) if the batch has nextValue.',
    formula: 'G_t = \\sum_{k=t}^{T-1} \\gamma^{k-t} r_k',
    reference: 'Williams 1992, "Simple Statistical Gradient-Following Algorithms" (REINFORCE)',
  },
  params: {
    gamma: num({ default: 0.99, min: 0, max: 1, help: 'Discount factor γ.' }),
    bootstrap: bool({ default: true, help: 'Bootstrap cut trajectories from nextValue when the batch has it.' }),
  },
  inputs: [{ name: 'batch', type: 'Batch', doc: 'Rollout with fields rew, terminated, cont (nextValue optional).' }],
  outputs: [{ name: 'batch', type: 'Batch', doc: 'The batch plus ret (G_t).' }],
  batchFields: ({ inputFields }) => ({ batch: [...(inputFields.batch ?? []), 'ret'] }),
  create(_ctx, params) {
    const retBuf = reusable();
    return {
      run(inputs) {
        const batch = batchIn(inputs, 'batch');
        const f = batch.fields;
        const ret = retBuf(batch.size);
        const bootstrap = params.bootstrap ? f.nextValue?.data : undefined;
        computeReturnsToGo(f.rew.data, f.terminated.data, f.cont.data, bootstrap, params.gamma, ret);
        return { batch: extendBatch(batch, { ret }) };
      },
    };
  },
});
