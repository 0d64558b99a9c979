import { defineBlock } from '../../engine/block.ts';
import { choice, num } from '../../engine/params.ts';
import { tf } from '../../engine/tf.ts';
import { tensorIn } from '../util.ts';

/**
 * PPO's adaptive-β rule (Schulman et al. 2017, section 4), exactly as on the slide: halve β when
 * the measured KL d fell below d_targ / 1.5, double it above 1.5·d_targ, else keep it. The
 * comparisons are strict. `tolerance` (1.5) and `factor` (2) are the paper's heuristic constants.
 */
export function adaptBeta(beta: number, d: number, target: number, tolerance = 1.5, factor = 2): number {
  if (d < target / tolerance) return beta / factor;
  if (d > target * tolerance) return beta * factor;
  return beta;
}

/**
 * The KL "measured in an iteration", read from the values the block saw on its update ticks: the
 * last one (the KL reached at the end of the iteration's updates, closest to the paper's d computed
 * after the epochs) or the mean over the iteration. Shared with control.dualAscent.
 */
export class KlMeter {
  private sum = 0;
  private count = 0;
  private last = NaN;

  record(kl: number): void {
    this.sum += kl;
    this.count += 1;
    this.last = kl;
  }

  /** The iteration's measurement (undefined when the block did not run), and a reset. */
  take(measure: 'last' | 'mean'): number | undefined {
    const value = this.count === 0 ? undefined : measure === 'last' ? this.last : this.sum / this.count;
    this.sum = 0;
    this.count = 0;
    this.last = NaN;
    return value;
  }
}

export const MEASURE_HELP =
  'Which KL of the iteration d is: "last" = the KL at the last update (the policy reached at the end of the iteration), "mean" = the mean over its updates.';

export const klPenalty = defineBlock({
  type: 'loss.klPenalty',
  category: 'Losses',
  title: 'KL penalty β·KL',
  role: 'op',
  doc: {
    summary:
      'The KL penalty term of PPO-penalty: β times the mean KL between the old and the new policy (add it with weight +1 to the loss, beside −1·surrogate). "fixed": β stays as set. "adaptive": after each iteration β is halved when that iteration\'s KL d fell below d_targ/1.5 and doubled when it exceeded 1.5·d_targ; the new β applies to the next iteration. Outputs β (a metric).',
    formula:
      'L^{\\text{KLPEN}}(\\theta) = \\hat{\\mathbb E}_t\\big[r_t(\\theta)\\hat A_t - \\beta\\,\\mathrm{KL}[\\pi_{\\theta_\\text{old}}(\\cdot\\mid s_t), \\pi_\\theta(\\cdot\\mid s_t)]\\big];\\quad d < d_\\text{targ}/1.5 \\Rightarrow \\beta \\leftarrow \\beta/2,\\ \\ d > 1.5\\,d_\\text{targ} \\Rightarrow \\beta \\leftarrow 2\\beta',
    reference: 'Schulman et al. 2017, "Proximal Policy Optimization Algorithms", section 4 (adaptive KL penalty coefficient) and eq. 8',
  },
  params: {
    mode: choice({ options: ['fixed', 'adaptive'], default: 'adaptive', help: '"fixed": β constant; "adaptive": PPO\'s rule after each iteration.' }),
    beta: num({ default: 1, min: 0, max: 1e6, help: 'β (the initial β₀ in adaptive mode). A live change sets the current β.', live: true }),
    target: num({ default: 0.01, min: 0, max: 10, exclusiveMin: true, help: 'd_targ: the KL the adaptive rule aims for.', live: true }),
    tolerance: num({ default: 1.5, min: 1, max: 100, help: 'Band around d_targ left alone (the paper\'s 1.5).' }),
    factor: num({ default: 2, min: 1, max: 100, help: 'Multiplier applied to β outside the band (the paper\'s 2).' }),
    measure: choice({ options: ['last', 'mean'], default: 'last', help: MEASURE_HELP }),
  },
  inputs: [{ name: 'kl', type: 'Scalar', doc: 'Mean KL[π_old ‖ π_θ] over the states (differentiable).' }],
  outputs: [
    { name: 'penalty', type: 'Scalar', doc: 'β·KL, to minimise (weight +1 in the loss sum).' },
    { name: 'beta', type: 'Scalar', doc: 'β used in this iteration.' },
  ],
  create(_ctx, params) {
    let beta = params.beta;
    let target = params.target;
    const meter = new KlMeter();
    return {
      run(inputs) {
        const kl = tensorIn(inputs, 'kl');
        meter.record(kl.dataSync()[0]);
        return { penalty: tf.mul(kl, beta), beta: tf.scalar(beta) };
      },
      endIteration() {
        const d = meter.take(params.measure);
        if (params.mode === 'adaptive' && d !== undefined && Number.isFinite(d)) beta = adaptBeta(beta, d, target, params.tolerance, params.factor);
      },
      setParam(name, value) {
        if (name === 'beta') beta = value as number;
        if (name === 'target') target = value as number;
      },
      saveState: () => ({ beta, target }),
      loadState(state) {
        ({ beta, target } = state as { beta: number; target: number });
      },
    };
  },
});
