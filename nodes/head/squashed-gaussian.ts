import { defineBlock, type ModuleResource, type PolicyResource } from '../../engine/block.ts';
import { type EncodedArray } from '../../engine/codec.ts';
import { squashedGaussian as dist } from '../../engine/distributions.ts';
import { Dense } from '../../engine/layers.ts';
import { choice, num } from '../../engine/params.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { cloneTorso } from '../net/target.ts';
import { type ActionBox, actionBox } from './deterministic.ts';
import { forwardHost, torsoOf } from './shared.ts';

interface Bounds {
  logStdMin: number;
  logStdMax: number;
}

export const squashedGaussianHead = defineBlock({
  type: 'head.squashedGaussian',
  category: 'Networks',
  title: 'Squashed Gaussian policy head (SAC)',
  role: 'resource',
  doc: {
    summary:
      'Two linear layers on the torso features give the mean and a state-dependent log σ (softly bounded by tanh); actions are u ~ N(μ, σ²) squashed by tanh and scaled into the action box. Reparameterised: the actor loss differentiates log π and Q through a = f(ε; s). Output of apply: [μ, log σ] side by side ([B, 2k]).',
    formula:
      'u = \\mu_\\theta(s) + \\sigma_\\theta(s)\\odot\\varepsilon,\\ \\varepsilon\\sim\\mathcal N(0, I),\\quad a = \\tanh(u)\\odot c + b,\\\\ \\log\\sigma_\\theta(s) = \\log\\sigma_{\\min} + \\tfrac12(\\log\\sigma_{\\max} - \\log\\sigma_{\\min})\\big(\\tanh(x_\\theta(s)) + 1\\big),\\\\ \\log\\pi_\\theta(a\\mid s) = \\log\\mathcal N\\big(u;\\ \\mu_\\theta(s), \\sigma_\\theta^2(s)\\big) - \\textstyle\\sum_j \\log\\big(c_j\\,(1 - \\tanh^2 u_j)\\big)',
    reference: 'Haarnoja et al. 2018, "Soft Actor-Critic", Appendix C (tanh squashing); log σ bounds as in CleanRL sac_continuous_action.py',
  },
  params: {
    init: choice({
      options: ['uniform', 'orthogonal', 'glorot'],
      default: 'uniform',
      help: 'Initialisation of the mean and log σ layers (uniform: PyTorch nn.Linear default, weight and bias ~ U(±gain/√fan-in)).',
    }),
    gain: num({ default: 1, min: 0, max: 10, help: 'Scale of the initial weights of both output layers (1 = PyTorch default for uniform).' }),
    logStdMin: num({ default: -5, min: -20, max: 2, help: 'Lower bound of log σ (CleanRL SAC: −5).' }),
    logStdMax: num({ default: 2, min: -5, max: 5, help: 'Upper bound of log σ (CleanRL SAC: 2); must exceed logStdMin.' }),
  },
  inputs: [{ name: 'torso', type: 'Module', doc: 'Feature network h(s).' }],
  outputs: [{ name: 'policy', type: 'Policy', doc: 'π_θ(·|s), tanh-squashed diagonal Gaussian; apply returns [μ, log σ] ([B, 2k]).' }],
  check(params) {
    return params.logStdMin < params.logStdMax ? null : `logStdMin (${params.logStdMin}) must be below logStdMax (${params.logStdMax})`;
  },
  create(ctx, params) {
    if (!(params.logStdMin < params.logStdMax)) throw new Error(`logStdMin (${params.logStdMin}) must be below logStdMax (${params.logStdMax})`);
    const torso = torsoOf(ctx.resources, ctx.nodeId);
    const box = actionBox(ctx.envSpec, 'a squashed Gaussian head');
    // One stream, mean layer first: the same seed gives the same network whatever is added later.
    const rng = ctx.rng('init');
    const meanLayer = new Dense(`${ctx.nodeId}/mean`, torso.outputSize, box.k, params.init, params.gain, rng);
    const logStdLayer = new Dense(`${ctx.nodeId}/logStd`, torso.outputSize, box.k, params.init, params.gain, rng);
    const bounds = { logStdMin: params.logStdMin, logStdMax: params.logStdMax };
    const policy = squashedPolicy(ctx.nodeId, torso, meanLayer, logStdLayer, box, bounds);
    return {
      resources: { policy },
      saveState: () => ({ mean: meanLayer.save(), logStd: logStdLayer.save() }),
      loadState: (state) => {
        const s = state as { mean: EncodedArray[]; logStd: EncodedArray[] };
        meanLayer.load(s.mean);
        logStdLayer.load(s.logStd);
      },
      dispose: () => {
        meanLayer.dispose();
        logStdLayer.dispose();
      },
    };
  },
});

function squashedPolicy(
  nodeId: string,
  torso: ModuleResource,
  meanLayer: Dense,
  logStdLayer: Dense,
  box: ActionBox,
  bounds: Bounds,
  copyOf?: PolicyResource,
): PolicyResource {
  const { k, scale, bias } = box;
  const { logStdMin, logStdMax } = bounds;
  const apply = (x: Tensor): Tensor => {
    const h = torso.apply(x);
    // tanh keeps log σ in [min, max] with a gradient everywhere (a hard clip would have none outside).
    const unit = tf.add(tf.tanh(logStdLayer.apply(h)), 1);
    const logStd = tf.add(tf.mul(unit, 0.5 * (logStdMax - logStdMin)), logStdMin);
    return tf.concat([meanLayer.apply(h), logStd], -1);
  };
  const split = (out: Tensor): [Tensor, Tensor] => [tf.slice(out, [0, 0], [-1, k]), tf.slice(out, [0, k], [-1, k])];
  const policy: PolicyResource = {
    kind: 'policy',
    nodeId,
    inputSize: torso.inputSize,
    outputSize: 2 * k,
    actionDim: k,
    variables: [...torso.variables, ...meanLayer.variables, ...logStdLayer.variables],
    distribution: 'squashedGaussian',
    actionSpace: box.space,
    apply,
    applyForActing: apply,
    logProb(out, actions) {
      const [mean, logStd] = split(out);
      return dist.logProb(mean, logStd, actions, scale, bias);
    },
    entropy() {
      throw new Error(`a squashed Gaussian has no closed-form entropy ('${nodeId}'): use −log π(a|s) of a sampled action (policy.action's logProb) as SAC does`);
    },
    rsample(out, eps) {
      if (!eps) throw new Error(`'${nodeId}': a squashed Gaussian sample needs standard normal noise ε [B, ${k}]`);
      const [mean, logStd] = split(out);
      const { action, logProb } = dist.sample(mean, logStd, eps, scale, bias);
      return { action, logProb };
    },
    act(obs, n, rng, deterministic, actions, logp) {
      policy.actFrom(forwardHost(apply, obs, n, torso.inputSize), n, rng, deterministic, actions, logp);
    },
    actFrom(out, n, rng, deterministic, actions, logp) {
      const mean = new Float32Array(n * k);
      const logStd = new Float32Array(n * k);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < k; j++) {
          mean[i * k + j] = out[i * 2 * k + j];
          logStd[i * k + j] = out[i * 2 * k + k + j];
        }
      }
      dist.actHost(mean, logStd, n, k, rng, deterministic, scale, bias, actions, logp);
    },
    clone: (cloneId) =>
      squashedPolicy(cloneId, cloneTorso(torso, nodeId, cloneId), meanLayer.copy(`${cloneId}/mean`), logStdLayer.copy(`${cloneId}/logStd`), box, bounds, policy),
  };
  if (copyOf) {
    policy.copyOf = copyOf;
    policy.disposeClone = () => {
      torso.disposeClone?.();
      meanLayer.dispose();
      logStdLayer.dispose();
    };
  }
  return policy;
}
