import { defineBlock, type GraphCheckNode } from '../../engine/block.ts';
import { tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';
import { asRows } from '../value/q.ts';

/** Every node upstream of `port` of `node`, the direct producers included, each once. */
function upstreamClosure(node: GraphCheckNode, port: string): GraphCheckNode[] {
  const seen = new Map<string, GraphCheckNode>();
  for (const n of [...node.upstream(port), ...node.ancestors(port)]) if (!seen.has(n.id)) seen.set(n.id, n);
  return [...seen.values()];
}

/**
 * The frozen resource (net.target, policy.snapshot) that supplies the policy of a reparameterised
 * action block, or undefined when its policy is live. Frozen copies have no trainable parameters,
 * so an actor loss through their action would update nothing.
 */
function frozenPolicyOf(action: GraphCheckNode): GraphCheckNode | undefined {
  const ports = action.def.inputs.filter((p) => p.type === 'Policy').map((p) => p.name);
  const producers = ports.flatMap((p) => action.upstream(p));
  return producers.length > 0 && producers.every((n) => n.def.frozen) ? producers[0] : undefined;
}

/**
 * Actor losses (loss.dpg, loss.sacPolicy): the value on `port` must depend on a live policy's
 * parameters through a reparameterised or deterministic action (policy.action). Q(s, a) at
 * replayed actions has no gradient in θ at all, and the mistake trains nothing without any error.
 * `action` names the action formula in the message. Returns the problem or null.
 */
export function actorInputProblem(node: GraphCheckNode, port: string, what: string, action: string): string | null {
  const actions = upstreamClosure(node, port).filter((n) => n.def.reparameterizedAction);
  if (actions.length === 0) {
    return `no deterministic or reparameterised policy action behind its '${port}' input: the actor gets no gradient through ${what} evaluated at replayed actions; wire policy.action (${action}) into the ${port === 'q' ? 'Q block' : `'${port}' input`}`;
  }
  if (actions.every((a) => frozenPolicyOf(a) !== undefined)) {
    const a = actions[0];
    const frozen = frozenPolicyOf(a)!;
    return `the policy action '${a.id}' behind its '${port}' input acts with '${frozen.id}' (${frozen.type}), a frozen copy with no trainable parameters: the actor gets no gradient; feed policy.action the live policy`;
  }
  return null;
}

export const dpgLoss = defineBlock({
  type: 'loss.dpg',
  category: 'Losses',
  title: 'Deterministic policy gradient loss',
  role: 'op',
  doc: {
    summary:
      'Actor loss of DDPG and TD3: minus the critic\'s value at the policy\'s own action, so that its gradient is the deterministic policy gradient ∇_a Q(s, a)|_{a = μ_θ(s)} ∇_θ μ_θ(s). The q input must be Q(s, μ_θ(s)) with the action from policy.action (the compiler refuses replayed actions and frozen target policies). Only the actor\'s optimizer should own its cone\'s policy; the critic is differentiated through, not trained, here.',
    formula: 'J(\\theta) = -\\hat{\\mathbb E}_{s\\sim\\mathcal D}\\big[Q_\\phi(s, \\mu_\\theta(s))\\big],\\qquad \\nabla_\\theta J = -\\hat{\\mathbb E}\\big[\\nabla_a Q_\\phi(s, a)|_{a=\\mu_\\theta(s)}\\nabla_\\theta \\mu_\\theta(s)\\big]',
    reference: 'Silver et al. 2014, "Deterministic Policy Gradient Algorithms", Theorem 1; Lillicrap et al. 2016 (DDPG); Fujimoto et al. 2018 (TD3)',
  },
  params: {},
  inputs: [{ name: 'q', type: 'Tensor', doc: 'Q_φ(s, μ_θ(s)) [B] (value.q fed by policy.action).' }],
  outputs: [{ name: 'loss', type: 'Scalar', doc: 'J(θ), to minimise.' }],
  checkGraph: ({ node }) => actorInputProblem(node, 'q', 'Q(s, a)', 'a = μ_θ(s)'),
  create() {
    return {
      run(inputs) {
        return { loss: tf.neg(tf.mean(asRows(tensorIn(inputs, 'q'), "the 'q' input"))) };
      },
    };
  },
});
