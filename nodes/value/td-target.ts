import { defineBlock } from '../../engine/block.ts';
import { num } from '../../engine/params.ts';
import { tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';
import { asRows } from './q.ts';

export const tdTarget = defineBlock({
  type: 'value.tdTarget',
  category: 'Values',
  title: 'TD target',
  role: 'op',
  doc: {
    summary:
      'One-step bootstrap target from replayed transitions: the scaled reward plus the discounted value of the next state, dropped where the episode terminated (an MDP terminal has no future). A time-limit cut (truncated) still bootstraps, which is why there is no truncated input: s′ of a truncated step is a real state with a future. `next` is the bootstrap value at s′, e.g. min_i Q′_i(s′, ã), Q′(s′, μ′(s′)), max_a Q′(s′, a) or V_ψ̄(s′); where terminated = 1 it is ignored exactly (even if not finite). The loss holds the target constant.',
    formula: 'y = c_r\\, r + \\gamma\\,(1 - d)\\; V\'(s\'),\\qquad d = \\text{terminated}',
    reference: 'Sutton & Barto 2018, §6.1 (TD); Mnih et al. 2015 (DQN target); Haarnoja et al. 2017/2018 (reward scale c_r in SAC v1); terminated vs truncated as in Gymnasium',
  },
  params: {
    gamma: num({ default: 0.99, min: 0, max: 1, live: true, help: 'Discount factor γ.' }),
    rewardScale: num({ default: 1, min: 0, max: 1000, live: true, help: 'Reward scale c_r (SAC v1 paper: 5 for most MuJoCo tasks); 1 = none.' }),
  },
  inputs: [
    { name: 'reward', type: 'Tensor', doc: 'Rewards r [B].' },
    { name: 'terminated', type: 'Tensor', doc: 'MDP terminal flags d ∈ {0, 1} [B] (not time-limit truncation).' },
    { name: 'next', type: 'Tensor', doc: 'Bootstrap value at s′ [B] (e.g. from a target network).' },
  ],
  outputs: [
    { name: 'target', type: 'Tensor', doc: 'y [B].' },
    { name: 'mean', type: 'Scalar', doc: 'Mean of y over the batch.' },
  ],
  create(_ctx, params) {
    let gamma = params.gamma;
    let rewardScale = params.rewardScale;
    return {
      run(inputs) {
        const reward = asRows(tensorIn(inputs, 'reward'), "the 'reward' input");
        const terminated = asRows(tensorIn(inputs, 'terminated'), "the 'terminated' input");
        const next = asRows(tensorIn(inputs, 'next'), "the 'next' input");
        const n = reward.shape[0];
        if (terminated.shape[0] !== n || next.shape[0] !== n) {
          throw new Error(`reward, terminated and next must have the same rows: ${n}, ${terminated.shape[0]}, ${next.shape[0]}`);
        }
        // where(), not (1 − d)·next: 0·∞ or 0·NaN from a garbage value at a terminal would poison y.
        const alive = tf.less(terminated, 0.5);
        const bootstrap = tf.where(alive, next, tf.zerosLike(next));
        const target = tf.add(tf.mul(reward, rewardScale), tf.mul(bootstrap, gamma));
        return { target, mean: tf.mean(target) };
      },
      setParam(name, value) {
        if (name === 'gamma') gamma = value as number;
        if (name === 'rewardScale') rewardScale = value as number;
      },
    };
  },
});
