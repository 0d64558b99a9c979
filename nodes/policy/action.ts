import { defineBlock, type PolicyResource } from '../../engine/block.ts';
import type { Rng } from '../../engine/rng.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { policyOutput, tensorIn } from '../util.ts';

/** Action dimensions k of a reparameterisable policy (Box spaces). */
export function actionDimOf(policy: PolicyResource): number {
  if (policy.actionDim !== undefined) return policy.actionDim;
  return policy.actionSpace.kind === 'box' ? policy.actionSpace.shape.reduce((a, b) => a * b, 1) : 1;
}

/**
 * A [rows, cols] tensor from a host buffer that the caller refills later. The cpu backend keeps
 * the very array it is given (no copy), so refilling would change a live tensor: copy there.
 * Other backends (wasm heap, GPU) copy on upload, so the buffer is reused as is.
 */
export function tensorFromScratch(buffer: Float32Array, shape: number[]): Tensor {
  return tf.tensor(tf.getBackend() === 'cpu' ? buffer.slice() : buffer, shape, 'float32');
}

export const policyAction = defineBlock({
  type: 'policy.action',
  category: 'Policy',
  title: 'Policy action (reparameterised)',
  role: 'op',
  reparameterizedAction: true,
  doc: {
    summary:
      'A differentiable action of the current policy at the given states, for actor losses. Deterministic policies: a = μ_θ(s) (DDPG, TD3); log π is reported as zeros and the entropy as 0 (no density). Squashed Gaussian: a = tanh(μ_θ(s) + σ_θ(s)·ε)·scale + bias with ε ~ N(0, I) drawn from the run\'s seeded RNG on every run (SAC), and its log π(a|s). Categorical and diagonal-Gaussian policies are not reparameterisable here (use their log-probability with a score-function loss). Feed `action` to value.q and `logProb` to the SAC losses.',
    formula: 'a = f_\\theta(\\epsilon; s) = \\tanh\\big(\\mu_\\theta(s) + \\sigma_\\theta(s)\\odot\\epsilon\\big),\\ \\epsilon\\sim\\mathcal N(0, I);\\qquad a = \\mu_\\theta(s)\\ \\text{(deterministic)}',
    reference:
      'Haarnoja et al. 2018, "Soft Actor-Critic", eq. 11 and Appendix C (tanh squashing); Silver et al. 2014 (DPG); Kingma & Welling 2014 (reparameterisation trick)',
  },
  params: {},
  inputs: [
    { name: 'policy', type: 'Policy', doc: 'π_θ: a deterministic or squashed-Gaussian policy (head.deterministic, head.squashedGaussian).' },
    { name: 'obs', type: 'Tensor', doc: 'States s [B, d].' },
  ],
  outputs: [
    { name: 'action', type: 'Tensor', doc: 'a = f_θ(ε; s) [B, k], differentiable in θ.' },
    { name: 'logProb', type: 'Tensor', doc: 'log π_θ(a|s) [B] (zeros for a deterministic policy).' },
    { name: 'entropy', type: 'Scalar', doc: 'One-sample entropy estimate −mean log π_θ(a|s) (0 for a deterministic policy).' },
  ],
  create(ctx) {
    const rng = ctx.rng('noise');
    let eps = new Float32Array(0);
    return {
      run(inputs, tick) {
        const policy = inputs.policy as PolicyResource;
        if (!policy.rsample) {
          throw new Error(
            `${ctx.nodeId}: the ${policy.distribution} policy '${policy.nodeId}' is not reparameterisable (no a = f_θ(ε; s)); use head.deterministic or head.squashedGaussian, or a score-function loss with policy.logProb`,
          );
        }
        const obs = tensorIn(inputs, 'obs');
        const out = policyOutput(policy, obs, tick);
        const rows = obs.shape[0];
        let noise: Tensor | null = null;
        // A deterministic policy uses no noise: drawing none keeps its RNG stream untouched.
        if (policy.distribution !== 'deterministic') {
          const k = actionDimOf(policy);
          if (eps.length !== rows * k) eps = new Float32Array(rows * k);
          for (let i = 0; i < eps.length; i++) eps[i] = rng.normal();
          noise = tensorFromScratch(eps, [rows, k]);
        }
        const { action, logProb } = policy.rsample(out, noise);
        if (!logProb) return { action, logProb: tf.zeros([rows]), entropy: tf.scalar(0) };
        return { action, logProb, entropy: tf.neg(tf.mean(logProb)) };
      },
      saveState: () => ({ rng: rng.getState() }),
      loadState(state) {
        rng.setState((state as { rng: ReturnType<Rng['getState']> }).rng);
      },
    };
  },
});
