import { defineBlock, type PolicyResource } from '../../engine/block.ts';
import { assignEncoded, type EncodedArray, encodeTensor } from '../../engine/codec.ts';
import { diagGaussian as dist } from '../../engine/distributions.ts';
import { Dense } from '../../engine/layers.ts';
import { choice, num } from '../../engine/params.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { forwardHost, torsoOf } from './shared.ts';

export const gaussianHead = defineBlock({
  type: 'head.gaussian',
  category: 'Networks',
  title: 'Diagonal Gaussian policy head',
  role: 'resource',
  doc: {
    summary:
      'Linear layer to the action mean, with a learned state-independent log standard deviation per action dimension.',
    formula: '\\pi_\\theta(a\\mid s) = \\mathcal N\\big(a;\\ \\mu_\\theta(s),\\ \\operatorname{diag}(e^{2\\log\\sigma})\\big)',
    reference: 'Schulman et al. 2015 (TRPO) and 2017 (PPO) continuous-control policies',
  },
  params: {
    gain: num({ default: 0.01, min: 0, max: 10, help: 'Scale of the initial mean weights.' }),
    initLogStd: num({ default: 0, min: -5, max: 2, help: 'Initial log σ for every action dimension.' }),
    init: choice({ options: ['orthogonal', 'glorot'], default: 'orthogonal', help: 'Weight initialisation.' }),
  },
  inputs: [{ name: 'torso', type: 'Module', doc: 'Feature network h(s).' }],
  outputs: [{ name: 'policy', type: 'Policy', doc: 'π_θ(·|s), diagonal Gaussian.' }],
  create(ctx, params) {
    const torso = torsoOf(ctx.resources, ctx.nodeId);
    const space = ctx.envSpec?.actionSpace;
    if (!space || space.kind !== 'box') {
      throw new Error(`a Gaussian head needs a Box action space${ctx.envSpec ? ` but ${ctx.envSpec.id} is Discrete` : '; connect the policy to a collector with an env'}`);
    }
    const k = space.shape.reduce((a, b) => a * b, 1);
    const layer = new Dense(`${ctx.nodeId}/mean`, torso.outputSize, k, params.init, params.gain, ctx.rng('init'));
    const logStd = tf.tidy(() => tf.variable(tf.fill([k], params.initLogStd), true));
    const mean = (x: Tensor): Tensor => layer.apply(torso.apply(x));
    const policy: PolicyResource = {
      kind: 'policy',
      nodeId: ctx.nodeId,
      inputSize: torso.inputSize,
      outputSize: k,
      variables: [...torso.variables, ...layer.variables, logStd],
      chain: torso.chain && [...torso.chain, { layer, activation: 'linear' }],
      distribution: 'diagGaussian',
      actionSpace: space,
      // Named for blocks that need σ itself (policy.kl, policy.snapshot), not found by elimination.
      logStd,
      apply: mean,
      applyForActing: mean,
      logProb: (mu, actions) => dist.logProb(mu, logStd, actions),
      entropy: (mu) => dist.entropy(mu, logStd),
      act(obs, n, rng, deterministic, actions, logp) {
        policy.actFrom(forwardHost(mean, obs, n, torso.inputSize), n, rng, deterministic, actions, logp);
      },
      actFrom(mu, n, rng, deterministic, actions, logp) {
        dist.actHost(mu, logStd.dataSync() as Float32Array, n, k, rng, deterministic, actions, logp);
      },
    };
    return {
      resources: { policy },
      saveState: () => ({ layer: layer.save(), logStd: encodeTensor(logStd) }),
      loadState: (state) => {
        const s = state as { layer: EncodedArray[]; logStd: EncodedArray };
        layer.load(s.layer);
        assignEncoded(logStd, s.logStd, `${ctx.nodeId}/logStd`);
      },
      dispose: () => {
        layer.dispose();
        logStd.dispose();
      },
    };
  },
});
