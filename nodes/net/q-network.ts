import { defineBlock, type QModuleResource } from '../../engine/block.ts';
import { type EncodedArray } from '../../engine/codec.ts';
import { obsSize } from '../../engine/env.ts';
import { type Activation, ACTIVATIONS, activate, Dense } from '../../engine/layers.ts';
import { choice, intList, num } from '../../engine/params.ts';
import { type Tensor, tf } from '../../engine/tf.ts';

export const qNetwork = defineBlock({
  type: 'net.qNetwork',
  category: 'Networks',
  title: 'Q-network',
  role: 'resource',
  doc: {
    summary:
      'An action-value network shaped by the environment\'s action space. Box actions: Q(s, a) takes the state and action concatenated and returns one number (DDPG, TD3, SAC critics). Discrete actions: Q(s, ·) takes the state and returns one value per action (DQN, soft Q-learning). Hidden layers with an activation, linear output.',
    formula:
      'Q_\\phi(s, a) = w^\\top h_L + b,\\ \\ h_0 = [s; a]\\ \\text{(Box)};\\qquad Q_\\phi(s, \\cdot) = W h_L + b \\in \\mathbb R^{|\\mathcal A|},\\ \\ h_0 = s\\ \\text{(Discrete)};\\qquad h_{\\ell+1} = \\sigma(W_\\ell h_\\ell + b_\\ell)',
    reference: 'Mnih et al. 2015 (DQN, Q(s, ·)); Lillicrap et al. 2016 (DDPG critic, Q(s, a)); 256-256 ReLU with PyTorch default init as in CleanRL td3/sac_continuous_action.py',
  },
  params: {
    hidden: intList({ default: [256, 256], min: 1, max: 4096, minLength: 1, help: 'Width of each hidden layer.' }),
    activation: choice({ options: ACTIVATIONS, default: 'relu', help: 'Non-linearity after each hidden layer (the output is linear).' }),
    init: choice({
      options: ['uniform', 'orthogonal', 'glorot'],
      default: 'uniform',
      help: 'Initialisation of every layer. uniform: PyTorch nn.Linear default, weights and biases ~ U(±gain/√fan-in); orthogonal, glorot: biases start at 0.',
    }),
    gain: num({ default: 1, min: 0, max: 10, help: 'Scale of the initial weights (1 = PyTorch default for uniform).' }),
  },
  inputs: [],
  outputs: [{ name: 'q', type: 'Module', doc: 'Q_φ: [s, a] ↦ ℝ ([B], Box) or s ↦ ℝ^n ([B, n], Discrete).' }],
  create(ctx, params) {
    const spec = ctx.envSpec;
    if (!spec) throw new Error('cannot infer the Q-network\'s shape: it needs the environment of the graph (connect the graph to an env)');
    const d = obsSize(spec);
    const space = spec.actionSpace;
    const stateAction = space.kind === 'box';
    const actionSize = space.kind === 'box' ? space.shape.reduce((a, b) => a * b, 1) : space.n;
    const rng = ctx.rng('init');
    const layers: Dense[] = [];
    let fanIn = stateAction ? d + actionSize : d;
    params.hidden.forEach((width, i) => {
      layers.push(new Dense(`${ctx.nodeId}/l${i}`, fanIn, width, params.init, params.gain, rng));
      fanIn = width;
    });
    layers.push(new Dense(`${ctx.nodeId}/q`, fanIn, stateAction ? 1 : actionSize, params.init, params.gain, rng));
    const q = qModule(ctx.nodeId, stateAction ? 'stateAction' : 'stateActions', d, actionSize, layers, params.activation);
    return {
      resources: { q },
      saveState: () => ({ layers: layers.map((l) => l.save()) }),
      loadState: (state) => (state as { layers: EncodedArray[][] }).layers.forEach((s, i) => layers[i].load(s)),
      dispose: () => layers.forEach((l) => l.dispose()),
    };
  },
});

/** Hidden layers with `activation`, then the linear output layer (the last of `layers`). */
function qModule(
  nodeId: string,
  qKind: QModuleResource['qKind'],
  obs: number,
  actionSize: number,
  layers: Dense[],
  activation: Activation,
  copyOf?: QModuleResource,
): QModuleResource {
  const last = layers.length - 1;
  const forward = (x: Tensor): Tensor => {
    let h = x;
    layers.forEach((layer, i) => {
      h = i === last ? layer.apply(h) : activate(layer.apply(h), activation);
    });
    return h;
  };
  const q: QModuleResource = {
    kind: 'module',
    nodeId,
    qKind,
    obsSize: obs,
    actionSize,
    inputSize: layers[0].fanIn,
    outputSize: layers[last].fanOut,
    variables: layers.flatMap((l) => l.variables),
    // The chain ends in [B, 1] for Q(s, a) (like head.value); apply reshapes to [B].
    chain: layers.map((layer, i) => ({ layer, activation: i === last ? 'linear' : activation })),
    apply: qKind === 'stateAction' ? (x) => tf.reshape(forward(x), [-1]) : forward,
    clone: (cloneId) => qModule(cloneId, qKind, obs, actionSize, layers.map((l, i) => l.copy(`${cloneId}/${i === last ? 'q' : `l${i}`}`)), activation, q),
  };
  if (copyOf) {
    q.copyOf = copyOf;
    q.disposeClone = () => layers.forEach((l) => l.dispose());
  }
  return q;
}
