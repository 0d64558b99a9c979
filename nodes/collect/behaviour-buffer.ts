import { defineBlock, type HostBatch, type HostField } from '../../engine/block.ts';
import { decodeFloats, type EncodedArray, encodeFloats } from '../../engine/codec.ts';
import { int } from '../../engine/params.ts';
import { batchIn } from '../util.ts';

interface SavedBatch {
  size: number;
  fields: Record<string, { width: number; data: EncodedArray }>;
}

/** A deep copy (collectors reuse their arrays from one iteration to the next). */
function copyBatch(batch: HostBatch): HostBatch {
  const fields: Record<string, HostField> = {};
  for (const [name, field] of Object.entries(batch.fields)) fields[name] = { data: field.data.slice(), width: field.width };
  return { kind: 'batch', size: batch.size, fields };
}

/**
 * The stored batches, oldest first, as one trajectory-contiguous batch with an `age` field (0 for
 * the newest). The last row of every stored batch ends its trajectory (cont = 0), so no product
 * or return runs from one policy's batch into the next. Exported for tests.
 */
export function concatBatches(batches: HostBatch[]): HostBatch {
  const size = batches.reduce((a, b) => a + b.size, 0);
  const names = Object.keys(batches[batches.length - 1].fields);
  const fields: Record<string, HostField> = {};
  for (const name of names) {
    const width = batches[batches.length - 1].fields[name].width;
    const data = new Float32Array(size * width);
    let offset = 0;
    for (const b of batches) {
      const field = b.fields[name];
      if (!field || field.width !== width) throw new Error(`the stored batches disagree on field '${name}'`);
      data.set(field.data, offset * width);
      offset += b.size;
    }
    fields[name] = { data, width };
  }
  const age = new Float32Array(size);
  let offset = 0;
  batches.forEach((b, k) => {
    age.fill(batches.length - 1 - k, offset, offset + b.size);
    offset += b.size;
    if (fields.cont && b.size > 0) fields.cont.data[offset - 1] = 0;
  });
  fields.age = { data: age, width: 1 };
  return { kind: 'batch', size, fields };
}

export const behaviourBuffer = defineBlock({
  type: 'collect.behaviourBuffer',
  category: 'Collectors',
  title: 'Behaviour data (last K policies)',
  role: 'op',
  doc: {
    summary:
      "Keeps the batches collected by the last K policies, each with the log-probabilities of its actions under the policy that collected it (the rollout's logp field), and outputs them as one batch (oldest first) with an extra field age (0 = this iteration's policy). An importance-sampled policy gradient on this batch learns from data of older policies: the ratio π_θ'/π_{θ_k} reweights each row to the current policy. Stored batches are part of the checkpoint.",
    formula: '\\mathcal D_k = \\bigcup_{j=k-K+1}^{k} \\{(s_t, a_t, r_t, \\log\\pi_{\\theta_j}(a_t\\mid s_t))\\}_{\\tau \\sim \\pi_{\\theta_j}}',
    reference: 'Levine, CS285 lecture 5, "off-policy policy gradient with importance sampling"; Precup, Sutton & Singh 2000',
  },
  params: {
    policies: int({ default: 4, min: 1, max: 1000, help: 'K: how many of the most recent batches (one per policy) to keep.' }),
  },
  inputs: [{ name: 'batch', type: 'Batch', doc: "This iteration's rollout (needs logp: log π of the collecting policy)." }],
  outputs: [{ name: 'batch', type: 'Batch', doc: 'The last K batches, oldest first, same fields plus age.' }],
  batchFields: ({ inputFields }) => ({ batch: [...(inputFields.batch ?? []).filter((f) => f !== 'age'), 'age'] }),
  create(_ctx, params) {
    let stored: HostBatch[] = [];
    return {
      run(inputs) {
        const batch = batchIn(inputs, 'batch');
        if (!batch.fields.logp) throw new Error("the batch has no field 'logp' (log-probabilities of the collecting policy)");
        stored.push(copyBatch(batch));
        while (stored.length > params.policies) stored.shift();
        return { batch: concatBatches(stored) };
      },
      saveState: (): SavedBatch[] =>
        stored.map((b) => ({
          size: b.size,
          fields: Object.fromEntries(Object.entries(b.fields).map(([name, f]) => [name, { width: f.width, data: encodeFloats(f.data, [b.size, f.width]) }])),
        })),
      loadState(state) {
        stored = (state as SavedBatch[]).map((s) => ({
          kind: 'batch',
          size: s.size,
          fields: Object.fromEntries(Object.entries(s.fields).map(([name, f]) => [name, { width: f.width, data: decodeFloats(f.data) }])),
        }));
      },
    };
  },
});
