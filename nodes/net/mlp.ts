import { defineBlock, type ModuleResource } from '../../engine/block.ts';
import { obsSize } from '../../engine/env.ts';
import { type EncodedArray } from '../../engine/codec.ts';
import { type Activation, ACTIVATIONS, activate, Dense } from '../../engine/layers.ts';
import { choice, int, intList, num } from '../../engine/params.ts';
import type { Tensor } from '../../engine/tf.ts';

export const mlp = defineBlock({
  type: 'net.mlp',
  category: 'Networks',
  title: 'MLP',
  role: 'resource',
  doc: {
    summary:
      'Multi-layer perceptron torso: hidden layers with an activation. Put a head after it (categorical or Gaussian policy, value) to get a policy or a value function.',
    formula: 'h_{\\ell+1} = \\sigma(W_\\ell h_\\ell + b_\\ell),\\quad h_0 = s',
    reference: 'Orthogonal init: Saxe et al. 2014; gain √2 for tanh/ReLU torsos as in Engstrom et al. 2020 ("Implementation Matters")',
  },
  params: {
    hidden: intList({ default: [64, 64], min: 1, max: 4096, minLength: 1, help: 'Width of each hidden layer.' }),
    activation: choice({ options: ACTIVATIONS, default: 'tanh', help: 'Non-linearity after each hidden layer.' }),
    init: choice({
      options: ['orthogonal', 'glorot', 'uniform'],
      default: 'orthogonal',
      help: 'Weight initialisation. orthogonal, glorot: biases start at 0. uniform: PyTorch nn.Linear default, weights and biases ~ U(±gain/√fan-in) (gain 1 = PyTorch).',
    }),
    gain: num({ default: Math.SQRT2, min: 0, max: 10, help: 'Scale of the initial weights.' }),
    inputSize: int({ default: 0, min: 0, help: 'Input width; 0 = infer from the environment it observes.' }),
  },
  inputs: [],
  outputs: [{ name: 'module', type: 'Module', doc: 'The torso: s ↦ h_L.' }],
  create(ctx, params) {
    const inputSize = params.inputSize || (ctx.envSpec ? obsSize(ctx.envSpec) : 0);
    if (!inputSize) {
      throw new Error('cannot infer the input size: connect it (through a head) to a collector that has an env, or set inputSize');
    }
    const rng = ctx.rng('init');
    const layers: Dense[] = [];
    let fanIn = inputSize;
    params.hidden.forEach((width, i) => {
      layers.push(new Dense(`${ctx.nodeId}/l${i}`, fanIn, width, params.init, params.gain, rng));
      fanIn = width;
    });
    const module = mlpModule(ctx.nodeId, inputSize, layers, params.activation);
    return {
      resources: { module },
      saveState: () => ({ layers: layers.map((l) => l.save()) }),
      loadState: (state) => (state as { layers: EncodedArray[][] }).layers.forEach((s, i) => layers[i].load(s)),
      dispose: () => layers.forEach((l) => l.dispose()),
    };
  },
});

/**
 * The module of a dense stack. Its `clone` copies every layer into fresh non-trainable variables
 * (target networks); clones can be cloned again and free their copies with `disposeClone`.
 */
function mlpModule(nodeId: string, inputSize: number, layers: Dense[], activation: Activation, copyOf?: ModuleResource): ModuleResource {
  const module: ModuleResource = {
    kind: 'module',
    nodeId,
    inputSize,
    outputSize: layers.length ? layers[layers.length - 1].fanOut : inputSize,
    variables: layers.flatMap((l) => l.variables),
    chain: layers.map((layer) => ({ layer, activation })),
    apply(x: Tensor): Tensor {
      let h = x;
      for (const layer of layers) h = activate(layer.apply(h), activation);
      return h;
    },
    clone: (cloneId) => mlpModule(cloneId, inputSize, layers.map((l, i) => l.copy(`${cloneId}/l${i}`)), activation, module),
  };
  if (copyOf) {
    module.copyOf = copyOf;
    module.disposeClone = () => layers.forEach((l) => l.dispose());
  }
  return module;
}
