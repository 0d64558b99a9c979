import { defineBlock } from '../../engine/block.ts';
import { tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';
import { asRows } from '../value/q.ts';
import { asTemperature } from '../value/soft-state.ts';
import { actorInputProblem } from './dpg.ts';

export const sacPolicyLoss = defineBlock({
  type: 'loss.sacPolicy',
  category: 'Losses',
  title: 'SAC policy loss',
  role: 'op',
  doc: {
    summary:
      'Actor loss of Soft Actor-Critic: the temperature-weighted log-probability minus the critic\'s value, both at a reparameterised action a = f_θ(ε; s) from policy.action, so the gradient flows through the action into θ (and through log π directly). α is a constant here; tune it with loss.temperature. The compiler refuses q or logProb inputs that do not come from policy.action on the live policy (replayed actions give no gradient).',
    formula: 'J_\\pi(\\theta) = \\hat{\\mathbb E}_{s\\sim\\mathcal D,\\ \\epsilon\\sim\\mathcal N}\\big[\\alpha \\log \\pi_\\theta(f_\\theta(\\epsilon; s)\\mid s) - Q_\\phi(s, f_\\theta(\\epsilon; s))\\big]',
    reference: 'Haarnoja et al. 2018, "Soft Actor-Critic", eq. 12; Haarnoja et al. 2018b, "Soft Actor-Critic Algorithms and Applications", eq. 7',
  },
  params: {},
  inputs: [
    { name: 'logProb', type: 'Tensor', doc: 'log π_θ(a|s) [B] (policy.action).' },
    { name: 'q', type: 'Tensor', doc: 'Q_φ(s, a) [B] at the same actions (e.g. min of two critics).' },
    { name: 'temperature', type: 'Module', doc: 'α (net.temperature), read as a constant.' },
  ],
  outputs: [
    { name: 'loss', type: 'Scalar', doc: 'J_π(θ), to minimise.' },
    { name: 'entropy', type: 'Scalar', doc: 'One-sample entropy estimate −mean log π_θ(a|s).' },
  ],
  checkGraph: ({ node }) =>
    actorInputProblem(node, 'q', 'Q(s, a)', 'a = f_θ(ε; s)') ?? actorInputProblem(node, 'logProb', 'log π(a|s)', 'its logProb output'),
  create(ctx) {
    return {
      run(inputs) {
        const alpha = asTemperature(inputs.temperature, ctx.nodeId).alphaValue();
        const logProb = asRows(tensorIn(inputs, 'logProb'), "the 'logProb' input");
        const q = asRows(tensorIn(inputs, 'q'), "the 'q' input");
        if (q.shape[0] !== logProb.shape[0]) throw new Error(`${ctx.nodeId}: q has ${q.shape[0]} rows, logProb ${logProb.shape[0]}`);
        return { loss: tf.mean(tf.sub(tf.mul(logProb, alpha), q)), entropy: tf.neg(tf.mean(logProb)) };
      },
    };
  },
});
