import { defineBlock, type PolicyResource } from '../../engine/block.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { policyOutput, tensorIn } from '../util.ts';
import { gaussianLogStd } from './snapshot.ts';

/**
 * Exact KL(p ‖ q) per row between two categorical distributions given as normalised logits
 * (log-probabilities) [B, n] → [B]: Σₐ p(a) (log p(a) − log q(a)).
 * Written with exp and sub only, so that nested gradients are exact (notes trap 5).
 */
export function categoricalKl(logP: Tensor, logQ: Tensor): Tensor {
  return tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), -1);
}

/**
 * Exact KL(N(μ₀, σ₀²) ‖ N(μ₁, σ₁²)) per row for diagonal Gaussians with state-free log σ
 * (means [B, k], log σ [k]) → [B]:
 * Σⱼ [log σ₁ⱼ − log σ₀ⱼ + (σ₀ⱼ² + (μ₀ⱼ − μ₁ⱼ)²) / (2σ₁ⱼ²) − ½].
 */
export function diagGaussianKl(mean0: Tensor, logStd0: Tensor, mean1: Tensor, logStd1: Tensor): Tensor {
  const var0 = tf.exp(tf.mul(2, logStd0));
  const var1 = tf.exp(tf.mul(2, logStd1));
  const quad = tf.div(tf.add(var0, tf.square(tf.sub(mean0, mean1))), tf.mul(2, var1));
  return tf.sum(tf.add(tf.sub(tf.sub(logStd1, logStd0), 0.5), quad), -1);
}

/** KL(π_old(·|s) ‖ π(·|s)) per state from the two policies' outputs on the same states. */
export function policyKl(old: PolicyResource, oldOut: Tensor, policy: PolicyResource, out: Tensor): Tensor {
  if (old.distribution !== policy.distribution) {
    throw new Error(`the old policy is ${old.distribution} but the policy is ${policy.distribution}`);
  }
  if (old.outputSize !== policy.outputSize) throw new Error(`the old policy has ${old.outputSize} outputs but the policy has ${policy.outputSize}`);
  if (policy.distribution === 'categorical') return categoricalKl(oldOut, out);
  return diagGaussianKl(oldOut, gaussianLogStd(old), out, gaussianLogStd(policy));
}

export const kl = defineBlock({
  type: 'policy.kl',
  category: 'Policy',
  title: 'KL divergence',
  role: 'op',
  doc: {
    summary:
      'Exact KL divergence between the old policy (the one that collected the data, e.g. a policy.snapshot) and the current policy, per state, and its mean over the batch: the trust-region constraint of TRPO and the metric whose Hessian at θ = θ_old is the Fisher information matrix (natural gradient). Closed form for categorical and diagonal-Gaussian policies; differentiable in θ (twice: Fisher-vector products). The old policy is a constant.',
    formula:
      '\\overline{D}_\\text{KL}(\\theta_\\text{old}, \\theta) = \\hat{\\mathbb E}_{s}\\big[D_\\text{KL}\\big(\\pi_{\\theta_\\text{old}}(\\cdot\\mid s)\\,\\|\\,\\pi_\\theta(\\cdot\\mid s)\\big)\\big],\\quad D_\\text{KL} = \\textstyle\\sum_a \\pi_\\text{old}(a|s)\\log\\frac{\\pi_\\text{old}(a|s)}{\\pi_\\theta(a|s)}',
    reference: 'Schulman et al. 2015, "Trust Region Policy Optimization", eq. 12 and Appendix C; Kakade 2002, "A Natural Policy Gradient"',
  },
  params: {},
  inputs: [
    { name: 'policy', type: 'Policy', doc: 'π_θ (differentiated).' },
    { name: 'old', type: 'Policy', doc: 'π_θold (constant), e.g. a policy.snapshot of π_θ.' },
    { name: 'obs', type: 'Tensor', doc: 'States s [B, d].' },
  ],
  outputs: [
    { name: 'kl', type: 'Tensor', doc: 'D_KL(π_old(·|s) ‖ π_θ(·|s)) per state [B].' },
    { name: 'meanKL', type: 'Scalar', doc: 'Mean over the batch.' },
  ],
  create(ctx) {
    const policy = ctx.resources.policy as PolicyResource;
    const old = ctx.resources.old as PolicyResource;
    if (old.distribution !== policy.distribution || old.outputSize !== policy.outputSize) {
      throw new Error(`the old policy (${old.distribution}, ${old.outputSize} outputs) and the policy (${policy.distribution}, ${policy.outputSize}) differ`);
    }
    if (old.snapshotOf && old.snapshotOf !== policy) {
      ctx.log(`note: the old policy is a snapshot of '${old.snapshotOf.nodeId}', not of '${policy.nodeId}'`);
    }
    return {
      run(inputs, tick) {
        const obs = tensorIn(inputs, 'obs');
        const out = policyOutput(policy, obs, tick);
        const oldOut = policyOutput(old, obs, tick);
        const perState = policyKl(old, oldOut, policy, out);
        return { kl: perState, meanKL: tf.mean(perState) };
      },
    };
  },
});
