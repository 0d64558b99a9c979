import { defineBlock } from '../../engine/block.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { tensorsIn } from '../util.ts';

export const metrics = defineBlock({
  type: 'sink.metrics',
  category: 'Sinks',
  title: 'Metrics',
  role: 'sink',
  doc: {
    summary:
      'Records scalars into metrics.jsonl / metrics.csv and the live charts: the mean over the ticks of each iteration (e.g. over all minibatch updates). Each metric is named after its source, "node.port" (e.g. ratio.approxKL).',
    reference: 'Logged quantities as in CleanRL (Huang et al. 2022)',
  },
  params: {},
  inputs: [{ name: 'values', type: 'Scalar', doc: 'Scalars to record.', multi: true }],
  outputs: [],
  create(ctx) {
    const sources = ctx.inputSources.values ?? [];
    const names = sources.map((s) => `${s.node}.${s.port}`);
    // One small stacked copy per tick stays on the device (`keep`: the tick's tensors die with
    // it); everything is read once per iteration, one sync instead of one per update.
    let pending: Tensor[] = [];
    return {
      run(inputs) {
        const values = tensorsIn(inputs, 'values').map((v) => (v.rank === 0 ? v : tf.mean(v)));
        pending.push(tf.keep(tf.stack(values)));
        return {};
      },
      iterationMetrics() {
        if (!pending.length) return {};
        const stacked = tf.tidy(() => tf.stack(pending));
        const values = stacked.dataSync();
        stacked.dispose();
        const ticks = pending.length;
        for (const t of pending) t.dispose();
        pending = [];
        const sums = new Float64Array(names.length);
        for (let i = 0; i < values.length; i++) sums[i % names.length] += values[i];
        return Object.fromEntries(names.map((name, i) => [name, sums[i] / ticks]));
      },
      dispose() {
        for (const t of pending) t.dispose();
        pending = [];
      },
    };
  },
});
