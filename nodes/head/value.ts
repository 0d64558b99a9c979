import { defineBlock, type ModuleResource } from '../../engine/block.ts';
import { type EncodedArray } from '../../engine/codec.ts';
import { Dense } from '../../engine/layers.ts';
import { choice, num } from '../../engine/params.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { torsoOf } from './shared.ts';

export const valueHead = defineBlock({
  type: 'head.value',
  category: 'Networks',
  title: 'Value head',
  role: 'resource',
  doc: {
    summary: 'Linear layer to one number: a state-value function V_φ(s) on top of a torso.',
    formula: 'V_\\phi(s) = w^\\top h(s) + b',
    reference: 'Critic of actor-critic methods (Sutton & Barto 2018, ch. 13)',
  },
  params: {
    gain: num({ default: 1, min: 0, max: 10, help: 'Scale of the initial output weights.' }),
    init: choice({ options: ['orthogonal', 'glorot'], default: 'orthogonal', help: 'Weight initialisation.' }),
  },
  inputs: [{ name: 'torso', type: 'Module', doc: 'Feature network h(s).' }],
  outputs: [{ name: 'value', type: 'Module', doc: 'V_φ: s ↦ ℝ, output shape [B].' }],
  create(ctx, params) {
    const torso = torsoOf(ctx.resources, ctx.nodeId);
    const layer = new Dense(`${ctx.nodeId}/v`, torso.outputSize, 1, params.init, params.gain, ctx.rng('init'));
    const value: ModuleResource = {
      kind: 'module',
      nodeId: ctx.nodeId,
      inputSize: torso.inputSize,
      outputSize: 1,
      variables: [...torso.variables, ...layer.variables],
      chain: torso.chain && [...torso.chain, { layer, activation: 'linear' }],
      apply: (x: Tensor): Tensor => tf.reshape(layer.apply(torso.apply(x)), [-1]),
    };
    return {
      resources: { value },
      saveState: () => ({ layer: layer.save() }),
      loadState: (state) => layer.load((state as { layer: EncodedArray[] }).layer),
      dispose: () => layer.dispose(),
    };
  },
});
