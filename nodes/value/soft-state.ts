import { defineBlock, type ModuleResource, type PortValue, type TemperatureResource } from '../../engine/block.ts';
import { tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';
import { asRows } from './q.ts';

/** The temperature resource on an input, or a clear error (`who` names the reading block). */
export function asTemperature(value: PortValue | PortValue[] | undefined, who: string): TemperatureResource {
  const m = value as ModuleResource | undefined;
  if (!m || (m as Partial<TemperatureResource>).temperature !== true) {
    throw new Error(`${who}: its 'temperature' input must be a net.temperature module${m ? `, not '${m.nodeId}'` : ''}`);
  }
  return m as TemperatureResource;
}

export const softStateValue = defineBlock({
  type: 'value.softState',
  category: 'Values',
  title: 'Soft state value',
  role: 'op',
  doc: {
    summary:
      'Soft state value of maximum-entropy RL from one sampled action a ~ π(·|s): the critic\'s value minus the temperature-weighted log-probability. Used for SAC\'s bootstrap (with a′ ~ π(·|s′) and target critics) and for SAC v1\'s value target. α is read as a constant (no gradient flows into log α here).',
    formula: 'V(s) \\approx Q(s, a) - \\alpha \\log \\pi(a\\mid s),\\qquad a \\sim \\pi(\\cdot\\mid s)',
    reference: 'Haarnoja et al. 2018, "Soft Actor-Critic", eq. 3 (soft value) and eq. 5; Haarnoja et al. 2018b, eq. 3',
  },
  params: {},
  inputs: [
    { name: 'q', type: 'Tensor', doc: 'Q(s, a) at a ~ π(·|s) [B] (e.g. min of two critics).' },
    { name: 'logProb', type: 'Tensor', doc: 'log π(a|s) of the same actions [B].' },
    { name: 'temperature', type: 'Module', doc: 'α (net.temperature).' },
  ],
  outputs: [{ name: 'value', type: 'Tensor', doc: 'V(s) [B].' }],
  create(ctx) {
    return {
      run(inputs) {
        const alpha = asTemperature(inputs.temperature, ctx.nodeId).alphaValue();
        const q = asRows(tensorIn(inputs, 'q'), "the 'q' input");
        const logProb = asRows(tensorIn(inputs, 'logProb'), "the 'logProb' input");
        if (q.shape[0] !== logProb.shape[0]) throw new Error(`${ctx.nodeId}: q has ${q.shape[0]} rows, logProb ${logProb.shape[0]}`);
        return { value: tf.sub(q, tf.mul(logProb, alpha)) };
      },
    };
  },
});
