import { defineBlock, type ModuleResource, type Outputs, type QModuleResource } from '../../engine/block.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { optionalTensorIn, tensorIn } from '../util.ts';

/**
 * A per-row value as [B]: accepts [B] or [B, 1] (width-1 batch fields, [B, 1] network outputs) and
 * refuses anything else. Mixing [B] and [B, 1] in an elementwise op would broadcast to [B, B]
 * silently, the classic TD-target bug.
 */
export function asRows(t: Tensor, what: string): Tensor {
  if (t.rank === 1) return t;
  if (t.rank === 2 && t.shape[1] === 1) return tf.reshape(t, [-1]);
  throw new Error(`${what} must hold one value per row ([B] or [B, 1]), got [${t.shape.join(', ')}]`);
}

/** Whether a module is a critic (net.qNetwork or its target copy). */
export function isQModule(m: ModuleResource): m is QModuleResource {
  const kind = (m as Partial<QModuleResource>).qKind;
  return kind === 'stateAction' || kind === 'stateActions';
}

/** Discrete actions (indices stored as floats, [B] or [B, 1]) as a [B, n] one-hot matrix. */
function oneHotActions(action: Tensor, n: number): Tensor {
  const rows = asRows(action, "the 'action' input of a discrete Q(s, ·)");
  return tf.oneHot(tf.cast(rows, 'int32') as tf.Tensor1D, n);
}

export const qValue = defineBlock({
  type: 'value.q',
  category: 'Values',
  title: 'Q(s, a)',
  role: 'op',
  doc: {
    summary:
      'Evaluates a critic. Continuous actions (net.qNetwork, state-action): Q(s, a) from [s, a]. Discrete actions (state-actions): all action values Q(s, ·); with the action connected, the taken action\'s value Σ_a Q(s, ·)·onehot(a) (a one-hot product, so it differentiates on every backend); without it, the greedy value max_a Q(s, a) (DQN\'s bootstrap). A plain module (e.g. a value head) gives V(s) and takes no action. Wire policy.action into `action` to differentiate Q(s, μ_θ(s)) through the action (DPG, SAC actor losses).',
    formula:
      'Q_\\phi(s, a),\\qquad Q_\\phi(s, a) = \\textstyle\\sum_{a\'} Q_\\phi(s, \\cdot)_{a\'}\\,\\mathbb 1[a\' = a],\\qquad \\max_{a\'} Q_\\phi(s, a\'),\\qquad V_\\psi(s)',
    reference: 'Watkins & Dayan 1992 (Q-learning); Mnih et al. 2015 (DQN); Silver et al. 2014 (DPG: ∇_a Q(s, a) at a = μ_θ(s))',
  },
  params: {},
  inputs: [
    { name: 'q', type: 'Module', doc: 'Q_φ (net.qNetwork or its net.target), or a value module V_ψ.' },
    { name: 'obs', type: 'Tensor', doc: 'States s [B, d].' },
    {
      name: 'action',
      type: 'Tensor',
      doc: 'Actions a: [B, k] or [B] (continuous), indices as floats [B] or [B, 1] (discrete). Leave unconnected for V(s), or for max_a Q(s, a) with a discrete critic.',
      optional: true,
    },
  ],
  outputs: [
    { name: 'q', type: 'Tensor', doc: 'Q(s, a) [B] (V(s) for a value module; max_a Q(s, a) for a discrete critic without action).' },
    { name: 'all', type: 'Tensor', doc: 'Q(s, ·) [B, n]: discrete critics (state-actions) only.' },
    { name: 'mean', type: 'Scalar', doc: 'Mean of q over the batch (the "mean Q" metric).' },
  ],
  create(ctx) {
    return {
      run(inputs): Outputs {
        const module = inputs.q as ModuleResource;
        const obs = tensorIn(inputs, 'obs');
        const action = optionalTensorIn(inputs, 'action');
        if (module.kind === 'policy') {
          throw new Error(`${ctx.nodeId}: its 'q' input is the policy '${module.nodeId}'; connect a critic (net.qNetwork) or a value module`);
        }
        if (!isQModule(module)) {
          if (action) throw new Error(`${ctx.nodeId}: '${module.nodeId}' is a state-value module V(s); leave the 'action' input unconnected (or use net.qNetwork for Q(s, a))`);
          if (module.outputSize !== 1) throw new Error(`${ctx.nodeId}: '${module.nodeId}' has ${module.outputSize} outputs; a value module has one`);
          const v = asRows(module.apply(obs), `V(s) of '${module.nodeId}'`);
          return { q: v, mean: tf.mean(v) };
        }
        if (module.qKind === 'stateAction') {
          if (!action) throw new Error(`${ctx.nodeId}: the continuous critic '${module.nodeId}' needs actions: connect the 'action' input`);
          const a = action.rank === 1 ? tf.reshape(action, [-1, 1]) : action;
          if (a.rank !== 2 || a.shape[1] !== module.actionSize) {
            throw new Error(`${ctx.nodeId}: '${module.nodeId}' takes ${module.actionSize}-dimensional actions, got [${action.shape.join(', ')}]`);
          }
          const q = asRows(module.apply(tf.concat([obs, a], 1)), `Q(s, a) of '${module.nodeId}'`);
          return { q, mean: tf.mean(q) };
        }
        const all = module.apply(obs);
        // Without an action: the greedy value (max has a gradient on every backend; no gather).
        const q = action ? tf.sum(tf.mul(all, oneHotActions(action, module.actionSize)), -1) : tf.max(all, -1);
        return { q, all, mean: tf.mean(q) };
      },
    };
  },
});
