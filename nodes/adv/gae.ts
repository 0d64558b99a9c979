import { defineBlock } from '../../engine/block.ts';
import { num } from '../../engine/params.ts';
import { batchIn, extendBatch, reusable } from '../util.ts';

/**
 * GAE over trajectory-contiguous rows. Exported for tests.
 * δ_t = r_t + γ(1 − terminated_t) V(s_{t+1}) − V(s_t);  Â_t = δ_t + γλ·cont_t·Â_{t+1}.
 */
export function computeGae(
  rew: Float32Array,
  value: Float32Array,
  nextValue: Float32Array,
  terminated: Float32Array,
  cont: Float32Array,
  gamma: number,
  lambda: number,
  adv: Float32Array,
  ret: Float32Array,
): void {
  let next = 0;
  for (let i = rew.length - 1; i >= 0; i--) {
    const delta = rew[i] + gamma * (1 - terminated[i]) * nextValue[i] - value[i];
    next = delta + gamma * lambda * cont[i] * next;
    adv[i] = next;
    ret[i] = next + value[i];
  }
}

export const gae = defineBlock({
  type: 'adv.gae',
  category: 'Advantages',
  title: 'GAE(γ, λ)',
  role: 'op',
  doc: {
    summary:
      'Generalised advantage estimation: an exponentially weighted sum of TD errors. λ = 0 is the one-step TD advantage, λ = 1 the Monte-Carlo advantage. Adds fields adv (Â) and ret (Â + V, the value target). Truncated episodes bootstrap from V of their final observation; terminal states do not.',
    formula:
      '\\delta_t = r_t + \\gamma V(s_{t+1}) - V(s_t),\\qquad \\hat A_t = \\sum_{l\\ge 0} (\\gamma\\lambda)^l\\, \\delta_{t+l}',
    reference: 'Schulman et al. 2016, "High-Dimensional Continuous Control Using Generalized Advantage Estimation"',
  },
  params: {
    gamma: num({ default: 0.99, min: 0, max: 1, help: 'Discount factor γ.' }),
    lambda: num({ default: 0.95, min: 0, max: 1, help: 'GAE λ: bias (0) ↔ variance (1) trade-off.' }),
  },
  inputs: [{ name: 'batch', type: 'Batch', doc: 'Rollout with fields rew, value, nextValue, terminated, cont.' }],
  outputs: [{ name: 'batch', type: 'Batch', doc: 'The batch plus adv (Â_t) and ret (Â_t + V(s_t)).' }],
  batchFields: ({ inputFields }) => ({ batch: [...(inputFields.batch ?? []), 'adv', 'ret'] }),
  create(_ctx, params) {
    const advBuf = reusable();
    const retBuf = reusable();
    return {
      run(inputs) {
        const batch = batchIn(inputs, 'batch');
        const f = batch.fields;
        for (const name of ['rew', 'value', 'nextValue', 'terminated', 'cont']) {
          if (!f[name]) throw new Error(`the batch has no field '${name}': connect a value module to the collector`);
        }
        const adv = advBuf(batch.size);
        const ret = retBuf(batch.size);
        computeGae(f.rew.data, f.value.data, f.nextValue.data, f.terminated.data, f.cont.data, params.gamma, params.lambda, adv, ret);
        return { batch: extendBatch(batch, { adv, ret }) };
      },
    };
  },
});
