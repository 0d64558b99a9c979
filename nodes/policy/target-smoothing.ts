import { defineBlock, type PolicyResource } from '../../engine/block.ts';
import type { Rng } from '../../engine/rng.ts';
import { num } from '../../engine/params.ts';
import { tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';
import { tensorFromScratch } from './action.ts';

export const targetSmoothing = defineBlock({
  type: 'policy.targetSmoothing',
  category: 'Policy',
  title: 'Target policy smoothing',
  role: 'op',
  doc: {
    summary:
      'TD3\'s target policy smoothing: adds clipped Gaussian noise to the target policy\'s action at s′ and clips the result to the action box, so the bootstrap Q′(s′, ã) averages the critic over a small neighbourhood of the action instead of exploiting a narrow peak. σ and the noise clip c are in units of the action scale (high − low)/2, as in CleanRL\'s td3_continuous_action.py (σ = 0.2, c = 0.5). ε is drawn on the host from the run\'s seeded RNG.',
    formula:
      '\\tilde a = \\operatorname{clip}\\big(\\mu_{\\phi\'}(s\') + \\operatorname{clip}(\\sigma\\epsilon, -c, c)\\cdot\\tfrac{a_\\text{high} - a_\\text{low}}{2},\\ a_\\text{low},\\ a_\\text{high}\\big),\\quad \\epsilon\\sim\\mathcal N(0, I)',
    reference: 'Fujimoto et al. 2018, "Addressing Function Approximation Error in Actor-Critic Methods" (TD3), eq. 14–15',
  },
  params: {
    sigma: num({ default: 0.2, min: 0, max: 10, live: true, help: 'Noise standard deviation σ, in units of the action scale (high − low)/2.' }),
    noiseClip: num({ default: 0.5, min: 0, max: 10, live: true, help: 'Noise clip c, in units of the action scale.' }),
  },
  inputs: [
    { name: 'action', type: 'Tensor', doc: 'Target policy actions μ_φ′(s′) [B, k] (or [B] when k = 1).' },
    { name: 'policy', type: 'Policy', doc: 'The policy that produced them (its action box gives the scale and the bounds).' },
  ],
  outputs: [{ name: 'action', type: 'Tensor', doc: 'Smoothed actions ã, same shape as the input.' }],
  create(ctx, params) {
    const rng = ctx.rng('noise');
    let sigma = params.sigma;
    let noiseClip = params.noiseClip;
    let noise = new Float32Array(0);
    return {
      run(inputs) {
        const policy = inputs.policy as PolicyResource;
        const space = policy.actionSpace;
        if (space.kind !== 'box') throw new Error(`${ctx.nodeId}: target policy smoothing needs a Box action space; '${policy.nodeId}' acts in a Discrete one`);
        const action = tensorIn(inputs, 'action');
        const k = space.low.length;
        const width = action.rank === 1 ? 1 : action.shape[action.rank - 1];
        if (width !== k) throw new Error(`${ctx.nodeId}: actions have ${width} dimensions but '${policy.nodeId}' has ${k}`);
        if (noise.length !== action.size) noise = new Float32Array(action.size);
        // Row-major [B, k]: dimension j of every row gets its own scale.
        for (let i = 0; i < noise.length; i++) {
          const j = i % k;
          const clipped = Math.min(noiseClip, Math.max(-noiseClip, sigma * rng.normal()));
          noise[i] = clipped * ((space.high[j] - space.low[j]) / 2);
        }
        const noisy = tf.add(action, tensorFromScratch(noise, action.shape));
        const low = action.rank === 1 ? tf.scalar(space.low[0]) : tf.tensor1d(space.low);
        const high = action.rank === 1 ? tf.scalar(space.high[0]) : tf.tensor1d(space.high);
        return { action: tf.minimum(tf.maximum(noisy, low), high) };
      },
      setParam(name, value) {
        if (name === 'sigma') sigma = value as number;
        if (name === 'noiseClip') noiseClip = value as number;
      },
      saveState: () => ({ rng: rng.getState() }),
      loadState(state) {
        rng.setState((state as { rng: ReturnType<Rng['getState']> }).rng);
      },
    };
  },
});
