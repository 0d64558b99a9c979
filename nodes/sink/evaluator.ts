import { defineBlock, type EnvResource, type EpisodeReport, type PolicyResource } from '../../engine/block.ts';
import { bool, int } from '../../engine/params.ts';
import { evaluatePolicy } from '../../engine/evaluate.ts';
import { deriveSeed } from '../../engine/rng.ts';

export const evaluator = defineBlock({
  type: 'sink.evaluator',
  category: 'Sinks',
  title: 'Evaluator',
  role: 'sink',
  doc: {
    summary:
      'Runs fresh episodes of the current policy in new environment instances (independent of training), every k iterations and once after training (summary.json "eval"). Reports the mean and standard deviation of the undiscounted return.',
    formula: '\\bar G = \\frac1M \\sum_{m=1}^M \\sum_t r^{(m)}_t',
    reference: 'Evaluation protocol of Henderson et al. 2018, "Deep RL that Matters"',
  },
  params: {
    episodes: int({ default: 20, min: 1, max: 10_000, help: 'Episodes per evaluation.' }),
    every: int({ default: 0, min: 0, max: 1_000_000, help: 'Evaluate every k iterations during training; 0 = only after training.' }),
    deterministic: bool({ default: false, help: 'Act with the distribution\'s mode instead of sampling.' }),
  },
  inputs: [
    { name: 'env', type: 'Env', doc: 'Environment to evaluate in (a fresh instance is made).' },
    { name: 'policy', type: 'Policy', doc: 'π_θ to evaluate.' },
    { name: 'when', type: 'Trigger', doc: 'Evaluate each time this fires (e.g. from Every k); overrides "every".', optional: true },
  ],
  outputs: [],
  create(ctx, params) {
    const envRes = ctx.resources.env as EnvResource;
    const policy = ctx.resources.policy as PolicyResource;
    let evaluations = 0;
    let lastMean = Number.NaN;
    let lastStd = Number.NaN;
    let iterationsSince = 0;
    const triggered = (ctx.inputSources.when ?? []).length > 0;

    function evaluate(episodes: number): EpisodeReport[] {
      evaluations += 1;
      const returns = evaluatePolicy(envRes, policy, episodes, {
        envSeed: deriveSeed(ctx.runSeed, ctx.nodeId, 'env', evaluations),
        actSeed: deriveSeed(ctx.runSeed, ctx.nodeId, 'act', evaluations),
        deterministic: params.deterministic,
      });
      const mean = returns.reduce((a, r) => a + r.return, 0) / returns.length;
      lastMean = mean;
      lastStd = Math.sqrt(returns.reduce((a, r) => a + (r.return - mean) ** 2, 0) / returns.length);
      return returns;
    }

    return {
      run() {
        if (triggered) {
          evaluate(params.episodes);
          return {};
        }
        iterationsSince += 1;
        if (params.every > 0 && iterationsSince >= params.every) {
          iterationsSince = 0;
          evaluate(params.episodes);
        }
        return {};
      },
      iterationMetrics() {
        if (Number.isNaN(lastMean)) return {};
        const out = { [`${ctx.nodeId}.meanReturn`]: lastMean, [`${ctx.nodeId}.stdReturn`]: lastStd };
        lastMean = Number.NaN;
        return out;
      },
      evaluate,
      saveState: () => ({ evaluations, iterationsSince }),
      loadState(state) {
        ({ evaluations, iterationsSince } = state as { evaluations: number; iterationsSince: number });
      },
    };
  },
});
