import { defineBlock } from '../../engine/block.ts';
import { weights } from '../../engine/params.ts';
import { tf } from '../../engine/tf.ts';
import { tensorsIn } from '../util.ts';

export const weightedSum = defineBlock({
  type: 'loss.weightedSum',
  category: 'Losses',
  title: 'Weighted sum of losses',
  role: 'op',
  doc: {
    summary:
      'Combines several scalar terms into the loss an optimizer minimises. Each term has a weight keyed by the id of the node it comes from ("node" or "node.port"); objectives to maximise take negative weights. Terms without a weight count once.',
    formula: 'L = \\sum_i w_i\\, L_i,\\qquad \\text{e.g. } L = -L^{\\text{CLIP}} + c_1 L^V - c_2 S[\\pi_\\theta]',
    reference: 'Schulman et al. 2017, "Proximal Policy Optimization Algorithms", eq. 9',
  },
  params: {
    weights: weights({ default: {}, help: 'Weight per term, keyed by source node id (or "node.port").', live: true }),
  },
  inputs: [{ name: 'terms', type: 'Scalar', doc: 'Scalar terms L_i.', multi: true }],
  outputs: [{ name: 'loss', type: 'Scalar', doc: 'Σ w_i L_i, to minimise.' }],
  check: (params, inputSources) => unknownWeightKey(params.weights, inputSources.terms ?? []),
  create(ctx, params) {
    const sources = ctx.inputSources.terms ?? [];
    const keys = sources.map((s) => `${s.node}.${s.port}`);
    let table = params.weights;
    const check = (w: Record<string, number>) => {
      const problem = unknownWeightKey(w, sources);
      if (problem) throw new Error(problem);
    };
    check(table); // the compiler checks too; this guards direct use of the runtime
    const weightOf = (i: number) => table[keys[i]] ?? table[sources[i].node] ?? 1;
    return {
      run(inputs) {
        const terms = tensorsIn(inputs, 'terms');
        let total = tf.mul(terms[0], weightOf(0));
        for (let i = 1; i < terms.length; i++) total = tf.add(total, tf.mul(terms[i], weightOf(i)));
        return { loss: total };
      },
      setParam(name, value) {
        if (name !== 'weights') return;
        check(value as Record<string, number>);
        table = value as Record<string, number>;
      },
    };
  },
});

/** A weight key that names no connected term, as a message; null when all keys match. */
function unknownWeightKey(table: Record<string, number>, sources: { node: string; port: string }[]): string | null {
  const known = new Set([...sources.map((s) => s.node), ...sources.map((s) => `${s.node}.${s.port}`)]);
  for (const key of Object.keys(table)) {
    if (!known.has(key)) {
      return `weight '${key}' matches no connected term; terms come from ${sources.map((s) => s.node).join(', ') || '(none)'}`;
    }
  }
  return null;
}
