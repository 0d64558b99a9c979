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
    // Accumulated on the device; read once per iteration (one sync instead of one per update).
    let pending: Tensor[] = [];
    return {
      run(inputs) {
        const values = tensorsIn(inputs, 'values');
        const row = tf.keep(tf.stack(values.map((v) => tf.reshape(v, []))));
        pending.push(row);
        return {};
      },
      iterationMetrics() {
        if (!pending.length) return {};
        const meanTensor = tf.tidy(() => tf.mean(tf.stack(pending), 0));
        const means = meanTensor.dataSync();
        meanTensor.dispose();
        for (const t of pending) t.dispose();
        pending = [];
        return Object.fromEntries(names.map((name, i) => [name, means[i]]));
      },
      dispose() {
        for (const t of pending) t.dispose();
        pending = [];
      },
    };
  },
});
