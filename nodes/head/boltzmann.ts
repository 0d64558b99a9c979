import {
  defineBlock,
  type ModuleResource,
  type PolicyResource,
  type QModuleResource,
  type TemperatureResource,
} from '../../engine/block.ts';
import type { DiscreteSpace } from '../../engine/env.ts';
import { categorical as dist, logSoftmax } from '../../engine/distributions.ts';
import { num } from '../../engine/params.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { forwardHost } from './shared.ts';

function isQModule(m: ModuleResource): m is QModuleResource {
  return 'qKind' in m;
}

function isTemperature(m: ModuleResource): m is TemperatureResource {
  return (m as Partial<TemperatureResource>).temperature === true;
}

export const boltzmannHead = defineBlock({
  type: 'head.boltzmann',
  category: 'Networks',
  title: 'Boltzmann (softmax) policy over Q',
  role: 'resource',
  doc: {
    summary:
      'The softmax policy of a discrete Q-network at temperature α: actions with higher Q are more likely, α → 0 is greedy, large α is uniform. It adds no parameters (its variables are the Q-network\'s). α comes from a connected temperature (net.temperature) or the alpha param. apply returns log π(·|s).',
    formula: '\\pi(a\\mid s) = \\frac{\\exp\\big(Q(s, a)/\\alpha\\big)}{\\sum_{b}\\exp\\big(Q(s, b)/\\alpha\\big)} = \\operatorname{softmax}\\big(Q(s, \\cdot)/\\alpha\\big)_a',
    reference: 'Haarnoja et al. 2017, "Reinforcement Learning with Deep Energy-Based Policies" (soft Q-learning); Christodoulou 2019, "Soft Actor-Critic for Discrete Action Settings"',
  },
  params: {
    alpha: num({
      default: 1,
      min: 0,
      exclusiveMin: true,
      max: 1000,
      scale: 'log',
      live: true,
      help: 'Temperature α when no temperature module is connected (small: near greedy, large: near uniform).',
    }),
  },
  inputs: [
    { name: 'q', type: 'Module', doc: 'Q(s, ·): a net.qNetwork on a Discrete action space (one value per action).' },
    { name: 'temperature', type: 'Module', optional: true, doc: 'α from net.temperature (overrides the alpha param).' },
  ],
  outputs: [{ name: 'policy', type: 'Policy', doc: 'π(·|s) = softmax(Q(s, ·)/α), categorical.' }],
  create(ctx, params) {
    const q = ctx.resources.q as ModuleResource | undefined;
    if (!q) throw new Error('connect a Q-network (net.qNetwork) to the q input');
    if (!isQModule(q) || q.qKind !== 'stateActions') {
      throw new Error(
        `a Boltzmann policy needs Q(s, ·) with one value per discrete action (net.qNetwork on a Discrete action space), but '${q.nodeId}' ${isQModule(q) ? 'is Q(s, a) for continuous actions' : 'is not a Q-network'}`,
      );
    }
    const temperature = ctx.resources.temperature as ModuleResource | undefined;
    if (temperature && !isTemperature(temperature)) {
      throw new Error(`the temperature input takes net.temperature, but '${temperature.nodeId}' is another module`);
    }
    const space: DiscreteSpace = ctx.envSpec?.actionSpace.kind === 'discrete' ? ctx.envSpec.actionSpace : { kind: 'discrete', n: q.actionSize };
    if (space.n !== q.actionSize) throw new Error(`'${q.nodeId}' has ${q.actionSize} action values but ${ctx.envSpec!.id} has ${space.n} actions`);
    const alpha = { value: params.alpha };
    const policy = boltzmannPolicy(ctx.nodeId, q, space, temperature, alpha);
    return {
      resources: { policy },
      setParam(name, value) {
        if (name === 'alpha') alpha.value = value as number;
      },
    };
  },
});

function boltzmannPolicy(
  nodeId: string,
  q: QModuleResource,
  space: DiscreteSpace,
  temperature: TemperatureResource | undefined,
  /** Shared with clones, so a live change of the param reaches them too. */
  alpha: { value: number },
  copyOf?: PolicyResource,
): PolicyResource {
  // Q/α: α read from the temperature at every call (it may be tuned while training).
  const scaled = (x: Tensor): Tensor => (temperature ? tf.div(q.apply(x), temperature.alpha()) : tf.div(q.apply(x), alpha.value));
  // Normalised logits, as head.categorical: log-prob and entropy share one log-softmax.
  const apply = (x: Tensor): Tensor => logSoftmax(scaled(x));
  const policy: PolicyResource = {
    kind: 'policy',
    nodeId,
    inputSize: q.inputSize,
    outputSize: space.n,
    actionDim: 1,
    variables: q.variables,
    distribution: 'categorical',
    actionSpace: space,
    apply,
    // Sampling normalises on the host: the raw Q/α are enough.
    applyForActing: scaled,
    logProb: (logPi, actions) => dist.logProbNormalized(logPi, actions),
    entropy: (logPi) => dist.entropyNormalized(logPi),
    act(obs, n, rng, deterministic, actions, logp) {
      policy.actFrom(forwardHost(scaled, obs, n, q.inputSize), n, rng, deterministic, actions, logp);
    },
    actFrom(logits, n, rng, deterministic, actions, logp) {
      dist.actHost(logits, n, space.n, rng, deterministic, actions, logp);
    },
    // The clone follows a cloned Q (a target policy); α stays shared (it is not a network weight).
    clone(cloneId) {
      if (!q.clone) throw new Error(`'${nodeId}' cannot be cloned: its Q-network '${q.nodeId}' has no clone`);
      const qClone = q.clone(`${cloneId}/q`);
      if (!isQModule(qClone)) throw new Error(`'${q.nodeId}': its clone is not a Q-network`);
      return boltzmannPolicy(cloneId, qClone, space, temperature, alpha, policy);
    },
  };
  if (copyOf) {
    policy.copyOf = copyOf;
    policy.disposeClone = () => q.disposeClone?.();
  }
  return policy;
}
