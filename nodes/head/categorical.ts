import { defineBlock, type PolicyResource } from '../../engine/block.ts';
import { type EncodedArray } from '../../engine/codec.ts';
import { categorical as dist, logSoftmax } from '../../engine/distributions.ts';
import { Dense } from '../../engine/layers.ts';
import { choice, num } from '../../engine/params.ts';
import type { Tensor } from '../../engine/tf.ts';
import { forwardHost, torsoOf } from './shared.ts';

export const categoricalHead = defineBlock({
  type: 'head.categorical',
  category: 'Networks',
  title: 'Categorical policy head',
  role: 'resource',
  doc: {
    summary: 'Linear layer to one logit per discrete action: a softmax policy over the torso features.',
    formula: '\\pi_\\theta(a\\mid s) = \\operatorname{softmax}(W h(s) + b)_a',
    reference: 'Small final gain (0.01) keeps the initial policy near uniform: Andrychowicz et al. 2021, "What Matters in On-Policy RL"',
  },
  params: {
    gain: num({ default: 0.01, min: 0, max: 10, help: 'Scale of the initial logit weights (small = near-uniform start).' }),
    init: choice({ options: ['orthogonal', 'glorot'], default: 'orthogonal', help: 'Weight initialisation.' }),
  },
  inputs: [{ name: 'torso', type: 'Module', doc: 'Feature network h(s).' }],
  outputs: [{ name: 'policy', type: 'Policy', doc: 'π_θ(·|s), categorical.' }],
  create(ctx, params) {
    const torso = torsoOf(ctx.resources, ctx.nodeId);
    const space = ctx.envSpec?.actionSpace;
    if (!space || space.kind !== 'discrete') {
      throw new Error(`a categorical head needs a Discrete action space${ctx.envSpec ? ` but ${ctx.envSpec.id} has a Box` : '; connect the policy to a collector with an env'}`);
    }
    const layer = new Dense(`${ctx.nodeId}/logits`, torso.outputSize, space.n, params.init, params.gain, ctx.rng('init'));
    // The head outputs normalised logits (log π(·|s)): log-prob and entropy then share one
    // log-softmax instead of computing it twice.
    const rawLogits = (x: Tensor): Tensor => layer.apply(torso.apply(x));
    const apply = (x: Tensor): Tensor => logSoftmax(rawLogits(x));
    const policy: PolicyResource = {
      kind: 'policy',
      nodeId: ctx.nodeId,
      inputSize: torso.inputSize,
      outputSize: space.n,
      variables: [...torso.variables, ...layer.variables],
      chain: torso.chain && [...torso.chain, { layer, activation: 'linear' }],
      distribution: 'categorical',
      actionSpace: space,
      apply,
      applyForActing: rawLogits,
      logProb: (logPi, actions) => dist.logProbNormalized(logPi, actions),
      entropy: (logPi) => dist.entropyNormalized(logPi),
      act(obs, n, rng, deterministic, actions, logp) {
        policy.actFrom(forwardHost(rawLogits, obs, n, torso.inputSize), n, rng, deterministic, actions, logp);
      },
      actFrom(logPi, n, rng, deterministic, actions, logp) {
        dist.actHost(logPi, n, space.n, rng, deterministic, actions, logp);
      },
    };
    return {
      resources: { policy },
      saveState: () => ({ layer: layer.save() }),
      loadState: (state) => layer.load((state as { layer: EncodedArray[] }).layer),
      dispose: () => layer.dispose(),
    };
  },
});

