import { defineBlock, type TemperatureResource } from '../../engine/block.ts';
import { assignEncoded, type EncodedArray, encodeTensor } from '../../engine/codec.ts';
import { bool, num } from '../../engine/params.ts';
import { type Tensor, tf } from '../../engine/tf.ts';

export const temperature = defineBlock({
  type: 'net.temperature',
  category: 'Networks',
  title: 'Entropy temperature α',
  role: 'resource',
  doc: {
    summary:
      'The temperature α of maximum-entropy RL as a module with one trainable variable, log α (positive α by construction). Connect it to an optimizer with a temperature loss to tune α automatically (SAC: keep the policy\'s entropy near the target H̄); leave it unoptimised for a fixed α. apply(x) returns α repeated for each row of x ([B]).',
    formula:
      '\\alpha = e^{\\log\\alpha},\\qquad J(\\alpha) = \\mathbb E_{a\\sim\\pi}\\big[-\\alpha\\,(\\log\\pi(a\\mid s) + \\bar{\\mathcal H})\\big],\\qquad \\bar{\\mathcal H} = -\\dim(\\mathcal A)',
    reference: 'Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications", §5 (automatic temperature; log α parameterisation as in CleanRL sac_continuous_action.py)',
  },
  params: {
    initAlpha: num({ default: 1, min: 0, exclusiveMin: true, max: 1000, scale: 'log', help: 'Initial α (log α starts at its log).' }),
    autoTargetEntropy: bool({
      default: true,
      help: 'Target entropy H̄ = −dim(A) for a Box action space (SAC). Discrete action spaces always use targetEntropy.',
    }),
    targetEntropy: num({
      default: -1,
      min: -1000,
      max: 1000,
      help: 'Target entropy H̄ when autoTargetEntropy is off or the actions are Discrete (there a sensible value is 0.89·log n, CleanRL SAC-discrete).',
    }),
  },
  inputs: [],
  outputs: [{ name: 'alpha', type: 'Module', doc: 'α = exp(log α): one trainable variable; apply(x) = α for each row ([B]).' }],
  create(ctx, params) {
    const space = ctx.envSpec?.actionSpace;
    let targetEntropy = params.targetEntropy;
    if (params.autoTargetEntropy && space?.kind === 'box') {
      targetEntropy = -space.shape.reduce((a, b) => a * b, 1);
    } else if (params.autoTargetEntropy) {
      ctx.log(`target entropy ${targetEntropy} from the targetEntropy param (${space ? 'Discrete actions' : 'no environment'}: −dim(A) applies to Box actions)`);
    }
    // In tidy so the initial tensor dies and the variable owns its data alone (host-side Adam).
    const logAlpha = tf.tidy(() => tf.variable(tf.scalar(Math.log(params.initAlpha)), true));
    const alpha = (): Tensor => tf.exp(logAlpha);
    const resource: TemperatureResource = {
      kind: 'module',
      nodeId: ctx.nodeId,
      temperature: true,
      inputSize: 0,
      outputSize: 1,
      variables: [logAlpha],
      logAlpha,
      targetEntropy,
      alpha,
      alphaValue: () => Math.exp(logAlpha.dataSync()[0]),
      // α broadcast over the rows of x, differentiable in log α (a per-row coefficient).
      apply: (x) => tf.mul(tf.ones([x.shape[0] ?? 1]), alpha()),
    };
    return {
      resources: { alpha: resource },
      // The metric is α at the end of the iteration (the value the next iteration starts from).
      iterationMetrics: () => ({ [`${ctx.nodeId}.alpha`]: resource.alphaValue() }),
      saveState: () => ({ logAlpha: encodeTensor(logAlpha) }),
      loadState: (state) => assignEncoded(logAlpha, (state as { logAlpha: EncodedArray }).logAlpha, ctx.nodeId),
      dispose: () => logAlpha.dispose(),
    };
  },
});
