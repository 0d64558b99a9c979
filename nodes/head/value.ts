import { defineBlock, type ModuleResource } from '../../engine/block.ts';
import { type EncodedArray } from '../../engine/codec.ts';
import { Dense } from '../../engine/layers.ts';
import { choice, num } from '../../engine/params.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { cloneTorso } from '../net/target.ts';
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
    init: choice({
      options: ['orthogonal', 'glorot', 'uniform'],
      default: 'orthogonal',
      help: 'Weight initialisation (uniform: PyTorch nn.Linear default, weight and bias ~ U(±gain/√fan-in)).',
    }),
  },
  inputs: [{ name: 'torso', type: 'Module', doc: 'Feature network h(s).' }],
  outputs: [{ name: 'value', type: 'Module', doc: 'V_φ: s ↦ ℝ, output shape [B].' }],
  create(ctx, params) {
    const torso = torsoOf(ctx.resources, ctx.nodeId);
    const layer = new Dense(`${ctx.nodeId}/v`, torso.outputSize, 1, params.init, params.gain, ctx.rng('init'));
    const value = valueModule(ctx.nodeId, torso, layer);
    return {
      resources: { value },
      saveState: () => ({ layer: layer.save() }),
      loadState: (state) => layer.load((state as { layer: EncodedArray[] }).layer),
      dispose: () => layer.dispose(),
    };
  },
});

/** V = w·h(s) + b on a torso; `clone` copies torso and layer (target networks, e.g. a target V). */
function valueModule(nodeId: string, torso: ModuleResource, layer: Dense, copyOf?: ModuleResource): ModuleResource {
  const value: ModuleResource = {
    kind: 'module',
    nodeId,
    inputSize: torso.inputSize,
    outputSize: 1,
    variables: [...torso.variables, ...layer.variables],
    chain: torso.chain && [...torso.chain, { layer, activation: 'linear' }],
    apply: (x: Tensor): Tensor => tf.reshape(layer.apply(torso.apply(x)), [-1]),
    clone: (cloneId) => valueModule(cloneId, cloneTorso(torso, nodeId, cloneId), layer.copy(`${cloneId}/v`), value),
  };
  if (copyOf) {
    value.copyOf = copyOf;
    value.disposeClone = () => {
      torso.disposeClone?.();
      layer.dispose();
    };
  }
  return value;
}
