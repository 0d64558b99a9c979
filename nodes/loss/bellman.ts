import { defineBlock, type Tick } from '../../engine/block.ts';
import { bool } from '../../engine/params.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';
import { asRows } from '../value/q.ts';

/**
 * `t` as a constant of the gradient being taken. Inside an optimizer's closure a copy made from
 * its values has no tape history (tfjs has no stop-gradient op; tf.customGrad is banned: it breaks
 * nested gradients). Outside a closure nothing is recorded, so `t` is returned as is.
 */
export function constantOf(t: Tensor, tick: Tick): Tensor {
  return tick.differentiating ? tf.tensor(t.dataSync().slice(), t.shape, t.dtype) : t;
}

export const bellmanLoss = defineBlock({
  type: 'loss.bellman',
  category: 'Losses',
  title: 'Bellman (TD) loss',
  role: 'op',
  doc: {
    summary:
      'Mean squared TD error between the critic\'s prediction and its bootstrap target. The target is held constant (semi-gradient TD: no gradient flows into whatever computed it, even a live network). halfSquared = false is CleanRL\'s F.mse_loss; true is the ½ of the SAC paper\'s J_Q and J_V.',
    formula: 'J_Q(\\phi) = c\\,\\hat{\\mathbb E}\\big[(Q_\\phi(s, a) - y)^2\\big],\\quad c = 1 \\text{ or } \\tfrac12,\\quad y \\text{ constant}',
    reference: 'Mnih et al. 2015 (DQN loss); Haarnoja et al. 2018, "Soft Actor-Critic", eq. 5 and 7; CleanRL ddpg/td3/sac implementations',
  },
  params: {
    halfSquared: bool({ default: false, help: 'Use ½(Q − y)² (SAC paper) instead of (Q − y)² (CleanRL MSE).' }),
  },
  inputs: [
    { name: 'prediction', type: 'Tensor', doc: 'Q_φ(s, a) or V_ψ(s) [B].' },
    { name: 'target', type: 'Tensor', doc: 'Bootstrap target y [B] (held constant).' },
  ],
  outputs: [
    { name: 'loss', type: 'Scalar', doc: 'J(φ), to minimise.' },
    { name: 'tdError', type: 'Scalar', doc: 'Mean absolute TD error mean |Q − y|.' },
  ],
  create(ctx, params) {
    return {
      run(inputs, tick) {
        const prediction = asRows(tensorIn(inputs, 'prediction'), "the 'prediction' input");
        const target = constantOf(asRows(tensorIn(inputs, 'target'), "the 'target' input"), tick);
        if (prediction.shape[0] !== target.shape[0]) {
          throw new Error(`${ctx.nodeId}: prediction has ${prediction.shape[0]} rows but target has ${target.shape[0]}`);
        }
        const delta = tf.sub(prediction, target);
        const mse = tf.mean(tf.square(delta));
        return { loss: params.halfSquared ? tf.mul(mse, 0.5) : mse, tdError: tf.mean(tf.abs(delta)) };
      },
    };
  },
});
