import { defineBlock, type ModuleResource, type PolicyResource } from '../../engine/block.ts';
import { type EncodedArray } from '../../engine/codec.ts';
import type { BoxSpace, EnvSpec } from '../../engine/env.ts';
import { Dense } from '../../engine/layers.ts';
import { choice, num } from '../../engine/params.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { cloneTorso } from '../net/target.ts';
import { forwardHost, torsoOf } from './shared.ts';

/** The action box's affine map from (−1, 1): scale = (high − low)/2, bias = (high + low)/2 per dimension. */
export interface ActionBox {
  space: BoxSpace;
  k: number;
  scale: number[];
  bias: number[];
}

/** The Box action space of a head's env, or a clear error (`what` names the head). */
export function actionBox(envSpec: EnvSpec | undefined, what: string): ActionBox {
  const space = envSpec?.actionSpace;
  if (!space || space.kind !== 'box') {
    throw new Error(`${what} needs a Box action space${envSpec ? ` but ${envSpec.id} is Discrete` : '; connect the policy to a collector with an env'}`);
  }
  const k = space.shape.reduce((a, b) => a * b, 1);
  const scale: number[] = [];
  const bias: number[] = [];
  for (let j = 0; j < k; j++) {
    const low = space.low[j];
    const high = space.high[j];
    if (!Number.isFinite(low) || !Number.isFinite(high) || !(high > low)) {
      throw new Error(`${what} squashes actions into the action box, but dimension ${j} of ${envSpec!.id} is [${low}, ${high}] (bounds must be finite)`);
    }
    scale.push((high - low) / 2);
    bias.push((high + low) / 2);
  }
  return { space, k, scale, bias };
}

export const deterministicHead = defineBlock({
  type: 'head.deterministic',
  category: 'Networks',
  title: 'Deterministic policy head',
  role: 'resource',
  doc: {
    summary:
      'Linear layer, tanh, then scaled into the action box: a deterministic policy μ_θ(s) (DDPG, TD3). It has no density: exploration noise is added by the collector, and actor losses differentiate Q(s, μ_θ(s)) through the action itself.',
    formula:
      'a = \\mu_\\theta(s) = \\tanh\\big(W h(s) + b\\big)\\odot \\tfrac{a_\\text{high} - a_\\text{low}}{2} + \\tfrac{a_\\text{high} + a_\\text{low}}{2}',
    reference: 'Silver et al. 2014, "Deterministic Policy Gradient Algorithms"; Lillicrap et al. 2016 (DDPG); Fujimoto et al. 2018 (TD3); action rescaling as in CleanRL ddpg_continuous_action.py',
  },
  params: {
    init: choice({
      options: ['uniform', 'orthogonal', 'glorot'],
      default: 'uniform',
      help: 'Initialisation of the output layer (uniform: PyTorch nn.Linear default, weight and bias ~ U(±gain/√fan-in)).',
    }),
    gain: num({ default: 1, min: 0, max: 10, help: 'Scale of the initial output weights (1 = PyTorch default for uniform).' }),
  },
  inputs: [{ name: 'torso', type: 'Module', doc: 'Feature network h(s).' }],
  outputs: [{ name: 'policy', type: 'Policy', doc: 'μ_θ: s ↦ a, deterministic; apply returns the action [B, k].' }],
  create(ctx, params) {
    const torso = torsoOf(ctx.resources, ctx.nodeId);
    const box = actionBox(ctx.envSpec, 'a deterministic policy head');
    const layer = new Dense(`${ctx.nodeId}/mu`, torso.outputSize, box.k, params.init, params.gain, ctx.rng('init'));
    const policy = deterministicPolicy(ctx.nodeId, torso, layer, box);
    return {
      resources: { policy },
      saveState: () => ({ layer: layer.save() }),
      loadState: (state) => layer.load((state as { layer: EncodedArray[] }).layer),
      dispose: () => layer.dispose(),
    };
  },
});

function deterministicPolicy(nodeId: string, torso: ModuleResource, layer: Dense, box: ActionBox, copyOf?: PolicyResource): PolicyResource {
  const { k, scale, bias } = box;
  const noDensity = (what: string) => (): never => {
    throw new Error(`a deterministic policy has no density: ${what} of '${nodeId}' is undefined (DDPG/TD3 actor losses use Q(s, μ(s)); use head.squashedGaussian for a stochastic policy)`);
  };
  const apply = (x: Tensor): Tensor => {
    const unit = tf.tanh(layer.apply(torso.apply(x)));
    // Constants made inside the caller's tidy, like the distributions' per-dimension tensors.
    return tf.add(tf.mul(unit, tf.tensor1d(scale)), tf.tensor1d(bias));
  };
  const policy: PolicyResource = {
    kind: 'policy',
    nodeId,
    inputSize: torso.inputSize,
    outputSize: k,
    actionDim: k,
    variables: [...torso.variables, ...layer.variables],
    // No `chain`: tanh and the box's affine map are not a dense stage.
    distribution: 'deterministic',
    actionSpace: box.space,
    apply,
    applyForActing: apply,
    logProb: noDensity('log π(a|s)'),
    entropy: noDensity('the entropy'),
    rsample: (out) => ({ action: out, logProb: null }),
    act(obs, n, rng, deterministic, actions, logp) {
      policy.actFrom(forwardHost(apply, obs, n, torso.inputSize), n, rng, deterministic, actions, logp);
    },
    // a = μ(s) whatever `deterministic` says: exploration noise is the collector's job.
    actFrom(out, n, _rng, _deterministic, actions, logp) {
      actions.set(out.subarray(0, n * k));
      logp.fill(0, 0, n);
    },
    clone: (cloneId) => deterministicPolicy(cloneId, cloneTorso(torso, nodeId, cloneId), layer.copy(`${cloneId}/mu`), box, policy),
  };
  if (copyOf) {
    policy.copyOf = copyOf;
    policy.disposeClone = () => {
      torso.disposeClone?.();
      layer.dispose();
    };
  }
  return policy;
}
